import type { Candle, Timeframe } from '../core/candle.js';
import { timeframeMs } from '../core/candle.js';
import { DataError } from '../core/errors.js';

/**
 * Aggregates candles to a longer timeframe (1h → 4h, 1d), buckets aligned to UTC boundaries
 * (epoch multiples: 00:00, 04:00, ... for 4h; midnight UTC for 1d). open = first open, high = max,
 * low = min, close = last close, volume = sum.
 *
 * Incomplete buckets are DROPPED: a bucket is emitted only when all toTf / fromTf source candles
 * are present. A 1d candle missing hours would understate range and volume and could report a
 * close that is not the day's close; the model would take it as real. Dropping it leaves a gap in
 * the output instead, which the feature engine handles by resetting (never inventing data). The
 * same rule drops a trailing bucket that is still forming at the end of the input.
 */
export function resample(candles: readonly Candle[], fromTf: Timeframe, toTf: Timeframe): Candle[] {
  const fromMs = timeframeMs(fromTf);
  const toMs = timeframeMs(toTf);
  if (toMs % fromMs !== 0 || toMs < fromMs) throw new DataError(`cannot resample ${fromTf} to ${toTf}: not a whole multiple`);
  const perBucket = toMs / fromMs;
  const out: Candle[] = [];
  let bucket = Number.NaN;
  let count = 0;
  let open = 0;
  let high = 0;
  let low = 0;
  let close = 0;
  let volume = 0;
  let prevTs = Number.NEGATIVE_INFINITY;
  const flush = (): void => {
    if (count === perBucket) out.push({ openTimeMs: bucket, open, high, low, close, volume });
  };
  for (const c of candles) {
    if (c.openTimeMs <= prevTs) throw new DataError(`candle at ${c.openTimeMs} is not after ${prevTs}: input must be ascending`);
    if (c.openTimeMs % fromMs !== 0) throw new DataError(`candle at ${c.openTimeMs} is not aligned to ${fromTf}`);
    prevTs = c.openTimeMs;
    const b = c.openTimeMs - (c.openTimeMs % toMs);
    if (b !== bucket) {
      if (count > 0) flush();
      bucket = b;
      count = 0;
      open = c.open;
      high = c.high;
      low = c.low;
      volume = 0;
    }
    if (c.high > high) high = c.high;
    if (c.low < low) low = c.low;
    close = c.close;
    volume += c.volume;
    count++;
  }
  if (count > 0) flush();
  return out;
}
