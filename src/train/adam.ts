import type { Slab, SlabConstructor } from './gemm.js';

export interface AdamConfig {
  readonly learningRate: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  /** Decoupled (AdamW) weight decay per step, applied only where decayMask is 1 (weights, not biases). */
  readonly weightDecay?: number;
}

/** Adam with bias correction and optional decoupled weight decay, over one parameter slab. */
export class Adam {
  private readonly m: Slab;
  private readonly v: Slab;
  private step = 0;
  private readonly lr: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly wd: number;

  constructor(
    size: number,
    config: AdamConfig,
    private readonly decayMask: Uint8Array | null = null,
    ctor: SlabConstructor = Float32Array,
  ) {
    this.m = new ctor(size);
    this.v = new ctor(size);
    this.lr = config.learningRate;
    this.b1 = config.beta1 ?? 0.9;
    this.b2 = config.beta2 ?? 0.999;
    this.eps = config.epsilon ?? 1e-8;
    this.wd = config.weightDecay ?? 0;
  }

  update(params: Slab, grad: Slab): void {
    this.step++;
    const { m, v, b1, b2, eps, lr } = this;
    const c1 = 1 - b1 ** this.step;
    const c2 = 1 - b2 ** this.step;
    const decay = lr * this.wd;
    const mask = this.decayMask;
    for (let k = 0; k < params.length; k++) {
      const g = grad[k]!;
      const mk = b1 * m[k]! + (1 - b1) * g;
      const vk = b2 * v[k]! + (1 - b2) * g * g;
      m[k] = mk;
      v[k] = vk;
      let p = params[k]!;
      if (decay !== 0 && (mask === null || mask[k] === 1)) p -= decay * p;
      params[k] = p - (lr * (mk / c1)) / (Math.sqrt(vk / c2) + eps);
    }
  }
}

/** Scales grad in place so its global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGlobalNorm(grad: Slab, maxNorm: number): number {
  let s = 0;
  for (let k = 0; k < grad.length; k++) s += grad[k]! * grad[k]!;
  const norm = Math.sqrt(s);
  if (norm > maxNorm && norm > 0) {
    const scale = maxNorm / norm;
    for (let k = 0; k < grad.length; k++) grad[k] = grad[k]! * scale;
  }
  return norm;
}
