import { describe, expect, it } from 'vitest';
import { HorizonAveragingPolicy, ThresholdHysteresisPolicy } from '../strategy/index.js';
import { loadConfig } from './config/load-config.js';
import { describePolicy, exposureCapFor, orderManagerConfigFor, policyFor, policyLevelsFor } from './trading-setup.js';

// percentiles 1..99 of a statistic spread from 0.999 to 1.001; deciles whose forward return grows
const calibration = {
  statistic: 'horizon_average' as const,
  fromMs: 0,
  toMs: 1,
  n: 1000,
  quantiles: Array.from({ length: 99 }, (_v, j) => 0.999 + ((j + 1) / 100) * 0.002),
  forwardBars: 3,
  deciles: Array.from({ length: 10 }, (_v, d) => ({ from: 0.999 + d * 0.0002, n: 100, meanForwardReturn: (d - 5) / 1000 })),
};

describe('policies calibrated to the model', () => {
  it('calibrated (default): entry and exit are the configured quantiles of the validation statistic', () => {
    const config = loadConfig({ WICK_ENTRY_QUANTILE: '0.9', WICK_EXIT_QUANTILE: '0.5' });
    const levels = policyLevelsFor(config, calibration)!;
    expect(levels.entry).toBeCloseTo(0.999 + 0.9 * 0.002, 12);
    expect(levels.exit).toBeCloseTo(0.999 + 0.5 * 0.002, 12);
    const policy = policyFor({ target: 'ratio' }, config, calibration);
    expect(policy).toBeInstanceOf(HorizonAveragingPolicy);
    expect((policy as HorizonAveragingPolicy).config.levels).toEqual(levels);
    expect(describePolicy(config, calibration)).toMatch(/calibrated on validation: enter above q0.9/);
  });

  it('fixed thresholds stay as an explicit override, and apply to a model without calibration', () => {
    const fixed = loadConfig({ WICK_THRESHOLDS: 'fixed' });
    expect(policyLevelsFor(fixed, calibration)).toBeNull();
    expect((policyFor({ target: 'ratio' }, fixed, calibration) as HorizonAveragingPolicy).config.levels).toBeUndefined();
    expect(policyLevelsFor(loadConfig({}), undefined)).toBeNull();
    expect(describePolicy(loadConfig({}), undefined)).toMatch(/carries no calibration/);
    expect(policyFor({ target: 'probability' }, fixed)).toBeInstanceOf(ThresholdHysteresisPolicy);
  });

  it('cost-aware entry: raised to the first decile whose expected move pays 2 × (fee + slippage), or never', () => {
    // round trip 2 × (10 + 5) bp = 0.003: deciles with mean forward return 0.004 and up (d ≥ 9) pay it
    const aware = loadConfig({ WICK_COST_AWARE: 'true', WICK_ENTRY_QUANTILE: '0.6' });
    expect(policyLevelsFor(aware, calibration)!.entry).toBeCloseTo(0.999 + 9 * 0.0002, 12);
    const dear = loadConfig({ WICK_COST_AWARE: 'true', WICK_FEE_BPS: '30' });
    expect(policyLevelsFor(dear, calibration)!.entry).toBe(Number.POSITIVE_INFINITY);
  });

  it('rejects an exit quantile at or above the entry quantile with a clear message', () => {
    expect(() => loadConfig({ WICK_ENTRY_QUANTILE: '0.5', WICK_EXIT_QUANTILE: '0.6' })).toThrow(
      /WICK_EXIT_QUANTILE = 0.6 must be below WICK_ENTRY_QUANTILE = 0.5/,
    );
  });

  it('vol-target sizing from the configuration; the exposure cap across markets', () => {
    const config = loadConfig({ WICK_SIZING: 'vol_target', WICK_TARGET_ANNUAL_VOL: '0.3' });
    expect(orderManagerConfigFor(config, 'a').sizing?.mode).toEqual({ kind: 'annual_volatility_target', targetAnnualVol: 0.3, barsPerYear: 8760 });
    expect(exposureCapFor(loadConfig({}), 3)).toBeCloseTo(0.75, 12);
    expect(exposureCapFor(loadConfig({ WICK_MAX_TOTAL_EXPOSURE: '0.5' }), 3)).toBe(0.5);
  });
});
