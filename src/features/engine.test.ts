import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Candle } from '../core/candle.js';
import { InvariantError } from '../core/errors.js';
import { SAMPLE_DATA_DIR, sharedDataDir } from '../market/candle-csv-shared-data.js';
import { readCandles } from '../market/candle-csv.js';
import { findGaps } from '../market/gaps.js';
import { computeFeatures } from './compute.js';
import { FeatureEngine } from './engine.js';
import { DEFAULT_SPEC, WORKED_EXAMPLE_SPEC } from './spec.js';

const H = 3_600_000;
let sample: Candle[];
beforeAll(async () => {
  sample = await readCandles(path.join(SAMPLE_DATA_DIR, 'ETH_USDT-1h.csv'));
});

const same = (a: Float64Array, b: Float64Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('FeatureEngine', () => {
  it('warm-up is the longest indicator warm-up: MACD signal needs 26 + 9 - 1 candles', () => {
    const engine = new FeatureEngine(DEFAULT_SPEC, H);
    expect(engine.featureCount).toBe(11);
    expect(engine.warmup).toBe(34);
    sample.slice(0, 40).forEach((c, i) => {
      expect(engine.update(c)).toBe(i + 1 >= 34);
      expect(engine.values().every(Number.isFinite)).toBe(i + 1 >= 34);
    });
  });

  it('resets every indicator at a gap: after it, values equal a fresh engine started at the first candle after the gap', () => {
    const gapAt = sample.findIndex((c, i) => i > 0 && c.openTimeMs !== sample[i - 1]!.openTimeMs + H);
    expect(gapAt).toBeGreaterThan(100);
    const engine = new FeatureEngine(DEFAULT_SPEC, H);
    for (const c of sample.slice(0, gapAt)) engine.update(c);
    expect(engine.ready).toBe(true);
    const fresh = new FeatureEngine(DEFAULT_SPEC, H);
    for (let i = gapAt; i < gapAt + 60; i++) {
      const ready = engine.update(sample[i]!);
      expect(ready).toBe(fresh.update(sample[i]!));
      expect(ready).toBe(i - gapAt + 1 >= 34);
      expect(same(engine.values(), fresh.values())).toBe(true);
    }
    expect(engine.gapCount).toBe(1);
  });

  it('throws on time going backwards, duplicates and invalid candles', () => {
    const engine = new FeatureEngine(WORKED_EXAMPLE_SPEC, H);
    engine.update(sample[1]!);
    expect(() => engine.update(sample[0]!)).toThrow(InvariantError);
    expect(() => engine.update(sample[1]!)).toThrow(/does not come after/);
    expect(() => engine.update({ ...sample[2]!, close: Number.NaN })).toThrow(/invalid candle/);
    expect(() => engine.update({ ...sample[2]!, volume: -1 })).toThrow(/invalid candle/);
    expect(() => new FeatureEngine(WORKED_EXAMPLE_SPEC, 0)).toThrow(/timeframeMs/);
  });

  it('reset() forgets the last open time, so a new series can start earlier', () => {
    const engine = new FeatureEngine(WORKED_EXAMPLE_SPEC, H);
    for (const c of sample.slice(100, 200)) engine.update(c);
    engine.reset();
    expect(engine.ready).toBe(false);
    expect(() => engine.update(sample[0]!)).not.toThrow();
  });
});

describe('computeFeatures', () => {
  it('equals the engine run candle by candle, with ready and readyRun following resets', () => {
    const result = computeFeatures(sample, DEFAULT_SPEC, H);
    const F = result.featureCount;
    expect(result.ids).toEqual(DEFAULT_SPEC.features.map((f) => f.id));
    expect(result.raw).toHaveLength(sample.length * F);
    const engine = new FeatureEngine(DEFAULT_SPEC, H);
    let run = 0;
    sample.forEach((c, i) => {
      const ready = engine.update(c);
      const gap = i > 0 && c.openTimeMs !== sample[i - 1]!.openTimeMs + H;
      if (gap || !ready) run = 0;
      if (ready) run++;
      expect(result.ready[i]).toBe(ready ? 1 : 0);
      expect(result.readyRun[i]).toBe(run);
      expect(same(result.raw.subarray(i * F, (i + 1) * F), engine.values())).toBe(true);
    });
  });

  it('has NaN exactly where a feature is warming up', () => {
    const result = computeFeatures(sample.slice(0, 50), WORKED_EXAMPLE_SPEC, H);
    // ratio from candle 2, rsi_14 from 15, macd from 26, macd_signal from 34
    const firstFinite = [0, 1, 2, 3].map((f) => Array.from({ length: 50 }, (_, i) => result.raw[i * 4 + f]!).findIndex(Number.isFinite) + 1);
    expect(firstFinite).toEqual([2, 15, 26, 34]);
  });
});

const shared = sharedDataDir();
describe.skipIf(shared === undefined)('engine over the real data (skipped: ../shared/data or $WICK_TEST_DATA_DIR not found)', () => {
  it('is ready on exactly the candles at least 34 into each gap-free segment; every ready value is finite', async () => {
    const btc = await readCandles(path.join(shared!, 'BTC_USDT-1h.csv'));
    const result = computeFeatures(btc, DEFAULT_SPEC, H);
    const gaps = findGaps(btc, H);
    expect(gaps).toHaveLength(28);
    // Segment lengths from the gap list (an independent computation), then expected ready count.
    const starts = [0, ...gaps.map((g) => btc.findIndex((c) => c.openTimeMs > g.afterOpenTimeMs))];
    const ends = [...starts.slice(1), btc.length];
    const expectedReady = starts.reduce((s, st, k) => s + Math.max(0, ends[k]! - st - 33), 0);
    expect(result.ready.reduce((s, r) => s + r, 0)).toBe(expectedReady);
    const F = result.featureCount;
    for (let i = 0; i < btc.length; i++) {
      if (result.ready[i] !== 1) continue;
      for (let f = 0; f < F; f++) if (!Number.isFinite(result.raw[i * F + f]!)) expect.fail(`row ${i} feature ${f} is ${result.raw[i * F + f]}`);
    }
  });
});
