/**
 * Wilder's smoothing (RMA): seeded with the simple average of the first `period` values, then
 * avg += (x - avg) / period. Same arithmetic order as trading-signals' WSMA, so the oracle test can
 * hold both to the last bits.
 */
export class WilderState {
  private readonly inv: number;
  private n = 0;
  private sum = 0;
  private avg = NaN;

  constructor(readonly period: number) {
    this.inv = 1 / period;
  }

  push(x: number): number {
    if (this.n >= this.period) {
      this.avg = (x - this.avg) * this.inv + this.avg;
      return this.avg;
    }
    this.sum += x;
    this.n++;
    if (this.n === this.period) this.avg = this.sum / this.period;
    return this.avg;
  }

  value(): number {
    return this.avg;
  }

  /** [n, sum, avg]: everything the next push depends on (to resume after a restart). */
  snapshot(): [number, number, number] {
    return [this.n, this.sum, this.avg];
  }

  restore(state: readonly [number, number, number]): void {
    [this.n, this.sum, this.avg] = state;
  }

  reset(): void {
    this.n = 0;
    this.sum = 0;
    this.avg = NaN;
  }
}
