import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { F32Arena, countFloats, simdKernelsFor } from './f32-arena.js';
import type { Slab } from './gemm.js';
import { lstmBackward } from './lstm-backward.js';
import { lstmForward } from './lstm-forward.js';
import { castLstm, initLstm } from './lstm-model.js';
import type { LstmConfig, LstmModel } from './lstm-model.js';
import { createWorkspace, workspaceSizes } from './lstm-workspace.js';
import type { LstmWorkspace } from './lstm-workspace.js';

/**
 * The SIMD path (GEMM kernels + cell step, used when every slab lives in an F32Arena) against the
 * float64 TS path, whose gradient is checked by finite differences in lstm-gradient.test.ts.
 */
const T = 9;
const B = 5;

function run(model: LstmModel, ws: LstmWorkspace, x: Float64Array, masks: Float64Array[], dOut: Float64Array, bptt: number): { out: Slab; grad: Slab } {
  for (let k = 0; k < x.length; k++) ws.x[k] = x[k]!;
  ws.dropoutActive = masks.length > 0;
  masks.forEach((m, l) => ws.layerMask[l + 1]!.set(m));
  const out = lstmForward(model, ws).slice();
  const d = new ws.ctor(dOut.length);
  d.set(dOut);
  const grad = new ws.ctor(model.layout.total);
  lstmBackward(model, ws, d, grad, bptt);
  return { out, grad };
}

describe('SIMD LSTM path matches the float64 reference', () => {
  const configs: LstmConfig[] = [
    { inputSize: 3, hiddenSize: 8, numLayers: 1, outputSize: 2, outputKind: 'regression' },
    { inputSize: 11, hiddenSize: 12, numLayers: 2, outputSize: 1, outputKind: 'regression' },
  ];
  for (const config of configs) {
    for (const bptt of [T, 4]) {
      it(`${config.numLayers} layer(s), H=${config.hiddenSize}, bptt ${bptt}`, () => {
        const rng = new Rng(config.hiddenSize + bptt);
        const m32 = initLstm(config, rng);
        for (let k = 0; k < m32.params.length; k++) m32.params[k] = m32.params[k]! + 0.3 * rng.normal();
        const x = Float64Array.from({ length: T * B * config.inputSize }, () => rng.normal());
        const masks = config.numLayers > 1 ? [Float64Array.from({ length: T * B * config.hiddenSize }, () => (rng.next() < 0.25 ? 0 : 4 / 3))] : [];
        const dOut = Float64Array.from({ length: B * config.outputSize }, () => rng.normal());

        const arena = new F32Arena(countFloats([m32.layout.total, ...workspaceSizes(m32, B, T)]));
        const params = arena.alloc(m32.layout.total);
        params.set(m32.params);
        const simdModel: LstmModel = { ...m32, params };
        expect(simdKernelsFor(params.buffer)).toBeDefined();
        const simd = run(
          simdModel,
          createWorkspace(simdModel, B, T, Float32Array, (n) => arena.alloc(n)),
          x,
          masks,
          dOut,
          bptt,
        );
        const m64 = castLstm(m32, Float64Array);
        const ref = run(m64, createWorkspace(m64, B, T), x, masks, dOut, bptt);

        for (let k = 0; k < ref.out.length; k++) expect(Math.abs(simd.out[k]! - ref.out[k]!)).toBeLessThan(1e-5);
        let scale = 0;
        let err = 0;
        for (let k = 0; k < ref.grad.length; k++) {
          scale = Math.max(scale, Math.abs(ref.grad[k]!));
          err = Math.max(err, Math.abs(simd.grad[k]! - ref.grad[k]!));
        }
        expect(scale).toBeGreaterThan(0.01);
        expect(err / scale).toBeLessThan(1e-5);
      });
    }
  }
});
