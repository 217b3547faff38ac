import type { Candle } from '../core/candle.js';
import { FeatureEngine } from './engine.js';
import type { FeatureSpec } from './spec.js';

export interface ComputedFeatures {
  readonly featureCount: number;
  readonly ids: readonly string[];
  /** (N, F) row-major raw values; NaN where a feature is still warming up. */
  readonly raw: Float64Array;
  /** (N) 1 where every feature of the row is ready. */
  readonly ready: Uint8Array;
  /**
   * (N) consecutive ready rows ending at this row with no gap between them (0 when not ready).
   * A window of T rows ending at row i is valid exactly when readyRun[i] >= T: the same rule
   * FeatureBuilder applies live.
   */
  readonly readyRun: Uint32Array;
}

/**
 * Features for a whole candle array: the streaming FeatureEngine run over it, candle by candle
 * (deliberately not a second, vectorised implementation that could drift from the live one).
 */
export function computeFeatures(candles: readonly Candle[], spec: FeatureSpec, timeframeMs: number): ComputedFeatures {
  const engine = new FeatureEngine(spec, timeframeMs);
  const F = engine.featureCount;
  const N = candles.length;
  const raw = new Float64Array(N * F);
  const ready = new Uint8Array(N);
  const readyRun = new Uint32Array(N);
  const values = engine.values();
  let run = 0;
  for (let i = 0; i < N; i++) {
    const ok = engine.update(candles[i]!);
    raw.set(values, i * F);
    if (engine.candlesSinceReset === 1) run = 0;
    if (ok) {
      ready[i] = 1;
      run++;
    } else {
      run = 0;
    }
    readyRun[i] = run;
  }
  return { featureCount: F, ids: engine.ids, raw, ready, readyRun };
}
