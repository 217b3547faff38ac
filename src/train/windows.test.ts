import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { buildWindowEnds, chronologicalSplit, gatherWindows } from './windows.js';

describe('buildWindowEnds', () => {
  it('skips warm-up rows, never crosses a segment gap, and keeps targets inside the segment', () => {
    // rows 0-1 not ready (warm-up); a gap starts segment 1 at row 10.
    const ready = [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const segment = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
    const ends = buildWindowEnds({ ready, segment, window: 3, horizon: 2 });
    // Segment 0: windows need rows e-2..e ready (e >= 4) and e+2 <= 9 → e in 4..7.
    // Segment 1: e-2 >= 10 → e >= 12, e+2 <= 15 → e in 12..13.
    expect(Array.from(ends)).toEqual([4, 5, 6, 7, 12, 13]);
  });

  it('treats a not-ready row inside a segment as a break', () => {
    const ready = [1, 1, 1, 0, 1, 1, 1, 1];
    const ends = buildWindowEnds({ ready, segment: new Int32Array(8), window: 2, horizon: 1 });
    expect(Array.from(ends)).toEqual([1, 2, 5, 6]);
  });
});

describe('chronologicalSplit', () => {
  it('keeps order and a purge gap >= window + horizon between splits (randomised gaps)', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 20; trial++) {
      const rows = 2000;
      const ready = new Uint8Array(rows);
      const segment = new Int32Array(rows);
      let seg = 0;
      for (let r = 0; r < rows; r++) {
        if (rng.next() < 0.005) seg++;
        segment[r] = seg;
        ready[r] = rng.next() < 0.98 ? 1 : 0;
      }
      const window = 5 + rng.int(30);
      const horizon = 1 + rng.int(5);
      const ends = buildWindowEnds({ ready, segment, window, horizon });
      const { train, val, test } = chronologicalSplit(ends, { window, horizon, trainFraction: 0.6, valFraction: 0.2 });
      expect(train.length).toBe(Math.floor(ends.length * 0.6));
      expect(val.length).toBeGreaterThan(0);
      expect(test.length).toBeGreaterThan(0);
      const lastTrain = train[train.length - 1]!;
      const lastVal = val[val.length - 1]!;
      // The first window row of a later split comes after the last target row of the earlier one.
      expect(val[0]! - window + 1).toBeGreaterThan(lastTrain + horizon);
      expect(test[0]! - window + 1).toBeGreaterThan(lastVal + horizon);
      const bad: number[] = [];
      for (const e of [...train, ...val, ...test]) {
        for (let r = e - window + 1; r <= e; r++) if (ready[r] !== 1) bad.push(e);
        if (segment[e - window + 1] !== segment[e + horizon]) bad.push(e);
      }
      expect(bad).toEqual([]);
    }
  });

  it('rejects bad fractions and unsorted ends', () => {
    const ends = Int32Array.from([1, 2, 3]);
    expect(() => chronologicalSplit(ends, { window: 1, horizon: 1, trainFraction: 0.8, valFraction: 0.3 })).toThrow(RangeError);
    expect(() => chronologicalSplit(Int32Array.from([3, 2]), { window: 1, horizon: 1, trainFraction: 0.5, valFraction: 0.2 })).toThrow(RangeError);
  });
});

describe('gatherWindows', () => {
  it('lays out x (n, T, F) from rows and y from the end row', () => {
    const F = 2;
    const features = Float32Array.from({ length: 10 * F }, (_, k) => k);
    const targets = Float32Array.from({ length: 10 }, (_, k) => 100 + k);
    const { x, y, n } = gatherWindows(features, F, targets, 1, [3, 7], 3);
    expect(n).toBe(2);
    expect(Array.from(x)).toEqual([2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15]);
    expect(Array.from(y)).toEqual([103, 107]);
  });
});
