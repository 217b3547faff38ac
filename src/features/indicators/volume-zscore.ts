import type { Candle } from '../../core/candle.js';
import type { StreamingIndicator } from '../indicator.js';
import { RollingStats } from './rolling-stats.js';

/**
 * Volume z-score: (volume - mean) / σ over the last `period` volumes INCLUDING the current one,
 * population σ. 0 when the window's volumes are all equal (σ = 0), instead of 0/0.
 */
export class VolumeZScore implements StreamingIndicator {
  readonly warmup: number;
  private readonly stats: RollingStats;
  private out = NaN;

  constructor(period: number) {
    this.warmup = period;
    this.stats = new RollingStats(period);
  }

  update(c: Candle): void {
    const stats = this.stats;
    stats.push(c.volume);
    if (!stats.full) return;
    const sd = Math.sqrt(stats.variancePopulation());
    this.out = sd > 0 ? (c.volume - stats.mean()) / sd : 0;
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.stats.reset();
    this.out = NaN;
  }
}
