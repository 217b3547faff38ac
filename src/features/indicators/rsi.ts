import type { Candle } from '../../core/candle.js';
import type { StreamingIndicator } from '../indicator.js';
import { WilderState } from './wilder.js';

/**
 * Wilder's RSI in [0, 100]. Gains and losses of close-to-close changes, each smoothed by Wilder's
 * RMA seeded with the simple average of the first `period` changes, so the first value comes at
 * candle period + 1. All-gain windows give 100; a window with no change at all gives 50 (neutral,
 * rather than the 100 some libraries report for 0/0).
 */
export class Rsi implements StreamingIndicator {
  readonly warmup: number;
  private readonly gain: WilderState;
  private readonly loss: WilderState;
  private prev = NaN;
  private out = NaN;

  constructor(period: number) {
    this.warmup = period + 1;
    this.gain = new WilderState(period);
    this.loss = new WilderState(period);
  }

  update(c: Candle): void {
    const prev = this.prev;
    this.prev = c.close;
    if (prev !== prev) return; // first candle after a reset: no change yet
    const change = c.close - prev;
    const g = this.gain.push(change > 0 ? change : 0);
    const l = this.loss.push(change > 0 ? 0 : -change);
    if (g !== g) return;
    if (l === 0) this.out = g === 0 ? 50 : 100;
    else this.out = 100 - 100 / (g / l + 1);
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.gain.reset();
    this.loss.reset();
    this.prev = NaN;
    this.out = NaN;
  }
}
