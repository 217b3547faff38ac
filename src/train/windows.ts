/**
 * Window indexing for training data built from a per-row feature table (rows in time order).
 * A window is identified by its END row e: it covers feature rows e−window+1 … e and its targets
 * look at rows e+1 … e+horizon. Windows never cross a data gap (segment change) or include a row
 * whose features are not ready (indicator warm-up), and train/validation/test are separated by a
 * purge gap so no window of a later split overlaps the rows (features or targets) of an earlier one.
 */
export interface WindowIndexInput {
  /** Per row: features are valid (warm-up finished, no NaN). */
  readonly ready: ArrayLike<boolean | number>;
  /** Per row: id of the contiguous data segment; a gap in the candles starts a new id. */
  readonly segment: ArrayLike<number>;
  readonly window: number;
  /** Furthest target offset: targets of window e read rows up to e + horizon. */
  readonly horizon: number;
}

/** End rows (ascending) of every valid window. */
export function buildWindowEnds(input: WindowIndexInput): Int32Array {
  const { ready, segment, window, horizon } = input;
  const rows = ready.length;
  if (segment.length !== rows) throw new RangeError('buildWindowEnds: ready and segment lengths differ');
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, got ${window}`);
  if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`horizon must be a positive integer, got ${horizon}`);
  // Run lengths ending at each row: consecutive ready rows within one segment.
  const readyRun = new Int32Array(rows);
  // Last row of the segment each row belongs to (targets must stay inside it).
  const segEnd = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const same = r > 0 && segment[r] === segment[r - 1];
    readyRun[r] = ready[r] ? (same ? readyRun[r - 1]! : 0) + 1 : 0;
  }
  for (let r = rows - 1; r >= 0; r--) segEnd[r] = r + 1 < rows && segment[r + 1] === segment[r] ? segEnd[r + 1]! : r;
  const ends: number[] = [];
  for (let e = window - 1; e + horizon < rows; e++) {
    if (readyRun[e]! >= window && segEnd[e]! >= e + horizon) ends.push(e);
  }
  return Int32Array.from(ends);
}

export interface SplitOptions {
  readonly window: number;
  readonly horizon: number;
  /** Fractions of the valid windows for train and validation; the rest (after purges) is test. */
  readonly trainFraction: number;
  readonly valFraction: number;
}

export interface WindowSplit {
  readonly train: Int32Array;
  readonly val: Int32Array;
  readonly test: Int32Array;
}

/**
 * Chronological split of window ends with a purge gap of window + horizon rows between splits:
 * the first window of a later split starts after the last target row of the earlier split.
 */
export function chronologicalSplit(ends: Int32Array, options: SplitOptions): WindowSplit {
  const { window, horizon, trainFraction, valFraction } = options;
  if (!(trainFraction > 0 && valFraction >= 0 && trainFraction + valFraction <= 1)) {
    throw new RangeError('chronologicalSplit: need trainFraction > 0, valFraction >= 0, sum <= 1');
  }
  for (let k = 1; k < ends.length; k++) if (ends[k]! <= ends[k - 1]!) throw new RangeError('chronologicalSplit: ends must be strictly ascending');
  const m = ends.length;
  const purge = window + horizon;
  const nTrain = Math.floor(m * trainFraction);
  const nVal = Math.floor(m * valFraction);
  const train = ends.subarray(0, nTrain);
  const firstAfter = (from: number, lastEnd: number | undefined): number => {
    let k = from;
    if (lastEnd === undefined) return k;
    while (k < m && ends[k]! - lastEnd < purge) k++;
    return k;
  };
  const v0 = firstAfter(nTrain, train[train.length - 1]);
  const val = ends.subarray(v0, Math.min(m, v0 + nVal));
  const lastBeforeTest = val.length > 0 ? val[val.length - 1] : train[train.length - 1];
  const t0 = firstAfter(Math.max(v0 + val.length, nTrain), lastBeforeTest);
  return { train: ends.slice(0, nTrain), val: Int32Array.from(val), test: ends.slice(t0) };
}

/**
 * Gathers windows into the training layout: x (n, T, F) from features (rows, F), y (n, K) from
 * targets (rows, K) where targets row e holds the K targets of the window ending at e.
 */
export function gatherWindows(
  features: ArrayLike<number>,
  featureCount: number,
  targets: ArrayLike<number>,
  targetCount: number,
  ends: ArrayLike<number>,
  window: number,
): { x: Float32Array; y: Float32Array; n: number } {
  const n = ends.length;
  const F = featureCount;
  const K = targetCount;
  const x = new Float32Array(n * window * F);
  const y = new Float32Array(n * K);
  for (let i = 0; i < n; i++) {
    const e = ends[i]!;
    const start = e - window + 1;
    if (start < 0 || (e + 1) * F > features.length) throw new RangeError(`gatherWindows: window ending at row ${e} is out of range`);
    for (let k = 0; k < window * F; k++) x[i * window * F + k] = features[start * F + k]!;
    for (let k = 0; k < K; k++) y[i * K + k] = targets[e * K + k]!;
  }
  return { x, y, n };
}
