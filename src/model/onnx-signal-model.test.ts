import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModelFolder, type ManifestInput } from '../app/model-folder.js';
import { ConfigError, ModelMismatchError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { Rng } from '../core/rng.js';
import { SCALE_FREE_SPEC, WORKED_EXAMPLE_SPEC, specHash } from '../features/index.js';
import { lstmPredict } from '../train/lstm-forward.js';
import { initLstm, type LstmModel } from '../train/lstm-model.js';
import { OnnxSignalModel } from './onnx-signal-model.js';

const T = 16;
const F = SCALE_FREE_SPEC.features.length;
const K = 3;
const SCALE = 100;

function manifestInput(): ManifestInput {
  return {
    timeframe: '1h',
    featureSpec: SCALE_FREE_SPEC as ManifestInput['featureSpec'],
    specHash: specHash(SCALE_FREE_SPEC),
    windowLength: T,
    featureCount: F,
    horizons: [1, 2, 3],
    target: { kind: 'ratio', scale: SCALE, loss: 'mse' },
    normalisation: { mean: new Array(F).fill(0), std: new Array(F).fill(1), clipSigma: 5 },
    training: {
      data: [{ file: 'synthetic.csv', fromMs: 0, toMs: 1, rows: 2 }],
      splits: { trainToMs: 0, validationFromMs: 0, validationToMs: 0, testFromMs: null, testToMs: null, purgeCandles: T + K },
      hyperParameters: { hidden: 8 },
      seed: 7,
      epochsRun: 0,
      bestEpoch: 0,
    },
    metrics: { validation: { loss: 1 }, test: null },
  };
}

function recordingLogger(lines: string[]): Logger {
  const log = (obj: object | string, msg?: string): void => {
    lines.push(typeof obj === 'string' ? obj : `${msg ?? ''} ${JSON.stringify(obj)}`);
  };
  const logger: Logger = { trace: log, debug: log, info: log, warn: log, error: log, fatal: log, child: () => logger };
  return logger;
}

let root: string;
let dir: string;
let lstm: LstmModel;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'wick-model-'));
  dir = join(root, 'good');
  lstm = initLstm({ inputSize: F, hiddenSize: 8, numLayers: 2, outputSize: K, outputKind: 'regression' }, new Rng(11));
  await writeModelFolder(dir, lstm, manifestInput());
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function copyFolder(name: string, edit: (manifest: Record<string, unknown>) => void, onnx?: Uint8Array): Promise<string> {
  const target = join(root, name);
  await writeModelFolder(target, lstm, manifestInput());
  const manifest = JSON.parse(await readFile(join(target, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  edit(manifest);
  await writeFile(join(target, 'manifest.json'), JSON.stringify(manifest));
  if (onnx) await writeFile(join(target, 'model.onnx'), onnx);
  return target;
}

describe('OnnxSignalModel', () => {
  it('runs the exported graph in onnxruntime and matches the TypeScript forward, as ratios', async () => {
    const model = await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger });
    const rng = new Rng(3);
    const batch = 5;
    const x = new Float32Array(batch * T * F).map(() => rng.normal());
    const got = await model.predict(x, batch);
    const reference = lstmPredict(lstm, x, batch, T);
    expect(got.length).toBe(batch * K);
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - (1 + reference[i]! / SCALE)));
    expect(maxDiff).toBeLessThan(1e-6);
    expect(model.info).toMatchObject({ windowLength: T, featureCount: F, horizons: [1, 2, 3], target: 'ratio', executionProvider: 'cpu' });
    await model.close();
  });

  it('falls back to the CPU with a warning when CUDA is asked for but cannot load', async () => {
    const lines: string[] = [];
    const model = await OnnxSignalModel.load(dir, { executionProvider: 'cuda', cudaStrict: false, logger: recordingLogger(lines) });
    // On a machine with working CUDA libraries this test exercises the CUDA session instead.
    if (model.info.executionProvider === 'cpu') expect(lines.some((l) => l.includes('CUDA execution provider unavailable'))).toBe(true);
    await model.close();
  });

  it('refuses to start on CPU when CUDA is required strictly and cannot load', async () => {
    const attempt = OnnxSignalModel.load(dir, { executionProvider: 'cuda', cudaStrict: true, logger: silentLogger });
    await attempt.then(
      (model) => model.close(), // CUDA present: nothing to refuse
      (error: unknown) => {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toContain('WICK_CUDA_STRICT=true');
      },
    );
  });

  it("refuses a model whose feature spec differs from the daemon's", async () => {
    await expect(
      OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger, expectedSpec: WORKED_EXAMPLE_SPEC }),
    ).rejects.toThrow(/expects feature spec "scale-free".*but this daemon computes "worked-example"/);
  });

  it('refuses a manifest whose spec hash does not match the definitions of this build', async () => {
    const folder = await copyFolder('hash', (m) => {
      m['specHash'] = 'a'.repeat(64);
    });
    await expect(OnnxSignalModel.load(folder, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger })).rejects.toThrow(
      /feature definitions that differ from this build's/,
    );
  });

  it('refuses a changed model.onnx (checksum) and a corrupt one', async () => {
    const folder = await copyFolder('changed', () => undefined, new Uint8Array([1, 2, 3]));
    await expect(OnnxSignalModel.load(folder, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger })).rejects.toThrow(
      /does not match its manifest \(sha256/,
    );
  });

  it('refuses a folder without manifest, and an invalid manifest, naming the fields', async () => {
    await expect(OnnxSignalModel.load(root, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger })).rejects.toThrow(
      /no manifest\.json in .*WICK_MODEL_DIR/,
    );
    const folder = await copyFolder('invalid', (m) => {
      m['windowLength'] = -1;
      delete m['horizons'];
    });
    const error = await OnnxSignalModel.load(folder, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelMismatchError);
    expect((error as Error).message).toMatch(/windowLength/);
    expect((error as Error).message).toMatch(/horizons/);
  });

  it('refuses a manifest that names the wrong graph input', async () => {
    const folder = await copyFolder('names', (m) => {
      (m['onnx'] as Record<string, unknown>)['inputName'] = 'candles';
    });
    await expect(OnnxSignalModel.load(folder, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger })).rejects.toThrow(
      /inputs \[features\].*input "candles"/,
    );
  });
});
