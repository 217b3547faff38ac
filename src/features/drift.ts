/**
 * Input-drift measures on normalised feature windows (z-scores against the training split).
 * The score of a window is the root mean square of its values: about 1 for a window drawn from
 * the training distribution, growing as the inputs move away from it (a regime the model never
 * saw). It is calibrated on the validation split: the threshold is a high quantile of the
 * validation windows' scores times a margin, so in-distribution data rarely crosses it.
 */

/** sqrt(mean(x²)) over a (T, F) normalised window. */
export function windowDriftScore(window: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < window.length; i++) {
    const v = window[i]!;
    sum += v * v;
  }
  return window.length === 0 ? 0 : Math.sqrt(sum / window.length);
}

/** The q-quantile (linear interpolation between order statistics) of finite values. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Array.from(values)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (sorted.length === 0) throw new RangeError('quantile of no finite values');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile q must be in [0, 1], got ${q}`);
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Mean and population σ of each column of a (n, K) row-major array. */
export function columnStats(values: ArrayLike<number>, columns: number): { mean: number[]; std: number[] } {
  const n = Math.floor(values.length / columns);
  const mean = new Array<number>(columns).fill(0);
  const m2 = new Array<number>(columns).fill(0);
  for (let i = 0; i < n; i++) for (let k = 0; k < columns; k++) mean[k]! += values[i * columns + k]! / n;
  for (let i = 0; i < n; i++)
    for (let k = 0; k < columns; k++) {
      const d = values[i * columns + k]! - mean[k]!;
      m2[k]! += d * d;
    }
  return { mean, std: m2.map((v) => Math.sqrt(v / Math.max(n, 1))) };
}

/**
 * Prediction-distribution drift: an exponentially weighted mean of each horizon's live
 * predictions, expressed in validation-σ units away from the validation mean. 0 = live
 * predictions centred where validation's were; |value| of several means the model now predicts
 * in a range it did not produce on validation data.
 */
export class PredictionDrift {
  private readonly ewma: number[];
  private seen = 0;

  constructor(
    private readonly mean: readonly number[],
    private readonly std: readonly number[],
    /** Weight of the newest prediction (2 / (span + 1)). */
    private readonly alpha = 2 / (48 + 1),
  ) {
    this.ewma = [...mean];
  }

  /** Feeds one prediction (one value per horizon); returns the drift per horizon. */
  update(values: readonly number[]): number[] {
    this.seen++;
    // The first predictions weigh more so the average reflects live data quickly.
    const a = Math.max(this.alpha, 1 / this.seen);
    return this.ewma.map((prev, k) => {
      const next = prev + a * ((values[k] ?? prev) - prev);
      this.ewma[k] = next;
      const s = this.std[k]!;
      return s > 0 ? (next - this.mean[k]!) / s : 0;
    });
  }
}

export interface DriftCalibrationValues {
  readonly method: 'window-z-rms';
  readonly quantile: number;
  readonly margin: number;
  readonly threshold: number;
  readonly validationWindows: number;
  readonly predictionMean: number[];
  readonly predictionStd: number[];
}

export const DEFAULT_DRIFT_QUANTILE = 0.99;
export const DEFAULT_DRIFT_MARGIN = 1.25;

/**
 * Calibrates the guard on validation windows (n, T, F) and the model's predictions on them (n, K):
 * threshold = quantile(scores, q) × margin.
 */
export function calibrateDrift(
  windows: Float32Array,
  n: number,
  windowSize: number,
  predictions: ArrayLike<number>,
  outputs: number,
  options: { readonly quantile?: number; readonly margin?: number } = {},
): DriftCalibrationValues {
  if (n < 1) throw new RangeError('drift calibration needs at least one validation window');
  const q = options.quantile ?? DEFAULT_DRIFT_QUANTILE;
  const margin = options.margin ?? DEFAULT_DRIFT_MARGIN;
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) scores[i] = windowDriftScore(windows.subarray(i * windowSize, (i + 1) * windowSize));
  const { mean, std } = columnStats(predictions, outputs);
  return {
    method: 'window-z-rms',
    quantile: q,
    margin,
    threshold: quantile(scores, q) * margin,
    validationWindows: n,
    predictionMean: mean,
    predictionStd: std,
  };
}
