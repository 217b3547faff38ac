import type { OrderIntent, Prediction, SeriesKey } from '../core/index.js';
import { ConfigError, InvariantError, timeframeMs } from '../core/index.js';
import type { Policy } from './policy.js';
import { SeriesStates } from './policy.js';

export interface HorizonAveragingConfig {
  /** Enter long when the averaged next-candle ratio exceeds 1 + threshold; exit below 1 − threshold. */
  readonly threshold: number;
  /** Exit (or go short) below 1 − exitThreshold instead; defaults to `threshold`. */
  readonly exitThreshold?: number;
  /** targetFraction = min(cap, (avg − 1) / scale): the predicted move that earns a full-cap position. */
  readonly scale: number;
  /** Largest |targetFraction|. */
  readonly cap: number;
  /** Go short below 1 − threshold instead of just exiting. Default false (long-only spot). */
  readonly allowShort?: boolean;
  /**
   * Calibrated levels of the averaged ratio, replacing the thresholds: long at `cap` above `entry`,
   * flat below `exit` (exit < entry; entry may be Infinity: never enter). Shorts are not taken.
   */
  readonly levels?: { readonly entry: number; readonly exit: number };
}

interface HorizonState {
  readonly id: string;
  readonly tfMs: number;
  /** Largest horizon K; the ring keeps the predictions of the last K candles by candle index mod K. */
  k: number;
  /** (K, K): ring slot × (horizon − 1); NaN where a horizon is absent. */
  values: Float64Array;
  /** (K): candle open time of each slot, NaN when empty. */
  times: Float64Array;
  lastTimeMs: number;
}

/** Reasons, built once: the suffix says when fewer than K predictions could be averaged. */
const REASONS = {
  enter_long: 'enter_long',
  enter_short: 'enter_short',
  exit: 'exit',
} as const;

/**
 * The worked-example preset. With horizon-K ratio predictions (values[k] = predicted close ratio
 * horizons[k] steps ahead, each the ratio of that step's close to the previous close), the candle
 * after this one was forecast K times: by this candle's 1-step value, the previous candle's 2-step
 * value, ..., the candle K−1 back's K-step value. Their average decides: long above 1 + threshold,
 * flat (or short, if allowed) below 1 − threshold, no intent in between (hold whatever is held).
 * Predictions from missing candles are simply left out and the intent's reason says how many of
 * the K were averaged ("enter_long partial 2/3").
 */
export class HorizonAveragingPolicy implements Policy {
  private readonly states: SeriesStates<HorizonState>;
  private readonly allowShort: boolean;

  constructor(readonly config: HorizonAveragingConfig) {
    if (!(config.threshold >= 0) || !(config.scale > 0) || !(config.cap >= 0) || !((config.exitThreshold ?? 0) >= 0)) {
      throw new ConfigError('HorizonAveragingPolicy needs threshold >= 0, scale > 0, cap >= 0', [JSON.stringify(config)]);
    }
    if (config.levels !== undefined && !(config.levels.exit < config.levels.entry && Number.isFinite(config.levels.exit))) {
      throw new ConfigError('HorizonAveragingPolicy levels need a finite exit below entry', [JSON.stringify(config.levels)]);
    }
    this.allowShort = config.levels === undefined && (config.allowShort ?? false);
    this.states = new SeriesStates<HorizonState>((series: SeriesKey, id: string) => ({
      id,
      tfMs: timeframeMs(series.timeframe),
      k: 0,
      values: new Float64Array(0),
      times: new Float64Array(0),
      lastTimeMs: Number.NEGATIVE_INFINITY,
    }));
  }

  /** Averaged next-candle ratio and how many predictions went into it (for inspection and tests). */
  lastAverage = Number.NaN;
  lastCount = 0;

  get lastSignal(): number {
    return this.lastAverage;
  }

  get signalLevels(): { readonly enter: number; readonly exit: number } {
    return { enter: 1 + this.config.threshold, exit: 1 - (this.config.exitThreshold ?? this.config.threshold) };
  }

  decide(prediction: Prediction, referencePriceQuote: number): OrderIntent | null {
    if (prediction.kind !== 'ratio') throw new InvariantError(`HorizonAveragingPolicy needs ratio predictions, got ${prediction.kind}`);
    if (prediction.horizons.length !== prediction.values.length)
      throw new InvariantError(`prediction has ${prediction.values.length} values for ${prediction.horizons.length} horizons`);
    return this.decideRow(prediction.series, prediction.candleOpenTimeMs, prediction.horizons, prediction.values, 0, referencePriceQuote);
  }

  /**
   * Same as decide(), reading the values straight from a batched model output: row-major
   * (batch, horizons.length) slab, this candle's row starting at `offset`. No Prediction object needed.
   */
  decideRow(
    series: SeriesKey,
    candleOpenTimeMs: number,
    horizons: readonly number[],
    slab: ArrayLike<number>,
    offset: number,
    referencePriceQuote: number,
  ): OrderIntent | null {
    if (horizons.length === 0 || offset + horizons.length > slab.length)
      throw new InvariantError(`prediction row at ${offset} does not fit ${horizons.length} horizons in ${slab.length} values`);
    const st = this.states.get(series);
    const t = candleOpenTimeMs;
    if (!(t > st.lastTimeMs)) throw new InvariantError(`prediction time ${t} not after ${st.lastTimeMs} for ${st.id}`);
    let k = 0;
    for (const h of horizons) if (h > k) k = h;
    if (st.k !== k) {
      // First prediction, or the model's horizons changed: start a fresh ring.
      st.k = k;
      st.values = new Float64Array(k * k).fill(Number.NaN);
      st.times = new Float64Array(k).fill(Number.NaN);
    }
    st.lastTimeMs = t;
    const candleIndex = Math.floor(t / st.tfMs);
    const slot = candleIndex % k;
    const row = slot * k;
    st.values.fill(Number.NaN, row, row + k);
    for (let i = 0; i < horizons.length; i++) {
      const v = slab[offset + i] as number;
      if (!Number.isFinite(v)) throw new InvariantError(`non-finite prediction ${v} for ${st.id} at ${t}`);
      st.values[row + (horizons[i] as number) - 1] = v;
    }
    st.times[slot] = t;
    // The candle j back forecast the next candle with its (j+1)-step value.
    let sum = 0;
    let n = 0;
    for (let j = 0; j < k; j++) {
      const s = (((candleIndex - j) % k) + k) % k;
      if (st.times[s] !== t - j * st.tfMs) continue;
      const v = st.values[s * k + j] as number;
      if (Number.isNaN(v)) continue;
      sum += v;
      n++;
    }
    const avg = sum / n;
    this.lastAverage = avg;
    this.lastCount = n;
    const { threshold, scale, cap } = this.config;
    const exitThreshold = this.config.exitThreshold ?? threshold;
    let target: number;
    let reason: string;
    const levels = this.config.levels;
    if (levels !== undefined) {
      if (avg > levels.entry) {
        target = cap;
        reason = REASONS.enter_long;
      } else if (avg < levels.exit) {
        target = 0;
        reason = REASONS.exit;
      } else {
        return null;
      }
    } else if (avg > 1 + threshold) {
      target = Math.min(cap, (avg - 1) / scale);
      reason = REASONS.enter_long;
    } else if (avg < 1 - exitThreshold) {
      if (this.allowShort) {
        target = -Math.min(cap, (1 - avg) / scale);
        reason = REASONS.enter_short;
      } else {
        target = 0;
        reason = REASONS.exit;
      }
    } else {
      return null;
    }
    const expected = horizons.length;
    if (n < expected) reason = `${reason} partial ${n}/${expected}`;
    return {
      intentId: `${st.id}-${t}`,
      series,
      candleOpenTimeMs: t,
      referencePriceQuote,
      targetFraction: target,
      reason,
      signal: avg - 1,
    };
  }
}
