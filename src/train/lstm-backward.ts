import { simdKernelsFor } from './f32-arena.js';
import { gemmNN, gemmTN } from './gemm.js';
import type { Slab } from './gemm.js';
import type { LstmModel } from './lstm-model.js';
import type { LstmWorkspace } from './lstm-workspace.js';

/**
 * Backpropagation through time after lstmForward on the same workspace. dOut (B, K) is dLoss/dOut
 * (w.r.t. the head outputs / logits). Gradients are ACCUMULATED into `grad` (same layout as params).
 *
 * Truncation: only the last `bpttSteps` time steps (t ≥ t0 = T − bpttSteps) receive gradient;
 * h_{t0−1} and c_{t0−1} are treated as constants. bpttSteps ≥ T gives the exact full gradient.
 *
 * The backward recurrence only computes dGates (pre-activation) and dh/dc carries per step; the
 * parameter gradients are then single GEMMs over all (T − t0)·B rows at once.
 */
export function lstmBackward(model: LstmModel, ws: LstmWorkspace, dOut: Slab, grad: Slab, bpttSteps = Infinity): void {
  const { hiddenSize: H, numLayers, outputSize: K } = model.config;
  const p = model.params;
  const B = ws.batch;
  const T = ws.steps;
  const G4 = 4 * H;
  const BH = B * H;
  const steps = Math.max(1, Math.min(T, Math.floor(bpttSteps)));
  const t0 = T - steps;
  const rows = steps * B;
  const dG = ws.dGates; // (T, B, 4H)
  const dH = ws.dHidden; // (T, B, H)
  const dh = ws.dhNext; // (B, H)
  const dc = ws.dcNext; // (B, H)
  const layout = model.layout;

  // Head: dWy (K, H) += dOutᵀ (K, B) · h_{T-1} (B, H); dby += Σ_b dOut; dh_{T-1} (B, H) = dOut · Wy.
  const top = ws.hidden[numLayers - 1]!;
  const hLast = (T - 1) * BH;
  gemmTN(K, H, B, dOut, 0, K, top, hLast, H, grad, layout.headW, H);
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) grad[layout.headB + k] = grad[layout.headB + k]! + dOut[b * K + k]!;
  dH.fill(0, t0 * BH, T * BH);
  gemmNN(B, H, K, dOut, 0, K, p, layout.headW, H, dH, hLast, H);

  for (let l = numLayers - 1; l >= 0; l--) {
    const lay = layout.layers[l]!;
    const I = lay.inputSize;
    const G = ws.gates[l]!;
    const Cs = ws.cell[l]!;
    const TC = ws.tanhCell[l]!;
    dh.fill(0);
    dc.fill(0);
    const simd = (H & 3) === 0 && G instanceof Float32Array ? simdKernelsFor(G.buffer) : undefined;
    for (let t = T - 1; t >= t0; t--) {
      const g0 = t * B * G4;
      const h0 = t * BH;
      if (simd !== undefined) {
        const cPrev = t > 0 ? Cs.byteOffset + (h0 - BH) * 4 : ws.zeros.byteOffset;
        simd.cellBack(B, H, G.byteOffset + g0 * 4, TC.byteOffset + h0 * 4, cPrev, dH.byteOffset + h0 * 4, dh.byteOffset, dc.byteOffset, dG.byteOffset + g0 * 4);
      } else
        for (let b = 0; b < B; b++) {
          const g = g0 + b * G4;
          const h = h0 + b * H;
          const bh = b * H;
          for (let j = 0; j < H; j++) {
            const gi = G[g + j]!;
            const go = G[g + H + j]!;
            const gf = G[g + 2 * H + j]!;
            const gc = G[g + 3 * H + j]!;
            const tc = TC[h + j]!;
            const cPrev = t > 0 ? Cs[h - BH + j]! : 0;
            const dht = dH[h + j]! + dh[bh + j]!;
            const dct = dc[bh + j]! + dht * go * (1 - tc * tc);
            dG[g + j] = dct * gc * gi * (1 - gi);
            dG[g + H + j] = dht * tc * go * (1 - go);
            dG[g + 2 * H + j] = dct * cPrev * gf * (1 - gf);
            dG[g + 3 * H + j] = dct * gi * (1 - gc * gc);
            dc[bh + j] = dct * gf;
          }
        }
      // dh_{t-1} (B, H) = dG_t (B, 4H) · R (4H, H); not needed past the truncation point.
      if (t > t0) {
        dh.fill(0);
        gemmNN(B, H, G4, dG, g0, G4, p, lay.r, H, dh, 0, H);
      }
    }

    const inp = l === 0 ? ws.x : ws.dropoutActive ? ws.layerIn[l]! : ws.hidden[l - 1]!;
    const r0 = t0 * B;
    // dW (4H, I) += dG[t0:]ᵀ · X[t0:], computed as dWᵀ (I, 4H) = X[t0:]ᵀ · dG[t0:] in scratch so
    // the long 4H side is the GEMM's contiguous N (what the SIMD kernels want), then added transposed.
    const S = ws.wT;
    S.fill(0, 0, I * G4);
    gemmTN(I, G4, rows, inp, r0 * I, I, dG, r0 * G4, G4, S, 0, G4);
    addTransposed(I, G4, S, grad, lay.w);
    // dR (4H, H) += dG[t]ᵀ · h[t-1] for t ≥ max(t0, 1): rows are offset by one step (B rows).
    const t1 = Math.max(t0, 1);
    if (t1 < T) {
      const Hs = ws.hidden[l]!;
      S.fill(0, 0, H * G4);
      gemmTN(H, G4, (T - t1) * B, Hs, (t1 - 1) * BH, H, dG, t1 * B * G4, G4, S, 0, G4);
      addTransposed(H, G4, S, grad, lay.r);
    }
    // dWb = dRb = Σ over rows of dG, as the GEMM onesᵀ (1, rows) · dG[t0:] (rows, 4H).
    S.fill(0, 0, G4);
    gemmTN(1, G4, rows, ws.ones, 0, 1, dG, r0 * G4, G4, S, 0, G4);
    for (let j = 0; j < G4; j++) {
      grad[lay.wb + j] = grad[lay.wb + j]! + S[j]!;
      grad[lay.rb + j] = grad[lay.rb + j]! + S[j]!;
    }
    if (l > 0) {
      // Gradient into the layer below: dX[t0:] (rows, H) = dG[t0:] (rows, 4H) · W (4H, H), through the mask.
      dH.fill(0, t0 * BH, T * BH);
      gemmNN(rows, I, G4, dG, r0 * G4, G4, p, lay.w, I, dH, r0 * I, I);
      if (ws.dropoutActive) {
        const mask = ws.layerMask[l]!;
        for (let k = t0 * BH; k < T * BH; k++) dH[k] = dH[k]! * mask[k]!;
      }
    }
  }
}

/** dst[off + c·rows + r] += src[r·cols + c]: adds a (rows, cols) scratch transposed. */
function addTransposed(rows: number, cols: number, src: Slab, dst: Slab, off: number): void {
  for (let r = 0; r < rows; r++) {
    const s = r * cols;
    for (let c = 0; c < cols; c++) dst[off + c * rows + r] = dst[off + c * rows + r]! + src[s + c]!;
  }
}
