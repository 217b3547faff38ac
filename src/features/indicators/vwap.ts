import type { Candle } from '../../core/candle.js';
import type { StreamingIndicator } from '../indicator.js';
import { RollingStats } from './rolling-stats.js';

/**
 * Deviation of the close from the rolling VWAP: close / VWAP - 1, where VWAP = Σ(tp · volume) / Σ
 * volume over the last `period` candles and tp = (high + low + close) / 3. 0 when the window had no
 * volume at all (no trade, no meaningful VWAP).
 */
export class VwapDeviation implements StreamingIndicator {
  readonly warmup: number;
  private readonly pv: RollingStats;
  private readonly v: RollingStats;
  private out = NaN;

  constructor(period: number) {
    this.warmup = period;
    this.pv = new RollingStats(period);
    this.v = new RollingStats(period);
  }

  update(c: Candle): void {
    this.pv.push(((c.high + c.low + c.close) / 3) * c.volume);
    this.v.push(c.volume);
    if (!this.v.full) return;
    const vol = this.v.sum();
    this.out = vol > 0 ? c.close / (this.pv.sum() / vol) - 1 : 0;
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.pv.reset();
    this.v.reset();
    this.out = NaN;
  }
}
