import { describe, expect, it } from 'vitest';
import { barsPerYear, InvariantError, Rng } from '../core/index.js';
import { barReturns, computeMetrics, drawdownCurve, quantileSorted, valueAtRisk } from './metrics.js';
import type { EquityPoint, Trade } from './result.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

function curve(values: readonly number[], stepMs = DAY): EquityPoint[] {
  return values.map((v, i) => [i * stepMs, v] as const);
}

function trade(pnl: number, fee: number): Trade {
  return { symbol: 'BTC/USDT', side: 'long', entryTimeMs: 0, entryPrice: 100, exitTimeMs: DAY, exitPrice: 100, qty: 1, fee, pnl, exitReason: 'signal' };
}

describe('computeMetrics on a hand-computed curve', () => {
  // Daily bars (barsPerYear = 365). Per-bar returns chosen first, equity built from them:
  //   r = +5 %, -10 %, +2 %, -4 %, +8 %, +1 %        (M = 6)
  //   E = 100, 105, 94.5, 96.39, 92.5344, 99.937152, 100.93652352
  // totalReturn = 1.05 × 0.90 × 1.02 × 0.96 × 1.08 × 1.01 - 1 = 1.0093652352 - 1 = 0.0093652352
  // mean = (0.05 - 0.10 + 0.02 - 0.04 + 0.08 + 0.01) / 6 = 0.02 / 6 = 0.0033333…
  // Σr² = 0.0025 + 0.01 + 0.0004 + 0.0016 + 0.0064 + 0.0001 = 0.021
  // Σ(r - mean)² = Σr² - M·mean² = 0.021 - 6 × (0.02/6)² = 0.021 - 0.0000666… = 0.0209333…
  // sample var = 0.0209333… / 5 = 0.00418666…, std = 0.0647044
  // volatility = √(0.00418666… × 365) = √1.5281333… = 1.236177
  // sharpe = √(365 × mean² / var) = √(365 × 0.0000111111 / 0.00418666…) = √0.968684 = 0.984218
  // downside: min(r,0)² = 0, 0.01, 0, 0.0016, 0, 0 → Σ = 0.0116, / 6 = 0.00193333…, DD = 0.0439697
  // sortino = √(365 × 0.0000111111 / 0.00193333…) = √2.097701 = 1.448344
  // drawdown: peak 105 at day 1; trough 92.5344 at day 4: 1 - 92.5344/105 = 1 - 0.88128 = 0.11872
  //   never back to 105 → duration = day 6 - day 1 = 5 days
  // VaR: sorted r = -0.10, -0.04, 0.01, 0.02, 0.05, 0.08; h = (6 - 1) × 0.05 = 0.25
  //   Q = -0.10 + 0.25 × (-0.04 - (-0.10)) = -0.10 + 0.015 = -0.085 → var95 = 0.085
  //   tail r ≤ -0.085: { -0.10 } → cvar95 = 0.10
  // cagr: years = 6 / 365 → 1.0093652352^(365/6) - 1 = e^(60.8333 × 0.00932164) - 1 = 0.76309
  // trades: pnl +10, -4, +6 (fees 1, 1, 0.5): winRate 2/3, grossProfit 16, grossLoss 4,
  //   profitFactor 4, expectancy 12/3 = 4, feesPaid 2.5
  // exposure flags F T T F T T F → 4/7
  const equity = curve([100, 105, 94.5, 96.39, 92.5344, 99.937152, 100.93652352]);
  const m = computeMetrics({
    equity,
    trades: [trade(10, 1), trade(-4, 1), trade(6, 0.5)],
    exposed: [false, true, true, false, true, true, false],
    barsPerYear: barsPerYear('1d'),
  });

  it('returns and volatility ratios', () => {
    expect(barReturns(equity).map((r) => Number(r.toFixed(12)))).toEqual([0.05, -0.1, 0.02, -0.04, 0.08, 0.01]);
    expect(m.bars).toBe(7);
    expect(m.startMs).toBe(0);
    expect(m.endMs).toBe(6 * DAY);
    expect(m.totalReturn).toBeCloseTo(0.0093652352, 10);
    expect(m.volatility).toBeCloseTo(1.236177, 5);
    expect(m.sharpe).toBeCloseTo(0.984218, 5);
    expect(m.sortino).toBeCloseTo(1.448344, 5);
    expect(m.cagr).toBeCloseTo(0.76309, 4);
  });

  it('drawdown, calmar and tail risk', () => {
    expect(m.maxDrawdown).toBeCloseTo(0.11872, 10);
    expect(m.maxDrawdownDurationMs).toBe(5 * DAY);
    expect(m.calmar).toBeCloseTo(0.76309 / 0.11872, 3);
    expect(m.var95).toBeCloseTo(0.085, 10);
    expect(m.cvar95).toBeCloseTo(0.1, 10);
  });

  it('trade statistics and exposure', () => {
    expect(m.trades).toBe(3);
    expect(m.winRate).toBeCloseTo(2 / 3, 12);
    expect(m.grossProfit).toBe(16);
    expect(m.grossLoss).toBe(4);
    expect(m.profitFactor).toBe(4);
    expect(m.expectancy).toBe(4);
    expect(m.feesPaid).toBe(2.5);
    expect(m.exposure).toBeCloseTo(4 / 7, 12);
  });
});

describe('computeMetrics definitions', () => {
  it('cagr over exactly two 365-day years', () => {
    // 100 → 121 over 730 days: (1.21)^(1/2) - 1 = 0.1
    const m = computeMetrics({
      equity: [
        [0, 100],
        [730 * DAY, 121],
      ],
      trades: [],
      exposed: [false, false],
      barsPerYear: 365,
    });
    expect(m.cagr).toBeCloseTo(0.1, 12);
    expect(m.totalReturn).toBeCloseTo(0.21, 12);
  });

  it('drawdown duration runs from the peak to the first point back at the peak', () => {
    // peak 110 at h1, 99 at h2, 105 at h3, 110 at h4 (recovered: 3 h), 120 at h5, 108 at h6 (open: 1 h)
    const m = computeMetrics({
      equity: curve([100, 110, 99, 105, 110, 120, 108], HOUR),
      trades: [],
      exposed: Array<boolean>(7).fill(false),
      barsPerYear: 8760,
    });
    expect(m.maxDrawdownDurationMs).toBe(3 * HOUR);
    expect(m.maxDrawdown).toBeCloseTo(0.1, 12); // 1 - 99/110 = 1 - 108/120 = 0.1
    expect(drawdownCurve(curve([100, 110, 99, 105, 110])).map(([, d]) => Number(d.toFixed(12)))).toEqual([0, 0, 0.1, Number((1 - 105 / 110).toFixed(12)), 0]);
  });

  it('quantile interpolation is type 7', () => {
    // h = 4 × 0.05 = 0.2 between 1 and 2 → 1.2; the median of 1..5 is 3; q = 1 is the maximum
    expect(quantileSorted([1, 2, 3, 4, 5], 0.05)).toBeCloseTo(1.2, 12);
    expect(quantileSorted([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantileSorted([1, 2, 3, 4, 5], 1)).toBe(5);
    expect(quantileSorted([7], 0.05)).toBe(7);
    expect(() => quantileSorted([], 0.05)).toThrow(InvariantError);
  });

  it('a series with one -10 % bar among 19 flat bars', () => {
    // M = 20 returns: one -0.1, nineteen 0. h = 19 × 0.05 = 0.95; Q = -0.1 + 0.95 × (0 - -0.1) = -0.005
    // var95 = 0.005; the tail (r ≤ -0.005) is the -10 % bar alone → cvar95 = 0.1
    const values = [100, ...Array<number>(10).fill(100), ...Array<number>(10).fill(90)];
    const m = computeMetrics({ equity: curve(values, HOUR), trades: [], exposed: values.map(() => true), barsPerYear: 8760 });
    expect(m.var95).toBeCloseTo(0.005, 12);
    expect(m.cvar95).toBeCloseTo(0.1, 12);
    expect(m.maxDrawdown).toBeCloseTo(0.1, 12);
    expect(m.cvar95 ?? 0).toBeGreaterThanOrEqual(m.var95 ?? Infinity);
    // the loss can sit anywhere in the series: the sample is the same
    const moved = [100, ...Array<number>(19).fill(100), 90];
    const m2 = computeMetrics({ equity: curve(moved, HOUR), trades: [], exposed: moved.map(() => true), barsPerYear: 8760 });
    expect(m2.var95).toBeCloseTo(0.005, 12);
    expect(m2.cvar95).toBeCloseTo(0.1, 12);
  });

  it('var95 is negative when even the worst 5 % of bars gained', () => {
    expect(valueAtRisk([0.01, 0.02, 0.03], 0.05).var).toBeCloseTo(-0.011, 12);
  });
});

describe('computeMetrics properties', () => {
  const rng = new Rng(42);
  const randomCurve = (n: number): EquityPoint[] => {
    let e = 1000;
    return Array.from({ length: n }, (_v, i) => {
      if (i > 0) e *= 1 + 0.01 * rng.normal();
      return [i * HOUR, e] as const;
    });
  };

  it('scaling equity by a constant leaves every ratio unchanged', () => {
    for (let trial = 0; trial < 20; trial++) {
      const equity = randomCurve(50 + trial * 7);
      const exposed = equity.map((_p, i) => i % 3 !== 0);
      const scale = 0.001 + rng.next() * 1000;
      const a = computeMetrics({ equity, trades: [], exposed, barsPerYear: 8760 });
      const b = computeMetrics({ equity: equity.map(([t, e]) => [t, e * scale] as const), trades: [], exposed, barsPerYear: 8760 });
      for (const key of ['totalReturn', 'cagr', 'volatility', 'sharpe', 'sortino', 'calmar', 'maxDrawdown', 'var95', 'cvar95', 'exposure'] as const) {
        const x = a[key];
        const y = b[key];
        expect(x, key).not.toBeNull();
        // relative: a short hourly curve's cagr (and calmar) can be in the millions
        expect(Math.abs((y as number) - (x as number)), key).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(x as number)));
      }
      expect(b.maxDrawdownDurationMs).toBe(a.maxDrawdownDurationMs);
    }
  });

  it('a monotonically rising curve has no drawdown', () => {
    for (let trial = 0; trial < 20; trial++) {
      let e = 100;
      const equity = Array.from({ length: 30 }, (_v, i) => {
        if (i > 0) e *= 1 + rng.next() * 0.05;
        return [i * HOUR, e] as const;
      });
      const m = computeMetrics({ equity, trades: [], exposed: equity.map(() => true), barsPerYear: 8760 });
      expect(m.maxDrawdown).toBe(0);
      expect(m.maxDrawdownDurationMs).toBe(0);
      expect(m.calmar).toBeNull();
      expect(m.sortino).toBeNull(); // no losing bar: downside deviation 0
      expect(m.var95 ?? 0).toBeLessThanOrEqual(0);
    }
  });

  it('never produces NaN or Infinity, whatever the curve', () => {
    const cases: EquityPoint[][] = [[], [[0, 100]], curve([100, 100, 100, 100]), curve([100, 0, 0]), curve([100, 1e300, 1e-300]), randomCurve(3)];
    for (const equity of cases) {
      const m = computeMetrics({ equity, trades: [trade(1, 0)], exposed: equity.map(() => false), barsPerYear: 8760 });
      for (const [key, value] of Object.entries(m)) {
        if (value !== null) expect(Number.isFinite(value), key).toBe(true);
      }
    }
  });
});

describe('computeMetrics edge cases', () => {
  it('flat equity: volatility 0, sharpe and sortino null', () => {
    const m = computeMetrics({ equity: curve([100, 100, 100, 100]), trades: [], exposed: [false, false, false, false], barsPerYear: 365 });
    expect(m.totalReturn).toBe(0);
    expect(m.volatility).toBe(0);
    expect(m.sharpe).toBeNull();
    expect(m.sortino).toBeNull();
    expect(m.maxDrawdown).toBe(0);
    expect(m.var95).toBeCloseTo(0, 15);
    expect(m.exposure).toBe(0);
  });

  it('constant growth is not infinitely risk-adjusted: sharpe null', () => {
    const m = computeMetrics({ equity: curve([100, 101, 102.01, 103.0301]), trades: [], exposed: [true, true, true, true], barsPerYear: 365 });
    expect(m.sharpe).toBeNull();
  });

  it('no points, one point, two points', () => {
    const none = computeMetrics({ equity: [], trades: [], exposed: [], barsPerYear: 8760 });
    expect(none).toMatchObject({ bars: 0, totalReturn: null, cagr: null, maxDrawdown: null, var95: null, exposure: null, trades: 0, feesPaid: 0 });
    const one = computeMetrics({ equity: [[5, 100]], trades: [], exposed: [true], barsPerYear: 8760 });
    expect(one).toMatchObject({ bars: 1, totalReturn: 0, cagr: null, volatility: null, sharpe: null, sortino: null, maxDrawdown: 0, var95: null, exposure: 1 });
    const two = computeMetrics({ equity: curve([100, 90], HOUR), trades: [], exposed: [false, true], barsPerYear: 8760 });
    expect(two.volatility).toBeNull(); // one return: no sample standard deviation
    expect(two.sharpe).toBeNull();
    expect(two.sortino).toBeCloseTo((-0.1 / 0.1) * Math.sqrt(8760), 9);
    expect(two.var95).toBeCloseTo(0.1, 12);
  });

  it('no trades: trade statistics null, sums 0', () => {
    const m = computeMetrics({ equity: curve([100, 101]), trades: [], exposed: [false, false], barsPerYear: 365 });
    expect(m).toMatchObject({ trades: 0, winRate: null, profitFactor: null, expectancy: null, grossProfit: 0, grossLoss: 0, feesPaid: 0 });
  });

  it('no losing trade: profitFactor null (infinite), grossLoss 0', () => {
    const m = computeMetrics({ equity: curve([100, 101]), trades: [trade(5, 1), trade(3, 1)], exposed: [true, true], barsPerYear: 365 });
    expect(m).toMatchObject({ winRate: 1, profitFactor: null, grossProfit: 8, grossLoss: 0, expectancy: 4 });
  });

  it('an explicit feesPaidQuote wins over the trades', () => {
    const m = computeMetrics({ equity: curve([100, 101]), trades: [trade(5, 1)], exposed: [true, true], barsPerYear: 365, feesPaidQuote: 3 });
    expect(m.feesPaid).toBe(3);
  });

  it('a ruined account: equity 0, cagr -1, later returns 0', () => {
    const m = computeMetrics({ equity: curve([100, 50, 0, 0]), trades: [], exposed: [true, true, true, true], barsPerYear: 365 });
    expect(m.totalReturn).toBe(-1);
    expect(m.cagr).toBe(-1);
    expect(m.maxDrawdown).toBe(1);
  });

  it('rejects broken input loudly', () => {
    expect(() =>
      computeMetrics({
        equity: [
          [0, 1],
          [0, 2],
        ],
        trades: [],
        exposed: [false, false],
        barsPerYear: 1,
      }),
    ).toThrow(InvariantError);
    expect(() => computeMetrics({ equity: [[0, Number.NaN]], trades: [], exposed: [false], barsPerYear: 1 })).toThrow(InvariantError);
    expect(() => computeMetrics({ equity: [[0, 1]], trades: [], exposed: [], barsPerYear: 1 })).toThrow(InvariantError);
    expect(() => computeMetrics({ equity: [[0, 1]], trades: [], exposed: [true], barsPerYear: 0 })).toThrow(InvariantError);
  });
});
