import { InvariantError } from '../core/errors.js';

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
 * A feature with σ = 0 in the split gets σ = 1 (it is then only centred). Throws when the range
 * holds no ready row.
 */
export function fitNormalisation(raw: Float64Array, ready: Uint8Array, featureCount: number, rowFrom: number, rowTo: number): Normalisation {
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
  const std = Array.from(m2, (v) => {
    const s = Math.sqrt(v / count);
    return s > 0 && Number.isFinite(s) ? s : 1;
  });
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
