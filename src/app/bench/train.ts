/**
 * Training benchmark (`npm run bench -- train`).
 * Reference config: F=11, H=64, T=64, one LSTM layer, K=1 (MSE), batch 64; one epoch over
 * WICK_BENCH_TRAIN_WINDOWS (default 20,000) synthetic windows (forward + backward + Adam),
 * Float32, on one thread and on every core (data-parallel shards, the peer measured in the same
 * run: `train.parallelSpeedup` is the ratio). A short untimed warm-up epoch first, so the timed
 * ones measure optimised code as a real multi-epoch run would.
 */
import { Rng } from '../../core/rng.js';
import { train } from '../../train/train.js';
import type { TrainConfig, TrainHooks, WindowSet } from '../../train/train.js';
import { defaultTrainingThreads, trainingParallelism } from '../train-threads/spawn.js';

const F = 11;
const H = 64;
const T = 64;
const N = Number(process.env['WICK_BENCH_TRAIN_WINDOWS'] ?? 20_000);

function synthetic(n: number, rng: Rng): WindowSet {
  const x = new Float32Array(n * T * F);
  const y = new Float32Array(n);
  for (let k = 0; k < x.length; k++) x[k] = rng.normal();
  for (let i = 0; i < n; i++) y[i] = 0.3 * x[(i * T + T - 1) * F]! + 0.1 * rng.normal();
  return { x, y, n };
}

export async function benchTrain(): Promise<Record<string, number>> {
  const rng = new Rng(1);
  const trainSet = synthetic(N, rng);
  const val = synthetic(64, rng);
  const config: TrainConfig = {
    model: { inputSize: F, hiddenSize: H, numLayers: 1, outputSize: 1, outputKind: 'regression' },
    windowLength: T,
    loss: { kind: 'mse' },
    epochs: 1,
    batchSize: 64,
    learningRate: 1e-3,
    seed: 7,
  };
  const warm: WindowSet = { x: trainSet.x.subarray(0, 640 * T * F), y: trainSet.y.subarray(0, 640), n: 640 };
  train(config, { train: warm, val });
  const threads = defaultTrainingThreads();
  const timed = (hooks: TrainHooks): number => {
    const t0 = performance.now();
    const result = train(config, { train: trainSet, val }, hooks);
    const seconds = (performance.now() - t0) / 1000;
    if (!Number.isFinite(result.bestValLoss)) throw new Error('benchmark training diverged');
    return N / seconds;
  };
  const single = timed({});
  // Thread start-up (well under a second) is inside the timing, as in a real run.
  const parallel = threads > 1 ? timed({ parallel: trainingParallelism(threads) }) : single;
  return {
    'train.windowsPerSec': Math.round(parallel),
    'train.threads': threads,
    'train.windowsPerSec1Thread': Math.round(single),
    'train.parallelSpeedup': Number((parallel / single).toFixed(2)),
  };
}
