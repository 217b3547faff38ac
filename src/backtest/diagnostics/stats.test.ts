import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { averageRanks, pearson, spearman } from './stats.js';

/** Textbook reference: rank = 1 + #smaller + (#equal − 1) / 2, then the plain Pearson formula. */
function naiveRanks(v: readonly number[]): number[] {
  return v.map((x) => 1 + v.filter((y) => y < x).length + (v.filter((y) => y === x).length - 1) / 2);
}
function naivePearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < n; i++) {
    num += (x[i]! - mx) * (y[i]! - my);
    dx += (x[i]! - mx) ** 2;
    dy += (y[i]! - my) ** 2;
  }
  return num / Math.sqrt(dx * dy);
}

const sample = fc.array(fc.tuple(fc.integer({ min: -20, max: 20 }), fc.double({ min: -1, max: 1, noNaN: true })), { minLength: 3, maxLength: 60 });

describe('information-coefficient statistics', () => {
  it('tie-averaged ranks match the textbook definition', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 40 }), (v) => {
        expect(Array.from(averageRanks(v))).toEqual(naiveRanks(v));
      }),
    );
  });

  it('rank IC (Spearman) equals Pearson of naive ranks, ties included', () => {
    fc.assert(
      fc.property(sample, (pairs) => {
        const x = pairs.map((p) => p[0]);
        const y = pairs.map((p) => p[1]);
        const got = spearman(x, y);
        const rx = naiveRanks(x);
        const ry = naiveRanks(y);
        const ref = naivePearson(rx, ry);
        if (!Number.isFinite(ref)) expect(got).toBeNull();
        else expect(got).toBeCloseTo(ref, 10);
      }),
    );
  });

  it('Pearson matches the direct formula; NaN pairs are left out', () => {
    fc.assert(
      fc.property(sample, (pairs) => {
        const x = pairs.map((p) => p[0]);
        const y = pairs.map((p) => p[1]);
        const ref = naivePearson(x, y);
        const withGaps = pearson([...x, Number.NaN, 3], [...y, 0.5, Number.NaN]);
        if (!Number.isFinite(ref)) expect(withGaps).toBeNull();
        else expect(withGaps).toBeCloseTo(ref, 10);
      }),
    );
  });

  it('known values: monotone → 1, reversed → −1, rank IC ignores the scale', () => {
    const x = [1, 2, 3, 4, 5];
    expect(
      spearman(
        x,
        x.map((v) => v ** 3),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      spearman(
        x,
        x.map((v) => -Math.exp(v)),
      ),
    ).toBeCloseTo(-1, 12);
    expect(
      pearson(
        x,
        x.map((v) => v ** 3),
      )!,
    ).toBeLessThan(1);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(spearman([1, 2], [1, 2])).toBeNull();
  });
});
