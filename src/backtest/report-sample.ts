import { barsPerYear, Rng, timeframeMs, type Candle } from '../core/index.js';
import { computeMetrics } from './metrics.js';
import { buyAndHold } from './metrics-buy-and-hold.js';
import { RESULT_VERSION, type BacktestResult, type EquityPoint, type Trade } from './result.js';

export interface SampleOptions {
  readonly bars?: number;
  readonly seed?: number;
  readonly symbol?: string;
  readonly startMs?: number;
}

/**
 * A deterministic synthetic result (seeded random-walk candles traded by a moving-average
 * crossover, long only, fills at the next open) for report previews, tests and demos. Not a
 * strategy: just a realistic-looking curve with trades, stops and an open position at the end.
 */
export function sampleBacktestResult(options: SampleOptions = {}): BacktestResult {
  const bars = options.bars ?? 24 * 120;
  const symbol = options.symbol ?? 'BTC/USDT';
  const rng = new Rng(options.seed ?? 7);
  const stepMs = timeframeMs('1h');
  const startMs = options.startMs ?? Date.UTC(2024, 0, 1);
  const feeBps = 10;
  const slippageBps = 2;
  const initialEquityQuote = 10_000;

  const candles: Candle[] = [];
  let price = 42_000;
  for (let i = 0; i < bars; i++) {
    const open = price;
    const drift = 0.00004 + 0.0002 * Math.sin(i / 400);
    price = open * Math.exp(drift + 0.006 * rng.normal());
    const high = Math.max(open, price) * (1 + 0.002 * rng.next());
    const low = Math.min(open, price) * (1 - 0.002 * rng.next());
    candles.push({ openTimeMs: startMs + i * stepMs, open, high, low, close: price, volume: 10 + 5 * rng.next() });
  }

  const fast = 12;
  const slow = 48;
  const sma = (end: number, n: number): number => {
    let sum = 0;
    for (let k = end - n + 1; k <= end; k++) sum += (candles[k] as Candle).close;
    return sum / n;
  };

  let cash = initialEquityQuote;
  let qty = 0;
  let entry: { timeMs: number; price: number; fee: number } | null = null;
  let wantLong = false;
  let stopHit = false;
  const trades: Trade[] = [];
  const equity: EquityPoint[] = [];
  const exposed: boolean[] = [];
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i] as Candle;
    // orders decided at the previous close fill at this open
    if (i > 0 && wantLong && qty === 0 && !stopHit) {
      const px = c.open * (1 + slippageBps / 10_000);
      qty = cash / (px * (1 + feeBps / 10_000));
      const fee = qty * px * (feeBps / 10_000);
      cash -= qty * px + fee;
      entry = { timeMs: c.openTimeMs, price: px, fee };
    } else if (i > 0 && (!wantLong || stopHit) && qty > 0 && entry !== null) {
      const px = c.open * (1 - slippageBps / 10_000);
      const fee = qty * px * (feeBps / 10_000);
      cash += qty * px - fee;
      trades.push(closeTrade(symbol, entry, c.openTimeMs, px, qty, fee, stopHit ? 'stop' : 'signal'));
      qty = 0;
      entry = null;
    }
    if (!wantLong) stopHit = false;
    exposed.push(qty > 0);
    equity.push([c.openTimeMs, cash + qty * c.close]);
    if (i >= slow) wantLong = sma(i, fast) > sma(i, slow);
    if (qty > 0 && entry !== null && c.close < entry.price * 0.97) stopHit = true;
  }
  const last = candles[candles.length - 1];
  if (qty > 0 && entry !== null && last !== undefined) {
    trades.push(closeTrade(symbol, entry, last.openTimeMs, last.close, qty, 0, 'end_of_data'));
  }

  const bpy = barsPerYear('1h');
  const bh = buyAndHold(candles, { initialEquityQuote, feeBps, slippageBps, symbol });
  return {
    version: RESULT_VERSION,
    config: {
      mode: 'backtest',
      exchange: 'binance',
      symbols: [symbol],
      timeframe: '1h',
      initialEquityQuote,
      feeBps,
      slippageBps,
      modelId: 'sample-ma-crossover',
    },
    metrics: {
      strategy: computeMetrics({ equity, trades, exposed, barsPerYear: bpy }),
      buyAndHold: computeMetrics({ ...bh, barsPerYear: bpy }),
    },
    trades,
    equity,
    buyAndHoldEquity: bh.equity,
  };
}

function closeTrade(
  symbol: string,
  entry: { timeMs: number; price: number; fee: number },
  exitTimeMs: number,
  exitPrice: number,
  qty: number,
  exitFee: number,
  exitReason: string,
): Trade {
  const fee = entry.fee + exitFee;
  return {
    symbol,
    side: 'long',
    entryTimeMs: entry.timeMs,
    entryPrice: entry.price,
    exitTimeMs,
    exitPrice,
    qty,
    fee,
    pnl: qty * (exitPrice - entry.price) - fee,
    exitReason,
  };
}
