import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomModelFolder } from '../../test/support/random-model.js';
import { silentLogger } from '../core/logger.js';
import { Rng } from '../core/rng.js';
import { OnnxSignalModel } from './onnx-signal-model.js';
import { ThreadedSignalModel } from './threaded-signal-model.js';

let dir: string;
let single: OnnxSignalModel;

beforeAll(async () => {
  dir = await randomModelFolder({ seed: 12 });
  single = await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger });
});
afterAll(async () => {
  await single.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ThreadedSignalModel (real onnxruntime in worker threads)', () => {
  it('gives exactly the values of one session for a batch cut over threads, and for a small batch run locally', async () => {
    const { windowLength: T, featureCount: F } = single.info;
    const rng = new Rng(3);
    const n = 301;
    const windows = Float32Array.from({ length: n * T * F }, () => rng.normal());
    const expected = await single.predict(windows, n);
    const local = await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger });
    const threaded = await ThreadedSignalModel.start(local, dir, 3, 32);
    try {
      expect(Array.from(await threaded.predict(windows, n))).toEqual(Array.from(expected));
      // Several batches at once (a backtest keeps two in flight), each with its own rows back.
      const [a, b] = await Promise.all([threaded.predict(windows.subarray(0, 100 * T * F), 100), threaded.predict(windows.subarray(100 * T * F), 201)]);
      expect([...Array.from(a), ...Array.from(b)]).toEqual(Array.from(expected));
      expect(Array.from(await threaded.predict(windows, 10))).toEqual(Array.from(expected.subarray(0, 10 * single.info.horizons.length)));
      await expect(threaded.predict(windows.subarray(0, 5), 1)).rejects.toThrow(/5 values given for 1 windows/);
    } finally {
      await threaded.close();
    }
    await expect(threaded.predict(windows, 1)).rejects.toThrow(/closed/);
  });

  it('says why when a thread cannot load the model', async () => {
    const local = await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger });
    await expect(ThreadedSignalModel.start(local, '/nonexistent/model', 1)).rejects.toThrow(/inference thread could not load the model/);
    await local.close();
  });
});
