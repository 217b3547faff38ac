export type { StreamingIndicator } from './indicator.js';
export type { FeatureDef, FeatureSpec } from './spec.js';
export { DEFAULT_SPEC, SCALE_FREE_SPEC, WORKED_EXAMPLE_SPEC, SPEC_NAMES, FEATURE_DEFINITIONS_VERSION, getSpec, specHash } from './spec.js';
export { FEATURE_KINDS, createIndicator, validateSpec } from './registry.js';
export { FeatureEngine } from './engine.js';
export { computeFeatures, type ComputedFeatures } from './compute.js';
export { DEFAULT_CLIP_SIGMA, fitNormalisation, normaliseInto, type Normalisation } from './normalisation.js';
export { FeatureBuilder } from './builder.js';
export { writeWindow } from './windows.js';
export { atrGauge, KERNEL_ATR_PERIOD } from './atr-gauge.js';
export {
  DEFAULT_DRIFT_MARGIN,
  DEFAULT_DRIFT_QUANTILE,
  PredictionDrift,
  calibrateDrift,
  columnStats,
  quantile,
  windowDriftScore,
  type DriftCalibrationValues,
} from './drift.js';
