import type { Candle } from '../core/index.js';

export const HOUR_MS = 3_600_000;

/**
 * Deterministic hourly candles for tests and demos: a gentle zig-zag around `basePrice`, prices on
 * a 0.01 grid, volume 10 per candle. Candle i opens at `startMs + i h`.
 */
export function syntheticHourlyCandles(startMs: number, count: number, basePrice = 100): Candle[] {
  const out: Candle[] = [];
  let open = basePrice;
  for (let i = 0; i < count; i++) {
    const drift = i % 6 < 3 ? 1.5 : -1.25;
    const close = Math.round((open + drift) * 100) / 100;
    const high = Math.round((Math.max(open, close) + 0.75) * 100) / 100;
    const low = Math.round((Math.min(open, close) - 0.5) * 100) / 100;
    out.push({ openTimeMs: startMs + i * HOUR_MS, open, high, low, close, volume: 10 });
    open = close;
  }
  return out;
}
