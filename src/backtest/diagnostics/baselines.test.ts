import { describe, expect, it } from 'vitest';
import { randomWalkCandles } from '../../../test/support/synthetic-market.js';
import type { Candle, Fill } from '../../core/index.js';
import { constantRule, movingAverageCrossoverRule, oppositeOfLastReturnRule, runBaseline, standardBaselines } from './baselines.js';
import { deployedNotional } from './trading-stats.js';
import { simulateTargetWeights } from './weight-simulator.js';

const costs = { feeBps: 10, slippageBps: 5 };

describe('baselines', () => {
  it('buy-and-hold at weight w: one buy at the second open with slippage and fee, then marked at each close (closed form)', () => {
    const { candles } = randomWalkCandles(200, 1);
    for (const w of [1, 0.25]) {
      const run = simulateTargetWeights(candles, constantRule(w)(candles), 1000, costs, 'X');
      const price = candles[1]!.open * 1.0005;
      const qty = w === 1 ? 1000 / (price * 1.001) : (w * 1000) / candles[1]!.open;
      const cash = 1000 - qty * price * 1.001;
      expect(run.equity[0]![1]).toBe(1000);
      for (let i = 1; i < candles.length; i++) expect(run.equity[i]![1]).toBeCloseTo(cash + qty * candles[i]!.close, 8);
      expect(run.trades).toHaveLength(1);
      expect(run.trades[0]!.exitReason).toBe('end_of_data');
      expect(run.feesPaidQuote).toBeCloseTo(qty * price * 0.001, 10);
    }
  });

  it('a round trip pays slippage and fees both ways; its pnl is the cash it made', () => {
    const c = (i: number, open: number, close: number): Candle => ({
      openTimeMs: i * 3_600_000,
      open,
      high: Math.max(open, close),
      low: Math.min(open, close),
      close,
      volume: 1,
    });
    const candles = [c(0, 100, 100), c(1, 100, 110), c(2, 110, 120), c(3, 120, 120)];
    const run = simulateTargetWeights(candles, [1, 0, Number.NaN, Number.NaN], 1000, costs, 'X');
    const qty = 1000 / (100.05 * 1.001);
    const sell = 110 * 0.9995;
    const finalCash = qty * sell * 0.999;
    expect(run.equity.at(-1)![1]).toBeCloseTo(finalCash, 8);
    expect(run.trades).toHaveLength(1);
    expect(run.trades[0]!.pnl).toBeCloseTo(finalCash - 1000, 8);
    expect(run.exposed).toEqual([false, true, false, false]);
  });

  it('moving-average crossover matches a naive rolling-mean loop', () => {
    const { candles } = randomWalkCandles(400, 2);
    const got = movingAverageCrossoverRule(5, 20, 0.3)(candles);
    const mean = (from: number, to: number): number => candles.slice(from, to).reduce((s, x) => s + x.close, 0) / (to - from);
    candles.forEach((_c, i) => {
      if (i < 19) expect(got[i]).toBeNaN();
      else expect(got[i]).toBe(mean(i - 4, i + 1) > mean(i - 19, i + 1) ? 0.3 : 0);
    });
  });

  it('opposite of the last return: long after a fall, flat after a rise', () => {
    const c = (close: number, i: number): Candle => ({ openTimeMs: i * 3_600_000, open: close, high: close, low: close, close, volume: 1 });
    const candles = [100, 99, 101, 101, 100].map(c);
    expect(Array.from(oppositeOfLastReturnRule(0.5)(candles))).toEqual([NaN, 0.5, 0, NaN, 0.5]);
  });

  it('equal-weight markets, costs and caps: flat stays flat, a capped hold deploys about the cap', () => {
    const a = randomWalkCandles(300, 3).candles;
    const b = randomWalkCandles(300, 4).candles;
    const opts = { ...costs, initialEquityQuote: 10_000, fromMs: a[50]!.openTimeMs, barsPerYear: 8760 };
    const markets = [
      { symbol: 'A', candles: a },
      { symbol: 'B', candles: b },
    ];
    const all = standardBaselines(markets, { exposureCap: 0.25 }, opts);
    expect(all.map((x) => x.name)).toEqual(['flat', 'buy & hold 100%', 'buy & hold 25%', 'MA 24/168 crossover 25%', 'opposite of last return 25%']);
    expect(all[0]!.metrics.finalEquity).toBe(10_000);
    expect(all[0]!.avgCapitalDeployed).toBe(0);
    expect(all[2]!.avgCapitalDeployed!).toBeGreaterThan(0.2);
    expect(all[2]!.avgCapitalDeployed!).toBeLessThan(0.3);
    expect(all[1]!.metrics.bars).toBe(250);
    const full = runBaseline('x', constantRule(1), markets, opts);
    expect(full.metrics.finalEquity).toBeCloseTo(all[1]!.metrics.finalEquity!, 8);
  });

  it('deployed notional follows the fills and the closes', () => {
    const c = (i: number, close: number): Candle => ({ openTimeMs: i * 10, open: close, high: close, low: close, close, volume: 1 });
    const candles = [c(0, 10), c(1, 12), c(2, 15)];
    const fill = (timeMs: number, side: 'buy' | 'sell', qtyBase: number): Fill => ({
      tradeId: `${timeMs}`,
      clientOrderId: 'o',
      symbol: 'A',
      side,
      qtyBase,
      priceQuote: 10,
      feeQuote: 0,
      timeMs,
    });
    const equity = [
      [0, 100],
      [10, 100],
      [20, 100],
    ] as const;
    expect(deployedNotional(equity, [fill(10, 'buy', 2), fill(20, 'sell', 1)], [{ symbol: 'A', candles }])).toEqual([0, 24, 15]);
  });
});
