import type { Candle } from '../../core/candle.js';
import type { StreamingIndicator } from '../indicator.js';

/**
 * A price-unit indicator divided by the current close (MACD, ATR → fractions of price). A model
 * trained on 2017 BTC at 4k and applied at 60k would otherwise see values 15× out of range; z-score
 * normalisation fitted on one period cannot fix a scale that drifts with the price level.
 */
export class RelativeToClose implements StreamingIndicator {
  readonly warmup: number;
  private close = NaN;

  constructor(private readonly inner: StreamingIndicator) {
    this.warmup = inner.warmup;
  }

  update(c: Candle): void {
    this.inner.update(c);
    this.close = c.close;
  }

  value(): number {
    return this.inner.value() / this.close;
  }

  reset(): void {
    this.inner.reset();
    this.close = NaN;
  }
}
