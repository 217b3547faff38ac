import { describe, expect, it } from 'vitest';
import { DataError } from '../core/errors.js';
import { DEFAULT_CLIP_SIGMA, fitNormalisation, normaliseInto } from './normalisation.js';

describe('fitNormalisation', () => {
  // rows (F = 2): only ready rows inside [1, 5) count: rows 1, 2, 4
  const raw = Float64Array.from([1000, 7, 1, 5, 3, 5, 999, 999, 5, 5, -1000, -7]);
  const ready = Uint8Array.from([1, 1, 1, 0, 1, 1]);

  it('uses only ready rows of the given range and population σ', () => {
    const varied = Float64Array.from(raw);
    varied[9] = 8; // row 4, feature 1
    const norm = fitNormalisation(varied, ready, 2, 1, 5);
    expect(norm.mean).toEqual([3, 6]);
    expect(norm.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 14);
    expect(norm.std[1]).toBeCloseTo(Math.sqrt(6 / 3), 14);
    expect(norm.clip).toBe(DEFAULT_CLIP_SIGMA);
  });

  it('stops with the feature name on a constant feature (σ = 0) instead of quietly using σ = 1', () => {
    expect(() => fitNormalisation(raw, ready, 2, 1, 5, ['ret_1', 'volume_z'])).toThrow(/feature "volume_z" is degenerate \(σ 0/);
    expect(() => fitNormalisation(raw, ready, 2, 1, 5)).toThrow(/feature "#1" is degenerate/);
  });

  it('stops with the feature name when a statistic is not finite (a high of 1e308 overflows the variance)', () => {
    const absurd = Float64Array.from([1, 10, 2, 20, 1e308, 30, 3, 40]);
    expect(() => fitNormalisation(absurd, Uint8Array.from([1, 1, 1, 1]), 2, 0, 4, ['range', 'rsi'])).toThrow(DataError);
    expect(() => fitNormalisation(absurd, Uint8Array.from([1, 1, 1, 1]), 2, 0, 4, ['range', 'rsi'])).toThrow(/feature "range" is not finite/);
    const inf = Float64Array.from([1, 10, Number.POSITIVE_INFINITY, 20]);
    expect(() => fitNormalisation(inf, Uint8Array.from([1, 1]), 2, 0, 2, ['range', 'rsi'])).toThrow(/"range" is not finite/);
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
