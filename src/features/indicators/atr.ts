import type { Candle } from '../../core/candle.js';
import type { StreamingIndicator } from '../indicator.js';
import { WilderState } from './wilder.js';

/**
 * Average true range, Wilder-smoothed, in price units. The first candle after a reset has no
 * previous close, so its true range is high - low (as trading-signals' TR; technicalindicators
 * skips that candle instead). First value at candle `period`.
 */
export class Atr implements StreamingIndicator {
  readonly warmup: number;
  private readonly smooth: WilderState;
  private prevClose = NaN;

  constructor(period: number) {
    this.warmup = period;
    this.smooth = new WilderState(period);
  }

  update(c: Candle): void {
    const pc = this.prevClose;
    const tr = pc === pc ? Math.max(c.high - c.low, Math.abs(c.high - pc), Math.abs(c.low - pc)) : c.high - c.low;
    this.prevClose = c.close;
    this.smooth.push(tr);
  }

  value(): number {
    return this.smooth.value();
  }

  /** [prevClose, n, sum, avg] (NaN as null, JSON-safe): resumes bit for bit with `restore`. */
  snapshot(): (number | null)[] {
    return [this.prevClose, ...this.smooth.snapshot()].map((x) => (Number.isNaN(x) ? null : x));
  }

  restore(state: readonly (number | null)[]): void {
    if (state.length !== 4) throw new RangeError(`ATR state needs 4 numbers, got ${state.length}`);
    const [pc, n, sum, avg] = state.map((x) => (x === null ? Number.NaN : x)) as [number, number, number, number];
    this.prevClose = pc;
    this.smooth.restore([n, sum, avg]);
  }

  reset(): void {
    this.smooth.reset();
    this.prevClose = NaN;
  }
}
