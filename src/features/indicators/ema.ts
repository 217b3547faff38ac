import type { Candle } from '../../core/candle.js';
import type { StreamingIndicator } from '../indicator.js';

/**
 * Exponential moving average of a number stream, alpha = 2 / (period + 1), seeded with the simple
 * average of the first `period` values (the classic definition, as technicalindicators does;
 * trading-signals seeds with the first value instead, which makes early values depend on one print).
 */
export class EmaState {
  private readonly alpha: number;
  private n = 0;
  private sum = 0;
  private ema = NaN;

  constructor(readonly period: number) {
    this.alpha = 2 / (period + 1);
  }

  /** Feeds one value; returns the EMA, NaN until `period` values were fed. */
  push(x: number): number {
    if (this.n >= this.period) {
      this.ema = (x - this.ema) * this.alpha + this.ema;
      return this.ema;
    }
    this.sum += x;
    this.n++;
    if (this.n === this.period) this.ema = this.sum / this.period;
    return this.ema;
  }

  value(): number {
    return this.ema;
  }

  reset(): void {
    this.n = 0;
    this.sum = 0;
    this.ema = NaN;
  }
}

/** EMA of closes. */
export class Ema implements StreamingIndicator {
  readonly warmup: number;
  private readonly state: EmaState;

  constructor(period: number) {
    this.warmup = period;
    this.state = new EmaState(period);
  }

  update(c: Candle): void {
    this.state.push(c.close);
  }

  value(): number {
    return this.state.value();
  }

  reset(): void {
    this.state.reset();
  }
}
