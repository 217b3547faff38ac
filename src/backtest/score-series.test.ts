import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomModelFolder } from '../../test/support/random-model.js';
import type { Candle, SignalModel } from '../core/index.js';
import { silentLogger } from '../core/logger.js';
import { SCALE_FREE_SPEC, computeFeatures, fitNormalisation, type Normalisation } from '../features/index.js';
import { readCandles } from '../market/candle-csv.js';
import { SAMPLE_DATA_DIR } from '../market/candle-csv-shared-data.js';
import { OnnxSignalModel } from '../model/onnx-signal-model.js';
import { scoreSeries } from './engine.js';

const H = 3_600_000;
let candles: Candle[];
let dir: string;
let model: OnnxSignalModel;
let norm: Normalisation;

beforeAll(async () => {
  candles = (await readCandles(`${SAMPLE_DATA_DIR}/BTC_USDT-1h.csv`)).slice(0, 900);
  const f = computeFeatures(candles.slice(0, 400), SCALE_FREE_SPEC, H);
  norm = fitNormalisation(f.raw, f.ready, f.featureCount, 0, 400);
  dir = await randomModelFolder({ seed: 5, normalisation: { mean: [...norm.mean], std: [...norm.std] } });
  model = await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger });
});
afterAll(async () => {
  await model.close();
  await rm(dir, { recursive: true, force: true });
});

/** The real model answering each call after a delay that shrinks call by call, so later batches finish first. */
function outOfOrder(inner: SignalModel): SignalModel & { calls: number } {
  let calls = 0;
  return {
    info: inner.info,
    get calls() {
      return calls;
    },
    async predict(windows, batch) {
      const copy = windows.slice();
      const delay = Math.max(0, 20 - 5 * calls++);
      await new Promise((r) => setTimeout(r, delay));
      return inner.predict(copy, batch);
    },
    close: () => inner.close(),
  };
}

describe('scoreSeries (two batches in flight)', () => {
  it('writes every prediction to its own candle whatever order the batches finish in', async () => {
    const reference = await scoreSeries(candles, SCALE_FREE_SPEC, H, norm, model, 1);
    const racing = outOfOrder(model);
    const got = await scoreSeries(candles, SCALE_FREE_SPEC, H, norm, racing, 97);
    expect(racing.calls).toBeGreaterThan(3);
    expect(Array.from(got)).toEqual(Array.from(reference));
    expect(Array.from(reference).some((v) => !Number.isNaN(v))).toBe(true);
  });

  it('fails with the model error when a batch fails, even one that fails while the next is being built', async () => {
    let calls = 0;
    const failing: SignalModel = {
      info: model.info,
      predict: (windows, batch) => (++calls === 2 ? Promise.reject(new Error('inference thread exited')) : model.predict(windows, batch)),
      close: () => Promise.resolve(),
    };
    await expect(scoreSeries(candles, SCALE_FREE_SPEC, H, norm, failing, 64)).rejects.toThrow('inference thread exited');
  });
});
