import { F32Arena, countFloats } from './f32-arena.js';
import { lstmBackward } from './lstm-backward.js';
import { lstmForward } from './lstm-forward.js';
import { createLstm } from './lstm-model.js';
import type { LstmConfig, LstmModel } from './lstm-model.js';
import { createWorkspace, workspaceSizes } from './lstm-workspace.js';
import type { LstmWorkspace } from './lstm-workspace.js';
import type { Slab } from './gemm.js';
import { lossAndGrad } from './loss.js';
import type { LossSpec } from './loss.js';

/**
 * Data-parallel gradients over threads with shared memory, deterministic for a given thread count.
 *
 * A mini-batch of B windows is cut into `threads` contiguous shards; shard 0 runs on the calling
 * thread, shard s ≥ 1 on gradient worker s. The caller writes each worker's inputs into that
 * worker's shared slab (time-major x, dropout masks, targets), publishes the parameters once, and
 * starts every worker; each computes forward, the loss gradient normalised by the WHOLE batch
 * (so its dOut equals the single-thread dOut entry for entry), and backward into its own gradient
 * slab. The reduction is a plain sum in shard order 0, 1, …, N−1, so a given thread count always
 * gives the same bits; against one thread only the summation order of the parameter-gradient
 * GEMMs differs (float rounding).
 *
 * This layer is pure: it does not start threads. The caller passes `spawn`, which runs
 * `serveGradientWorker(data)` on a new thread (the app layer does it with worker_threads).
 */

/** What a gradient worker needs; structured-clonable (SharedArrayBuffers are shared, not copied). */
export interface GradientWorkerData {
  readonly model: LstmConfig;
  readonly steps: number;
  readonly loss: LossSpec;
  readonly bpttSteps: number;
  /** Every shard size this worker may be given (full batches and the last, shorter one). */
  readonly shardSizes: readonly number[];
  /** Float slab, see SlabLayout. */
  readonly slab: SharedArrayBuffer;
  /** The parameters, published by the caller before every step (P floats). */
  readonly params: SharedArrayBuffer;
  /** Int32 control words, see CTRL_*. */
  readonly control: SharedArrayBuffer;
}

/** Starts a thread that runs serveGradientWorker(data); terminate() is called after a 'stop'. */
export type SpawnGradientWorker = (data: GradientWorkerData) => { terminate(): void };

export interface ParallelOptions {
  /** Threads, the calling one included (≥ 2 to be parallel at all). */
  readonly threads: number;
  readonly spawn: SpawnGradientWorker;
  /** How long to wait for a worker before declaring it dead; default 120 s. */
  readonly timeoutMs?: number;
}

// Control words (Int32): the caller bumps CTRL_GEN to start a step (or writes STOP); the worker
// echoes the generation into CTRL_DONE when its gradient is in the slab.
const CTRL_GEN = 0;
const CTRL_DONE = 1;
const CTRL_SHARD = 2;
const CTRL_DROPOUT = 3;
const CTRL_READY = 4;
const CTRL_FAILED = 5;
const CTRL_MESSAGE_LEN = 6;
/** B·K of the whole batch: each shard's loss and gradient are divided by it, not by its own size. */
const CTRL_MEAN_OVER = 7;
const CTRL_WORDS = 8;
const MESSAGE_BYTES = 1024;
const STOP = -1;

/** Float offsets inside one worker's slab. */
interface SlabLayout {
  readonly x: number;
  readonly mask: number;
  readonly y: number;
  readonly grad: number;
  readonly loss: number;
  readonly total: number;
}

function slabLayout(config: LstmConfig, steps: number, maxShard: number, paramCount: number): SlabLayout {
  const { inputSize: F, hiddenSize: H, outputSize: K, numLayers } = config;
  const x = 0;
  const mask = x + steps * maxShard * F;
  const y = mask + (numLayers - 1) * steps * maxShard * H;
  const grad = y + maxShard * K;
  const loss = grad + paramCount;
  return { x, mask, y, grad, loss, total: loss + 1 };
}

/** Near-equal contiguous shard sizes of a batch of b windows (the first ones one larger). */
export function shardSizes(b: number, threads: number): number[] {
  const base = Math.floor(b / threads);
  const extra = b % threads;
  return Array.from({ length: threads }, (_, s) => base + (s < extra ? 1 : 0));
}

/** One worker's shared input and output views, as the calling thread sees them. */
export interface WorkerInputs {
  /** (T, b, F) time-major inputs of this shard. */
  readonly x: Float32Array;
  /** Per layer l ≥ 1 (index l − 1): (T, b, H) dropout mask. */
  readonly masks: readonly Float32Array[];
  /** (b, K) targets. */
  readonly y: Float32Array;
}

interface Remote {
  readonly control: Int32Array;
  readonly message: Uint8Array;
  readonly slab: Float32Array;
  readonly layout: SlabLayout;
  readonly handle: { terminate(): void };
}

/** The calling thread's side: owns the workers, dispatches shards, reduces their gradients. */
export class GradientWorkers {
  private readonly remotes: Remote[] = [];
  private readonly sharedParams: Float32Array;
  private generation = 0;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(
    private readonly config: LstmConfig,
    private readonly steps: number,
    loss: LossSpec,
    bpttSteps: number,
    sizesPerWorker: readonly (readonly number[])[],
    options: ParallelOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 120_000;
    const P = createLstm(config).layout.total;
    const paramsBuffer = new SharedArrayBuffer(P * 4);
    this.sharedParams = new Float32Array(paramsBuffer);
    try {
      for (const sizes of sizesPerWorker) {
        const maxShard = Math.max(1, ...sizes);
        const layout = slabLayout(config, steps, maxShard, P);
        const slab = new SharedArrayBuffer(layout.total * 4);
        const control = new SharedArrayBuffer(CTRL_WORDS * 4 + MESSAGE_BYTES);
        const data: GradientWorkerData = { model: config, steps, loss, bpttSteps, shardSizes: sizes.filter((n) => n > 0), slab, params: paramsBuffer, control };
        const handle = options.spawn(data);
        this.remotes.push({
          control: new Int32Array(control, 0, CTRL_WORDS),
          message: new Uint8Array(control, CTRL_WORDS * 4),
          slab: new Float32Array(slab),
          layout,
          handle,
        });
      }
      for (let s = 0; s < this.remotes.length; s++) this.await(s, CTRL_READY, 1, 'start');
    } catch (error) {
      this.close();
      throw error;
    }
  }

  get workers(): number {
    return this.remotes.length;
  }

  /** Where the caller writes worker w's inputs for a shard of b windows. */
  inputs(w: number, b: number): WorkerInputs {
    const { slab, layout } = this.remotes[w]!;
    const { inputSize: F, hiddenSize: H, outputSize: K, numLayers } = this.config;
    const T = this.steps;
    const masks: Float32Array[] = [];
    for (let l = 1; l < numLayers; l++) masks.push(slab.subarray(layout.mask + (l - 1) * T * b * H, layout.mask + l * T * b * H));
    return { x: slab.subarray(layout.x, layout.x + T * b * F), masks, y: slab.subarray(layout.y, layout.y + b * K) };
  }

  /** Publishes the parameters every worker reads in the next step. */
  publish(params: ArrayLike<number>): void {
    this.sharedParams.set(params);
  }

  /**
   * Starts a step: worker w runs a shard of sizes[w] windows (0: idle this step); losses and
   * gradients are means over `meanOver` entries (the whole batch's B·K).
   */
  start(sizes: readonly number[], meanOver: number, dropoutActive: boolean): void {
    this.generation = (this.generation + 1) & 0x3fffffff;
    for (let w = 0; w < this.remotes.length; w++) {
      if (sizes[w] === 0) continue;
      const c = this.remotes[w]!.control;
      Atomics.store(c, CTRL_SHARD, sizes[w]!);
      Atomics.store(c, CTRL_DROPOUT, dropoutActive ? 1 : 0);
      Atomics.store(c, CTRL_MEAN_OVER, meanOver);
      Atomics.store(c, CTRL_GEN, this.generation);
      Atomics.notify(c, CTRL_GEN);
    }
  }

  /**
   * Waits for the step and adds each worker's gradient to `grad` in worker order (the fixed
   * reduction order). Returns the sum of the workers' losses (each already divided by B·K).
   */
  reduceInto(grad: Slab, sizes: readonly number[]): number {
    let loss = 0;
    for (let w = 0; w < this.remotes.length; w++) {
      if (sizes[w] === 0) continue;
      this.await(w, CTRL_DONE, this.generation, 'step');
      const { slab, layout } = this.remotes[w]!;
      const g = slab.subarray(layout.grad, layout.grad + grad.length);
      for (let k = 0; k < grad.length; k++) grad[k] = grad[k]! + g[k]!;
      loss += slab[layout.loss]!;
    }
    return loss;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.remotes) {
      Atomics.store(r.control, CTRL_GEN, STOP);
      Atomics.notify(r.control, CTRL_GEN);
      r.handle.terminate();
    }
  }

  private await(w: number, word: number, value: number, what: string): void {
    const r = this.remotes[w]!;
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const seen = Atomics.load(r.control, word);
      if (Atomics.load(r.control, CTRL_FAILED) === 1) {
        const text = new TextDecoder().decode(r.message.slice(0, Atomics.load(r.control, CTRL_MESSAGE_LEN)));
        throw new Error(`training worker ${w + 1} failed: ${text}`);
      }
      if (seen === value) return;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`training worker ${w + 1} did not answer (${what}) within ${this.timeoutMs} ms; the thread may have crashed (out of memory?)`);
      Atomics.wait(r.control, word, seen, Math.min(left, 1_000));
    }
  }
}

/**
 * The worker thread's loop: waits for a step, computes its shard's gradient, reports, until told
 * to stop. Runs synchronously; returns after STOP.
 */
export function serveGradientWorker(data: GradientWorkerData): void {
  const control = new Int32Array(data.control, 0, CTRL_WORDS);
  const message = new Uint8Array(data.control, CTRL_WORDS * 4);
  try {
    const proto = createLstm(data.model);
    const P = proto.layout.total;
    const T = data.steps;
    const { inputSize: F, hiddenSize: H, outputSize: K, numLayers } = data.model;
    const maxShard = Math.max(1, ...data.shardSizes);
    const layout = slabLayout(data.model, T, maxShard, P);
    const slab = new Float32Array(data.slab);
    const shared = new Float32Array(data.params);
    const sizes = [...new Set(data.shardSizes)];
    const arena = new F32Arena(countFloats([P, P, maxShard * K, ...sizes.flatMap((b) => workspaceSizes(proto, b, T))]));
    const alloc = (n: number): Float32Array => arena.alloc(n);
    const model: LstmModel = { config: proto.config, layout: proto.layout, params: alloc(P) };
    const grad = alloc(P);
    const dOutAll = alloc(maxShard * K);
    const spaces = new Map<number, LstmWorkspace>();
    for (const b of sizes) spaces.set(b, createWorkspace(model, b, T, Float32Array, alloc));
    Atomics.store(control, CTRL_READY, 1);
    Atomics.notify(control, CTRL_READY);

    let seen = 0;
    for (;;) {
      Atomics.wait(control, CTRL_GEN, seen);
      const gen = Atomics.load(control, CTRL_GEN);
      if (gen === STOP) return;
      if (gen === seen) continue;
      seen = gen;
      const b = Atomics.load(control, CTRL_SHARD);
      const ws = spaces.get(b);
      if (ws === undefined) throw new RangeError(`no workspace for a shard of ${b} windows (have ${sizes.join(', ')})`);
      model.params.set(shared);
      ws.x.set(slab.subarray(layout.x, layout.x + T * b * F));
      ws.dropoutActive = Atomics.load(control, CTRL_DROPOUT) === 1 && numLayers > 1;
      if (ws.dropoutActive) {
        for (let l = 1; l < numLayers; l++) ws.layerMask[l]!.set(slab.subarray(layout.mask + (l - 1) * T * b * H, layout.mask + l * T * b * H));
      }
      const meanOver = Atomics.load(control, CTRL_MEAN_OVER);
      const out = lstmForward(model, ws);
      const dOut = dOutAll.subarray(0, b * K);
      const loss = lossAndGrad(data.loss, out, slab, layout.y, b * K, dOut, meanOver);
      grad.fill(0);
      lstmBackward(model, ws, dOut, grad, data.bpttSteps);
      slab.set(grad, layout.grad);
      slab[layout.loss] = loss;
      Atomics.store(control, CTRL_DONE, gen);
      Atomics.notify(control, CTRL_DONE);
    }
  } catch (error) {
    const bytes = new TextEncoder().encode(error instanceof Error ? error.message : String(error)).subarray(0, MESSAGE_BYTES);
    message.set(bytes);
    Atomics.store(control, CTRL_MESSAGE_LEN, bytes.length);
    Atomics.store(control, CTRL_FAILED, 1);
    Atomics.notify(control, CTRL_READY);
    Atomics.notify(control, CTRL_DONE);
  }
}
