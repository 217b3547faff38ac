/**
 * Sum and variance of the last `period` values in O(1) per push, without drift.
 *
 * Running sums updated by add-new/subtract-old accumulate rounding error over long series, and
 * sum-of-squares variance cancels catastrophically when values are large relative to their spread
 * (BTC closes ~4e4 with an hourly spread of ~10). Both are handled here:
 * - sums are kept of (x - shift), where `shift` is a recent mean, so the squares stay small;
 * - every time the ring wraps (once per `period` pushes) both sums and the shift are recomputed
 *   exactly from the buffer, so error can never accumulate past one window (amortised O(1)).
 */
export class RollingStats {
  private readonly buf: Float64Array;
  private idx = 0;
  private n = 0;
  private shift = 0;
  private s1 = 0;
  private s2 = 0;

  constructor(readonly period: number) {
    this.buf = new Float64Array(period);
  }

  get count(): number {
    return this.n;
  }

  get full(): boolean {
    return this.n === this.period;
  }

  push(x: number): void {
    const buf = this.buf;
    if (this.n === 0) this.shift = x;
    const d = x - this.shift;
    if (this.n < this.period) {
      this.n++;
    } else {
      const old = buf[this.idx]! - this.shift;
      this.s1 -= old;
      this.s2 -= old * old;
    }
    this.s1 += d;
    this.s2 += d * d;
    buf[this.idx] = x;
    this.idx++;
    if (this.idx === this.period) {
      this.idx = 0;
      if (this.n === this.period) this.resync();
    }
  }

  private resync(): void {
    const buf = this.buf;
    const p = this.period;
    let sum = 0;
    for (let i = 0; i < p; i++) sum += buf[i]!;
    const shift = sum / p;
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < p; i++) {
      const d = buf[i]! - shift;
      s1 += d;
      s2 += d * d;
    }
    this.shift = shift;
    this.s1 = s1;
    this.s2 = s2;
  }

  /** Sum of the values in the window. */
  sum(): number {
    return this.shift * this.n + this.s1;
  }

  mean(): number {
    return this.shift + this.s1 / this.n;
  }

  /** Sum of squared deviations from the window mean (>= 0). */
  private sumSqDev(): number {
    const v = this.s2 - (this.s1 * this.s1) / this.n;
    return v > 0 ? v : 0;
  }

  /** Population variance (divide by n). */
  variancePopulation(): number {
    return this.sumSqDev() / this.n;
  }

  /** Sample variance (divide by n - 1). */
  varianceSample(): number {
    return this.sumSqDev() / (this.n - 1);
  }

  reset(): void {
    this.idx = 0;
    this.n = 0;
    this.shift = 0;
    this.s1 = 0;
    this.s2 = 0;
  }
}
