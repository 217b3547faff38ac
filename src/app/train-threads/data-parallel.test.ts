import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { GradientWorkers, shardSizes } from '../../train/data-parallel.js';
import { lstmBackward } from '../../train/lstm-backward.js';
import { lstmForward } from '../../train/lstm-forward.js';
import { castLstm, initLstm, paramTensors, type LstmConfig, type LstmModel } from '../../train/lstm-model.js';
import { createWorkspace } from '../../train/lstm-workspace.js';
import { lossAndGrad, type LossSpec } from '../../train/loss.js';
import { train, type TrainConfig, type WindowSet } from '../../train/train.js';
import { trainingParallelism } from './spawn.js';

const T = 6;

/** Rows [from, from+n) of every step of a time-major (T, b, width) slab. */
function rows(src: ArrayLike<number>, b: number, width: number, from: number, n: number): Float64Array {
  const out = new Float64Array(T * n * width);
  for (let t = 0; t < T; t++) for (let k = 0; k < n * width; k++) out[t * n * width + k] = src[(t * b + from) * width + k]!;
  return out;
}

/** dLoss/dParams of the whole batch on one thread, in the model's precision. */
function fullGradient(model: LstmModel, loss: LossSpec, x: Float64Array, masks: Float64Array[], y: Float64Array, b: number): Float64Array {
  const ws = createWorkspace(model, b, T);
  ws.x.set(x);
  ws.dropoutActive = masks.length > 0;
  masks.forEach((m, i) => ws.layerMask[i + 1]!.set(m));
  const out = lstmForward(model, ws);
  const dOut = new ws.ctor(y.length);
  lossAndGrad(loss, out, y, 0, y.length, dOut);
  const grad = new ws.ctor(model.layout.total);
  lstmBackward(model, ws, dOut, grad);
  return Float64Array.from(grad);
}

describe('data-parallel gradient over worker threads', () => {
  const cases: { name: string; config: LstmConfig; loss: LossSpec }[] = [
    {
      name: '2 layers with dropout, huber',
      config: { inputSize: 3, hiddenSize: 8, numLayers: 2, outputSize: 2, outputKind: 'regression' },
      loss: { kind: 'huber', delta: 0.5 },
    },
    { name: '1 layer, bce', config: { inputSize: 4, hiddenSize: 12, numLayers: 1, outputSize: 1, outputKind: 'classification' }, loss: { kind: 'bce' } },
  ];
  for (const c of cases) {
    it(`equals the single-thread gradient and the float64 oracle (${c.name}, 7 windows over 3 threads)`, () => {
      const rng = new Rng(11);
      const model64 = initLstm(c.config, rng, Float64Array);
      for (const t of paramTensors(c.config))
        if (t.isBias) for (let k = 0; k < t.shape[0]!; k++) model64.params[t.offset + k] = model64.params[t.offset + k]! + 0.3 * rng.normal();
      const model32 = castLstm(model64, Float32Array);
      const { inputSize: F, hiddenSize: H, outputSize: K, numLayers } = c.config;
      const B = 7;
      // Float32-representable inputs, so every path sees the same numbers.
      const x = Float64Array.from(Float32Array.from({ length: T * B * F }, () => rng.normal()));
      const masks = Array.from({ length: numLayers - 1 }, () => Float64Array.from({ length: T * B * H }, () => (rng.next() < 0.3 ? 0 : 2)));
      const y = Float64Array.from({ length: B * K }, () => (c.loss.kind === 'bce' ? (rng.next() < 0.5 ? 0 : 1) : rng.normal()));

      const oracle = fullGradient(model64, c.loss, x, masks, y, B);
      const single = fullGradient(model32, c.loss, x, masks, y, B);

      const shards = shardSizes(B, 3);
      expect(shards).toEqual([3, 2, 2]);
      const pool = new GradientWorkers(c.config, T, c.loss, T, [[shards[1]!], [shards[2]!]], trainingParallelism(3));
      try {
        let at = shards[0]!;
        for (let w = 0; w < 2; w++) {
          const n = shards[w + 1]!;
          const io = pool.inputs(w, n);
          io.x.set(rows(x, B, F, at, n));
          masks.forEach((m, i) => io.masks[i]!.set(rows(m, B, H, at, n)));
          io.y.set(y.subarray(at * K, (at + n) * K));
          at += n;
        }
        pool.publish(model32.params);
        pool.start(shards.slice(1), B * K, masks.length > 0);
        const ws = createWorkspace(model32, shards[0]!, T);
        ws.x.set(rows(x, B, F, 0, shards[0]!));
        ws.dropoutActive = masks.length > 0;
        masks.forEach((m, i) => ws.layerMask[i + 1]!.set(rows(m, B, H, 0, shards[0]!)));
        const out = lstmForward(model32, ws);
        const dOut = new Float32Array(shards[0]! * K);
        const loss0 = lossAndGrad(c.loss, out, y, 0, shards[0]! * K, dOut, B * K);
        const grad = new Float32Array(model32.layout.total);
        lstmBackward(model32, ws, dOut, grad);
        const loss = loss0 + pool.reduceInto(grad, shards.slice(1));

        const scale = Math.max(...oracle.map(Math.abs));
        expect(scale).toBeGreaterThan(1e-3);
        for (let k = 0; k < grad.length; k++) {
          expect(Math.abs(grad[k]! - oracle[k]!)).toBeLessThan(1e-5 * scale + 1e-6);
          expect(Math.abs(grad[k]! - single[k]!)).toBeLessThan(1e-5 * scale + 1e-6);
        }
        const ws64 = createWorkspace(model64, B, T);
        ws64.x.set(x);
        ws64.dropoutActive = masks.length > 0;
        masks.forEach((m, i) => ws64.layerMask[i + 1]!.set(m));
        expect(loss).toBeCloseTo(lossAndGrad(c.loss, lstmForward(model64, ws64), y, 0, B * K, null), 5);
      } finally {
        pool.close();
      }
    });
  }

  it('says which worker did not start instead of hanging', () => {
    const config: LstmConfig = { inputSize: 2, hiddenSize: 4, numLayers: 1, outputSize: 1, outputKind: 'regression' };
    expect(
      () => new GradientWorkers(config, T, { kind: 'mse' }, T, [[2]], { threads: 2, spawn: () => ({ terminate: () => undefined }), timeoutMs: 200 }),
    ).toThrow(/training worker 1 did not answer \(start\)/);
  });
});

describe('train over worker threads', () => {
  const F = 2;
  function windows(n: number, rng: Rng): WindowSet {
    const x = Float32Array.from({ length: n * T * F }, () => rng.normal());
    const y = Float32Array.from({ length: n }, (_, i) => 0.5 * x[(i * T + T - 1) * F]! + 0.1 * rng.normal());
    return { x, y, n };
  }
  const rng = new Rng(5);
  // 203 windows in batches of 16: 12 full batches and a last one of 11, each cut into uneven shards.
  const data = { train: windows(203, rng), val: windows(40, rng) };
  const config: TrainConfig = {
    model: { inputSize: F, hiddenSize: 8, numLayers: 2, outputSize: 1, outputKind: 'regression' },
    windowLength: T,
    loss: { kind: 'mse' },
    epochs: 2,
    batchSize: 16,
    learningRate: 0.01,
    seed: 9,
    inputDropout: 0.1,
    layerDropout: 0.2,
  };

  it('is bit-reproducible for a given thread count and matches one thread within float rounding', () => {
    const one = train(config, data);
    const a = train(config, data, { parallel: trainingParallelism(3) });
    const b = train(config, data, { parallel: trainingParallelism(3) });
    expect(Array.from(a.model.params)).toEqual(Array.from(b.model.params));
    expect(a.history).toEqual(b.history);
    // Same dropout draws and the same batches: only the gradient's summation order differs.
    let maxDiff = 0;
    for (let k = 0; k < one.model.params.length; k++) maxDiff = Math.max(maxDiff, Math.abs(one.model.params[k]! - a.model.params[k]!));
    expect(maxDiff).toBeLessThan(1e-3);
    expect(a.history.length).toBe(2);
    for (let e = 0; e < 2; e++) expect(a.history[e]!.trainLoss).toBeCloseTo(one.history[e]!.trainLoss, 4);
    expect(a.bestValLoss).toBeCloseTo(one.bestValLoss, 4);
  });

  it('uses no more threads than windows in a batch', () => {
    const tiny = train({ ...config, batchSize: 2, epochs: 1 }, data, { parallel: trainingParallelism(4) });
    expect(Number.isFinite(tiny.bestValLoss)).toBe(true);
  });
});
