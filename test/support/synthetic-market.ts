import { Rng, type Candle, type SeriesKey } from '../../src/core/index.js';

export const HOUR_MS = 3_600_000;

/**
 * A random-walk hourly market (log returns ~ N(0, vol²)), candles from `startMs`, with the per-bar
 * returns it was built from: returns[i] = close[i] / close[i − 1] − 1 (returns[0] = 0).
 */
export function randomWalkCandles(
  n: number,
  seed: number,
  options: { vol?: number; startMs?: number; startPrice?: number } = {},
): { candles: Candle[]; returns: Float64Array } {
  const rng = new Rng(seed);
  const vol = options.vol ?? 0.01;
  const start = options.startMs ?? Date.UTC(2022, 0, 1);
  let close = options.startPrice ?? 100;
  const candles: Candle[] = [];
  const returns = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const open = close;
    if (i > 0) {
      const next = open * Math.exp(vol * rng.normal());
      returns[i] = next / close - 1;
      close = next;
    }
    const wiggle = Math.abs(vol * 0.3 * rng.normal());
    candles.push({
      openTimeMs: start + i * HOUR_MS,
      open,
      high: Math.max(open, close) * (1 + wiggle),
      low: Math.min(open, close) * (1 - wiggle),
      close,
      volume: 1 + rng.next(),
    });
  }
  return { candles, returns };
}

/**
 * Ratio predictions (N, 1) for a random-walk market: with `edge` > 0 each prediction is
 * 1 + edge × (the NEXT bar's return) + noise, a planted forecasting edge; with edge 0 it is noise.
 */
export function plantedPredictions(returns: Float64Array, seed: number, edge: number, noise: number): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(returns.length).fill(Number.NaN);
  for (let i = 0; i + 1 < returns.length; i++) out[i] = 1 + edge * (returns[i + 1] as number) + noise * rng.normal();
  return out;
}

export const SYNTHETIC_KEY: SeriesKey = { exchange: 'sim', symbol: 'SYN/USDT', timeframe: '1h' };
