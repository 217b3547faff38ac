import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Candle } from '../core/candle.js';
import { SAMPLE_DATA_DIR, sharedDataDir } from '../market/candle-csv-shared-data.js';
import { readCandles } from '../market/candle-csv.js';
import { RollingStats } from './indicators/rolling-stats.js';
import { FEATURE_KINDS, createIndicator } from './registry.js';
import type { FeatureDef } from './spec.js';

/** One example def per kind: the contract test below runs every kind the registry knows. */
const EXAMPLES: Record<string, Record<string, number>> = {
  ratio: {},
  logret: {},
  sma: { period: 10 },
  ema: { period: 10 },
  rsi: { period: 14 },
  macd: { fast: 12, slow: 26, signal: 9 },
  macd_signal: { fast: 12, slow: 26, signal: 9 },
  macd_hist: { fast: 12, slow: 26, signal: 9 },
  macd_rel: { fast: 5, slow: 13, signal: 4 },
  macd_signal_rel: { fast: 5, slow: 13, signal: 4 },
  macd_hist_rel: { fast: 5, slow: 13, signal: 4 },
  atr: { period: 14 },
  atr_rel: { period: 7 },
  bb_pctb: { period: 20, k: 2 },
  bb_width: { period: 20, k: 2.5 },
  vol: { period: 20 },
  volz: { period: 20 },
  vwap_dev: { period: 24 },
};

let candles: Candle[];
beforeAll(async () => {
  // The committed synthetic sample, first 1,000 rows (no gap there; the indicators are gap-unaware anyway).
  candles = (await readCandles(path.join(SAMPLE_DATA_DIR, 'BTC_USDT-1h.csv'))).slice(0, 1000);
});

describe('StreamingIndicator contract, every kind', () => {
  it('has an example for every registered kind', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual([...FEATURE_KINDS].sort());
  });

  describe.each(Object.entries(EXAMPLES))('%s', (kind, params) => {
    const def: FeatureDef = { id: kind, kind, params };

    it('is NaN for exactly warmup - 1 candles, then finite', () => {
      const ind = createIndicator(def);
      expect(ind.warmup).toBeGreaterThanOrEqual(1);
      candles.forEach((c, i) => {
        ind.update(c);
        if (i + 1 < ind.warmup) expect(ind.value(), `candle ${i + 1}`).toBeNaN();
        else expect(Number.isFinite(ind.value()), `candle ${i + 1}`).toBe(true);
      });
    });

    it('after reset behaves exactly like a new instance', () => {
      const used = createIndicator(def);
      for (const c of candles.slice(500)) used.update(c);
      used.reset();
      expect(used.value()).toBeNaN();
      const fresh = createIndicator(def);
      for (const c of candles) {
        used.update(c);
        fresh.update(c);
        expect(Object.is(used.value(), fresh.value())).toBe(true);
      }
    });
  });

  it('rejects unknown kinds, unknown or missing params and bad values', () => {
    expect(() => createIndicator({ id: 'x', kind: 'nope', params: {} })).toThrow(/unknown kind "nope"/);
    expect(() => createIndicator({ id: 'x', kind: 'sma', params: {} })).toThrow(/missing param "period"/);
    expect(() => createIndicator({ id: 'x', kind: 'sma', params: { period: 5, extra: 1 } })).toThrow(/unknown param "extra"/);
    expect(() => createIndicator({ id: 'x', kind: 'sma', params: { period: 2.5 } })).toThrow(/out of range/);
    expect(() => createIndicator({ id: 'x', kind: 'bb_pctb', params: { period: 20, k: -1 } })).toThrow(/out of range/);
    expect(() => createIndicator({ id: 'x', kind: 'vol', params: { period: 1 } })).toThrow(/out of range/);
    expect(() => createIndicator({ id: 'x', kind: 'toString', params: {} })).toThrow(/unknown kind/);
  });
});

describe('flat-window conventions', () => {
  const flat = (i: number, volume = 3): Candle => ({ openTimeMs: i * 3_600_000, open: 50, high: 50, low: 50, close: 50, volume });
  it('RSI 50, %B 0.5, width 0, volume z 0 and VWAP deviation 0 when nothing moves', () => {
    const kinds: [string, Record<string, number>, number][] = [
      ['rsi', { period: 5 }, 50],
      ['bb_pctb', { period: 5, k: 2 }, 0.5],
      ['bb_width', { period: 5, k: 2 }, 0],
      ['volz', { period: 5 }, 0],
      ['vwap_dev', { period: 5 }, 0],
      ['vol', { period: 5 }, 0],
    ];
    for (const [kind, params, expected] of kinds) {
      const ind = createIndicator({ id: kind, kind, params });
      for (let i = 0; i < 10; i++) ind.update(flat(i, kind === 'vwap_dev' ? 0 : 3));
      expect(ind.value(), kind).toBe(expected);
    }
  });
});

/** Direct two-pass mean and population variance of xs[from, to). */
function direct(xs: Float64Array, from: number, to: number): [number, number] {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i]!;
  const m = s / (to - from);
  let v = 0;
  for (let i = from; i < to; i++) v += (xs[i]! - m) ** 2;
  return [m, v / (to - from)];
}

function checkNoDrift(xs: Float64Array, period: number): void {
  const rs = new RollingStats(period);
  let worstMean = 0;
  let worstVar = 0;
  for (let i = 0; i < xs.length; i++) {
    rs.push(xs[i]!);
    if (i + 1 < period) continue;
    const [m, v] = direct(xs, i + 1 - period, i + 1);
    worstMean = Math.max(worstMean, Math.abs(rs.mean() - m) / Math.abs(m));
    // Variance error relative to the squared level: a window of near-equal prices has a tiny variance.
    worstVar = Math.max(worstVar, Math.abs(rs.variancePopulation() - v) / Math.max(v, m * m * 1e-8));
  }
  expect(worstMean).toBeLessThan(1e-12);
  expect(worstVar).toBeLessThan(1e-9);
}

describe('RollingStats', () => {
  it('does not drift over 55,000 synthetic values: a level rising 100 → 100,000 with 0.01% noise', () => {
    const xs = new Float64Array(55_000);
    for (let i = 0; i < xs.length; i++) {
      const level = 100 * 1000 ** (i / xs.length);
      xs[i] = level * (1 + 1e-4 * Math.sin(i * 0.37));
    }
    checkNoDrift(xs, 20);
  });

  const shared = sharedDataDir();
  it.skipIf(shared === undefined)('does not drift over the 55,740 real BTC closes and volumes (skipped without ../shared/data)', async () => {
    const real = await readCandles(path.join(shared!, 'BTC_USDT-1h.csv'));
    checkNoDrift(
      Float64Array.from(real, (c) => c.close),
      20,
    );
    checkNoDrift(
      Float64Array.from(real, (c) => c.volume + 1),
      20,
    );
  });
});
