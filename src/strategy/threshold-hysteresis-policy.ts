import type { OrderIntent, Prediction, SeriesKey } from '../core/index.js';
import { ConfigError, InvariantError } from '../core/index.js';
import type { Policy } from './policy.js';
import { SeriesStates } from './policy.js';

export interface ThresholdHysteresisConfig {
  /** Enter long when (smoothed) p > pEnter. */
  readonly pEnter: number;
  /** Exit a long when p < pExit; pExit < pEnter is the hysteresis band. */
  readonly pExit: number;
  /** Target position when long (fraction of equity). Default 1. */
  readonly targetFraction?: number;
  /** EMA weight of the newest p, in (0, 1]; 1 (default) = no smoothing. */
  readonly emaAlpha?: number;
  /** Which prediction value to use. Default 0 (the first horizon). */
  readonly horizonIndex?: number;
  /** Mirror rule for shorts: enter when p < 1 − pEnter, cover when p > 1 − pExit. Default false. */
  readonly allowShort?: boolean;
}

interface ProbState {
  readonly id: string;
  ema: number;
  lastTimeMs: number;
  /** The side this policy last asked for: +1, 0, −1 (needed to tell a long's exit from a short's). */
  side: number;
}

/**
 * For probability models (P(return > 0)). Zones: p > pEnter → long; p < pExit → flat (when the
 * policy last asked for a long, or always in long-only mode); in between → no intent (hold).
 * Shorts mirror around 0.5 when allowed.
 */
export class ThresholdHysteresisPolicy implements Policy {
  private readonly states = new SeriesStates<ProbState>((_series: SeriesKey, id: string) => ({
    id,
    ema: Number.NaN,
    lastTimeMs: Number.NEGATIVE_INFINITY,
    side: 0,
  }));
  private readonly alpha: number;
  private readonly fraction: number;
  private readonly index: number;
  private readonly allowShort: boolean;
  /** The smoothed probability of the last decision. */
  lastSignal = Number.NaN;

  get signalLevels(): { readonly enter: number; readonly exit: number } {
    return { enter: this.config.pEnter, exit: this.config.pExit };
  }

  constructor(readonly config: ThresholdHysteresisConfig) {
    this.alpha = config.emaAlpha ?? 1;
    this.fraction = config.targetFraction ?? 1;
    this.index = config.horizonIndex ?? 0;
    this.allowShort = config.allowShort ?? false;
    if (!(config.pExit < config.pEnter) || !(config.pEnter <= 1) || !(config.pExit >= 0) || !(this.alpha > 0 && this.alpha <= 1) || !(this.fraction >= 0)) {
      throw new ConfigError('ThresholdHysteresisPolicy needs 0 <= pExit < pEnter <= 1, 0 < emaAlpha <= 1, targetFraction >= 0', [JSON.stringify(config)]);
    }
  }

  /** Smoothed probability of the series' last prediction (for inspection and tests). */
  smoothed(series: SeriesKey): number {
    return this.states.get(series).ema;
  }

  decide(prediction: Prediction, referencePriceQuote: number): OrderIntent | null {
    if (prediction.kind !== 'probability') throw new InvariantError(`ThresholdHysteresisPolicy needs probability predictions, got ${prediction.kind}`);
    return this.decideRow(prediction.series, prediction.candleOpenTimeMs, prediction.values, 0, referencePriceQuote);
  }

  /** Same as decide(), reading this candle's row of a batched (batch, horizons) output starting at `offset`. */
  decideRow(series: SeriesKey, candleOpenTimeMs: number, slab: ArrayLike<number>, offset: number, referencePriceQuote: number): OrderIntent | null {
    const raw = slab[offset + this.index];
    if (raw === undefined || !(raw >= 0 && raw <= 1)) throw new InvariantError(`probability ${raw} out of [0, 1]`);
    const st = this.states.get(series);
    const t = candleOpenTimeMs;
    if (!(t > st.lastTimeMs)) throw new InvariantError(`prediction time ${t} not after ${st.lastTimeMs} for ${st.id}`);
    st.lastTimeMs = t;
    st.ema = Number.isNaN(st.ema) ? raw : st.ema + this.alpha * (raw - st.ema);
    const p = st.ema;
    this.lastSignal = p;
    const { pEnter, pExit } = this.config;
    let target: number;
    let reason: string;
    if (p > pEnter) {
      target = this.fraction;
      reason = 'enter_long';
      st.side = 1;
    } else if (this.allowShort && p < 1 - pEnter) {
      target = -this.fraction;
      reason = 'enter_short';
      st.side = -1;
    } else if (p < pExit && (st.side > 0 || !this.allowShort)) {
      target = 0;
      reason = 'exit';
      st.side = 0;
    } else if (this.allowShort && st.side < 0 && p > 1 - pExit) {
      target = 0;
      reason = 'cover';
      st.side = 0;
    } else {
      return null;
    }
    return { intentId: `${st.id}-${t}`, series, candleOpenTimeMs: t, referencePriceQuote, targetFraction: target, reason, signal: p - 0.5 };
  }
}
