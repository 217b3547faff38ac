import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomModelFolder } from '../../test/support/random-model.js';
import { silentLogger } from '../core/logger.js';
import { Rng } from '../core/rng.js';
import type { SignalModel } from '../core/ports.js';
import { BatchingSignalModel } from './batching-signal-model.js';
import { OnnxSignalModel } from './onnx-signal-model.js';

let dir: string;
let model: OnnxSignalModel;

beforeAll(async () => {
  dir = await randomModelFolder({ seed: 8 });
  model = await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger });
});
afterAll(async () => {
  await model.close();
  await rm(dir, { recursive: true, force: true });
});

function windows(n: number, seed: number): Float32Array[] {
  const { windowLength: T, featureCount: F } = model.info;
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: T * F }, () => rng.normal()));
}

describe('BatchingSignalModel (real onnxruntime)', () => {
  it('answers concurrent single-window requests from one call, each with exactly its own values', async () => {
    const ws = windows(37, 1);
    const alone = await Promise.all(ws.map((w) => model.predict(w, 1)));
    const batching = new BatchingSignalModel(model);
    const together = await Promise.all(ws.map((w) => batching.predict(w, 1)));
    expect(together.map((v) => Array.from(v))).toEqual(alone.map((v) => Array.from(v)));
    expect(batching.batches).toBe(1);
    expect(batching.windows).toBe(37);
  });

  it('splits a backlog at maxBatch without splitting a request, and keeps requests made during a call for the next', async () => {
    const ws = windows(10, 2);
    const alone = await Promise.all(ws.map((w) => model.predict(w, 1)));
    const batching = new BatchingSignalModel(model, 4);
    const first = ws.slice(0, 9).map((w) => batching.predict(w, 1));
    // A two-window request: rows 8 and 9 come back together.
    const pair = new Float32Array(2 * ws[0]!.length);
    pair.set(ws[8]!, 0);
    pair.set(ws[9]!, ws[0]!.length);
    const both = batching.predict(pair, 2);
    const got = await Promise.all(first);
    expect(got.map((v) => Array.from(v))).toEqual(alone.slice(0, 9).map((v) => Array.from(v)));
    expect(Array.from(await both)).toEqual([...alone[8]!, ...alone[9]!]);
    expect(batching.windows).toBe(11);
    expect(batching.batches).toBe(3); // 4 + 4 + (the ninth window and the pair)
  });

  it('fails every request of a failed call with the model error, and refuses a short buffer', async () => {
    const failing: SignalModel = {
      info: model.info,
      predict: () => Promise.reject(new Error('session closed')),
      close: () => Promise.resolve(),
    };
    const batching = new BatchingSignalModel(failing);
    const ws = windows(3, 3);
    const results = await Promise.allSettled(ws.map((w) => batching.predict(w, 1)));
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok'))).toEqual(['session closed', 'session closed', 'session closed']);
    await expect(batching.predict(new Float32Array(5), 1)).rejects.toThrow(/5 values given for 1 windows/);
  });
});
