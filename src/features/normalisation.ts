import { DataError, InvariantError } from '../core/errors.js';

/**
 * Per-feature z-score statistics, fitted on the training split only (and stored in the model
 * manifest). `clip` bounds normalised values to ±clip σ; absent means DEFAULT_CLIP_SIGMA.
 */
export interface Normalisation {
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly clip?: number;
}

/**
 * ±5σ: crash candles (2020-03-12, the ETH 2017-08-22 print) give volume z-scores and returns of
 * 20σ+ that would dominate a model's inputs; 5σ keeps them clearly extreme but bounded.
 */
export const DEFAULT_CLIP_SIGMA = 5;

/**
 * Mean and population σ per feature over the ready rows in [rowFrom, rowTo) of raw (N, F).
 * Throws when the range holds no ready row, and a DataError naming the feature (`featureNames[f]`,
 * else its index) when a statistic is not finite (an absurd input value overflowed it) or σ is
 * degenerate (zero, or below 1e-12 of the mean's size: a constant feature the model cannot learn
 * from, whose z-scores would be noise). A model is never shipped with such statistics.
 */
export function fitNormalisation(
  raw: Float64Array,
  ready: Uint8Array,
  featureCount: number,
  rowFrom: number,
  rowTo: number,
  featureNames?: readonly string[],
): Normalisation {
  const F = featureCount;
  const mean = new Float64Array(F);
  const m2 = new Float64Array(F);
  let count = 0;
  for (let r = rowFrom; r < rowTo; r++) {
    if (ready[r] !== 1) continue;
    count++;
    for (let f = 0; f < F; f++) mean[f]! += raw[r * F + f]!;
  }
  if (count === 0) throw new InvariantError(`fitNormalisation: no ready rows in [${rowFrom}, ${rowTo})`);
  for (let f = 0; f < F; f++) mean[f] = mean[f]! / count;
  // Second pass over deviations: exact enough even for price-scale features.
  for (let r = rowFrom; r < rowTo; r++) {
    if (ready[r] !== 1) continue;
    for (let f = 0; f < F; f++) {
      const d = raw[r * F + f]! - mean[f]!;
      m2[f]! += d * d;
    }
  }
  const std = Array.from(m2, (v) => Math.sqrt(v / count));
  for (let f = 0; f < F; f++) {
    const name = featureNames?.[f] ?? `#${f}`;
    const m = mean[f]!;
    const s = std[f]!;
    const range = `over ${count} training rows`;
    if (!Number.isFinite(m) || !Number.isFinite(s)) {
      throw new DataError(
        `normalisation of feature "${name}" is not finite (mean ${m}, σ ${s}) ${range}: the training data holds an absurd value; check the candle files (wick features --data FILE shows the values)`,
      );
    }
    if (!(s > 1e-12 * Math.max(1, Math.abs(m)))) {
      throw new DataError(
        `normalisation of feature "${name}" is degenerate (σ ${s}, mean ${m}) ${range}: the feature is constant in the training split; use more or other data, or a feature spec without it`,
      );
    }
  }
  return { mean: Array.from(mean), std, clip: DEFAULT_CLIP_SIGMA };
}

/** out[offset + f] = clip((raw[rawOffset + f] - mean[f]) / std[f]) for every feature f. */
export function normaliseInto(out: Float32Array, offset: number, raw: Float64Array, rawOffset: number, norm: Normalisation): void {
  const { mean, std } = norm;
  const clip = norm.clip ?? DEFAULT_CLIP_SIGMA;
  const F = mean.length;
  for (let f = 0; f < F; f++) {
    let z = (raw[rawOffset + f]! - mean[f]!) / std[f]!;
    if (z > clip) z = clip;
    else if (z < -clip) z = -clip;
    out[offset + f] = z;
  }
}
