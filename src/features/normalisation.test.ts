import { describe, expect, it } from 'vitest';
import { DEFAULT_CLIP_SIGMA, fitNormalisation, normaliseInto } from './normalisation.js';

describe('fitNormalisation', () => {
  // rows (F = 2): only ready rows inside [1, 5) count: rows 1, 2, 4
  const raw = Float64Array.from([1000, 7, 1, 5, 3, 5, 999, 999, 5, 5, -1000, -7]);
  const ready = Uint8Array.from([1, 1, 1, 0, 1, 1]);

  it('uses only ready rows of the given range, population σ, and σ = 1 for a constant feature', () => {
    const norm = fitNormalisation(raw, ready, 2, 1, 5);
    expect(norm.mean).toEqual([3, 5]);
    expect(norm.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 14);
    expect(norm.std[1]).toBe(1);
    expect(norm.clip).toBe(DEFAULT_CLIP_SIGMA);
  });

  it('throws when the range has no ready row', () => {
    expect(() => fitNormalisation(raw, ready, 2, 3, 4)).toThrow(/no ready rows/);
  });
});

describe('normaliseInto', () => {
  it('writes z-scores at the offsets and clips to ±clip σ', () => {
    const out = new Float32Array(6).fill(99);
    const raw = Float64Array.from([0, 0, 23, -100, 2.5, 0]);
    normaliseInto(out, 2, raw, 2, { mean: [3, 0, 2], std: [2, 4, 0.5] });
    expect(Array.from(out)).toEqual([99, 99, 5, -5, 1, 99]);
    normaliseInto(out, 0, raw, 2, { mean: [3, 0, 2], std: [2, 4, 0.5], clip: 100 });
    expect(Array.from(out.subarray(0, 3))).toEqual([10, -25, 1]);
  });
});
