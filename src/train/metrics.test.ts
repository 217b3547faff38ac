import { describe, expect, it } from 'vitest';
import { auc, column, directionalAccuracy, directionLabels, mse, zeroReturnMse } from './metrics.js';

describe('metrics', () => {
  it('mse and the zero-return baseline', () => {
    expect(mse([1, 2], [0, 0])).toBe(2.5);
    expect(zeroReturnMse([0.5, -0.5])).toBe(0.25);
  });
  it('directional accuracy skips zero actual returns', () => {
    expect(directionalAccuracy([1, -1, 1, 1], [2, -3, -1, 0])).toBeCloseTo(2 / 3, 12);
  });
  it('labels and columns', () => {
    expect(Array.from(directionLabels([0.1, 0, -0.2]))).toEqual([1, 0, 0]);
    expect(Array.from(column([1, 2, 3, 4, 5, 6], 3, 1))).toEqual([2, 5]);
  });
  it('auc: perfect, inverted, ties, and brute-force pair counting', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(auc([0.5, 0.5], [0, 1])).toBe(0.5);
    const s = [0.3, 0.7, 0.7, 0.1, 0.9, 0.4, 0.7, 0.2];
    const l = [0, 1, 0, 0, 1, 1, 1, 0];
    let wins = 0;
    let pairs = 0;
    for (let i = 0; i < s.length; i++) {
      for (let j = 0; j < s.length; j++) {
        if (l[i] === 1 && l[j] === 0) {
          pairs++;
          wins += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
        }
      }
    }
    expect(auc(s, l)).toBeCloseTo(wins / pairs, 12);
  });
});
