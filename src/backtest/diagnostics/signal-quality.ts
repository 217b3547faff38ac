import type { Candle } from '../../core/index.js';
import { meanOf, pearson, spearman } from './stats.js';

/** What a model's predictions are: next-step close ratios per horizon, or P(close[t+h] > close[t]). */
export type PredictionKind = 'ratio' | 'probability';

/**
 * The realised outcome each prediction value is about, (N, K) row-major, NaN where the data does
 * not reach (the end of the series, or a missing candle in between):
 * - ratio models: value k forecasts the one-step return h = horizons[k] steps ahead,
 *   close[i+h] / close[i+h−1] − 1;
 * - probability models: value k is P(close[i+h] > close[i]), so the outcome is close[i+h] / close[i] − 1.
 * Candle i+h must be exactly h timeframes after candle i (no gap), else NaN.
 */
export function realisedReturns(candles: readonly Candle[], horizons: readonly number[], kind: PredictionKind, tfMs: number): Float64Array {
  const K = horizons.length;
  const out = new Float64Array(candles.length * K).fill(Number.NaN);
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i] as Candle;
    for (let k = 0; k < K; k++) {
      const h = horizons[k] as number;
      const later = candles[i + h];
      if (later === undefined || later.openTimeMs !== c.openTimeMs + h * tfMs) continue;
      const base = kind === 'ratio' ? (candles[i + h - 1] as Candle).close : c.close;
      out[i * K + k] = later.close / base - 1;
    }
  }
  return out;
}

/** The prediction as a signal: ratio − 1 (an expected return) or the probability itself. */
export function signalOf(value: number, kind: PredictionKind): number {
  return kind === 'ratio' ? value - 1 : value;
}

export interface HorizonIc {
  readonly horizon: number;
  /** Finite (prediction, outcome) pairs. */
  readonly n: number;
  readonly pearson: number | null;
  readonly rank: number | null;
}

export interface DecileRow {
  /** 1 = lowest predictions, 10 = highest. */
  readonly decile: number;
  readonly n: number;
  readonly meanSignal: number | null;
  readonly meanRealised: number | null;
  /** Share of outcomes on the predicted side (ratio: sign of the prediction; probability: p > 0.5 means up). */
  readonly hitRate: number | null;
}

export interface CalibrationRow {
  readonly fromP: number;
  readonly toP: number;
  readonly n: number;
  readonly meanP: number | null;
  /** Share of outcomes that went up. */
  readonly observedUp: number | null;
}

export interface SignalQuality {
  readonly kind: PredictionKind;
  readonly ic: readonly HorizonIc[];
  /** Deciles of the first horizon's predictions. */
  readonly deciles: readonly DecileRow[];
  /** Probability models only: outcomes by predicted-probability bin (tenths). */
  readonly calibration: readonly CalibrationRow[] | null;
}

function column(values: ArrayLike<number>, K: number, k: number, rows: ArrayLike<number> | null): Float64Array {
  const n = rows === null ? Math.floor(values.length / K) : rows.length;
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) out[j] = values[(rows === null ? j : (rows[j] as number)) * K + k] as number;
  return out;
}

function hit(signal: number, realised: number, kind: PredictionKind): boolean {
  return kind === 'ratio' ? (signal > 0 && realised > 0) || (signal < 0 && realised < 0) : signal > 0.5 === realised > 0;
}

/** Deciles by prediction rank (equal counts; ties split by order), over the finite pairs. */
export function decileTable(signal: ArrayLike<number>, realised: ArrayLike<number>, kind: PredictionKind, buckets = 10): DecileRow[] {
  const idx: number[] = [];
  for (let i = 0; i < signal.length; i++) if (Number.isFinite(signal[i]) && Number.isFinite(realised[i])) idx.push(i);
  idx.sort((a, b) => (signal[a] as number) - (signal[b] as number) || a - b);
  const rows: DecileRow[] = [];
  for (let d = 0; d < buckets; d++) {
    const part = idx.slice(Math.floor((d * idx.length) / buckets), Math.floor(((d + 1) * idx.length) / buckets));
    const s = part.map((i) => signal[i] as number);
    const r = part.map((i) => realised[i] as number);
    rows.push({
      decile: d + 1,
      n: part.length,
      meanSignal: meanOf(s),
      meanRealised: meanOf(r),
      hitRate: part.length > 0 ? part.filter((i) => hit(signal[i] as number, realised[i] as number, kind)).length / part.length : null,
    });
  }
  return rows;
}

/** Outcomes by predicted-probability bin [b/bins, (b+1)/bins), the last bin closed at 1. */
export function calibrationTable(p: ArrayLike<number>, realised: ArrayLike<number>, bins = 10): CalibrationRow[] {
  const rows: { n: number; sumP: number; up: number }[] = Array.from({ length: bins }, () => ({ n: 0, sumP: 0, up: 0 }));
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] as number;
    const ri = realised[i] as number;
    if (!Number.isFinite(pi) || !Number.isFinite(ri)) continue;
    const row = rows[Math.min(bins - 1, Math.max(0, Math.floor(pi * bins)))] as { n: number; sumP: number; up: number };
    row.n++;
    row.sumP += pi;
    if (ri > 0) row.up++;
  }
  return rows.map((r, b) => ({ fromP: b / bins, toP: (b + 1) / bins, n: r.n, meanP: r.n > 0 ? r.sumP / r.n : null, observedUp: r.n > 0 ? r.up / r.n : null }));
}

/**
 * Information coefficients (Pearson and Spearman) per horizon, the decile table of the first
 * horizon and, for probability models, the calibration table. `rows` limits the evaluation to those
 * row indices (e.g. the traded period); null = every row.
 */
export function signalQuality(
  predictions: ArrayLike<number>,
  realised: ArrayLike<number>,
  horizons: readonly number[],
  kind: PredictionKind,
  rows: ArrayLike<number> | null = null,
): SignalQuality {
  const K = horizons.length;
  if (predictions.length !== realised.length) throw new RangeError(`predictions (${predictions.length}) and outcomes (${realised.length}) differ in length`);
  const ic: HorizonIc[] = [];
  let firstSignal: Float64Array = new Float64Array(0);
  let firstRealised: Float64Array = new Float64Array(0);
  for (let k = 0; k < K; k++) {
    const s = column(predictions, K, k, rows).map((v) => signalOf(v, kind));
    const r = column(realised, K, k, rows);
    let n = 0;
    for (let i = 0; i < s.length; i++) if (Number.isFinite(s[i]) && Number.isFinite(r[i])) n++;
    ic.push({ horizon: horizons[k] as number, n, pearson: pearson(s, r), rank: spearman(s, r) });
    if (k === 0) {
      firstSignal = s;
      firstRealised = r;
    }
  }
  return {
    kind,
    ic,
    deciles: decileTable(firstSignal, firstRealised, kind),
    calibration: kind === 'probability' ? calibrationTable(firstSignal, firstRealised) : null,
  };
}
