import type { Candle } from '../../core/candle.js';
import type { StreamingIndicator } from '../indicator.js';

/** close / previous close: 1 means unchanged. Needs 2 candles. */
export class CloseRatio implements StreamingIndicator {
  readonly warmup = 2;
  private prev = NaN;
  private out = NaN;

  update(c: Candle): void {
    this.out = c.close / this.prev;
    this.prev = c.close;
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.prev = NaN;
    this.out = NaN;
  }
}

/** ln(close / previous close). Needs 2 candles. */
export class LogReturn implements StreamingIndicator {
  readonly warmup = 2;
  private prev = NaN;
  private out = NaN;

  update(c: Candle): void {
    this.out = Math.log(c.close / this.prev);
    this.prev = c.close;
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.prev = NaN;
    this.out = NaN;
  }
}
