import { describe, expect, it } from 'vitest';
import { randomWalkCandles, SYNTHETIC_KEY } from '../../test/support/synthetic-market.js';
import type { OrderIntent, Prediction } from '../core/index.js';
import { tradeScoredSeries } from '../backtest/engine.js';
import { DEFAULT_RISK } from '../execution/index.js';
import { HorizonAveragingPolicy, type Policy } from '../strategy/index.js';
import { FoldPolicy, planFolds, stitchFoldPredictions } from './walk-forward.js';

const DAY = 86_400_000;

describe('walk-forward folds', () => {
  it('merges a last fold shorter than half a fold into the one before', () => {
    const from = Date.UTC(2022, 2, 1);
    const plan = planFolds({ trainDays: 10, testDays: 20, fromMs: from, toMs: from + 61 * DAY }, from - 100 * DAY);
    expect(plan.map((f) => [(f.testFromMs - from) / DAY, (f.testToMs - from) / DAY])).toEqual([
      [0, 20],
      [20, 40],
      [40, 61],
    ]);
    const exact = planFolds({ trainDays: 10, testDays: 20, fromMs: from, toMs: from + 70 * DAY }, from - 100 * DAY);
    expect(exact.map((f) => (f.testToMs - f.testFromMs) / DAY)).toEqual([20, 20, 20, 10]); // half a fold is kept
  });

  it('reports the real training span and refuses one under 90 % of --train-days', () => {
    const from = Date.UTC(2022, 2, 1);
    const plan = planFolds({ trainDays: 30, testDays: 10, fromMs: from, toMs: from + 20 * DAY }, from - 28 * DAY);
    expect(plan[0]).toMatchObject({ trainFromMs: from - 28 * DAY, trainDays: 28 });
    expect(plan[1]).toMatchObject({ trainFromMs: from - 20 * DAY, trainDays: 30 });
    expect(() => planFolds({ trainDays: 40, testDays: 10, fromMs: from, toMs: from + 20 * DAY }, from - 28 * DAY)).toThrow(
      /has only 28.0 days of data before it, but --train-days is 40/,
    );
  });

  it('one account across folds: a long opened in fold 1 is still held in fold 2 (no free close at the boundary)', async () => {
    const { candles } = randomWalkCandles(400, 3);
    const boundary = candles[200]!.openTimeMs;
    const K = 1;
    // fold 1 predicts up until its end, fold 2 keeps predicting up for 50 bars, then down
    const part = (fromIndex: number, toIndex: number, value: (i: number) => number) => ({
      fromMs: candles[fromIndex]!.openTimeMs,
      toMs: candles[toIndex]?.openTimeMs ?? Number.POSITIVE_INFINITY,
      scored: [{ key: SYNTHETIC_KEY, candles, predictions: Float64Array.from(candles, (_c, i) => value(i)) }],
    });
    const stitched = stitchFoldPredictions([{ key: SYNTHETIC_KEY, candles }], K, [part(150, 200, () => 1.01), part(200, 400, (i) => (i < 250 ? 1.01 : 0.99))]);
    expect(stitched[0]!.predictions[149]).toBeNaN();
    expect(stitched[0]!.predictions[150]).toBe(1.01);
    const make = (): Policy => new HorizonAveragingPolicy({ threshold: 0.001, scale: 0.01, cap: 0.5 });
    const seen: number[] = [];
    const spy = (p: Policy, tag: number): Policy => ({
      decide: (prediction: Prediction, ref: number): OrderIntent | null => {
        seen.push(tag);
        return p.decide(prediction, ref);
      },
    });
    const run = await tradeScoredSeries(
      {
        model: { modelId: 'wf', target: 'ratio', horizons: [1] },
        policy: new FoldPolicy([
          { fromMs: candles[150]!.openTimeMs, policy: spy(make(), 1) },
          { fromMs: boundary, policy: spy(make(), 2) },
        ]),
        orderManager: { account: 'wf', initialCashQuote: 10_000, rebalanceBandFraction: 0.5, stops: { stopLoss: { kind: 'pct', pct: 0.5 } } },
        risk: DEFAULT_RISK,
        rules: { 'SYN/USDT': { symbol: 'SYN/USDT', tickSize: 0.0001, stepSize: 0.00001, minQtyBase: 0.00001, minNotionalQuote: 5 } },
        fillModel: { slippageBps: 5, takerFeeBps: 10, makerFeeBps: 10 },
        fromMs: candles[150]!.openTimeMs,
      },
      stitched,
    );
    expect(seen.filter((t) => t === 1)).toHaveLength(50);
    expect(seen.filter((t) => t === 2)).toHaveLength(200);
    expect(run.trades).toHaveLength(1);
    expect(run.trades[0]!.entryTimeMs).toBeLessThan(boundary);
    expect(run.trades[0]!.exitTimeMs).toBeGreaterThan(boundary);
    expect(run.trades[0]!.exitReason).not.toBe('end_of_data');
  });
});
