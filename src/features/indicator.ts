import type { Candle } from '../core/candle.js';

/**
 * The one contract every streaming indicator obeys (training, backtest and live all drive the
 * same instances through it).
 *
 * - `update` takes closed candles in time order; O(1) work and no allocation per call.
 * - `value` is NaN until exactly `warmup` candles have been seen since construction or `reset`,
 *   and finite from then on (for valid candles: prices > 0, volume >= 0).
 * - `reset` forgets everything, as if newly constructed (used at gaps in the data).
 */
export interface StreamingIndicator {
  update(candle: Candle): void;
  value(): number;
  /** Candles needed after a reset before `value()` is finite. */
  readonly warmup: number;
  reset(): void;
}
