import type { Candle } from '../../core/candle.js';
import type { StreamingIndicator } from '../indicator.js';
import { RollingStats } from './rolling-stats.js';

/**
 * Rolling volatility: SAMPLE standard deviation (n - 1) of the last `period` log returns, per bar
 * (not annualised; multiply by sqrt(barsPerYear) for that). Sample, because it estimates the
 * spread of the return process from a short window. Needs period + 1 candles.
 */
export class LogReturnVolatility implements StreamingIndicator {
  readonly warmup: number;
  private readonly stats: RollingStats;
  private prev = NaN;

  constructor(period: number) {
    this.warmup = period + 1;
    this.stats = new RollingStats(period);
  }

  update(c: Candle): void {
    const prev = this.prev;
    this.prev = c.close;
    if (prev === prev) this.stats.push(Math.log(c.close / prev));
  }

  value(): number {
    return this.stats.full ? Math.sqrt(this.stats.varianceSample()) : NaN;
  }

  reset(): void {
    this.stats.reset();
    this.prev = NaN;
  }
}
