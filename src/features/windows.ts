import { InvariantError } from '../core/errors.js';
import type { ComputedFeatures } from './compute.js';
import type { Normalisation } from './normalisation.js';
import { normaliseInto } from './normalisation.js';

/**
 * Writes the (T, F) normalised window ending at `endRow` into out[outOffset ...], oldest row
 * first: exactly what FeatureBuilder.window() holds after that row's candle. Throws when the
 * window is not valid (readyRun[endRow] < T: warming up or spanning a gap).
 */
export function writeWindow(out: Float32Array, outOffset: number, features: ComputedFeatures, endRow: number, windowLength: number, norm: Normalisation): void {
  const run = features.readyRun[endRow];
  if (run === undefined || run < windowLength) throw new InvariantError(`no valid window of ${windowLength} rows ends at row ${endRow}`);
  const F = features.featureCount;
  const first = endRow - windowLength + 1;
  for (let t = 0; t < windowLength; t++) normaliseInto(out, outOffset + t * F, features.raw, (first + t) * F, norm);
}
