import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deflatedSharpe, expectedMaxSharpe, normalCdf, normalQuantile, probabilisticSharpe, returnMoments } from './deflated-sharpe.js';

describe('deflated Sharpe ratio', () => {
  it('normal CDF and quantile: table values and inverse of each other', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655254, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 7);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326347874, 7);
    fc.assert(fc.property(fc.double({ min: 0.001, max: 0.999, noNaN: true }), (p) => Math.abs(normalCdf(normalQuantile(p)) - p) < 1e-6));
  });

  it('moments match the definitions on a small sample', () => {
    const r = [0.01, -0.02, 0.03, 0.0, 0.01];
    const m = returnMoments(r)!;
    const mean = 0.006;
    const sd = Math.sqrt(r.reduce((s, x) => s + (x - mean) ** 2, 0) / 5);
    expect(m.sharpe).toBeCloseTo(mean / sd, 12);
    expect(m.skew).toBeCloseTo(r.reduce((s, x) => s + (x - mean) ** 3, 0) / 5 / sd ** 3, 12);
    expect(m.kurtosis).toBeCloseTo(r.reduce((s, x) => s + (x - mean) ** 4, 0) / 5 / sd ** 4, 12);
    expect(returnMoments([0.01, 0.01, 0.01])).toBeNull();
  });

  it('Bailey & López de Prado: expected max Sharpe grows with trials; PSR at the benchmark is 1/2', () => {
    expect(expectedMaxSharpe(1, 0.5)).toBe(0);
    expect(expectedMaxSharpe(10, 0.5)).toBeLessThan(expectedMaxSharpe(100, 0.5));
    // E[max] of N standard normals is about 1.54 for N = 10 and 2.51 for N = 100 (the approximation's known values)
    expect(expectedMaxSharpe(10, 1)).toBeCloseTo(1.57, 1);
    expect(expectedMaxSharpe(100, 1)).toBeCloseTo(2.53, 1);
    const m = { sharpe: 0.05, skew: 0, kurtosis: 3, n: 1000 };
    expect(probabilisticSharpe(m, 0.05)).toBeCloseTo(0.5, 6);
    // normal returns: PSR against 0 = Φ(SR √(n−1) / √(1 + SR²/2))
    expect(probabilisticSharpe(m, 0)).toBeCloseTo(normalCdf((0.05 * Math.sqrt(999)) / Math.sqrt(1 + 0.0025 / 2)), 10);
  });

  it('the more trials behind a pick, the lower its deflated Sharpe', () => {
    const m = { sharpe: 0.05, skew: -0.5, kurtosis: 6, n: 5000 };
    const few = deflatedSharpe(m, [0.05, 0.01, -0.01]);
    const many = deflatedSharpe(m, [0.05, 0.01, -0.01, 0.03, -0.02, 0.02, 0.0, 0.04, -0.03, 0.01, 0.02, -0.01]);
    expect(few).toBeGreaterThan(many);
    expect(deflatedSharpe(m, [0.05])).toBeCloseTo(probabilisticSharpe(m, 0), 12);
  });
});
