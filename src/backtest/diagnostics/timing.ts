import { tradeScoredSeries, type BacktestRun, type ScoredSeries, type TradeSetup } from '../engine.js';

/**
 * The same predictions `shift` bars later (shift > 0: each prediction acted on `shift` candles after
 * it was made) or earlier (shift < 0: a placebo that acts on later predictions). Rows without a
 * source become NaN (no prediction). (N, K) row-major in and out.
 */
export function shiftPredictions(predictions: Float64Array, K: number, shift: number): Float64Array {
  if (!Number.isInteger(shift)) throw new RangeError(`shift must be a whole number of bars, got ${shift}`);
  const n = predictions.length / K;
  const out = new Float64Array(predictions.length).fill(Number.NaN);
  if (Math.abs(shift) >= n) return out;
  if (shift >= 0) out.set(predictions.subarray(0, (n - shift) * K), shift * K);
  else out.set(predictions.subarray(-shift * K), 0);
  return out;
}

export interface TimingVariant {
  /** Bars the predictions were moved (0 = the real timing). */
  readonly shift: number;
  readonly sharpe: number | null;
  readonly totalReturn: number | null;
  readonly trades: number;
}

export interface TimingTest {
  /** Variants are ranked by Sharpe ratio (a run with no variation in equity counts as 0). */
  readonly metric: 'sharpe';
  readonly real: TimingVariant;
  readonly shifted: readonly TimingVariant[];
  /** 1 = the real timing beat every shifted variant; ties count against the real timing. */
  readonly rank: number;
  /** Variants ranked: shifted.length + 1. */
  readonly of: number;
  /** rank / of: the chance of a rank this good if the timing carried no information. */
  readonly pValue: number;
}

/** Rank of `real` among itself and `others` (1 = best; ties count against it) and its p-value. */
export function timingRank(real: number, others: readonly number[]): { rank: number; of: number; pValue: number } {
  const rank = 1 + others.filter((x) => x >= real).length;
  const of = others.length + 1;
  return { rank, of, pValue: rank / of };
}

function variantOf(run: BacktestRun, shift: number): TimingVariant {
  return { shift, sharpe: run.metrics.strategy.sharpe, totalReturn: run.metrics.strategy.totalReturn, trades: run.metrics.strategy.trades };
}

/**
 * The timing test: replays the scored series with every prediction shifted by ±1…±maxShift bars
 * through the same trade phase (policy, risk, order manager, fills and costs). A real signal should
 * do better at its own timing than shifted in time; `makeSetup` must build a fresh trade setup
 * (policies keep state) each call. `realRun` is the unshifted run when the caller already has it.
 */
export async function runTimingTest(
  series: readonly ScoredSeries[],
  makeSetup: () => TradeSetup,
  maxShift: number,
  realRun?: BacktestRun,
): Promise<TimingTest> {
  if (!Number.isInteger(maxShift) || maxShift < 1) throw new RangeError(`timing test needs at least one bar of shift, got ${maxShift}`);
  const setup = makeSetup();
  const K = setup.model.horizons.length;
  const real = variantOf(realRun ?? (await tradeScoredSeries(setup, series)), 0);
  const shifted: TimingVariant[] = [];
  for (let m = 1; m <= maxShift; m++) {
    for (const shift of [-m, m]) {
      const moved = series.map((s) => ({ ...s, predictions: shiftPredictions(s.predictions, K, shift) }));
      shifted.push(variantOf(await tradeScoredSeries(makeSetup(), moved), shift));
    }
  }
  const score = (v: TimingVariant): number => v.sharpe ?? 0;
  return { metric: 'sharpe', real, shifted, ...timingRank(score(real), shifted.map(score)) };
}
