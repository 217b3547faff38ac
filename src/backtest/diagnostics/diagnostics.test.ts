import { describe, expect, it } from 'vitest';
import { plantedPredictions, randomWalkCandles, SYNTHETIC_KEY } from '../../../test/support/synthetic-market.js';
import { DEFAULT_RISK } from '../../execution/index.js';
import { HorizonAveragingPolicy } from '../../strategy/index.js';
import { tradeScoredSeries, type ScoredSeries, type TradeSetup } from '../engine.js';
import { diagnoseBacktest } from './index.js';

const RULES = { 'SYN/USDT': { symbol: 'SYN/USDT', tickSize: 0.0001, stepSize: 0.00001, minQtyBase: 0.00001, minNotionalQuote: 5 } };

function makeSetup(fromMs: number): () => TradeSetup {
  return () => ({
    model: { modelId: 'planted', target: 'ratio', horizons: [1] },
    policy: new HorizonAveragingPolicy({ threshold: 0.001, scale: 0.005, cap: 0.5 }),
    orderManager: { account: 'diag', initialCashQuote: 10_000, rebalanceBandFraction: 0.05 },
    risk: DEFAULT_RISK,
    rules: RULES,
    fillModel: { slippageBps: 1, takerFeeBps: 1, makerFeeBps: 1 },
    fromMs,
  });
}

async function diagnose(edge: number, seed: number) {
  const { candles, returns } = randomWalkCandles(3000, seed);
  const scored: ScoredSeries[] = [{ key: SYNTHETIC_KEY, candles, predictions: plantedPredictions(returns, seed + 1, edge, 0.002) }];
  const setup = makeSetup(candles[200]!.openTimeMs);
  const run = await tradeScoredSeries(setup(), scored);
  return diagnoseBacktest({ scored, run, makeSetup: setup, timingShifts: 10, exposureCap: 0.5, initialEquityQuote: 10_000 });
}

describe('diagnoseBacktest on synthetic markets', () => {
  it('a planted edge: positive IC, monotone deciles, and the real timing ranks first among ±10 bar shifts', async () => {
    const d = await diagnose(0.5, 7);
    expect(d.signal.ic[0]!.rank).toBeGreaterThan(0.5);
    expect(d.signal.ic[0]!.pearson).toBeGreaterThan(0.5);
    expect(d.bySymbol[0]!.ic[0]!.rank).toBeCloseTo(d.signal.ic[0]!.rank!, 12);
    expect(d.signal.deciles[9]!.meanRealised!).toBeGreaterThan(0);
    expect(d.signal.deciles[0]!.meanRealised!).toBeLessThan(0);
    expect(d.signal.deciles[9]!.hitRate!).toBeGreaterThan(0.8);
    expect(d.timing!.of).toBe(21);
    expect(d.timing!.rank).toBe(1);
    expect(d.timing!.pValue).toBeCloseTo(1 / 21, 12);
    expect(d.timing!.shifted.map((v) => v.shift).sort((a, b) => a - b)).toEqual([-10, -9, -8, -7, -6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(d.trading.trades).toBeGreaterThan(30);
    expect(d.trading.timeInMarket!).toBeGreaterThan(0);
    expect(d.trading.avgCapitalDeployed!).toBeGreaterThan(0);
    expect(d.trading.avgCapitalDeployed!).toBeLessThanOrEqual(0.5 + 0.01);
    const flat = d.baselines.find((b) => b.name === 'flat')!;
    expect(flat.metrics.totalReturn).toBe(0);
    expect(flat.metrics.trades).toBe(0);
  });

  it('pure noise: IC near zero and no timing edge claimed (several seeds)', async () => {
    for (const seed of [11, 12, 13]) {
      const d = await diagnose(0, seed);
      expect(Math.abs(d.signal.ic[0]!.rank!)).toBeLessThan(0.06);
      expect(d.timing!.pValue).toBeGreaterThan(0.05);
    }
  });
});
