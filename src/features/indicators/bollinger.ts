import type { Candle } from '../../core/candle.js';
import type { StreamingIndicator } from '../indicator.js';
import { RollingStats } from './rolling-stats.js';

export type BollingerOutput = 'pctb' | 'width';

/**
 * Bollinger bands on closes: middle = SMA(period), bands = middle ± k · σ with the POPULATION
 * standard deviation (Bollinger's definition; trading-signals and technicalindicators agree).
 * - pctb  = (close - lower) / (upper - lower): 0 at the lower band, 1 at the upper; 0.5 when the
 *   bands collapse (a perfectly flat window), instead of 0/0.
 * - width = (upper - lower) / middle: scale-free bandwidth.
 */
export class Bollinger implements StreamingIndicator {
  readonly warmup: number;
  private readonly stats: RollingStats;
  private out = NaN;

  constructor(
    period: number,
    private readonly k: number,
    private readonly output: BollingerOutput,
  ) {
    this.warmup = period;
    this.stats = new RollingStats(period);
  }

  update(c: Candle): void {
    const stats = this.stats;
    stats.push(c.close);
    if (!stats.full) return;
    const middle = stats.mean();
    const half = this.k * Math.sqrt(stats.variancePopulation());
    const lower = middle - half;
    const upper = middle + half;
    if (this.output === 'width') this.out = (upper - lower) / middle;
    else this.out = upper > lower ? (c.close - lower) / (upper - lower) : 0.5;
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.stats.reset();
    this.out = NaN;
  }
}
