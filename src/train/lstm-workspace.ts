import type { Slab, SlabConstructor } from './gemm.js';
import type { LstmModel } from './lstm-model.js';

/**
 * Every buffer one forward+backward pass needs for a fixed (batch, T), allocated once so the
 * training loop allocates nothing. Time-major throughout: row (t, b) of a (T, B, ·) buffer is at
 * (t·B + b)·width, so one time step is a contiguous (B, ·) block and the last `bpttSteps` steps are
 * one contiguous row range for the parameter-gradient GEMMs.
 */
export interface LstmWorkspace {
  readonly batch: number;
  readonly steps: number;
  readonly ctor: SlabConstructor;
  /** (T, B, F) layer-0 input, already multiplied by the input dropout mask when dropout is on. */
  readonly x: Slab;
  /** Per layer: activated gates (T, B, 4H) in order i, o, f, c. */
  readonly gates: Slab[];
  /** Per layer: cell state (T, B, H). */
  readonly cell: Slab[];
  /** Per layer: tanh(cell) (T, B, H), kept for backward. */
  readonly tanhCell: Slab[];
  /** Per layer: hidden state (T, B, H). */
  readonly hidden: Slab[];
  /** Per layer l ≥ 1: its input hidden[l-1] · mask (T, B, H); index 0 unused. */
  readonly layerIn: Slab[];
  /** Per layer l ≥ 1: inverted-dropout mask on its input (T, B, H), values 0 or 1/(1-p). */
  readonly layerMask: Slab[];
  /** Head output (B, K): raw regression outputs or classification logits. */
  readonly out: Slab;
  /** Scratch: Wᵀ (I, 4H) and Rᵀ (H, 4H) of the layer being computed. */
  readonly wT: Slab;
  readonly rT: Slab;
  /** Backward: pre-activation gate gradients of one layer (T, B, 4H). */
  readonly dGates: Slab;
  /** Backward: gradient w.r.t. the current layer's output sequence (T, B, H). */
  readonly dHidden: Slab;
  /** Backward: recurrent carries dh, dc (B, H). */
  readonly dhNext: Slab;
  readonly dcNext: Slab;
  /** (T·B) ones: turns a column sum into a GEMM. */
  readonly ones: Slab;
  /** (B, H) zeros: the cell state before step 0. */
  readonly zeros: Slab;
  /** Whether layerIn/layerMask hold a dropout draw for the current pass. */
  dropoutActive: boolean;
}

/** Allocates one zeroed slab of n elements (an F32Arena's alloc, for SIMD GEMMs). */
export type SlabAllocator = (n: number) => Slab;

/**
 * Workspace for (batch, steps). With `alloc` (e.g. an F32Arena's), every buffer comes from it;
 * otherwise from `ctor`, defaulting to the precision of the model's parameters.
 */
export function createWorkspace(model: LstmModel, batch: number, steps: number, ctor?: SlabConstructor, alloc?: SlabAllocator): LstmWorkspace {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  const c = ctor ?? (model.params instanceof Float64Array ? Float64Array : Float32Array);
  const { inputSize: F, hiddenSize: H, numLayers, outputSize: K } = model.config;
  const TB = steps * batch;
  const mk: SlabAllocator = alloc ?? ((n) => new c(n));
  const perLayer = (width: number): Slab[] => Array.from({ length: numLayers }, () => mk(TB * width));
  return {
    batch,
    steps,
    ctor: c,
    x: mk(TB * F),
    gates: perLayer(4 * H),
    cell: perLayer(H),
    tanhCell: perLayer(H),
    hidden: perLayer(H),
    layerIn: Array.from({ length: numLayers }, (_, l) => mk(l === 0 ? 0 : TB * H)),
    layerMask: Array.from({ length: numLayers }, (_, l) => mk(l === 0 ? 0 : TB * H)),
    out: mk(batch * K),
    wT: mk(Math.max(F, H) * 4 * H),
    rT: mk(H * 4 * H),
    dGates: mk(TB * 4 * H),
    dHidden: mk(TB * H),
    dhNext: mk(batch * H),
    dcNext: mk(batch * H),
    zeros: mk(batch * H),
    ones: mk(TB).fill(1),
    dropoutActive: false,
  };
}

/** Copies batch-first windows x (B, T, F) starting at window `first` into the time-major ws.x. */
export function loadBatchFirst(ws: LstmWorkspace, x: ArrayLike<number>, features: number, first = 0): void {
  const { batch: B, steps: T } = ws;
  const F = features;
  for (let b = 0; b < B; b++) {
    const src = (first + b) * T * F;
    for (let t = 0; t < T; t++) {
      const s = src + t * F;
      const d = (t * B + b) * F;
      for (let f = 0; f < F; f++) ws.x[d + f] = x[s + f]!;
    }
  }
}

/** Sizes of every slab createWorkspace allocates, in order (to size an F32Arena up front). */
export function workspaceSizes(model: LstmModel, batch: number, steps: number): number[] {
  const sizes: number[] = [];
  createWorkspace(model, batch, steps, Float32Array, (n) => {
    sizes.push(n);
    return new Float32Array(0);
  });
  return sizes;
}
