import type { Candle } from '../core/candle.js';
import { InvariantError } from '../core/errors.js';
import { FeatureEngine } from './engine.js';
import type { Normalisation } from './normalisation.js';
import { normaliseInto } from './normalisation.js';
import type { FeatureSpec } from './spec.js';

/**
 * Per series: closed candles in, the model's input window out. Keeps the last T normalised
 * feature vectors, oldest first. A window never spans a gap: when the engine resets (gap), the
 * window empties and must refill T ready rows.
 */
export class FeatureBuilder {
  readonly featureCount: number;
  private readonly engine: FeatureEngine;
  /** (2T, F): each row is written twice (at slot and slot + T) so the window is always one contiguous view. */
  private readonly rows: Float32Array;
  private head = 0;
  private filled = 0;

  constructor(
    spec: FeatureSpec,
    timeframeMs: number,
    private readonly norm: Normalisation,
    readonly windowLength: number,
  ) {
    this.engine = new FeatureEngine(spec, timeframeMs);
    this.featureCount = this.engine.featureCount;
    if (norm.mean.length !== this.featureCount || norm.std.length !== this.featureCount) {
      throw new InvariantError(`normalisation has ${norm.mean.length} means and ${norm.std.length} stds for ${this.featureCount} features`);
    }
    if (!(Number.isInteger(windowLength) && windowLength >= 1)) throw new InvariantError(`windowLength must be a positive integer, got ${windowLength}`);
    this.rows = new Float32Array(2 * windowLength * this.featureCount);
  }

  /** Feeds one closed candle; returns whether a full window (T ready rows, no gap) is available. */
  push(c: Candle): boolean {
    const ready = this.engine.update(c);
    if (this.engine.candlesSinceReset === 1) this.filled = 0;
    if (!ready) {
      this.filled = 0;
      return false;
    }
    const T = this.windowLength;
    const F = this.featureCount;
    const raw = this.engine.values();
    normaliseInto(this.rows, this.head * F, raw, 0, this.norm);
    this.rows.copyWithin((this.head + T) * F, this.head * F, (this.head + 1) * F);
    this.head = this.head + 1 === T ? 0 : this.head + 1;
    if (this.filled < T) this.filled++;
    return this.filled === T;
  }

  get isReady(): boolean {
    return this.filled === this.windowLength;
  }

  /**
   * (T, F) row-major, oldest row first. A VIEW into the builder's buffer, valid until the next
   * push or reset: copy it (`slice()`) to keep it. Throws when no full window is available.
   */
  window(): Float32Array {
    if (!this.isReady) throw new InvariantError('FeatureBuilder.window() called before a full window is available');
    const F = this.featureCount;
    return this.rows.subarray(this.head * F, (this.head + this.windowLength) * F);
  }

  /** Raw (un-normalised) values of the last candle: a live buffer, NaN while warming up. */
  rawValues(): Float64Array {
    return this.engine.values();
  }

  reset(): void {
    this.engine.reset();
    this.head = 0;
    this.filled = 0;
  }
}
