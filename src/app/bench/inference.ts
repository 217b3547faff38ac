import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../core/logger.js';
import { Rng } from '../../core/rng.js';
import { SCALE_FREE_SPEC, specHash } from '../../features/index.js';
import { OnnxSignalModel } from '../../model/onnx-signal-model.js';
import { lstmArchitectureOf } from '../../model/manifest.js';
import { lstmPredict } from '../../train/lstm-forward.js';
import { castLstm, initLstm, type LstmModel } from '../../train/lstm-model.js';
import { writeModelFolder } from '../model-folder.js';

const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../../models/default', import.meta.url));

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/**
 * The model the benchmarks run: models/default when present, else a freshly initialised network
 * of the default shape (F = 11, H = 64, T = 64, K = 3), whose speed is the same.
 */
export async function benchModelDir(): Promise<{ dir: string; scratch: string | undefined }> {
  if (existsSync(join(DEFAULT_MODEL_DIR, 'manifest.json'))) return { dir: DEFAULT_MODEL_DIR, scratch: undefined };
  const scratch = await mkdtemp(join(tmpdir(), 'wick-bench-model-'));
  const F = SCALE_FREE_SPEC.features.length;
  const lstm = initLstm({ inputSize: F, hiddenSize: 64, numLayers: 1, outputSize: 3, outputKind: 'regression' }, new Rng(1));
  await writeModelFolder(scratch, lstm, {
    timeframe: '1h',
    featureSpec: SCALE_FREE_SPEC as never,
    specHash: specHash(SCALE_FREE_SPEC),
    windowLength: 64,
    featureCount: F,
    horizons: [1, 2, 3],
    target: { kind: 'ratio', scale: 100, loss: 'huber' },
    normalisation: { mean: new Array(F).fill(0), std: new Array(F).fill(1), clipSigma: 5 },
    training: {
      data: [],
      splits: { trainToMs: 0, validationFromMs: 0, validationToMs: 0, testFromMs: null, testToMs: null, purgeCandles: 0 },
      hyperParameters: {},
      seed: 1,
      epochsRun: 0,
      bestEpoch: 0,
    },
    metrics: { validation: {}, test: null },
  });
  return { dir: scratch, scratch };
}

/**
 * Inference latency of one window of the default model on the CPU provider (p50/p99 over many
 * single-window calls, as a live candle sees it), a 1024-window batch (backtests), and the
 * TypeScript forward on the same window for comparison. Uses models/default when present, else a
 * freshly initialised network of the same shape (the speed depends on the shape, not the weights).
 */
export async function benchInference(): Promise<Record<string, number>> {
  const { dir, scratch } = await benchModelDir();
  const model = await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger });
  try {
    const { windowLength: T, featureCount: F } = model.manifest;
    const rng = new Rng(2);
    const one = new Float32Array(T * F).map(() => rng.normal());
    for (let i = 0; i < 200; i++) await model.predictRaw(one, 1);
    const times: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t0 = performance.now();
      await model.predictRaw(one, 1);
      times.push((performance.now() - t0) * 1000);
    }
    times.sort((a, b) => a - b);

    const batch = new Float32Array(1024 * T * F).map(() => rng.normal());
    await model.predictRaw(batch, 1024);
    const batchTimes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await model.predictRaw(batch, 1024);
      batchTimes.push(performance.now() - t0);
    }
    batchTimes.sort((a, b) => a - b);

    const ts = await tsModelFrom(model);
    const jsTimes: number[] = [];
    for (let i = 0; i < 50; i++) lstmPredict(ts, one, 1, T);
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      lstmPredict(ts, one, 1, T);
      jsTimes.push((performance.now() - t0) * 1000);
    }
    jsTimes.sort((a, b) => a - b);
    return {
      'inference.cpu.p50Us': Math.round(percentile(times, 0.5)),
      'inference.cpu.p99Us': Math.round(percentile(times, 0.99)),
      'inference.cpu.batch1024Ms': Number(percentile(batchTimes, 0.5).toFixed(2)),
      'inference.jsForwardP50Us': Math.round(percentile(jsTimes, 0.5)),
    };
  } finally {
    await model.close();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}

/** A TypeScript network of the model's shape (weights do not change the timing). */
async function tsModelFrom(model: OnnxSignalModel): Promise<LstmModel> {
  const { featureCount } = model.manifest;
  const architecture = lstmArchitectureOf(model.manifest);
  const lstm = initLstm(
    {
      inputSize: featureCount,
      hiddenSize: architecture.hidden,
      numLayers: architecture.layers as 1 | 2,
      outputSize: architecture.outputs,
      outputKind: 'regression',
    },
    new Rng(3),
  );
  return castLstm(lstm, Float32Array);
}
