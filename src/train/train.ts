import type { Clock } from '../core/clock.js';
import { DataError, InvariantError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { Adam, clipGlobalNorm } from './adam.js';
import { lstmBackward } from './lstm-backward.js';
import { lstmForward } from './lstm-forward.js';
import { initLstm, paramTensors } from './lstm-model.js';
import type { LstmConfig, LstmModel } from './lstm-model.js';
import { F32Arena, countFloats } from './f32-arena.js';
import { createWorkspace, workspaceSizes } from './lstm-workspace.js';
import type { LstmWorkspace } from './lstm-workspace.js';
import { lossAndGrad } from './loss.js';
import type { Slab } from './gemm.js';
import type { LossSpec } from './loss.js';
import { GradientWorkers, shardSizes } from './data-parallel.js';
import type { ParallelOptions } from './data-parallel.js';

/** Windows in the training layout: x (n, T, F) batch-first, y (n, K). */
export interface WindowSet {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly n: number;
}

export interface TrainData {
  readonly train: WindowSet;
  readonly val: WindowSet;
}

export interface TrainConfig {
  readonly model: LstmConfig;
  /** T: time steps per window. */
  readonly windowLength: number;
  readonly loss: LossSpec;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  /** Decoupled weight decay on weight matrices (not biases); default 0. */
  readonly weightDecay?: number;
  /** Global-norm gradient clipping threshold; default 1. Infinity disables it. */
  readonly clipNorm?: number;
  /** Inverted dropout probability on the input features; default 0. */
  readonly inputDropout?: number;
  /** Inverted dropout probability between stacked layers; default 0. */
  readonly layerDropout?: number;
  /** Truncated BPTT: gradient flows back at most this many steps from the window end; default T. */
  readonly bpttSteps?: number;
  /** Epochs without a validation improvement larger than minDelta before stopping; default never. */
  readonly patience?: number;
  readonly minDelta?: number;
}

export interface EpochReport {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly valLoss: number;
  /** Milliseconds since training started, by hooks.clock (0 without a clock: this layer reads none). */
  readonly elapsedMs: number;
}

export interface TrainHooks {
  onEpoch?(report: EpochReport): void;
  /** Checked after every batch; true stops training and keeps the best model so far (Ctrl-C). */
  shouldStop?(): boolean;
  clock?: Clock;
  /**
   * Data-parallel batches over several threads (see data-parallel.ts). Bit-reproducible for a given
   * thread count; equal to the single-thread run within float rounding (the gradient's summation
   * order differs). Absent or threads ≤ 1: the calling thread alone.
   */
  parallel?: ParallelOptions;
}

export interface TrainResult {
  /** The model with the lowest validation loss seen (restored at the end). */
  readonly model: LstmModel;
  readonly bestEpoch: number;
  readonly bestValLoss: number;
  readonly epochsRun: number;
  readonly stopReason: 'epochs' | 'patience' | 'stopped';
  readonly history: readonly EpochReport[];
}

const EVAL_BATCH = 256;

/**
 * Mini-batch Adam training with seeded init, per-epoch seeded shuffling, dropout, clipping, and
 * early stopping on validation loss. Float32 throughout; the same seed, data and thread count give
 * bit-identical parameters (all randomness comes from one Rng consumed in a fixed order, the same
 * order for any thread count; shards' gradients are summed in shard order).
 */
export function train(config: TrainConfig, data: TrainData, hooks: TrainHooks = {}): TrainResult {
  const mc = config.model;
  const T = config.windowLength;
  const F = mc.inputSize;
  const K = mc.outputSize;
  checkSet('train', data.train, T, F, K);
  checkSet('val', data.val, T, F, K);
  if (data.train.n < 1 || data.val.n < 1) throw new RangeError('train: need at least one training and one validation window');
  if (!Number.isInteger(config.batchSize) || config.batchSize < 1) throw new RangeError('train: batchSize must be a positive integer');
  const pIn = config.inputDropout ?? 0;
  const pLayer = config.layerDropout ?? 0;
  if (!(pIn >= 0 && pIn < 1 && pLayer >= 0 && pLayer < 1)) throw new RangeError('train: dropout must be in [0, 1)');
  const bptt = config.bpttSteps ?? T;
  const clipNorm = config.clipNorm ?? 1;
  const patience = config.patience ?? Infinity;
  const minDelta = config.minDelta ?? 0;
  const clock = hooks.clock;
  const t0 = clock?.nowMs() ?? 0;

  const rng = new Rng(config.seed);
  const init = initLstm(mc, rng, Float32Array);
  const P = init.layout.total;
  const nTrain = data.train.n;
  const B = Math.min(config.batchSize, nTrain);
  const rem = nTrain % B;
  const valRem = data.val.n % B;
  const threads = Math.max(1, Math.min(Math.floor(hooks.parallel?.threads ?? 1), B));
  const fullShards = shardSizes(B, threads);
  const remShards = rem > 0 ? shardSizes(rem, threads) : [];
  // Parameters, gradient and all workspaces share one WebAssembly memory so GEMMs run in SIMD.
  // One workspace per batch size this thread runs: full and last training batch (or their shard 0),
  // full and last validation chunk.
  const sizes = new Set<number>([B]);
  if (rem > 0) sizes.add(rem);
  if (valRem > 0) sizes.add(valRem);
  if (threads > 1) for (const b of [fullShards[0]!, ...(rem > 0 ? [remShards[0]!] : [])]) if (b > 0) sizes.add(b);
  const arena = new F32Arena(countFloats([P, P, ...[...sizes].flatMap((b) => workspaceSizes(init, b, T))]));
  const alloc = (n: number): Float32Array => arena.alloc(n);
  const params = arena.alloc(P);
  params.set(init.params);
  const model: LstmModel = { config: init.config, layout: init.layout, params };
  const grad = arena.alloc(P);
  const spaces = new Map<number, LstmWorkspace>();
  for (const b of sizes) spaces.set(b, createWorkspace(model, b, T, Float32Array, alloc));
  const workspaceFor = (b: number): LstmWorkspace => spaces.get(b)!;
  const decayMask = new Uint8Array(P);
  for (const t of paramTensors(mc)) {
    if (!t.isBias) decayMask.fill(1, t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1));
  }
  const adam = new Adam(P, { learningRate: config.learningRate, weightDecay: config.weightDecay ?? 0 }, decayMask, Float32Array);

  const dOut = new Float32Array(B * K);
  const yBatch = new Float32Array(B * K);
  const order = new Int32Array(nTrain);
  for (let i = 0; i < nTrain; i++) order[i] = i;

  const best = new Float32Array(P);
  let bestValLoss = Infinity;
  let bestEpoch = -1;
  let sinceBest = 0;
  let stopReason: TrainResult['stopReason'] = 'epochs';
  const history: EpochReport[] = [];
  let epochsRun = 0;

  const workers =
    threads > 1
      ? new GradientWorkers(
          mc,
          T,
          config.loss,
          bptt,
          fullShards.slice(1).map((b, w) => [b, remShards[w + 1] ?? 0]),
          hooks.parallel!,
        )
      : null;
  const maskScratch = workers !== null && pLayer > 0 && mc.numLayers > 1 ? new Float32Array(T * B * mc.hiddenSize) : null;

  /** Loss of the batch order[first … first+b) (mean over b·K); its gradient lands in `grad`. */
  const batchGradient = (first: number, b: number, epoch: number): number => {
    grad.fill(0);
    if (workers === null) {
      const ws = workspaceFor(b);
      gatherBatch(ws.x, b, data.train.x, order, first, T, F, pIn, rng);
      ws.dropoutActive = pLayer > 0 && mc.numLayers > 1;
      if (ws.dropoutActive) fillMasks(ws, pLayer, rng);
      const out = lstmForward(model, ws);
      const dO = b === B ? dOut : dOut.subarray(0, b * K);
      const y = gatherTargets(data.train.y, order, first, b, K, yBatch);
      const batchLoss = lossAndGrad(config.loss, out, y, 0, b * K, dO);
      checkLoss(batchLoss, epoch, first);
      lstmBackward(model, ws, dO, grad, bptt);
      return batchLoss;
    }
    const shards = b === B ? fullShards : remShards;
    const ws = workspaceFor(shards[0]!);
    // Inputs in the single-thread order (shard by shard, window by window), so dropout draws match.
    let at = first;
    for (let s = 0; s < threads; s++) {
      const n = shards[s]!;
      if (n > 0) gatherBatch(s === 0 ? ws.x : workers.inputs(s - 1, n).x, n, data.train.x, order, at, T, F, pIn, rng);
      at += n;
    }
    ws.dropoutActive = maskScratch !== null;
    if (maskScratch !== null) {
      for (let l = 1; l < mc.numLayers; l++) {
        const m = maskScratch.subarray(0, T * b * mc.hiddenSize);
        drawMask(m, pLayer, rng);
        let off = 0;
        for (let s = 0; s < threads; s++) {
          const n = shards[s]!;
          if (n > 0) scatterRows(m, T, b, mc.hiddenSize, off, n, s === 0 ? ws.layerMask[l]! : workers.inputs(s - 1, n).masks[l - 1]!);
          off += n;
        }
      }
    }
    at = first;
    for (let s = 0; s < threads; s++) {
      const n = shards[s]!;
      if (n > 0 && s > 0) gatherTargets(data.train.y, order, at, n, K, workers.inputs(s - 1, n).y);
      at += n;
    }
    workers.publish(model.params);
    const remote = shards.slice(1);
    workers.start(remote, b * K, maskScratch !== null);
    const b0 = shards[0]!;
    const out = lstmForward(model, ws);
    const dO = dOut.subarray(0, b0 * K);
    const y = gatherTargets(data.train.y, order, first, b0, K, yBatch);
    let batchLoss = lossAndGrad(config.loss, out, y, 0, b0 * K, dO, b * K);
    lstmBackward(model, ws, dO, grad, bptt);
    batchLoss += workers.reduceInto(grad, remote);
    checkLoss(batchLoss, epoch, first);
    return batchLoss;
  };

  try {
    outer: for (let epoch = 0; epoch < config.epochs; epoch++) {
      rng.shuffle(order);
      let lossSum = 0;
      for (let first = 0; first < nTrain; first += B) {
        const b = Math.min(B, nTrain - first);
        lossSum += batchGradient(first, b, epoch) * b;
        if (Number.isFinite(clipNorm)) clipGlobalNorm(grad, clipNorm);
        adam.update(model.params, grad);
        if (hooks.shouldStop?.() === true) {
          stopReason = 'stopped';
          // Keep whichever is better: the interrupted state or the best completed epoch.
          const valLoss = evaluateWith(model, data.val, config.loss, T, B, workspaceFor);
          if (valLoss < bestValLoss) {
            bestValLoss = valLoss;
            best.set(model.params);
            bestEpoch = epoch;
          }
          break outer;
        }
      }
      const valLoss = evaluateWith(model, data.val, config.loss, T, B, workspaceFor);
      epochsRun = epoch + 1;
      const report: EpochReport = { epoch, trainLoss: lossSum / nTrain, valLoss, elapsedMs: (clock?.nowMs() ?? t0) - t0 };
      history.push(report);
      hooks.onEpoch?.(report);
      if (valLoss < bestValLoss - minDelta) {
        bestValLoss = valLoss;
        bestEpoch = epoch;
        best.set(model.params);
        sinceBest = 0;
      } else if (++sinceBest >= patience) {
        stopReason = 'patience';
        break;
      }
    }
  } finally {
    workers?.close();
  }
  if (bestEpoch >= 0) model.params.set(best);
  // Hand back plain memory: the arena (tens of MB of workspaces) can then be collected.
  const result: LstmModel = { config: model.config, layout: model.layout, params: Float32Array.from(model.params) };
  return { model: result, bestEpoch, bestValLoss, epochsRun, stopReason, history };
}

/** Mean loss over a window set, no dropout, in chunks of EVAL_BATCH. */
export function evaluate(model: LstmModel, set: WindowSet, loss: LossSpec, T: number): number {
  const cache = new Map<number, LstmWorkspace>();
  return evaluateWith(model, set, loss, T, EVAL_BATCH, (b) => {
    let ws = cache.get(b);
    if (ws === undefined) {
      ws = createWorkspace(model, b, T);
      cache.set(b, ws);
    }
    return ws;
  });
}

function evaluateWith(model: LstmModel, set: WindowSet, loss: LossSpec, T: number, chunk: number, workspaceFor: (b: number) => LstmWorkspace): number {
  const F = model.config.inputSize;
  const K = model.config.outputSize;
  let sum = 0;
  for (let first = 0; first < set.n; first += chunk) {
    const b = Math.min(chunk, set.n - first);
    const ws = workspaceFor(b);
    ws.dropoutActive = false;
    const x = ws.x;
    for (let i = 0; i < b; i++) {
      const src = (first + i) * T * F;
      for (let t = 0; t < T; t++) {
        const d = (t * b + i) * F;
        for (let f = 0; f < F; f++) x[d + f] = set.x[src + t * F + f]!;
      }
    }
    const out = lstmForward(model, ws);
    sum += lossAndGrad(loss, out, set.y, first * K, b * K, null) * b;
  }
  return sum / set.n;
}

function checkSet(name: string, s: WindowSet, T: number, F: number, K: number): void {
  if (s.x.length !== s.n * T * F) throw new RangeError(`train: ${name}.x has ${s.x.length} values, expected n·T·F = ${s.n * T * F}`);
  if (s.y.length !== s.n * K) throw new RangeError(`train: ${name}.y has ${s.y.length} values, expected n·K = ${s.n * K}`);
  // One NaN would silently poison every parameter through the gradient: refuse it up front.
  for (const [what, arr, width] of [
    ['x', s.x, T * F],
    ['y', s.y, K],
  ] as const) {
    for (let k = 0; k < arr.length; k++) {
      if (!Number.isFinite(arr[k]!)) throw new DataError(`${name}.${what} has a non-finite value in window ${Math.floor(k / width)}`);
    }
  }
}

/** Time-major gather (T, b, F) into dst of the shuffled windows order[first … first+b) with inverted input dropout. */
function gatherBatch(dst: Slab, B: number, x: Float32Array, order: Int32Array, first: number, T: number, F: number, p: number, rng: Rng): void {
  const keep = 1 / (1 - p);
  for (let b = 0; b < B; b++) {
    const src = order[first + b]! * T * F;
    for (let t = 0; t < T; t++) {
      const d = (t * B + b) * F;
      const s = src + t * F;
      if (p > 0) for (let f = 0; f < F; f++) dst[d + f] = rng.next() < p ? 0 : x[s + f]! * keep;
      else for (let f = 0; f < F; f++) dst[d + f] = x[s + f]!;
    }
  }
}

function fillMasks(ws: LstmWorkspace, p: number, rng: Rng): void {
  for (let l = 1; l < ws.layerMask.length; l++) drawMask(ws.layerMask[l]!, p, rng);
}

function drawMask(m: Slab, p: number, rng: Rng): void {
  const keep = 1 / (1 - p);
  for (let k = 0; k < m.length; k++) m[k] = rng.next() < p ? 0 : keep;
}

/** Rows [from, from+n) of every step of a (T, b, width) slab, as a (T, n, width) slab in dst. */
function scatterRows(src: Float32Array, T: number, b: number, width: number, from: number, n: number, dst: Slab): void {
  for (let t = 0; t < T; t++) dst.set(src.subarray((t * b + from) * width, (t * b + from + n) * width), t * n * width);
}

function checkLoss(loss: number, epoch: number, first: number): void {
  // A non-finite loss means training diverged: stop loudly rather than export NaN weights.
  if (!Number.isFinite(loss)) throw new InvariantError(`train: non-finite loss at epoch ${epoch}, window ${first}`);
}

function gatherTargets(y: Float32Array, order: Int32Array, first: number, b: number, K: number, out: Float32Array): Float32Array {
  for (let i = 0; i < b; i++) {
    const src = order[first + i]! * K;
    for (let k = 0; k < K; k++) out[i * K + k] = y[src + k]!;
  }
  return out;
}
