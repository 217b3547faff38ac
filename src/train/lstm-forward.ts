import { F32Arena, countFloats, simdKernelsFor } from './f32-arena.js';
import { gemmNN, gemmNT, transposeInto } from './gemm.js';
import type { Slab } from './gemm.js';
import type { LstmModel } from './lstm-model.js';
import type { LstmWorkspace } from './lstm-workspace.js';
import { createWorkspace, loadBatchFirst, workspaceSizes } from './lstm-workspace.js';
import type { SlabAllocator } from './lstm-workspace.js';

/**
 * Forward pass over the time-major input already in ws.x (T, B, F). Keeps every activation the
 * backward pass needs and returns ws.out (B, K): regression outputs or classification logits.
 *
 * Per layer: all time steps' input projections are ONE GEMM (T·B × I)·(I × 4H); only h·Rᵀ runs per
 * step. If ws.dropoutActive, layer l ≥ 1 reads hidden[l-1] · layerMask[l] (inverted dropout).
 */
export function lstmForward(model: LstmModel, ws: LstmWorkspace): Slab {
  const { hiddenSize: H, numLayers, outputSize: K } = model.config;
  const p = model.params;
  const B = ws.batch;
  const T = ws.steps;
  const TB = T * B;
  const G4 = 4 * H;
  for (let l = 0; l < numLayers; l++) {
    const lay = model.layout.layers[l]!;
    const I = lay.inputSize;
    let inp: Slab;
    if (l === 0) inp = ws.x;
    else if (ws.dropoutActive) {
      inp = ws.layerIn[l]!;
      const prev = ws.hidden[l - 1]!;
      const mask = ws.layerMask[l]!;
      for (let k = 0; k < TB * H; k++) inp[k] = prev[k]! * mask[k]!;
    } else inp = ws.hidden[l - 1]!;
    const G = ws.gates[l]!; // (T, B, 4H)
    const Cs = ws.cell[l]!; // (T, B, H)
    const TC = ws.tanhCell[l]!; // (T, B, H)
    const Hs = ws.hidden[l]!; // (T, B, H)
    // The SIMD cell step needs every buffer in the same arena and whole 4-unit groups.
    const simd = (H & 3) === 0 && G instanceof Float32Array ? simdKernelsFor(G.buffer) : undefined;

    // G[t, b, :] = Wb + Rb, then += X·Wᵀ for all steps at once.
    for (let j = 0; j < G4; j++) G[j] = p[lay.wb + j]! + p[lay.rb + j]!;
    // Replicate the first row by doubling copies (memcpy speed instead of a scalar loop).
    for (let filled = G4; filled < TB * G4;) {
      const n = Math.min(filled, TB * G4 - filled);
      G.copyWithin(filled, 0, n);
      filled += n;
    }
    transposeInto(G4, I, p, lay.w, ws.wT, 0); // Wᵀ (I, 4H)
    gemmNN(TB, G4, I, inp, 0, I, ws.wT, 0, G4, G, 0, G4);
    transposeInto(G4, H, p, lay.r, ws.rT, 0); // Rᵀ (H, 4H)

    for (let t = 0; t < T; t++) {
      const g0 = t * B * G4;
      const h0 = t * B * H;
      // h_{-1} = 0: step 0 has no recurrent term.
      if (t > 0) gemmNN(B, G4, H, Hs, h0 - B * H, H, ws.rT, 0, G4, G, g0, G4);
      if (simd !== undefined) {
        const cPrev = t > 0 ? Cs.byteOffset + (h0 - B * H) * 4 : ws.zeros.byteOffset;
        simd.cell(B, H, G.byteOffset + g0 * 4, cPrev, Cs.byteOffset + h0 * 4, TC.byteOffset + h0 * 4, Hs.byteOffset + h0 * 4);
        continue;
      }
      for (let b = 0; b < B; b++) {
        const g = g0 + b * G4;
        const h = h0 + b * H;
        for (let j = 0; j < H; j++) {
          const gi = sigmoid(G[g + j]!);
          const go = sigmoid(G[g + H + j]!);
          const gf = sigmoid(G[g + 2 * H + j]!);
          const gc = Math.tanh(G[g + 3 * H + j]!);
          const cPrev = t > 0 ? Cs[h - B * H + j]! : 0;
          const c = gf * cPrev + gi * gc;
          const tc = Math.tanh(c);
          G[g + j] = gi;
          G[g + H + j] = go;
          G[g + 2 * H + j] = gf;
          G[g + 3 * H + j] = gc;
          Cs[h + j] = c;
          TC[h + j] = tc;
          Hs[h + j] = go * tc;
        }
      }
    }
  }

  // Head on the last hidden state of the top layer: out (B, K) = h_{T-1} (B, H) · Wyᵀ + by.
  const top = ws.hidden[numLayers - 1]!;
  const out = ws.out;
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) out[b * K + k] = p[model.layout.headB + k]!;
  gemmNT(B, K, H, top, (T - 1) * B * H, H, p, model.layout.headW, H, out, 0, K);
  return out;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Inference on batch-first windows x (n, T, F): no dropout; classification outputs are
 * probabilities (sigmoid of the logits), matching the exported ONNX graph. Returns (n, K).
 */
export function lstmPredict(model: LstmModel, x: ArrayLike<number>, n: number, steps: number, chunk = 256): Slab {
  const { inputSize: F, outputSize: K } = model.config;
  if (x.length !== n * steps * F) throw new RangeError(`lstmPredict: x has ${x.length} values, expected n·T·F = ${n * steps * F}`);
  const isF32 = model.params instanceof Float32Array;
  const result = isF32 ? new Float32Array(n * K) : new Float64Array(n * K);
  if (n === 0) return result;
  const full = Math.min(chunk, n);
  const last = n % full;
  let run = model;
  let alloc: SlabAllocator | undefined;
  if (isF32) {
    // Float32 runs in an arena (SIMD GEMMs and cell); float64 stays on the plain TS path.
    const P = model.layout.total;
    const arena = new F32Arena(countFloats([P, ...workspaceSizes(model, full, steps), ...(last > 0 ? workspaceSizes(model, last, steps) : [])]));
    const params = arena.alloc(P);
    params.set(model.params);
    run = { config: model.config, layout: model.layout, params };
    alloc = (k) => arena.alloc(k);
  }
  const wsFull = createWorkspace(run, full, steps, undefined, alloc);
  const wsLast = last > 0 ? createWorkspace(run, last, steps, undefined, alloc) : wsFull;
  for (let first = 0; first < n; first += full) {
    const ws = first + full <= n ? wsFull : wsLast;
    loadBatchFirst(ws, x, F, first);
    const out = lstmForward(run, ws);
    for (let k = 0; k < ws.batch * K; k++) {
      const v = out[k]!;
      result[first * K + k] = model.config.outputKind === 'classification' ? sigmoid(v) : v;
    }
  }
  return result;
}
