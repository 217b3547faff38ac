import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Candle } from '../core/candle.js';
import { SAMPLE_DATA_DIR, sharedDataDir } from '../market/candle-csv-shared-data.js';
import { readCandles } from '../market/candle-csv.js';
import { FeatureBuilder } from './builder.js';
import { computeFeatures } from './compute.js';
import { fitNormalisation } from './normalisation.js';
import type { FeatureSpec } from './spec.js';
import { DEFAULT_SPEC, SCALE_FREE_SPEC } from './spec.js';
import { writeWindow } from './windows.js';

const H = 3_600_000;

/**
 * Batch path (computeFeatures + fitNormalisation + writeWindow, as training does) against the live
 * path (FeatureBuilder, candle by candle): identical windows, bit for bit, at every candle, and the
 * same verdict on which candles have a window. Returns how many windows were compared and how
 * many candles after the gap at `gapIndex` had none.
 */
function checkBatchEqualsStreaming(candles: readonly Candle[], spec: FeatureSpec, T: number): { windows: number; blockedAfterGap: number[] } {
  const batch = computeFeatures(candles, spec, H);
  const F = batch.featureCount;
  const norm = fitNormalisation(batch.raw, batch.ready, F, 0, Math.floor(candles.length * 0.6));
  const builder = new FeatureBuilder(spec, H, norm, T);
  const expected = new Float32Array(T * F);
  let windows = 0;
  const blockedAfterGap: number[] = [];
  let sinceGap = -1;
  candles.forEach((c, i) => {
    if (i > 0 && c.openTimeMs !== candles[i - 1]!.openTimeMs + H) sinceGap = 0;
    const ok = builder.push(c);
    expect(ok, `candle ${i}`).toBe(batch.readyRun[i]! >= T);
    if (sinceGap >= 0) {
      if (!ok) blockedAfterGap.push(sinceGap);
      sinceGap++;
    }
    if (!ok) return;
    writeWindow(expected, 0, batch, i, T, norm);
    const got = builder.window();
    expect(got.length).toBe(T * F);
    if (!got.every((v, k) => Object.is(v, expected[k]))) expect.fail(`window ending at candle ${i} differs`);
    windows++;
  });
  return { windows, blockedAfterGap };
}

describe('FeatureBuilder equals computeFeatures + writeWindow', () => {
  it('on the committed sample, across its 3-hour gap', async () => {
    const candles = await readCandles(path.join(SAMPLE_DATA_DIR, 'BTC_USDT-1h.csv'));
    const T = 48;
    const { windows, blockedAfterGap } = checkBatchEqualsStreaming(candles, DEFAULT_SPEC, T);
    expect(windows).toBeGreaterThan(2800);
    // After the gap: 33 warm-up candles, then T ready rows are needed before the first window.
    expect(blockedAfterGap).toEqual(Array.from({ length: 33 + T - 1 }, (_, k) => k));
  });

  it('window() is oldest-first, a view valid until the next push, and unavailable before T rows', async () => {
    const candles = (await readCandles(path.join(SAMPLE_DATA_DIR, 'ETH_USDT-1h.csv'))).slice(0, 200);
    const batch = computeFeatures(candles, SCALE_FREE_SPEC, H);
    const norm = fitNormalisation(batch.raw, batch.ready, batch.featureCount, 0, 200);
    const builder = new FeatureBuilder(SCALE_FREE_SPEC, H, norm, 3);
    expect(() => builder.window()).toThrow(/before a full window/);
    for (const c of candles.slice(0, 36)) builder.push(c);
    const w = builder.window();
    const copy = w.slice();
    const F = batch.featureCount;
    // Row 2 of the window is the newest candle (index 35); row 0 the oldest (index 33).
    expect(w[2 * F]).toBe(Math.fround((batch.raw[35 * F]! - norm.mean[0]!) / norm.std[0]!));
    expect(w[0]).toBe(Math.fround((batch.raw[33 * F]! - norm.mean[0]!) / norm.std[0]!));
    builder.push(candles[36]!);
    expect(Array.from(w.subarray(0, 2 * F))).not.toEqual(Array.from(copy.subarray(0, 2 * F)));
    builder.reset();
    expect(builder.isReady).toBe(false);
  });

  it('rejects a normalisation that does not fit the spec', () => {
    expect(() => new FeatureBuilder(DEFAULT_SPEC, H, { mean: [0], std: [1] }, 10)).toThrow(/1 means and 1 stds for 11 features/);
  });
});

const shared = sharedDataDir();
describe.skipIf(shared === undefined)('real data (skipped: ../shared/data or $WICK_TEST_DATA_DIR not found)', () => {
  it('BTC 2018-01 to 2018-03, across the real 1-hour gap of 2018-01-04 and the 33-hour gap of 2018-02-08', async () => {
    const btc = await readCandles(path.join(shared!, 'BTC_USDT-1h.csv'));
    const from = btc.findIndex((c) => c.openTimeMs >= Date.UTC(2018, 0, 1));
    const to = btc.findIndex((c) => c.openTimeMs >= Date.UTC(2018, 2, 1));
    const T = 64;
    const { windows, blockedAfterGap } = checkBatchEqualsStreaming(btc.slice(from, to), DEFAULT_SPEC, T);
    expect(windows).toBeGreaterThan(1000);
    // Two gaps, each followed by 33 + T - 1 candles without a window.
    expect(blockedAfterGap.length).toBe(2 * (33 + T - 1));
  });
});
