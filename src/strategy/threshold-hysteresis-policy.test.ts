import { describe, expect, it } from 'vitest';
import type { Prediction, SeriesKey } from '../core/index.js';
import { ConfigError, InvariantError } from '../core/index.js';
import { ThresholdHysteresisPolicy } from './threshold-hysteresis-policy.js';

const H = 3_600_000;
const series: SeriesKey = { exchange: 'binance', symbol: 'ETH/USDT', timeframe: '1h' };
let i = 0;
const pred = (p: number): Prediction => ({ series, candleOpenTimeMs: (i += H), kind: 'probability', horizons: [1], values: [p], modelId: 'm' });
const decide = (policy: ThresholdHysteresisPolicy, p: number): [number, string] | null => {
  const x = policy.decide(pred(p), 100);
  return x === null ? null : [x.targetFraction, x.reason];
};

describe('ThresholdHysteresisPolicy', () => {
  it('enters above pEnter, exits below pExit, holds in between', () => {
    const p = new ThresholdHysteresisPolicy({ pEnter: 0.6, pExit: 0.45, targetFraction: 0.8 });
    expect(decide(p, 0.5)).toBeNull();
    expect(decide(p, 0.65)).toEqual([0.8, 'enter_long']);
    expect(decide(p, 0.5)).toBeNull();
    expect(decide(p, 0.6)).toBeNull(); // not strictly above
    expect(decide(p, 0.44)).toEqual([0, 'exit']);
    expect(decide(p, 0.44)).toEqual([0, 'exit']); // long-only: repeated exits are harmless no-ops downstream
  });

  it('smooths with an EMA', () => {
    const p = new ThresholdHysteresisPolicy({ pEnter: 0.6, pExit: 0.4, emaAlpha: 0.5 });
    expect(decide(p, 0.8)).toEqual([1, 'enter_long']);
    expect(decide(p, 0.2)).toBeNull(); // ema 0.5
    expect(p.smoothed(series)).toBeCloseTo(0.5, 12);
    expect(decide(p, 0.2)).toEqual([0, 'exit']); // ema 0.35
  });

  it('mirrors for shorts when allowed, telling a long exit from a short cover', () => {
    const p = new ThresholdHysteresisPolicy({ pEnter: 0.6, pExit: 0.45, allowShort: true });
    expect(decide(p, 0.35)).toEqual([-1, 'enter_short']);
    expect(decide(p, 0.5)).toBeNull(); // short holds up to 0.55
    expect(decide(p, 0.56)).toEqual([0, 'cover']);
    expect(decide(p, 0.7)).toEqual([1, 'enter_long']);
    expect(decide(p, 0.42)).toEqual([0, 'exit']);
    expect(decide(p, 0.42)).toBeNull(); // flat, not short enough to enter
  });

  it('throws on broken inputs and config', () => {
    expect(() => new ThresholdHysteresisPolicy({ pEnter: 0.5, pExit: 0.5 })).toThrow(ConfigError);
    expect(() => new ThresholdHysteresisPolicy({ pEnter: 0.6, pExit: 0.4, emaAlpha: 0 })).toThrow(ConfigError);
    const p = new ThresholdHysteresisPolicy({ pEnter: 0.6, pExit: 0.4 });
    expect(() => p.decide(pred(1.2), 1)).toThrow(InvariantError);
    expect(() => p.decide({ ...pred(0.5), kind: 'ratio' }, 1)).toThrow(InvariantError);
  });
});
