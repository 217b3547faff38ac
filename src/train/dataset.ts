import type { Candle } from '../core/candle.js';
import { DataError } from '../core/errors.js';
import { computeFeatures, fitNormalisation, normaliseInto, type FeatureSpec, type Normalisation } from '../features/index.js';
import { buildWindowEnds, chronologicalSplit, gatherWindows } from './windows.js';
import type { WindowSet } from './train.js';

/**
 * Turns candle series into training windows, with the data discipline of the design:
 * - features come from the same streaming engine the daemon runs (computeFeatures);
 * - windows never cross a gap in the candles (the engine resets there; targets stay in-segment);
 * - splits are chronological: test = windows whose every row (features and targets) lies at or after
 *   `testFromMs`; everything before is split into train and a validation tail; a purge gap of
 *   window + horizon candles separates train from validation and validation from test;
 * - normalisation statistics are fitted on the training rows only, pooled over all series.
 */
export interface SeriesInput {
  readonly name: string;
  readonly candles: readonly Candle[];
}

export type TargetKind = 'ratio' | 'direction';

export interface DatasetOptions {
  readonly spec: FeatureSpec;
  readonly timeframeMs: number;
  readonly window: number;
  /** ratio: K next one-step close ratios. direction: one output, P(close[t+h] > close[t]). */
  readonly target: TargetKind;
  readonly horizons: number;
  /** First open time of the test period; null = no test split. */
  readonly testFromMs: number | null;
  /** Candles at or after this are ignored (held back entirely). */
  readonly toMs?: number;
  /** Candles before this are ignored. */
  readonly fromMs?: number;
  /** Fraction of the pre-test windows (the latest ones) used for validation. */
  readonly valFraction: number;
}

export interface DatasetSplits {
  readonly trainToMs: number;
  readonly validationFromMs: number;
  readonly validationToMs: number;
  readonly testFromMs: number | null;
  readonly testToMs: number | null;
  readonly purgeCandles: number;
}

export interface Dataset {
  readonly train: WindowSet;
  readonly val: WindowSet;
  readonly test: WindowSet | null;
  readonly normalisation: Normalisation;
  /** ratio targets are (ratio − 1) × targetScale; 1 for direction targets. */
  readonly targetScale: number;
  /** Outputs of the network: K for ratio, 1 for direction. */
  readonly outputs: number;
  readonly splits: DatasetSplits;
  readonly series: readonly { readonly name: string; readonly fromMs: number; readonly toMs: number; readonly rows: number }[];
}

interface Prepared {
  readonly name: string;
  readonly candles: readonly Candle[];
  readonly raw: Float64Array;
  readonly ready: Uint8Array;
  readonly pre: { train: Int32Array; val: Int32Array };
  readonly test: Int32Array;
}

export function buildDataset(inputs: readonly SeriesInput[], options: DatasetOptions): Dataset {
  const { spec, timeframeMs, window, horizons } = options;
  const F = spec.features.length;
  const horizon = horizons;
  const purge = window + horizon;
  const prepared: Prepared[] = [];

  for (const input of inputs) {
    const candles = input.candles.filter(
      (c) => (options.fromMs === undefined || c.openTimeMs >= options.fromMs) && (options.toMs === undefined || c.openTimeMs < options.toMs),
    );
    if (candles.length < window + horizon + 1) {
      throw new DataError(`${input.name}: only ${candles.length} candles in the selected range; need more than window + horizon = ${window + horizon}`);
    }
    const { raw, ready } = computeFeatures(candles, spec, timeframeMs);
    const segment = new Int32Array(candles.length);
    for (let i = 1; i < candles.length; i++) {
      segment[i] = segment[i - 1]! + (candles[i]!.openTimeMs - candles[i - 1]!.openTimeMs === timeframeMs ? 0 : 1);
    }
    const ends = buildWindowEnds({ ready, segment, window, horizon });
    let testStartRow = candles.length;
    if (options.testFromMs !== null) {
      const idx = candles.findIndex((c) => c.openTimeMs >= (options.testFromMs as number));
      testStartRow = idx === -1 ? candles.length : idx;
    }
    const preEnds = ends.filter((e) => e + horizon < testStartRow - purge);
    const testEnds = ends.filter((e) => e - window + 1 >= testStartRow);
    const pre = chronologicalSplit(preEnds, { window, horizon, trainFraction: 1 - options.valFraction, valFraction: options.valFraction });
    // chronologicalSplit keeps validation windows from overlapping training rows; the design asks for
    // more: a gap of window + horizon candles between the last training target and the first
    // validation feature row.
    const lastTrainTarget = (pre.train[pre.train.length - 1] ?? -Infinity) + horizon;
    const val = pre.val.filter((e) => e - window + 1 - lastTrainTarget > purge);
    prepared.push({ name: input.name, candles, raw, ready, pre: { train: pre.train, val }, test: testEnds });
  }

  // Normalisation: training rows only (rows up to the last training window's end), pooled.
  let trainRowCount = 0;
  for (const p of prepared) {
    const last = p.pre.train[p.pre.train.length - 1];
    if (last === undefined) continue;
    for (let r = 0; r <= last; r++) if (p.ready[r] === 1) trainRowCount++;
  }
  if (trainRowCount === 0) throw new DataError('no training windows: the data is too short for this window, horizon and split');
  const pooledRaw = new Float64Array(trainRowCount * F);
  let w = 0;
  for (const p of prepared) {
    const last = p.pre.train[p.pre.train.length - 1];
    if (last === undefined) continue;
    for (let r = 0; r <= last; r++) {
      if (p.ready[r] !== 1) continue;
      pooledRaw.set(p.raw.subarray(r * F, r * F + F), w * F);
      w++;
    }
  }
  const normalisation = fitNormalisation(
    pooledRaw,
    new Uint8Array(trainRowCount).fill(1),
    F,
    0,
    trainRowCount,
    spec.features.map((f) => f.id),
  );

  // Target scale: 1 / σ of one-step returns over the training rows, so targets have unit variance.
  let targetScale = 1;
  if (options.target === 'ratio') {
    let sum = 0;
    let sumSq = 0;
    let n = 0;
    for (const p of prepared) {
      const last = p.pre.train[p.pre.train.length - 1];
      if (last === undefined) continue;
      for (let r = 1; r <= last + horizon; r++) {
        if (p.candles[r]!.openTimeMs - p.candles[r - 1]!.openTimeMs !== timeframeMs) continue;
        const ret = p.candles[r]!.close / p.candles[r - 1]!.close - 1;
        sum += ret;
        sumSq += ret * ret;
        n++;
      }
    }
    const std = Math.sqrt(Math.max(sumSq / n - (sum / n) ** 2, 1e-12));
    targetScale = 1 / std;
  }
  const outputs = options.target === 'ratio' ? horizons : 1;

  const gather = (pick: (p: Prepared) => Int32Array): WindowSet => {
    const parts = prepared.map((p) => {
      const ends = pick(p);
      const rows = p.candles.length;
      const norm = new Float32Array(rows * F);
      for (let r = 0; r < rows; r++) if (p.ready[r] === 1) normaliseInto(norm, r * F, p.raw, r * F, normalisation);
      const targets = new Float32Array(rows * outputs);
      for (const e of ends) {
        const c = p.candles;
        if (options.target === 'ratio') {
          for (let k = 0; k < outputs; k++) targets[e * outputs + k] = (c[e + k + 1]!.close / c[e + k]!.close - 1) * targetScale;
        } else {
          targets[e] = c[e + horizon]!.close > c[e]!.close ? 1 : 0;
        }
      }
      return gatherWindows(norm, F, targets, outputs, ends, window);
    });
    const n = parts.reduce((s, part) => s + part.n, 0);
    const x = new Float32Array(n * window * F);
    const y = new Float32Array(n * outputs);
    let off = 0;
    for (const part of parts) {
      x.set(part.x, off * window * F);
      y.set(part.y, off * outputs);
      off += part.n;
    }
    return { x, y, n };
  };

  const train = gather((p) => p.pre.train);
  const val = gather((p) => p.pre.val);
  const test = options.testFromMs === null ? null : gather((p) => p.test);
  if (val.n === 0) throw new DataError('no validation windows: use more data or a larger validation fraction');

  const timeOf = (p: Prepared, row: number | undefined): number | undefined => (row === undefined ? undefined : p.candles[row]?.openTimeMs);
  const maxOf = (values: (number | undefined)[]): number => Math.max(...values.filter((v): v is number => v !== undefined));
  const minOf = (values: (number | undefined)[]): number => Math.min(...values.filter((v): v is number => v !== undefined));
  const splits: DatasetSplits = {
    trainToMs: maxOf(prepared.map((p) => timeOf(p, (p.pre.train[p.pre.train.length - 1] ?? -1) + horizon))),
    validationFromMs: minOf(prepared.map((p) => timeOf(p, p.pre.val.length > 0 ? (p.pre.val[0] as number) - window + 1 : undefined))),
    validationToMs: maxOf(prepared.map((p) => timeOf(p, p.pre.val.length > 0 ? (p.pre.val[p.pre.val.length - 1] as number) + horizon : undefined))),
    testFromMs: options.testFromMs,
    testToMs:
      test === null || test.n === 0
        ? null
        : maxOf(prepared.map((p) => timeOf(p, p.test.length > 0 ? (p.test[p.test.length - 1] as number) + horizon : undefined))),
    purgeCandles: purge,
  };
  return {
    train,
    val,
    test,
    normalisation,
    targetScale,
    outputs,
    splits,
    series: prepared.map((p) => ({
      name: p.name,
      fromMs: p.candles[0]!.openTimeMs,
      toMs: p.candles[p.candles.length - 1]!.openTimeMs,
      rows: p.candles.length,
    })),
  };
}
