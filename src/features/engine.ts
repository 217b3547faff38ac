import type { Candle } from '../core/candle.js';
import { InvariantError } from '../core/errors.js';
import type { StreamingIndicator } from './indicator.js';
import { createIndicator, validateSpec } from './registry.js';
import type { FeatureSpec } from './spec.js';

/**
 * Runs a spec's indicators over one series' closed candles, in order: the single implementation
 * of feature computation, used candle by candle live and over arrays in training and backtests.
 *
 * Gap rule: when a candle's open time is not the previous open time + timeframe (hours with no
 * candle), ALL indicator state is reset and warm-up starts again with this candle. Prices are
 * never interpolated: a made-up candle would feed invented returns and ranges into every feature.
 * Time going backwards or a duplicate candle throws (broken invariant).
 */
export class FeatureEngine {
  readonly featureCount: number;
  readonly ids: readonly string[];
  /** Candles after a reset until every feature is finite (max of the indicators' warm-ups). */
  readonly warmup: number;
  private readonly indicators: StreamingIndicator[];
  private readonly out: Float64Array;
  private lastOpenTimeMs = Number.NaN;
  private since = 0;
  private gapResets = 0;

  constructor(
    spec: FeatureSpec,
    readonly timeframeMs: number,
  ) {
    validateSpec(spec);
    if (!(Number.isInteger(timeframeMs) && timeframeMs > 0)) throw new InvariantError(`timeframeMs must be a positive integer, got ${timeframeMs}`);
    this.indicators = spec.features.map(createIndicator);
    this.ids = Object.freeze(spec.features.map((f) => f.id));
    this.featureCount = this.indicators.length;
    this.warmup = Math.max(...this.indicators.map((i) => i.warmup));
    this.out = new Float64Array(this.featureCount).fill(Number.NaN);
  }

  /** Feeds one closed candle; returns whether every feature is ready (finite) after it. */
  update(c: Candle): boolean {
    if (!(c.close > 0 && c.close < Infinity && c.high >= c.low && c.volume >= 0)) {
      throw new InvariantError(`invalid candle at ${c.openTimeMs}: close ${c.close}, high ${c.high}, low ${c.low}, volume ${c.volume}`);
    }
    const last = this.lastOpenTimeMs;
    if (last === last) {
      if (!(c.openTimeMs > last)) throw new InvariantError(`candle at ${c.openTimeMs} does not come after ${last}`);
      if (c.openTimeMs !== last + this.timeframeMs) {
        this.resetIndicators();
        this.gapResets++;
      }
    }
    this.lastOpenTimeMs = c.openTimeMs;
    const ind = this.indicators;
    const out = this.out;
    for (let i = 0; i < ind.length; i++) {
      const indicator = ind[i]!;
      indicator.update(c);
      out[i] = indicator.value();
    }
    this.since++;
    return this.since >= this.warmup;
  }

  /** Raw values after the last update, NaN where a feature is still warming up. A live buffer: copy it to keep it. */
  values(): Float64Array {
    return this.out;
  }

  get ready(): boolean {
    return this.since >= this.warmup;
  }

  /** Candles fed since the last reset (1 right after a gap). */
  get candlesSinceReset(): number {
    return this.since;
  }

  /** How many gaps have reset the engine so far. */
  get gapCount(): number {
    return this.gapResets;
  }

  /** Forgets everything, including the last open time (a new series may start). */
  reset(): void {
    this.resetIndicators();
    this.lastOpenTimeMs = Number.NaN;
    this.gapResets = 0;
  }

  private resetIndicators(): void {
    for (const i of this.indicators) i.reset();
    this.out.fill(Number.NaN);
    this.since = 0;
  }
}
