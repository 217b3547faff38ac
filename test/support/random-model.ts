import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeModelFolder } from '../../src/app/model-folder.js';
import { Rng } from '../../src/core/rng.js';
import { SCALE_FREE_SPEC, specHash, type FeatureSpec } from '../../src/features/index.js';
import { initLstm } from '../../src/train/lstm-model.js';

/**
 * A real model folder (ONNX + manifest) holding an untrained LSTM with seeded weights: its outputs
 * vary with the input window, which is all that engine, parity and look-ahead tests need. `scale`
 * maps outputs to ratios (ratio = 1 + out / scale); a small scale gives large predicted moves and
 * therefore many trades.
 */
export async function randomModelFolder(
  options: { seed?: number; window?: number; hidden?: number; scale?: number; spec?: FeatureSpec; normalisation?: { mean: number[]; std: number[] } } = {},
): Promise<string> {
  const spec = options.spec ?? SCALE_FREE_SPEC;
  const F = spec.features.length;
  const T = options.window ?? 16;
  const dir = await mkdtemp(join(tmpdir(), 'wick-random-model-'));
  const lstm = initLstm({ inputSize: F, hiddenSize: options.hidden ?? 8, numLayers: 1, outputSize: 3, outputKind: 'regression' }, new Rng(options.seed ?? 1));
  // Widen the head so the untrained network's outputs span both sides of the entry threshold.
  for (let k = lstm.layout.headW; k < lstm.layout.total; k++) lstm.params[k] = (lstm.params[k] as number) * 8;
  await writeModelFolder(dir, lstm, {
    timeframe: '1h',
    featureSpec: { name: spec.name, features: spec.features.map((f) => ({ id: f.id, kind: f.kind, params: { ...f.params } })) },
    specHash: specHash(spec),
    windowLength: T,
    featureCount: F,
    horizons: [1, 2, 3],
    target: { kind: 'ratio', scale: options.scale ?? 200, loss: 'mse' },
    normalisation: { mean: options.normalisation?.mean ?? new Array(F).fill(0), std: options.normalisation?.std ?? new Array(F).fill(1), clipSigma: 5 },
    training: {
      data: [],
      splits: { trainToMs: 0, validationFromMs: 0, validationToMs: 0, testFromMs: null, testToMs: null, purgeCandles: 0 },
      hyperParameters: {},
      seed: options.seed ?? 1,
      epochsRun: 0,
      bestEpoch: 0,
    },
    metrics: { validation: {}, test: null },
  });
  return dir;
}
