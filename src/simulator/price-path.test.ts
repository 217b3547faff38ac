import { describe, expect, it } from 'vitest';
import { InvariantError } from '../core/index.js';
import { PricePath } from './price-path.js';
import { HOUR_MS, syntheticHourlyCandles } from './testing.js';

const T0 = Date.UTC(2024, 0, 1);

describe('PricePath', () => {
  const candles = syntheticHourlyCandles(T0, 10);
  const path = PricePath.fromCandles(candles, HOUR_MS);

  it('reproduces every candle exactly as a closed kline of its own timeframe', () => {
    for (const c of candles) {
      const k = path.kline(c.openTimeMs, HOUR_MS, T0 + 20 * HOUR_MS);
      expect(k).toMatchObject({
        openTimeMs: c.openTimeMs,
        closeTimeMs: c.openTimeMs + HOUR_MS - 1,
        open: c.open,
        high: c.high,
        low: c.low,
        close: c.close,
        final: true,
      });
      expect(k?.volume).toBeCloseTo(c.volume, 9);
    }
  });

  it('grows the forming kline: open fixed, close at the current price, partial volume', () => {
    const c = candles[3];
    if (c === undefined) throw new Error('fixture');
    const now = c.openTimeMs + 20 * 60_000;
    const k = path.kline(c.openTimeMs, HOUR_MS, now);
    expect(k?.final).toBe(false);
    expect(k?.open).toBe(c.open);
    expect(k?.close).toBeCloseTo(path.priceAt(now), 12);
    expect(k?.volume).toBeGreaterThan(0);
    expect(k?.volume).toBeLessThan(c.volume);
    expect(path.kline(c.openTimeMs, HOUR_MS, c.openTimeMs - 1)).toBeUndefined();
  });

  it('aggregates into longer intervals consistently', () => {
    const k = path.kline(T0, 4 * HOUR_MS, T0 + 20 * HOUR_MS);
    const four = candles.slice(0, 4);
    expect(k?.open).toBe(four[0]?.open);
    expect(k?.close).toBe(four[3]?.close);
    expect(k?.high).toBe(Math.max(...four.map((c) => c.high)));
    expect(k?.low).toBe(Math.min(...four.map((c) => c.low)));
    expect(k?.volume).toBeCloseTo(40, 9);
  });

  it('splits time into linear segments that join up', () => {
    const segs = path.segments(T0 + 10, T0 + 2 * HOUR_MS);
    expect(segs[0]?.fromMs).toBe(T0 + 10);
    expect(segs.at(-1)?.toMs).toBe(T0 + 2 * HOUR_MS);
    for (let i = 1; i < segs.length; i++) expect(segs[i]?.fromMs).toBe(segs[i - 1]?.toMs);
  });

  it('interpolates a scripted path and clamps outside it', () => {
    const p = PricePath.fromPoints([
      { timeMs: 0, price: 100 },
      { timeMs: 1000, price: 200 },
    ]);
    expect(p.priceAt(500)).toBe(150);
    expect(p.priceAt(-5)).toBe(100);
    expect(p.priceAt(5000)).toBe(200);
  });

  it('refuses unordered or non-finite input', () => {
    expect(() => PricePath.fromCandles([...candles].reverse(), HOUR_MS)).toThrow(InvariantError);
    expect(() => PricePath.fromPoints([{ timeMs: 0, price: Number.NaN }])).toThrow(InvariantError);
  });
});
