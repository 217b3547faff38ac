import { describe, expect, it } from 'vitest';
import { Adam, clipGlobalNorm } from './adam.js';
import { lossAndGrad } from './loss.js';

describe('Adam', () => {
  it('first steps follow the bias-corrected update, decay only where masked', () => {
    const p = Float64Array.from([1, -2, 0.5]);
    const mask = Uint8Array.from([1, 0, 1]);
    const adam = new Adam(3, { learningRate: 0.1, weightDecay: 0.01 }, mask, Float64Array);
    const g1 = Float64Array.from([0.5, -1, 0]);
    adam.update(p, g1);
    // Step 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε) = ±lr (0 where g = 0); decay lr·wd·p first.
    expect(p[0]).toBeCloseTo(1 - 0.1 * 0.01 * 1 - 0.1, 7);
    expect(p[1]).toBeCloseTo(-2 + 0.1, 7);
    expect(p[2]).toBeCloseTo(0.5 - 0.1 * 0.01 * 0.5, 10);
    const before = p[0]!;
    adam.update(p, Float64Array.from([0.25, 0, 0]));
    const m = 0.9 * 0.05 + 0.1 * 0.25;
    const v = 0.999 * 0.001 * 0.25 + 0.001 * 0.0625;
    const step = (0.1 * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
    expect(p[0]).toBeCloseTo(before - 0.1 * 0.01 * before - step, 10);
  });

  it('minimises a quadratic', () => {
    const p = Float64Array.from([3, -4]);
    const adam = new Adam(2, { learningRate: 0.05 }, null, Float64Array);
    const g = new Float64Array(2);
    for (let i = 0; i < 2000; i++) {
      g[0] = 2 * (p[0]! - 1);
      g[1] = 2 * (p[1]! + 2);
      adam.update(p, g);
    }
    expect(p[0]).toBeCloseTo(1, 3);
    expect(p[1]).toBeCloseTo(-2, 3);
  });
});

describe('clipGlobalNorm', () => {
  it('scales to the max norm and leaves small gradients alone', () => {
    const g = Float32Array.from([3, 4]);
    expect(clipGlobalNorm(g, 1)).toBeCloseTo(5, 6);
    expect(Math.hypot(g[0]!, g[1]!)).toBeCloseTo(1, 6);
    const small = Float32Array.from([0.3, 0.4]);
    clipGlobalNorm(small, 1);
    expect(Array.from(small)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });
});

describe('losses', () => {
  it('bce is finite and has the right gradient for extreme logits', () => {
    const d = new Float64Array(2);
    const l = lossAndGrad({ kind: 'bce' }, [100, -100], [0, 0], 0, 2, d);
    expect(l).toBeCloseTo(50, 6);
    expect(d[0]).toBeCloseTo(0.5, 6);
    expect(d[1]).toBeCloseTo(0, 6);
  });
  it('huber is quadratic inside delta and linear outside', () => {
    const d = new Float64Array(2);
    const l = lossAndGrad({ kind: 'huber', delta: 1 }, [0.5, 3], [0, 0], 0, 2, d);
    expect(l).toBeCloseTo((0.125 + 2.5) / 2, 12);
    expect(Array.from(d)).toEqual([0.25, 0.5]);
  });
});
