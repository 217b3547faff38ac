import type { Candle } from '../../core/candle.js';
import type { StreamingIndicator } from '../indicator.js';
import { RollingStats } from './rolling-stats.js';

/** Simple moving average of closes over `period` candles. */
export class Sma implements StreamingIndicator {
  readonly warmup: number;
  private readonly stats: RollingStats;

  constructor(period: number) {
    this.warmup = period;
    this.stats = new RollingStats(period);
  }

  update(c: Candle): void {
    this.stats.push(c.close);
  }

  value(): number {
    return this.stats.full ? this.stats.mean() : NaN;
  }

  reset(): void {
    this.stats.reset();
  }
}
