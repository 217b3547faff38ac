import { describe, expect, it } from 'vitest';
import { PaperSession } from '../../backtest/session.js';
import { Rng, seriesId, type Candle, type ClosedCandle, type OrderIntent, type SeriesKey } from '../../core/index.js';
import { DEFAULT_RISK } from '../../execution/index.js';
import { simulatedMarketRules } from '../trading-setup.js';
import { PaperTrader, type TraderItem } from './paper-trader.js';
import type { CandleHistory } from './signal-step.js';

const H = 3_600_000;
const A: SeriesKey = { exchange: 'x', symbol: 'AAA/USDT', timeframe: '1h' };
const B: SeriesKey = { exchange: 'x', symbol: 'BBB/USDT', timeframe: '1h' };

function walk(seed: number, n: number, skip: ReadonlySet<number> = new Set()): Candle[] {
  const rng = new Rng(seed);
  const out: Candle[] = [];
  let p = 100;
  for (let i = 0; i < n; i++) {
    const open = p;
    p *= Math.exp(0.02 * rng.normal());
    if (skip.has(i)) continue;
    out.push({ openTimeMs: i * H, open, high: Math.max(open, p) * 1.01, low: Math.min(open, p) * 0.99, close: p, volume: 1 });
  }
  return out;
}

function items(series: SeriesKey, candles: readonly Candle[], seed: number): TraderItem[] {
  const rng = new Rng(seed);
  return candles.map((candle) => {
    const r = rng.next();
    const intent: OrderIntent | null =
      r < 0.5 ? null : { intentId: `${seriesId(series)}-${candle.openTimeMs}`, series, candleOpenTimeMs: candle.openTimeMs, referencePriceQuote: candle.close, targetFraction: r < 0.75 ? 0 : 0.4, reason: 'test', signal: 0 };
    return { candle: { series, candle } as ClosedCandle, intent };
  });
}

/** The candle store's read side over arrays (the ordering logic under test only reads it). */
function history(all: ReadonlyMap<string, readonly Candle[]>): CandleHistory {
  return { range: (s, from, to) => Promise.resolve((all.get(seriesId(s)) ?? []).filter((c) => c.openTimeMs >= from && c.openTimeMs <= to)) };
}

const session = () =>
  new PaperSession({ timeframe: '1h', orderManager: { account: 't', initialCashQuote: 10_000 }, risk: DEFAULT_RISK, rules: simulatedMarketRules(['AAA/USDT', 'BBB/USDT']), fillModel: { slippageBps: 5, takerFeeBps: 10, makerFeeBps: 10 } });

describe('PaperTrader', () => {
  const a = walk(1, 300);
  const b = walk(2, 300, new Set([50, 51, 52, 200])); // B has gaps
  const ia = items(A, a, 3);
  const ib = items(B, b, 4);

  async function reference() {
    const s = session();
    const merged = [...ia.map((x) => ({ x, rank: 0 })), ...ib.map((x) => ({ x, rank: 1 }))].sort((p, q) => p.x.candle.candle.openTimeMs - q.x.candle.candle.openTimeMs || p.rank - q.rank);
    for (const { x } of merged) {
      await s.onCandle(x.candle.series, x.candle.candle);
      if (x.intent) await s.onIntent(x.intent);
    }
    return s.finish();
  }

  it.each([1, 2, 3])('feeds the session the backtest order whatever the interleaving of the series (shuffle %i)', async (seed) => {
    const expected = await reference();
    expect(expected.fills.length).toBeGreaterThan(20);
    const s = session();
    const trader = new PaperTrader({ session: s, series: [A, B], store: history(new Map([[seriesId(A), a], [seriesId(B), b]])), logger: (await import('../../core/logger.js')).silentLogger });
    // Interleave the two per-series streams at random, each in its own order.
    const rng = new Rng(seed);
    let i = 0;
    let j = 0;
    while (i < ia.length || j < ib.length) {
      const takeA = j >= ib.length || (i < ia.length && rng.next() < 0.5);
      await trader.accept(takeA ? (ia[i++] as TraderItem) : (ib[j++] as TraderItem));
    }
    const got = s.finish();
    expect(got.fills).toEqual(expected.fills);
    expect(got.equity).toEqual(expected.equity);
    expect(trader.processedCount).toBe(ia.length + ib.length);
  });

  it('ignores a duplicate item and waits for a candle the store holds but no decision has reached yet', async () => {
    const s = session();
    const trader = new PaperTrader({ session: s, series: [A, B], store: history(new Map([[seriesId(A), a], [seriesId(B), b]])), logger: (await import('../../core/logger.js')).silentLogger });
    await trader.accept(ia[0] as TraderItem);
    await trader.accept(ia[1] as TraderItem);
    // A's first candle goes first (it ranks before B at the same time); B's first candle is in the
    // store but undecided, so A's second must wait for it.
    expect(trader.processedCount).toBe(1);
    await trader.accept(ib[0] as TraderItem);
    expect(trader.processedCount).toBe(3);
    await trader.accept(ia[1] as TraderItem);
    expect(trader.processedCount).toBe(3);
  });
});
