import { timeframeMs, type Candle, type SignalModelInfo } from '../core/index.js';
import { HorizonAveragingPolicy } from '../strategy/index.js';
import type { ScoredSeries } from './engine.js';
import { quantileSorted } from './metrics.js';

/** What the policy compares with its thresholds, measured on a model's validation predictions. */
export interface PolicyCalibration {
  readonly statistic: 'horizon_average' | 'probability';
  readonly fromMs: number;
  readonly toMs: number;
  readonly n: number;
  /** quantiles[j]: the (j + 1) % quantile (type 7), j = 0..98. */
  readonly quantiles: readonly number[];
  readonly forwardBars: number;
  /** The statistic's deciles, lowest first: lowest value and mean forward return after the decision. */
  readonly deciles: readonly { readonly from: number; readonly n: number; readonly meanForwardReturn: number | null }[];
}

/**
 * The policy statistic of every candle in [fromMs, toMs) with a prediction, beside the forward
 * return close[i + forwardBars] / close[i] − 1 (NaN across a gap or past the data). For ratio
 * models the statistic comes from a HorizonAveragingPolicy itself (its `lastAverage`), so it is
 * exactly what the trading policy will compare.
 */
export function policyStatistics(
  series: readonly ScoredSeries[],
  model: Pick<SignalModelInfo, 'target' | 'horizons' | 'modelId'>,
  fromMs: number,
  toMs: number,
  forwardBars: number,
): { statistic: number[]; forward: number[] } {
  const K = model.horizons.length;
  const statistic: number[] = [];
  const forward: number[] = [];
  for (const s of series) {
    const tfMs = timeframeMs(s.key.timeframe);
    const probe = new HorizonAveragingPolicy({ threshold: 0, scale: 1, cap: 0, levels: { entry: Number.POSITIVE_INFINITY, exit: -Number.MAX_VALUE } });
    s.candles.forEach((c, i) => {
      if (c.openTimeMs >= toMs || Number.isNaN(s.predictions[i * K])) return;
      let value: number;
      if (model.target === 'ratio') {
        probe.decideRow(s.key, c.openTimeMs, model.horizons, s.predictions, i * K, c.close);
        value = probe.lastAverage;
      } else {
        value = s.predictions[i * K] as number;
      }
      if (c.openTimeMs < fromMs || !Number.isFinite(value)) return;
      const later = s.candles[i + forwardBars] as Candle | undefined;
      statistic.push(value);
      forward.push(later !== undefined && later.openTimeMs === c.openTimeMs + forwardBars * tfMs ? later.close / c.close - 1 : Number.NaN);
    });
  }
  return { statistic, forward };
}

/** Fits the calibration on the statistics of a validation period (see policyStatistics). */
export function calibratePolicy(
  series: readonly ScoredSeries[],
  model: Pick<SignalModelInfo, 'target' | 'horizons' | 'modelId'>,
  fromMs: number,
  toMs: number,
  forwardBars: number,
): PolicyCalibration {
  const { statistic, forward } = policyStatistics(series, model, fromMs, toMs, forwardBars);
  if (statistic.length < 100)
    throw new RangeError(`policy calibration needs at least 100 validation predictions, got ${statistic.length}: use a longer validation split`);
  const order = statistic.map((_v, i) => i).sort((a, b) => (statistic[a] as number) - (statistic[b] as number));
  const sorted = order.map((i) => statistic[i] as number);
  const deciles = Array.from({ length: 10 }, (_v, d) => {
    const part = order.slice(Math.floor((d * order.length) / 10), Math.floor(((d + 1) * order.length) / 10));
    const f = part.map((i) => forward[i] as number).filter(Number.isFinite);
    return { from: statistic[part[0] as number] as number, n: part.length, meanForwardReturn: f.length > 0 ? f.reduce((a, b) => a + b, 0) / f.length : null };
  });
  return {
    statistic: model.target === 'ratio' ? 'horizon_average' : 'probability',
    fromMs,
    toMs,
    n: sorted.length,
    quantiles: Array.from({ length: 99 }, (_v, j) => quantileSorted(sorted, (j + 1) / 100)),
    forwardBars,
    deciles,
  };
}

/** The statistic's value at quantile q ∈ [0.01, 0.99], linear between the stored percentiles. */
export function calibratedLevel(calibration: Pick<PolicyCalibration, 'quantiles'>, q: number): number {
  if (!(q >= 0.01 && q <= 0.99)) throw new RangeError(`quantile ${q} outside [0.01, 0.99]`);
  const h = q * 100 - 1;
  const lo = Math.floor(h + 1e-9);
  const hi = Math.min(98, lo + 1);
  const a = calibration.quantiles[lo] as number;
  const b = calibration.quantiles[hi] as number;
  return a + (h - lo) * (b - a);
}

/**
 * Cost-aware entry floor: the lowest statistic value from which every higher decile's mean
 * forward return exceeds `roundTripCost` (a fraction: 2 × (fee + slippage)); Infinity when no
 * decile does, i.e. the calibrated expected move never pays the costs.
 */
export function costAwareEntryFloor(calibration: Pick<PolicyCalibration, 'deciles'>, roundTripCost: number): number {
  let floor = Number.POSITIVE_INFINITY;
  for (let d = calibration.deciles.length - 1; d >= 0; d--) {
    const row = calibration.deciles[d] as PolicyCalibration['deciles'][number];
    if (row.meanForwardReturn === null || !(row.meanForwardReturn > roundTripCost)) break;
    floor = row.from;
  }
  return floor;
}
