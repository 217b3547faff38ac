import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { ManualClock } from '../core/clock.js';
import { DataError, InvariantError } from '../core/errors.js';
import { lstmPredict } from './lstm-forward.js';
import { auc, column, directionalAccuracy, directionLabels, mse, zeroReturnMse } from './metrics.js';
import { train } from './train.js';
import type { EpochReport, TrainConfig, WindowSet } from './train.js';
import { buildWindowEnds, chronologicalSplit, gatherWindows } from './windows.js';

const T = 16;

/** A sine in the returns plus noise; feature = scaled return, target = next scaled return. */
function sineData(rows: number, seed: number): { train: WindowSet; val: WindowSet; test: WindowSet } {
  const rng = new Rng(seed);
  const ret = new Float32Array(rows);
  for (let t = 0; t < rows; t++) ret[t] = Math.sin((2 * Math.PI * t) / 24) + 0.25 * rng.normal();
  const targets = new Float32Array(rows);
  for (let t = 0; t + 1 < rows; t++) targets[t] = ret[t + 1]!;
  const ends = buildWindowEnds({ ready: new Uint8Array(rows).fill(1), segment: new Int32Array(rows), window: T, horizon: 1 });
  const split = chronologicalSplit(ends, { window: T, horizon: 1, trainFraction: 0.7, valFraction: 0.15 });
  return {
    train: gatherWindows(ret, 1, targets, 1, split.train, T),
    val: gatherWindows(ret, 1, targets, 1, split.val, T),
    test: gatherWindows(ret, 1, targets, 1, split.test, T),
  };
}

const base: TrainConfig = {
  model: { inputSize: 1, hiddenSize: 12, numLayers: 1, outputSize: 1, outputKind: 'regression' },
  windowLength: T,
  loss: { kind: 'mse' },
  epochs: 6,
  batchSize: 32,
  learningRate: 0.01,
  seed: 42,
};

describe('train', () => {
  const data = sineData(2500, 3);

  it('learns the direction of a noisy sine in the returns (regression, held-out test)', () => {
    const result = train(base, data);
    const pred = lstmPredict(result.model, data.test.x, data.test.n, T);
    const acc = directionalAccuracy(pred, data.test.y);
    expect(acc).toBeGreaterThan(0.8);
    expect(mse(pred, data.test.y)).toBeLessThan(0.5 * zeroReturnMse(data.test.y));
    expect(result.history.length).toBe(result.epochsRun);
  });

  it('learns it as direction classification (bce, sigmoid outputs, AUC)', () => {
    const cls: TrainConfig = {
      ...base,
      model: { ...base.model, numLayers: 2, outputKind: 'classification' },
      loss: { kind: 'bce' },
      layerDropout: 0.1,
      inputDropout: 0.05,
      weightDecay: 1e-4,
    };
    const labels = (s: WindowSet): WindowSet => ({ ...s, y: directionLabels(s.y) });
    const result = train(cls, { train: labels(data.train), val: labels(data.val) });
    const prob = lstmPredict(result.model, data.test.x, data.test.n, T);
    for (const p of prob) expect(p >= 0 && p <= 1).toBe(true);
    const centred = prob.map((p) => p - 0.5);
    expect(directionalAccuracy(centred, data.test.y)).toBeGreaterThan(0.8);
    expect(auc(column(prob, 1, 0), directionLabels(data.test.y))).toBeGreaterThan(0.85);
  });

  it('is bit-for-bit reproducible for a seed, and a different seed differs', () => {
    const cfg: TrainConfig = { ...base, epochs: 2, model: { ...base.model, numLayers: 2 }, layerDropout: 0.2, inputDropout: 0.1 };
    const a = train(cfg, data).model.params;
    const b = train(cfg, data).model.params;
    const c = train({ ...cfg, seed: 43 }, data).model.params;
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
  });

  it('stops early on patience and restores the best epoch weights', () => {
    // A learning rate this large makes validation loss bounce, so patience triggers.
    const cfg: TrainConfig = { ...base, epochs: 40, learningRate: 0.2, patience: 2 };
    const seen: EpochReport[] = [];
    const clock = new ManualClock(1000);
    const result = train(cfg, data, {
      onEpoch: (r) => {
        seen.push(r);
        clock.advance(5);
      },
      clock,
    });
    expect(result.stopReason).toBe('patience');
    expect(result.epochsRun).toBeLessThan(40);
    expect(result.epochsRun - 1 - result.bestEpoch).toBe(2);
    const bestReported = Math.min(...seen.map((r) => r.valLoss));
    expect(result.bestValLoss).toBe(bestReported);
    // The returned parameters are the best epoch's: re-evaluating them gives the best val loss.
    const pred = lstmPredict(result.model, data.val.x, data.val.n, T);
    expect(mse(pred, data.val.y)).toBeCloseTo(bestReported, 5);
    expect(seen.map((r) => r.elapsedMs).slice(0, 3)).toEqual([0, 5, 10]);
  });

  it('shouldStop after a batch ends training and keeps a usable model', () => {
    let batches = 0;
    const result = train({ ...base, epochs: 5 }, data, { shouldStop: () => ++batches >= 70 });
    expect(result.stopReason).toBe('stopped');
    expect(batches).toBe(70);
    expect(result.bestEpoch).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(result.bestValLoss)).toBe(true);
  });

  it('rejects data whose shape does not match the config, and non-finite data', () => {
    const bad = { ...data.train, n: data.train.n + 1 };
    expect(() => train(base, { train: bad, val: data.val })).toThrow(RangeError);
    const x = data.val.x.slice();
    x[17] = NaN;
    expect(() => train(base, { train: data.train, val: { ...data.val, x } })).toThrow(DataError);
  });

  it('stops loudly when training diverges', () => {
    const huge: WindowSet = { ...data.train, y: data.train.y.map(() => 3e38) };
    expect(() => train({ ...base, epochs: 1 }, { train: huge, val: data.val })).toThrow(InvariantError);
  });
});
