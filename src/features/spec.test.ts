import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { validateSpec } from './registry.js';
import type { FeatureSpec } from './spec.js';
import { DEFAULT_SPEC, FEATURE_DEFINITIONS_VERSION, SCALE_FREE_SPEC, SPEC_NAMES, WORKED_EXAMPLE_SPEC, getSpec, specHash } from './spec.js';

describe('named specs', () => {
  it('default lists the 11 raw features in the agreed order', () => {
    expect(DEFAULT_SPEC.features.map((f) => f.id)).toEqual([
      'ratio',
      'logret',
      'rsi_14',
      'macd',
      'macd_signal',
      'macd_hist',
      'atr_14',
      'bb_pctb_20',
      'bb_width_20',
      'vol_20',
      'volz_20',
    ]);
  });

  it('worked-example is ratio, rsi_14, macd, macd_signal', () => {
    expect(getSpec('worked-example').features.map((f) => f.id)).toEqual(['ratio', 'rsi_14', 'macd', 'macd_signal']);
  });

  it('scale-free replaces exactly the price-unit features of default by their *_rel kinds', () => {
    const kinds = (s: FeatureSpec): string[] => s.features.map((f) => f.kind);
    expect(kinds(SCALE_FREE_SPEC)).toEqual(kinds(DEFAULT_SPEC).map((k) => (['macd', 'macd_signal', 'macd_hist', 'atr'].includes(k) ? `${k}_rel` : k)));
    expect(SCALE_FREE_SPEC.features.map((f) => f.params)).toEqual(DEFAULT_SPEC.features.map((f) => f.params));
  });

  it('getSpec finds every named spec and rejects unknown names with the list', () => {
    expect(SPEC_NAMES).toEqual(['default', 'scale-free', 'worked-example']);
    expect(getSpec('default')).toBe(DEFAULT_SPEC);
    expect(getSpec('worked-example')).toBe(WORKED_EXAMPLE_SPEC);
    expect(() => getSpec('nope')).toThrow(ConfigError);
    expect(() => getSpec('nope')).toThrow(/known specs: default, scale-free, worked-example/);
  });

  it('every named spec is valid and frozen', () => {
    for (const name of SPEC_NAMES) {
      const s = getSpec(name);
      expect(() => validateSpec(s)).not.toThrow();
      expect(Object.isFrozen(s.features)).toBe(true);
      expect(Object.isFrozen(s.features[0]!.params)).toBe(true);
    }
  });
});

describe('validateSpec', () => {
  it('rejects empty specs and duplicate ids', () => {
    expect(() => validateSpec({ name: 'e', features: [] })).toThrow(/no features/);
    expect(() => validateSpec({ name: 'd', features: [DEFAULT_SPEC.features[0]!, DEFAULT_SPEC.features[0]!] })).toThrow(/duplicate id "ratio"/);
  });
});

describe('specHash', () => {
  it('is sha256 of canonical JSON: version, then features with params as sorted [key, value] pairs', () => {
    const s: FeatureSpec = { name: 'x', features: [{ id: 'b', kind: 'bb_width', params: { period: 20, k: 2 } }] };
    const canonical = `{"version":${FEATURE_DEFINITIONS_VERSION},"features":[{"id":"b","kind":"bb_width","params":[["k",2],["period",20]]}]}`;
    expect(specHash(s)).toBe(createHash('sha256').update(canonical).digest('hex'));
  });

  it('ignores the name and param key order, and changes with any param, id, kind or order', () => {
    const base = specHash(DEFAULT_SPEC);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    const reordered: FeatureSpec = {
      name: 'other',
      features: DEFAULT_SPEC.features.map((f) => ({ ...f, params: Object.fromEntries(Object.entries(f.params).reverse()) })),
    };
    expect(specHash(reordered)).toBe(base);
    const variants: FeatureSpec[] = [
      { name: 'default', features: DEFAULT_SPEC.features.map((f, i) => (i === 2 ? { ...f, params: { period: 15 } } : f)) },
      { name: 'default', features: DEFAULT_SPEC.features.map((f, i) => (i === 0 ? { ...f, id: 'ratio2' } : f)) },
      { name: 'default', features: DEFAULT_SPEC.features.map((f, i) => (i === 3 ? { ...f, kind: 'macd_rel' } : f)) },
      { name: 'default', features: [...DEFAULT_SPEC.features].reverse() },
    ];
    const hashes = new Set([base, ...variants.map(specHash)]);
    expect(hashes.size).toBe(variants.length + 1);
  });
});
