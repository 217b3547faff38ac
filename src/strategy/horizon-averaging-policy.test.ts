import { describe, expect, it } from 'vitest';
import type { Prediction, SeriesKey } from '../core/index.js';
import { ConfigError, InvariantError } from '../core/index.js';
import { HorizonAveragingPolicy } from './horizon-averaging-policy.js';
import { intentId } from './policy.js';

const H = 3_600_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % H);
const series: SeriesKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const pred = (i: number, values: number[], s: SeriesKey = series): Prediction => ({
  series: s,
  candleOpenTimeMs: T0 + i * H,
  kind: 'ratio',
  horizons: values.map((_, k) => k + 1),
  values,
  modelId: 'm',
});

describe('HorizonAveragingPolicy', () => {
  const cfg = { threshold: 0.002, scale: 0.02, cap: 1 };

  it('averages the K forecasts of the next candle and sizes by the predicted move', () => {
    const p = new HorizonAveragingPolicy(cfg);
    const a = p.decide(pred(0, [1.01, 1.02, 1.03]), 100)!;
    expect(p.lastCount).toBe(1);
    expect(a).toMatchObject({ reason: 'enter_long partial 1/3', referencePriceQuote: 100, candleOpenTimeMs: T0 });
    expect(a.targetFraction).toBeCloseTo(0.5, 12);
    expect(a.signal).toBeCloseTo(0.01, 12);
    expect(a.intentId).toBe(intentId(series, T0));
    expect(a.intentId).toBe(`binance.BTC-USDT.1h-${T0}`);

    const b = p.decide(pred(1, [1.0, 1.0, 1.0]), 101)!; // (1.00 + t0's 2-step 1.02) / 2
    expect(p.lastAverage).toBeCloseTo(1.01, 12);
    expect(b.reason).toBe('enter_long partial 2/3');

    const c = p.decide(pred(2, [0.99, 1.0, 1.0]), 102)!; // (0.99 + 1.00 + 1.03) / 3
    expect(p.lastCount).toBe(3);
    expect(p.lastAverage).toBeCloseTo(3.02 / 3, 12);
    expect(c.reason).toBe('enter_long');
    expect(c.targetFraction).toBeCloseTo(0.02 / 3 / 0.02, 10);

    const d = p.decide(pred(3, [0.99, 0.99, 0.99]), 103)!; // (0.99 + 1.00 + 1.00) / 3
    expect(d).toMatchObject({ targetFraction: 0, reason: 'exit' });

    expect(p.decide(pred(4, [1, 1, 1]), 103)).toMatchObject({ reason: 'exit' }); // (1 + .99 + 1) / 3
    expect(p.decide(pred(5, [1.001, 1, 1]), 103)).toMatchObject({ reason: 'exit' }); // (1.001 + 1 + .99) / 3
    expect(p.decide(pred(6, [1, 1, 1]), 103)).toBeNull(); // 1.0: inside the band → hold
    expect(p.decide(pred(7, [1.0015, 1, 1]), 103)).toBeNull(); // 1.0005
  });

  it('uses what is available after a gap and says so', () => {
    const p = new HorizonAveragingPolicy(cfg);
    p.decide(pred(0, [1, 1, 1.03]), 100);
    const i = p.decide(pred(2, [1.01, 1, 1]), 100)!; // t1 missing: 1.01 and t0's 3-step 1.03
    expect(p.lastCount).toBe(2);
    expect(p.lastAverage).toBeCloseTo(1.02, 12);
    expect(i.reason).toBe('enter_long partial 2/3');
    // a long gap forgets everything
    p.decide(pred(10, [1.01, 1, 1]), 100);
    expect(p.lastCount).toBe(1);
  });

  it('caps the size; shorts only when allowed', () => {
    expect(new HorizonAveragingPolicy(cfg).decide(pred(0, [1.1, 1, 1]), 1)!.targetFraction).toBe(1);
    expect(new HorizonAveragingPolicy(cfg).decide(pred(0, [0.99, 1, 1]), 1)!.targetFraction).toBe(0);
    const s = new HorizonAveragingPolicy({ ...cfg, allowShort: true }).decide(pred(0, [0.99, 1, 1]), 1)!;
    expect(s.reason).toBe('enter_short partial 1/3');
    expect(s.targetFraction).toBeCloseTo(-0.5, 10);
  });

  it('exits below 1 - exitThreshold when one is given (a hysteresis band), holds inside it', () => {
    const p = new HorizonAveragingPolicy({ threshold: 0.002, exitThreshold: 0.005, scale: 0.02, cap: 1 });
    expect(p.decide(pred(0, [0.997]), 100)).toBeNull(); // below 1 - 0.002 but above 1 - 0.005: hold
    expect(p.decide(pred(1, [0.994]), 100)).toMatchObject({ targetFraction: 0, reason: 'exit' });
    expect(p.decide(pred(2, [1.003]), 100)).toMatchObject({ reason: 'enter_long' });
    expect(() => new HorizonAveragingPolicy({ threshold: 0.002, exitThreshold: -1, scale: 0.02, cap: 1 })).toThrow(ConfigError);
  });

  it('keeps series apart', () => {
    const p = new HorizonAveragingPolicy(cfg);
    const eth: SeriesKey = { exchange: 'binance', symbol: 'ETH/USDT', timeframe: '1h' };
    p.decide(pred(0, [1.0, 1.05, 1.0]), 1);
    p.decide(pred(1, [1.0, 1.0, 1.0], eth), 1);
    expect(p.lastCount).toBe(1);
    // an equal-valued but different SeriesKey object finds the same state
    p.decide(pred(1, [1.0, 1.0, 1.0], { ...series }), 1);
    expect(p.lastCount).toBe(2);
    expect(p.lastAverage).toBeCloseTo(1.025, 12);
  });

  it('throws on broken inputs and config', () => {
    const p = new HorizonAveragingPolicy(cfg);
    p.decide(pred(5, [1, 1, 1]), 1);
    expect(() => p.decide(pred(5, [1, 1, 1]), 1)).toThrow(InvariantError);
    expect(() => p.decide(pred(4, [1, 1, 1]), 1)).toThrow(InvariantError);
    expect(() => p.decide(pred(6, [1, Number.NaN, 1]), 1)).toThrow(InvariantError);
    expect(() => p.decide({ ...pred(7, [0.5]), kind: 'probability' }, 1)).toThrow(InvariantError);
    expect(() => new HorizonAveragingPolicy({ ...cfg, scale: 0 })).toThrow(ConfigError);
  });
});

describe('HorizonAveragingPolicy.decideRow (batched model output)', () => {
  it('gives the same intents as decide() from a (batch, K) slab', () => {
    const rows = [
      [1.01, 1.02, 1.03],
      [1.0, 1.0, 1.0],
      [0.99, 1.0, 1.0],
      [0.99, 0.99, 0.99],
    ];
    const slab = new Float64Array(rows.flat());
    const a = new HorizonAveragingPolicy({ threshold: 0.002, scale: 0.02, cap: 1 });
    const b = new HorizonAveragingPolicy({ threshold: 0.002, scale: 0.02, cap: 1 });
    for (let i = 0; i < rows.length; i++) {
      expect(b.decideRow(series, T0 + i * H, [1, 2, 3], slab, i * 3, 100)).toEqual(a.decide(pred(i, rows[i]!), 100));
    }
    expect(() => b.decideRow(series, T0 + 9 * H, [1, 2, 3], slab, 10, 100)).toThrow(InvariantError);
  });
});

describe('HorizonAveragingPolicy with calibrated levels', () => {
  const key = { exchange: 'x', symbol: 'A/B', timeframe: '1h' as const };
  const at = (policy: HorizonAveragingPolicy, i: number, v: number) =>
    policy.decide({ series: key, candleOpenTimeMs: i * 3_600_000, kind: 'ratio', horizons: [1], values: [v], modelId: 'm' }, 100);

  it('long at the cap above the entry level, flat below the exit level, hold between (levels may both lie above 1)', () => {
    const policy = new HorizonAveragingPolicy({ threshold: 0, scale: 1, cap: 0.4, levels: { entry: 1.0005, exit: 1.0002 } });
    expect(at(policy, 1, 1.0006)).toMatchObject({ targetFraction: 0.4, reason: 'enter_long' });
    expect(at(policy, 2, 1.0003)).toBeNull();
    expect(at(policy, 3, 1.0001)).toMatchObject({ targetFraction: 0, reason: 'exit' });
  });

  it('never enters with an infinite entry level; refuses an exit at or above the entry', () => {
    const policy = new HorizonAveragingPolicy({ threshold: 0, scale: 1, cap: 0.4, levels: { entry: Number.POSITIVE_INFINITY, exit: 1 } });
    expect(at(policy, 1, 5)).toBeNull();
    expect(() => new HorizonAveragingPolicy({ threshold: 0, scale: 1, cap: 0.4, levels: { entry: 1, exit: 1 } })).toThrow(/exit below entry/);
  });
});
