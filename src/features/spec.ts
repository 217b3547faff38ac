import { createHash } from 'node:crypto';
import { ConfigError } from '../core/errors.js';

/** One feature: `id` is its column name, `kind` picks the indicator, `params` configure it. */
export interface FeatureDef {
  readonly id: string;
  readonly kind: string;
  readonly params: Readonly<Record<string, number>>;
}

/** An ordered list of features: the order is the column order of every feature vector. */
export interface FeatureSpec {
  readonly name: string;
  readonly features: readonly FeatureDef[];
}

/**
 * Bumped whenever the arithmetic behind any kind changes (seeding, σ definition, ...), so a model
 * trained on the old definitions no longer matches a spec hash computed by new code.
 */
export const FEATURE_DEFINITIONS_VERSION = 1;

const MACD = { fast: 12, slow: 26, signal: 9 } as const;

function def(id: string, kind: string, params: Record<string, number> = {}): FeatureDef {
  return Object.freeze({ id, kind, params: Object.freeze({ ...params }) });
}

function spec(name: string, features: FeatureDef[]): FeatureSpec {
  return Object.freeze({ name, features: Object.freeze(features) });
}

/**
 * The default feature set, RAW values: MACD and ATR are in price units, which is what a human
 * reading `wick features` output expects. For a model use SCALE_FREE_SPEC (below).
 */
export const DEFAULT_SPEC: FeatureSpec = spec('default', [
  def('ratio', 'ratio'),
  def('logret', 'logret'),
  def('rsi_14', 'rsi', { period: 14 }),
  def('macd', 'macd', MACD),
  def('macd_signal', 'macd_signal', MACD),
  def('macd_hist', 'macd_hist', MACD),
  def('atr_14', 'atr', { period: 14 }),
  def('bb_pctb_20', 'bb_pctb', { period: 20, k: 2 }),
  def('bb_width_20', 'bb_width', { period: 20, k: 2 }),
  def('vol_20', 'vol', { period: 20 }),
  def('volz_20', 'volz', { period: 20 }),
]);

/**
 * The default set with every price-unit feature divided by the close (`*_rel` kinds), so each
 * input has the same scale at 4k and at 60k: this is the spec to train models on. Same order and
 * warm-up as DEFAULT_SPEC; z-score normalisation then only has to centre and scale.
 */
export const SCALE_FREE_SPEC: FeatureSpec = spec('scale-free', [
  def('ratio', 'ratio'),
  def('logret', 'logret'),
  def('rsi_14', 'rsi', { period: 14 }),
  def('macd_rel', 'macd_rel', MACD),
  def('macd_signal_rel', 'macd_signal_rel', MACD),
  def('macd_hist_rel', 'macd_hist_rel', MACD),
  def('atr_rel_14', 'atr_rel', { period: 14 }),
  def('bb_pctb_20', 'bb_pctb', { period: 20, k: 2 }),
  def('bb_width_20', 'bb_width', { period: 20, k: 2 }),
  def('vol_20', 'vol', { period: 20 }),
  def('volz_20', 'volz', { period: 20 }),
]);

/** Four features for the worked example on daily ETH candles. */
export const WORKED_EXAMPLE_SPEC: FeatureSpec = spec('worked-example', [
  def('ratio', 'ratio'),
  def('rsi_14', 'rsi', { period: 14 }),
  def('macd', 'macd', MACD),
  def('macd_signal', 'macd_signal', MACD),
]);

const SPECS: ReadonlyMap<string, FeatureSpec> = new Map([DEFAULT_SPEC, SCALE_FREE_SPEC, WORKED_EXAMPLE_SPEC].map((s) => [s.name, s]));

export const SPEC_NAMES: readonly string[] = Object.freeze([...SPECS.keys()]);

/** A named spec; throws ConfigError naming the known ones. */
export function getSpec(name: string): FeatureSpec {
  const found = SPECS.get(name);
  if (!found) throw new ConfigError(`unknown feature spec "${name}"; known specs: ${SPEC_NAMES.join(', ')}`);
  return found;
}

/**
 * sha256 (hex) of the canonical JSON of what the spec computes: the definitions version and the
 * ordered features with their params (keys sorted). The spec's `name` is left out on purpose: two
 * specs that compute the same columns are interchangeable for a model, whatever they are called.
 */
export function specHash(s: FeatureSpec): string {
  const canonical = {
    version: FEATURE_DEFINITIONS_VERSION,
    features: s.features.map((f) => ({ id: f.id, kind: f.kind, params: sortedParams(f.params) })),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

function sortedParams(params: Readonly<Record<string, number>>): [string, number][] {
  return Object.keys(params)
    .sort()
    .map((k) => [k, params[k]!]);
}
