import { describe, expect, it } from 'vitest';
import { InvariantError, type Candle } from '../core/index.js';
import { computeMetrics } from './metrics.js';
import { buyAndHold, buyAndHoldEqualWeight, buyAndHoldEquity } from './metrics-buy-and-hold.js';

const HOUR = 3_600_000;
const candle = (i: number, close: number): Candle => ({ openTimeMs: i * HOUR, open: close, high: close, low: close, close, volume: 1 });

describe('buyAndHold', () => {
  // closes 100, 110, 99; E0 = 1000, fee 10 bps, slippage 5 bps
  // entry = 100 × 1.0005 = 100.05; cost per unit = 100.05 × 1.001 = 100.15005
  // qty = 1000 / 100.15005 = 9.9850175…; qty × entry = 1000 / 1.001 = 999.000999 → fee = 0.999000999
  // E1 = 110 × qty = 110000 / 100.15005 = 1098.35197; E2 = 99000 / 100.15005 = 988.51673; pnl = -11.48327
  const candles = [candle(0, 100), candle(1, 110), candle(2, 99)];
  const bh = buyAndHold(candles, { initialEquityQuote: 1000, feeBps: 10, slippageBps: 5, symbol: 'BTC/USDT' });

  it('starts with the cash, then marks the position at each close', () => {
    expect(bh.equity[0]).toEqual([0, 1000]);
    expect(bh.equity[1]?.[0]).toBe(HOUR);
    expect(bh.equity[1]?.[1]).toBeCloseTo(1098.35197, 4);
    expect(bh.equity[2]?.[1]).toBeCloseTo(988.51673, 4);
    expect(bh.exposed).toEqual([false, true, true]);
    expect(buyAndHoldEquity(candles, 1000, 10, 5)).toEqual(bh.equity);
  });

  it('records one trade that pays the entry costs and no exit costs', () => {
    expect(bh.trades).toHaveLength(1);
    const t = bh.trades[0];
    expect(t).toMatchObject({ symbol: 'BTC/USDT', side: 'long', entryTimeMs: 0, exitTimeMs: 2 * HOUR, exitPrice: 99, exitReason: 'end_of_data' });
    expect(t?.entryPrice).toBeCloseTo(100.05, 12);
    expect(t?.qty).toBeCloseTo(9.9850175, 6);
    expect(t?.fee).toBeCloseTo(0.999000999, 8);
    expect(t?.pnl).toBeCloseTo(-11.48327, 4);
  });

  it('plugs into computeMetrics; the entry costs show in the total return', () => {
    const m = computeMetrics({ ...bh, barsPerYear: 8760 });
    expect(m.totalReturn).toBeCloseTo(-0.01148327, 7);
    expect(m.exposure).toBeCloseTo(2 / 3, 12);
    expect(m.feesPaid).toBeCloseTo(0.999000999, 8);
    // free trading: exactly the price return
    const free = computeMetrics({ ...buyAndHold(candles, { initialEquityQuote: 1000, feeBps: 0, slippageBps: 0 }), barsPerYear: 8760 });
    expect(free.totalReturn).toBeCloseTo(-0.01, 12);
  });

  it('degenerate inputs', () => {
    expect(buyAndHold([], { initialEquityQuote: 1, feeBps: 0, slippageBps: 0 })).toEqual({ equity: [], trades: [], exposed: [] });
    expect(buyAndHold([candle(3, 50)], { initialEquityQuote: 1, feeBps: 0, slippageBps: 0 })).toEqual({
      equity: [[3 * HOUR, 1]],
      trades: [],
      exposed: [false],
    });
    expect(() => buyAndHold([candle(0, 0)], { initialEquityQuote: 1, feeBps: 0, slippageBps: 0 })).toThrow(InvariantError);
    expect(() => buyAndHold([candle(0, 1)], { initialEquityQuote: 0, feeBps: 0, slippageBps: 0 })).toThrow(InvariantError);
    expect(() => buyAndHold([candle(0, 1)], { initialEquityQuote: 1, feeBps: -1, slippageBps: 0 })).toThrow(InvariantError);
  });
});

describe('buyAndHoldEqualWeight', () => {
  it('splits the equity evenly and sums the legs on the union of timestamps', () => {
    // A: closes 100, 110, 121 at h0..h2; B: closes 50, 25 at h1..h2. E0 = 1000, no costs.
    // A gets 500 → 5 units: 500, 550, 605. B gets 500 → 10 units from h1: 500 (cash at h0), 500, 250.
    // total: h0 1000, h1 1050, h2 855
    const a = [candle(0, 100), candle(1, 110), candle(2, 121)];
    const b = [candle(1, 50), candle(2, 25)];
    const bh = buyAndHoldEqualWeight(
      [
        { symbol: 'A/USDT', candles: a },
        { symbol: 'B/USDT', candles: b },
      ],
      { initialEquityQuote: 1000, feeBps: 0, slippageBps: 0 },
    );
    expect(bh.equity.map(([t]) => t)).toEqual([0, HOUR, 2 * HOUR]);
    expect(bh.equity.map(([, e]) => e)).toEqual([1000, 1050, 855]);
    expect(bh.exposed).toEqual([false, true, true]);
    expect(bh.trades.map((t) => [t.symbol, t.pnl])).toEqual([
      ['A/USDT', 105],
      ['B/USDT', -250],
    ]);
    expect(buyAndHoldEqualWeight([], { initialEquityQuote: 1, feeBps: 0, slippageBps: 0 }).equity).toEqual([]);
  });
});
