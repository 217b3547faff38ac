import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWick } from '../../test/support/cli-run.js';
import { parseBacktestResult } from '../backtest/result.js';
import { ModelMismatchError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { manifestSchema } from '../model/manifest.js';
import { OnnxSignalModel } from '../model/onnx-signal-model.js';
import { ModelProto } from '../train/onnx-proto.js';
import { inspectOnnx } from './model-import.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
const foreign = join(fixtures, 'foreign-onnx', 'foreign-lstm.onnx');
const generator = join(fixtures, 'foreign-onnx', 'make_foreign_lstm.py');
const btc = join(fixtures, 'sample', 'BTC_USDT-1h.csv');
const F = 11;

/** A python3 that has the onnx package (Debian's python3-onnx), or null. */
function pythonWithOnnx(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}

const importArgs = (out: string, extra: string[] = []): string[] => [
  'model',
  'import',
  '--onnx',
  foreign,
  '--spec',
  'scale-free',
  '--window',
  '32',
  '--horizons',
  '3',
  '--target',
  'ratio',
  '--target-scale',
  '100',
  '--data',
  btc,
  '--train-to',
  '2022-03-15',
  '--out',
  out,
  ...extra,
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wick-import-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the foreign ONNX fixture', () => {
  it.skipIf(pythonWithOnnx() === null)('is what make_foreign_lstm.py builds with the onnx package', async () => {
    const out = join(dir, 'regenerated.onnx');
    execFileSync(pythonWithOnnx() as string, [generator, out]);
    expect(Buffer.compare(await readFile(out), await readFile(foreign))).toBe(0);
  });

  it('was not written by wick: other names, opset and graph layout', async () => {
    const sig = inspectOnnx(await readFile(foreign), { window: 32, features: F, outputs: 3 });
    expect(sig).toMatchObject({
      opset: 17,
      inputName: 'input_seq',
      outputName: 'y_hat',
      inputDims: ['batch_size', 'seq_len', F],
      outputDims: ['batch_size', 3],
    });
    expect(sig.operators).toEqual(expect.arrayContaining(['Gather', 'MatMul', 'LSTM']));
    expect(sig.operators).not.toContain('Gemm');
  });
});

describe('wick model import', () => {
  it('writes a model folder that wick loads, with normalisation from the training range and a drift calibration', async () => {
    const out = join(dir, 'imported');
    const r = await runWick(importArgs(out));
    expect(r.err).toContain('imported');
    expect(r.code).toBe(0);
    const manifest = manifestSchema.parse(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')));
    expect(manifest).toMatchObject({
      modelId: expect.stringMatching(/^import-[0-9a-f]{12}$/),
      windowLength: 32,
      horizons: [1, 2, 3],
      target: { kind: 'ratio', scale: 100 },
      onnx: { inputName: 'input_seq', outputName: 'y_hat', opset: 17 },
      origin: { kind: 'imported', sourceFile: 'foreign-lstm.onnx' },
    });
    expect(manifest.training.splits.trainToMs).toBe(Date.UTC(2022, 2, 15));
    // The normalisation is fitted on the training range only: the first feature (close ratio) has a mean near 1.
    expect(manifest.normalisation.mean[0]).toBeCloseTo(1, 2);
    expect(manifest.drift?.threshold).toBeGreaterThan(0.5);
    expect(manifest.drift?.validationWindows).toBeGreaterThan(500);
    // Prediction statistics are in the daemon's units (close ratios), not the network's.
    expect(manifest.drift?.predictionMean[0]).toBeCloseTo(1, 1);
    const model = await OnnxSignalModel.load(out, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger });
    try {
      const window = new Float32Array(32 * F).map((_, i) => Math.sin(i));
      const got = await model.predict(window, 1);
      // Oracle: the same file run directly by onnxruntime, output converted as the manifest says.
      const session = await ort.InferenceSession.create(foreign);
      const raw = (await session.run({ input_seq: new ort.Tensor('float32', window, [1, 32, F]) })).y_hat!.data as Float32Array;
      await session.release();
      expect(got.length).toBe(3);
      raw.forEach((v, k) => expect(got[k]).toBeCloseTo(1 + v / 100, 12));
    } finally {
      await model.close();
    }
  });

  it('trades in a backtest', async () => {
    const out = join(dir, 'for-backtest');
    expect((await runWick(importArgs(out))).code).toBe(0);
    const json = join(dir, 'bt.json');
    const r = await runWick(['backtest', '--data', btc, '--model', out, '--from', '2022-03-20', '--json', json]);
    expect(r.code, r.err).toBe(0);
    const result = parseBacktestResult(JSON.parse(await readFile(json, 'utf8')));
    expect(result.config).toMatchObject({ modelId: expect.stringMatching(/^import-/) });
    expect(result.trades.length).toBeGreaterThan(0);
  });

  it('refuses a model with a fixed batch, naming the export option that fixes it', async () => {
    const decoded = ModelProto.toObject(ModelProto.decode(await readFile(foreign))) as {
      graph: { input: { type: { tensorType: { shape: { dim: { dimValue?: number; dimParam?: string }[] } } } }[] };
    };
    decoded.graph.input[0]!.type.tensorType.shape.dim[0] = { dimValue: 1 };
    const fixed = join(dir, 'fixed-batch.onnx');
    await writeFile(fixed, ModelProto.encode(ModelProto.fromObject(decoded)).finish());
    const r = await runWick(importArgs(join(dir, 'never'), []).map((a) => (a === foreign ? fixed : a)));
    expect(r.code).toBe(2);
    expect(r.err).toContain('fixed batch of 1');
    expect(r.err).toContain('dynamic_axes');
  });

  it('refuses a spec whose feature count the model does not take, and wrong horizons', () => {
    return readFile(foreign).then((bytes) => {
      expect(() => inspectOnnx(bytes, { window: 32, features: 4, outputs: 3 })).toThrow(/takes 11 features .* the spec computes 4/);
      expect(() => inspectOnnx(bytes, { window: 32, features: F, outputs: 2 })).toThrow(/3 values per window .* --horizons gives 2/);
      expect(() => inspectOnnx(bytes, { window: 32, features: F, outputs: 3, inputName: 'x' })).toThrow(/no input "x"; its inputs are \[input_seq\]/);
    });
  });

  it('refuses a truncated file and a file that is not ONNX, writing nothing', async () => {
    const bytes = await readFile(foreign);
    expect(() => inspectOnnx(bytes.subarray(0, bytes.length - 200), { window: 32, features: F, outputs: 3 })).toThrow(ModelMismatchError);
    expect(() => inspectOnnx(new TextEncoder().encode('timestamp,open\n1,2\n'), { window: 32, features: F, outputs: 3 })).toThrow(ModelMismatchError);
    const out = join(dir, 'truncated-out');
    const truncated = join(dir, 'truncated.onnx');
    await writeFile(truncated, bytes.subarray(0, 1000));
    const r = await runWick(importArgs(out).map((a) => (a === foreign ? truncated : a)));
    expect(r.code).toBe(2);
    await expect(readFile(join(out, 'manifest.json'))).rejects.toThrow();
  });

  it('rejects missing options with usage status 2', async () => {
    const r = await runWick([
      'model',
      'import',
      '--onnx',
      foreign,
      '--spec',
      'scale-free',
      '--window',
      '32',
      '--horizons',
      '3',
      '--target',
      'ratio',
      '--data',
      btc,
      '--out',
      join(dir, 'x'),
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--train-to ISO is required');
  });
});
