import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { lstmBackward } from './lstm-backward.js';
import { lstmForward } from './lstm-forward.js';
import { initLstm, paramTensors } from './lstm-model.js';
import type { LstmConfig, LstmModel } from './lstm-model.js';
import { createWorkspace } from './lstm-workspace.js';
import type { LstmWorkspace } from './lstm-workspace.js';
import { lossAndGrad } from './loss.js';
import type { LossSpec } from './loss.js';

const T = 6;
const B = 3;

interface Case {
  readonly name: string;
  readonly config: LstmConfig;
  readonly loss: LossSpec;
  readonly dropout: boolean;
}

function setup(c: Case, seed: number): { model: LstmModel; ws: LstmWorkspace; y: Float64Array } {
  const rng = new Rng(seed);
  const model = initLstm(c.config, rng, Float64Array);
  // Perturb biases so no gradient is trivially zero by symmetry.
  for (const t of paramTensors(c.config)) {
    if (!t.isBias) continue;
    const n = t.shape.reduce((a, b) => a * b, 1);
    for (let k = 0; k < n; k++) model.params[t.offset + k] = model.params[t.offset + k]! + 0.3 * rng.normal();
  }
  const ws = createWorkspace(model, B, T);
  for (let k = 0; k < ws.x.length; k++) ws.x[k] = rng.normal();
  if (c.dropout) {
    ws.dropoutActive = true;
    for (let l = 1; l < c.config.numLayers; l++) {
      const m = ws.layerMask[l]!;
      for (let k = 0; k < m.length; k++) m[k] = rng.next() < 0.3 ? 0 : 1 / 0.7;
    }
  }
  const K = c.config.outputSize;
  const y = new Float64Array(B * K);
  for (let k = 0; k < y.length; k++) y[k] = c.loss.kind === 'bce' ? (rng.next() < 0.5 ? 0 : 1) : rng.normal();
  return { model, ws, y };
}

function loss(c: Case, model: LstmModel, ws: LstmWorkspace, y: Float64Array): number {
  const out = lstmForward(model, ws);
  return lossAndGrad(c.loss, out, y, 0, y.length, null);
}

function analyticGrad(c: Case, model: LstmModel, ws: LstmWorkspace, y: Float64Array, bptt = Infinity): Float64Array {
  const out = lstmForward(model, ws);
  const dOut = new Float64Array(y.length);
  lossAndGrad(c.loss, out, y, 0, y.length, dOut);
  const grad = new Float64Array(model.layout.total);
  lstmBackward(model, ws, dOut, grad, bptt);
  return grad;
}

const cfg = (numLayers: 1 | 2, outputKind: 'regression' | 'classification'): LstmConfig => ({
  inputSize: 4,
  hiddenSize: 5,
  numLayers,
  outputSize: 2,
  outputKind,
});

const cases: Case[] = [
  { name: '1 layer, mse', config: cfg(1, 'regression'), loss: { kind: 'mse' }, dropout: false },
  { name: '2 layers, mse', config: cfg(2, 'regression'), loss: { kind: 'mse' }, dropout: false },
  { name: '1 layer, huber', config: cfg(1, 'regression'), loss: { kind: 'huber', delta: 0.5 }, dropout: false },
  { name: '2 layers, huber', config: cfg(2, 'regression'), loss: { kind: 'huber', delta: 0.5 }, dropout: false },
  { name: '1 layer, bce', config: cfg(1, 'classification'), loss: { kind: 'bce' }, dropout: false },
  { name: '2 layers, bce', config: cfg(2, 'classification'), loss: { kind: 'bce' }, dropout: false },
  { name: '2 layers, mse, fixed dropout masks between layers', config: cfg(2, 'regression'), loss: { kind: 'mse' }, dropout: true },
];

describe('LSTM BPTT gradient (central finite differences, float64)', () => {
  let worst = 0;
  for (const c of cases) {
    it(`matches every parameter tensor: ${c.name}`, () => {
      const { model, ws, y } = setup(c, 7);
      const grad = analyticGrad(c, model, ws, y);
      const eps = 1e-5;
      for (const t of paramTensors(c.config)) {
        const n = t.shape.reduce((a, b) => a * b, 1);
        let maxRel = 0;
        let norm = 0;
        for (let k = 0; k < n; k++) {
          const i = t.offset + k;
          const saved = model.params[i]!;
          model.params[i] = saved + eps;
          const lp = loss(c, model, ws, y);
          model.params[i] = saved - eps;
          const lm = loss(c, model, ws, y);
          model.params[i] = saved;
          const numeric = (lp - lm) / (2 * eps);
          const analytic = grad[i]!;
          norm = Math.max(norm, Math.abs(analytic));
          // Relative error with a small absolute floor: entries that are ~0 both ways are fine.
          const rel = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), 1e-7);
          maxRel = Math.max(maxRel, rel);
        }
        expect(norm, `${t.name} gradient is not all zero`).toBeGreaterThan(1e-6);
        expect(maxRel, `${t.name} max relative error`).toBeLessThan(1e-4);
        worst = Math.max(worst, maxRel);
      }
    });
  }
  it('reports the worst relative error', () => {
    // Guards against the loop above silently checking nothing.
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('truncated BPTT', () => {
  const c = cases[1]!;
  it('equals the full gradient when bpttSteps >= T', () => {
    const { model, ws, y } = setup(c, 11);
    const full = analyticGrad(c, model, ws, y);
    const same = analyticGrad(c, model, ws, y, T);
    const more = analyticGrad(c, model, ws, y, T + 5);
    expect(Array.from(same)).toEqual(Array.from(full));
    expect(Array.from(more)).toEqual(Array.from(full));
  });
  it('differs when bpttSteps < T, and the head gradient does not depend on truncation', () => {
    const { model, ws, y } = setup(c, 11);
    const full = analyticGrad(c, model, ws, y);
    const cut = analyticGrad(c, model, ws, y, 2);
    const headW = model.layout.headW;
    let recurrentDiff = 0;
    for (let k = model.layout.layers[0]!.r; k < model.layout.layers[0]!.wb; k++) recurrentDiff += Math.abs(full[k]! - cut[k]!);
    expect(recurrentDiff).toBeGreaterThan(1e-6);
    expect(Array.from(cut.subarray(headW))).toEqual(Array.from(full.subarray(headW)));
  });
});
