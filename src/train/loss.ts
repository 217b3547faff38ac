import type { Slab } from './gemm.js';

/**
 * Losses over head outputs (B, K) against targets (B, K), averaged over all B·K entries.
 * - mse:   regression of scaled returns (ratio − 1).
 * - huber: regression, quadratic within ±delta, linear outside (robust to fat-tailed returns).
 * - bce:   direction classification; `out` holds LOGITS, targets are 0/1; computed in the
 *          numerically stable form max(z,0) − z·y + log(1 + e^−|z|).
 */
export type LossSpec = { readonly kind: 'mse' } | { readonly kind: 'huber'; readonly delta: number } | { readonly kind: 'bce' };

/**
 * Returns the mean loss; if dOut is given, writes dLoss/dOut (B, K) into it. `meanOver` (default
 * `count`) is the number of entries the mean is over: a shard of a data-parallel batch passes the
 * whole batch's B·K, so its share of the loss and gradient is exactly the single-thread one.
 */
export function lossAndGrad(
  spec: LossSpec,
  out: ArrayLike<number>,
  target: ArrayLike<number>,
  targetOff: number,
  count: number,
  dOut: Slab | null,
  meanOver = count,
): number {
  let total = 0;
  const inv = 1 / meanOver;
  for (let k = 0; k < count; k++) {
    const z = out[k]!;
    const y = target[targetOff + k]!;
    let l: number;
    let d: number;
    switch (spec.kind) {
      case 'mse': {
        const e = z - y;
        l = e * e;
        d = 2 * e;
        break;
      }
      case 'huber': {
        const e = z - y;
        const a = Math.abs(e);
        if (a <= spec.delta) {
          l = 0.5 * e * e;
          d = e;
        } else {
          l = spec.delta * (a - 0.5 * spec.delta);
          d = spec.delta * Math.sign(e);
        }
        break;
      }
      case 'bce': {
        l = Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
        d = 1 / (1 + Math.exp(-z)) - y;
        break;
      }
    }
    total += l;
    if (dOut !== null) dOut[k] = d * inv;
  }
  return total * inv;
}
