import { describe, expect, it } from 'vitest';
import { plantedPredictions, randomWalkCandles, SYNTHETIC_KEY } from '../../test/support/synthetic-market.js';
import { DEFAULT_RISK } from '../execution/index.js';
import { HorizonAveragingPolicy } from '../strategy/index.js';
import { tradeScoredSeries, type ScoredSeries } from './engine.js';
import { quantileSorted } from './metrics.js';
import { calibratedLevel, calibratePolicy, costAwareEntryFloor, policyStatistics } from './policy-calibration.js';

const model = { modelId: 'm', target: 'ratio' as const, horizons: [1, 2] };

function scored(seed: number, scale: number): ScoredSeries {
  const { candles, returns } = randomWalkCandles(2000, seed);
  const one = plantedPredictions(returns, seed + 1, 0.3, 0.002);
  // (N, 2): horizon 1 and 2 both carry the same planted forecast, scaled around 1
  const p = new Float64Array(one.length * 2);
  one.forEach((v, i) => {
    p[i * 2] = 1 + (v - 1) * scale;
    p[i * 2 + 1] = 1 + (v - 1) * scale * 0.5;
  });
  return { key: SYNTHETIC_KEY, candles, predictions: p };
}

describe('policy calibration', () => {
  it('the statistic is exactly what the policy averages; quantiles are type-7 percentiles of it', () => {
    const s = scored(1, 1);
    const from = s.candles[500]!.openTimeMs;
    const to = s.candles[1500]!.openTimeMs;
    const { statistic } = policyStatistics([s], model, from, to, 2);
    // reference: the policy itself, candle by candle
    const policy = new HorizonAveragingPolicy({ threshold: 1, scale: 1, cap: 0 });
    const ref: number[] = [];
    s.candles.forEach((c, i) => {
      if (c.openTimeMs >= to || Number.isNaN(s.predictions[i * 2])) return;
      policy.decideRow(s.key, c.openTimeMs, model.horizons, s.predictions, i * 2, c.close);
      if (c.openTimeMs >= from) ref.push(policy.lastAverage);
    });
    expect(statistic).toEqual(ref);
    const cal = calibratePolicy([s], model, from, to, 2);
    const sorted = [...ref].sort((a, b) => a - b);
    expect(cal.n).toBe(1000);
    expect(cal.quantiles[89]).toBeCloseTo(quantileSorted(sorted, 0.9), 14);
    expect(calibratedLevel(cal, 0.9)).toBeCloseTo(quantileSorted(sorted, 0.9), 14);
    expect(calibratedLevel(cal, 0.905)).toBeCloseTo((cal.quantiles[89]! + cal.quantiles[90]!) / 2, 14);
    expect(cal.deciles.map((d) => d.n).reduce((a, b) => a + b, 0)).toBe(1000);
    // a planted edge: the top decile's forward return beats the bottom one's
    expect(cal.deciles[9]!.meanForwardReturn!).toBeGreaterThan(cal.deciles[0]!.meanForwardReturn!);
    expect(() => calibratePolicy([s], model, from, s.candles[550]!.openTimeMs, 2)).toThrow(/at least 100/);
  });

  it('calibrated levels mean the same whatever the output scale: identical trades for predictions ×1 and ×7', async () => {
    const runs = [];
    for (const scale of [1, 7]) {
      const s = scored(2, scale);
      const from = s.candles[1000]!.openTimeMs;
      const cal = calibratePolicy([s], model, s.candles[100]!.openTimeMs, from, 2);
      const policy = new HorizonAveragingPolicy({
        threshold: 0,
        scale: 1,
        cap: 0.5,
        levels: { entry: calibratedLevel(cal, 0.8), exit: calibratedLevel(cal, 0.4) },
      });
      runs.push(
        await tradeScoredSeries(
          {
            model,
            policy,
            orderManager: { account: 'c', initialCashQuote: 10_000 },
            risk: DEFAULT_RISK,
            rules: { 'SYN/USDT': { symbol: 'SYN/USDT', tickSize: 0.0001, stepSize: 0.00001, minQtyBase: 0.00001, minNotionalQuote: 5 } },
            fillModel: { slippageBps: 5, takerFeeBps: 10, makerFeeBps: 10 },
            fromMs: from,
          },
          [s],
        ),
      );
    }
    expect(runs[0]!.trades.length).toBeGreaterThan(10);
    expect(runs[1]!.fills).toEqual(runs[0]!.fills);
  });

  it('cost-aware floor: the lowest decile from which every higher decile pays the round trip', () => {
    const deciles = [-3, -2, -1, 0, 1, 2, 3, 4, 5, 6].map((k) => ({ from: k, n: 10, meanForwardReturn: k / 1000 }));
    expect(costAwareEntryFloor({ deciles }, 0.003)).toBe(4); // deciles from 4 up have 0.004.. > 0.003
    expect(costAwareEntryFloor({ deciles }, 0.01)).toBe(Number.POSITIVE_INFINITY);
    const dip = deciles.map((d) => (d.from === 5 ? { ...d, meanForwardReturn: 0 } : d));
    expect(costAwareEntryFloor({ deciles: dip }, 0.003)).toBe(6);
  });
});
