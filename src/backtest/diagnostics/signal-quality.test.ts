import { describe, expect, it } from 'vitest';
import type { Candle } from '../../core/index.js';
import { calibrationTable, decileTable, realisedReturns, signalQuality } from './signal-quality.js';
import { shiftPredictions, timingRank } from './timing.js';

const H = 3_600_000;
const candle = (i: number, close: number): Candle => ({ openTimeMs: i * H, open: close, high: close, low: close, close, volume: 1 });

describe('signal quality', () => {
  it('realised returns: one-step returns h ahead for ratio models, cumulative for probability models, NaN across a gap', () => {
    // closes 100, 110, 121, [gap], 242
    const candles = [candle(0, 100), candle(1, 110), candle(2, 121), candle(4, 242)];
    const ratio = realisedReturns(candles, [1, 2], 'ratio', H);
    expect(ratio[0]).toBeCloseTo(0.1, 12); // close1/close0 - 1
    expect(ratio[1]).toBeCloseTo(0.1, 12); // close2/close1 - 1
    expect(ratio[2]).toBeCloseTo(0.1, 12);
    expect(ratio[3]).toBeNaN(); // candle 3 is missing
    expect(ratio[4]).toBeNaN(); // next to candle 2 is not 1 h later
    const prob = realisedReturns(candles, [2], 'probability', H);
    expect(prob[0]).toBeCloseTo(0.21, 12);
    expect(prob[1]).toBeNaN();
  });

  it('deciles split equal counts by prediction and score hits on the predicted side', () => {
    const signal = Array.from({ length: 100 }, (_, i) => (i - 49.5) / 1000);
    const realised = signal.map((s, i) => (i % 4 === 0 ? -s : s));
    const rows = decileTable(signal, realised, 'ratio');
    expect(rows.map((r) => r.n)).toEqual(Array(10).fill(10));
    expect(rows[0]!.meanSignal!).toBeLessThan(rows[9]!.meanSignal!);
    for (const r of rows) expect(r.hitRate).toBeCloseTo(r.decile % 2 === 1 ? 0.7 : 0.8, 12); // every 4th flipped
  });

  it('calibration bins probabilities by tenths and counts ups', () => {
    const p = [0.05, 0.05, 0.55, 0.56, 0.57, 0.99, 1];
    const r = [0.01, -0.01, 0.02, -0.02, 0.03, 0.01, 0.02];
    const rows = calibrationTable(p, r);
    expect(rows[0]).toMatchObject({ n: 2, observedUp: 0.5 });
    expect(rows[5]).toMatchObject({ n: 3 });
    expect(rows[5]!.observedUp).toBeCloseTo(2 / 3, 12);
    expect(rows[9]).toMatchObject({ n: 2, observedUp: 1 });
    expect(rows[3]).toMatchObject({ n: 0, meanP: null, observedUp: null });
  });

  it('signalQuality: IC per horizon over the chosen rows; calibration only for probability models', () => {
    const preds = Float64Array.from([1.01, 1.02, 0.99, 0.98, 1.03, 1.0]); // (3, 2)
    const real = Float64Array.from([0.01, 0.02, -0.01, -0.02, 0.03, 0.0]);
    const q = signalQuality(preds, real, [1, 2], 'ratio');
    expect(q.ic.map((x) => x.horizon)).toEqual([1, 2]);
    expect(q.ic[0]!.rank).toBeCloseTo(1, 12);
    expect(q.ic[0]!.n).toBe(3);
    expect(q.calibration).toBeNull();
    expect(signalQuality(preds, real, [1, 2], 'ratio', [0, 1]).ic[0]!.n).toBe(2);
  });

  it('timing rank and shifts', () => {
    expect(timingRank(2, [1, 0, -1])).toEqual({ rank: 1, of: 4, pValue: 0.25 });
    expect(timingRank(1, [1, 0, 3])).toEqual({ rank: 3, of: 4, pValue: 0.75 });
    const p = Float64Array.from([1, 10, 2, 20, 3, 30]); // (3, 2)
    expect(Array.from(shiftPredictions(p, 2, 1))).toEqual([NaN, NaN, 1, 10, 2, 20]);
    expect(Array.from(shiftPredictions(p, 2, -1))).toEqual([2, 20, 3, 30, NaN, NaN]);
    expect(Array.from(shiftPredictions(p, 2, 3))).toEqual(Array(6).fill(NaN));
  });
});
