import { describe, expect, it } from 'vitest';
import type { Candle } from '../core/candle.js';
import { Rng } from '../core/rng.js';
import { WORKED_EXAMPLE_SPEC } from '../features/index.js';
import { buildDataset, type DatasetOptions } from './dataset.js';

const H = 3_600_000;

function series(n: number, seed: number, gapAt?: number): Candle[] {
  const rng = new Rng(seed);
  const out: Candle[] = [];
  let price = 100;
  let t = Date.UTC(2021, 0, 1);
  for (let i = 0; i < n; i++) {
    if (i === gapAt) t += 5 * H;
    const open = price;
    price *= Math.exp(0.01 * rng.normal());
    const close = price;
    out.push({ openTimeMs: t, open, high: Math.max(open, close) * 1.002, low: Math.min(open, close) * 0.998, close, volume: 10 + rng.next() });
    t += H;
  }
  return out;
}

const WINDOW = 8;
const K = 3;
const base = (testFromMs: number | null): DatasetOptions => ({
  spec: WORKED_EXAMPLE_SPEC,
  timeframeMs: H,
  window: WINDOW,
  target: 'ratio',
  horizons: K,
  testFromMs,
  valFraction: 0.2,
});

describe('buildDataset', () => {
  const candles = series(600, 1, 250);
  const testFrom = candles[450]!.openTimeMs;
  const ds = buildDataset([{ name: 'A', candles }], base(testFrom));

  it('splits chronologically with purge gaps of window + horizon candles', () => {
    expect(ds.train.n).toBeGreaterThan(100);
    expect(ds.val.n).toBeGreaterThan(10);
    expect(ds.test?.n).toBeGreaterThan(50);
    expect(ds.splits.purgeCandles).toBe(WINDOW + K);
    expect(ds.splits.validationFromMs - ds.splits.trainToMs).toBeGreaterThanOrEqual((WINDOW + K) * H);
    expect(testFrom - ds.splits.validationToMs).toBeGreaterThanOrEqual((WINDOW + K) * H);
  });

  it('targets are the next K one-step close ratios, scaled', () => {
    // The last test window ends K candles before the end: its targets are the final K ratios.
    const test = ds.test!;
    const last = test.n - 1;
    for (let k = 0; k < K; k++) {
      const e = candles.length - 1 - K;
      const expected = (candles[e + k + 1]!.close / candles[e + k]!.close - 1) * ds.targetScale;
      expect(test.y[last * K + k]).toBeCloseTo(expected, 4);
    }
  });

  it('no window spans the gap', () => {
    // Rows around the gap: windows ending shortly after it need a full warm-up first, so the number
    // of windows is below the count without a gap.
    const withoutGap = buildDataset([{ name: 'A', candles: series(600, 1) }], base(testFrom));
    expect(ds.train.n + ds.val.n).toBeLessThan(withoutGap.train.n + withoutGap.val.n);
  });

  it('normalisation and target scale do not look at validation or test data', () => {
    const altered = candles.map((c, i) =>
      i >= 400 ? { ...c, close: c.close * 3, high: c.high * 3, open: c.open * 3, low: c.low * 3, volume: c.volume * 50 } : c,
    );
    const ds2 = buildDataset([{ name: 'A', candles: altered }], base(testFrom));
    expect(ds2.normalisation).toEqual(ds.normalisation);
    expect(ds2.targetScale).toBe(ds.targetScale);
    expect(Array.from(ds2.train.x)).toEqual(Array.from(ds.train.x));
  });

  it('pools several series', () => {
    const b = series(600, 2);
    const pooled = buildDataset(
      [
        { name: 'A', candles },
        { name: 'B', candles: b },
      ],
      base(testFrom),
    );
    expect(pooled.train.n).toBeGreaterThan(ds.train.n);
    expect(pooled.series.map((s) => s.name)).toEqual(['A', 'B']);
  });

  it('direction targets are 0/1 labels of the h-step move', () => {
    const d = buildDataset([{ name: 'A', candles }], { ...base(null), target: 'direction', horizons: 1 });
    expect(d.outputs).toBe(1);
    expect(d.test).toBeNull();
    const labels = new Set(Array.from(d.train.y));
    expect([...labels].sort()).toEqual([0, 1]);
  });
});
