import type { Rng } from '../core/rng.js';
import type { Slab, SlabConstructor } from './gemm.js';

/**
 * An LSTM (1–2 stacked layers) with a linear head on the last hidden state.
 *
 * Parameter slab layout (one contiguous slab; the gradient slab has the same layout):
 *
 *   for each layer l (I = inputSize for l = 0, hiddenSize otherwise):
 *     W  (4H, I)   input weights,     gate blocks in ONNX order i, o, f, c
 *     R  (4H, H)   recurrent weights, same gate order
 *     Wb (4H)      input bias
 *     Rb (4H)      recurrent bias     (Wb‖Rb is exactly ONNX's B (8H))
 *   head:
 *     Wy (K, H)
 *     by (K)
 *
 * Gates are kept in ONNX order so that export is a plain copy. Wb and Rb are redundant (only their
 * sum matters) but keeping both makes the ONNX B a contiguous slice; their gradients are equal.
 */
export type OutputKind = 'regression' | 'classification';

export interface LstmConfig {
  /** F: features per time step. */
  readonly inputSize: number;
  /** H: hidden units per layer (≤ 256 is the supported range). */
  readonly hiddenSize: number;
  readonly numLayers: 1 | 2;
  /** K: outputs of the head (one per horizon). */
  readonly outputSize: number;
  /** 'regression': raw outputs (scaled returns). 'classification': logits, sigmoid at inference/export. */
  readonly outputKind: OutputKind;
}

export interface LayerLayout {
  readonly inputSize: number;
  readonly w: number;
  readonly r: number;
  readonly wb: number;
  readonly rb: number;
}

export interface ParamLayout {
  readonly layers: readonly LayerLayout[];
  readonly headW: number;
  readonly headB: number;
  readonly total: number;
}

export interface LstmModel {
  readonly config: LstmConfig;
  readonly layout: ParamLayout;
  /** All parameters, laid out as in ParamLayout. */
  readonly params: Slab;
}

/** Named parameter tensors: offsets, sizes and shapes, for gradient checks and weight decay masks. */
export interface ParamTensor {
  readonly name: string;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly isBias: boolean;
}

export function paramLayout(config: LstmConfig): ParamLayout {
  validateConfig(config);
  const H = config.hiddenSize;
  const layers: LayerLayout[] = [];
  let off = 0;
  for (let l = 0; l < config.numLayers; l++) {
    const I = l === 0 ? config.inputSize : H;
    const w = off;
    const r = w + 4 * H * I;
    const wb = r + 4 * H * H;
    const rb = wb + 4 * H;
    off = rb + 4 * H;
    layers.push({ inputSize: I, w, r, wb, rb });
  }
  const headW = off;
  const headB = headW + config.outputSize * H;
  return { layers, headW, headB, total: headB + config.outputSize };
}

export function paramTensors(config: LstmConfig): ParamTensor[] {
  const L = paramLayout(config);
  const H = config.hiddenSize;
  const out: ParamTensor[] = [];
  L.layers.forEach((layer, l) => {
    out.push({ name: `W${l}`, offset: layer.w, shape: [4 * H, layer.inputSize], isBias: false });
    out.push({ name: `R${l}`, offset: layer.r, shape: [4 * H, H], isBias: false });
    out.push({ name: `Wb${l}`, offset: layer.wb, shape: [4 * H], isBias: true });
    out.push({ name: `Rb${l}`, offset: layer.rb, shape: [4 * H], isBias: true });
  });
  out.push({ name: 'Wy', offset: L.headW, shape: [config.outputSize, H], isBias: false });
  out.push({ name: 'by', offset: L.headB, shape: [config.outputSize], isBias: true });
  return out;
}

function validateConfig(c: LstmConfig): void {
  const ints: Array<[string, number]> = [
    ['inputSize', c.inputSize],
    ['hiddenSize', c.hiddenSize],
    ['outputSize', c.outputSize],
  ];
  for (const [name, v] of ints) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`LstmConfig.${name} must be a positive integer, got ${v}`);
  }
  if (c.numLayers !== 1 && c.numLayers !== 2) throw new RangeError(`LstmConfig.numLayers must be 1 or 2, got ${String(c.numLayers)}`);
}

/** A model with zero parameters (tests fill it; training uses initLstm). */
export function createLstm(config: LstmConfig, ctor: SlabConstructor = Float32Array): LstmModel {
  const layout = paramLayout(config);
  return { config: Object.freeze({ ...config }), layout, params: new ctor(layout.total) };
}

/**
 * Seeded initialisation: Xavier/Glorot uniform per gate block for W and the head, orthogonal R per
 * gate block (an H×H orthonormal matrix keeps the recurrence from exploding or vanishing at start),
 * forget-gate bias 1 (so early training remembers), zeros elsewhere.
 */
export function initLstm(config: LstmConfig, rng: Rng, ctor: SlabConstructor = Float32Array): LstmModel {
  const model = createLstm(config, ctor);
  const p = model.params;
  const H = config.hiddenSize;
  for (const layer of model.layout.layers) {
    const I = layer.inputSize;
    const limit = Math.sqrt(6 / (I + H));
    for (let k = 0; k < 4 * H * I; k++) p[layer.w + k] = (2 * rng.next() - 1) * limit;
    for (let g = 0; g < 4; g++) {
      const q = orthogonal(H, rng);
      p.set(q, layer.r + g * H * H);
    }
    // Forget gate is block 2 in ONNX order (i, o, f, c); the bias lives in Wb, Rb stays 0.
    for (let j = 0; j < H; j++) p[layer.wb + 2 * H + j] = 1;
  }
  const K = config.outputSize;
  const limit = Math.sqrt(6 / (H + K));
  for (let k = 0; k < K * H; k++) p[model.layout.headW + k] = (2 * rng.next() - 1) * limit;
  return model;
}

/** n×n orthonormal rows: modified Gram–Schmidt on a seeded standard-normal matrix, in float64. */
export function orthogonal(n: number, rng: Rng): Float64Array {
  const q = new Float64Array(n * n);
  for (let k = 0; k < n * n; k++) q[k] = rng.normal();
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      let dot = 0;
      for (let c = 0; c < n; c++) dot += q[ri + c]! * q[rj + c]!;
      for (let c = 0; c < n; c++) q[ri + c] = q[ri + c]! - dot * q[rj + c]!;
    }
    let norm = 0;
    for (let c = 0; c < n; c++) norm += q[ri + c]! * q[ri + c]!;
    norm = Math.sqrt(norm);
    // A normal matrix is full rank with probability 1; guard anyway against a degenerate draw.
    if (norm < 1e-12) throw new RangeError('orthogonal: degenerate random matrix');
    for (let c = 0; c < n; c++) q[ri + c] = q[ri + c]! / norm;
  }
  return q;
}

/** A copy of the model with parameters in another precision (float64 for gradient checks). */
export function castLstm(model: LstmModel, ctor: SlabConstructor): LstmModel {
  const params = new ctor(model.layout.total);
  for (let k = 0; k < params.length; k++) params[k] = model.params[k]!;
  return { config: model.config, layout: model.layout, params };
}
