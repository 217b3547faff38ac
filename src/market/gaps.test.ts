import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Candle } from '../core/candle.js';
import { SAMPLE_DATA_DIR, sharedDataDir } from './candle-csv-shared-data.js';
import { readCandles } from './candle-csv.js';
import { findGaps } from './gaps.js';

const H = 3_600_000;
const at = (hour: number): Candle => ({ openTimeMs: hour * H, open: 1, high: 1, low: 1, close: 1, volume: 0 });

describe('findGaps', () => {
  it('lists each gap after the last candle before it, with the missing count', () => {
    expect(findGaps([0, 1, 2, 5, 6, 8].map(at), H)).toEqual([
      { afterOpenTimeMs: 2 * H, missingCount: 2 },
      { afterOpenTimeMs: 6 * H, missingCount: 1 },
    ]);
    expect(findGaps([0, 1, 2].map(at), H)).toEqual([]);
    expect(findGaps([], H)).toEqual([]);
  });

  it('throws on unordered or misaligned series', () => {
    expect(() => findGaps([at(2), at(1)], H)).toThrow(/not a positive multiple/);
    expect(() => findGaps([at(0), { ...at(1), openTimeMs: H + 1 }], H)).toThrow(/not a positive multiple/);
  });

  it('finds the one deliberate 3-hour gap in the committed sample', async () => {
    const candles = await readCandles(path.join(SAMPLE_DATA_DIR, 'BTC_USDT-1h.csv'));
    const gaps = findGaps(candles, H);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.missingCount).toBe(3);
  });
});

const shared = sharedDataDir();
describe.skipIf(shared === undefined)('gaps in the real data (skipped: ../shared/data or $WICK_TEST_DATA_DIR not found)', () => {
  it('matches the data README: BTC 28 gaps, 128 missing hours, longest 33 h from 2018-02-08 01:00', async () => {
    const gaps = findGaps(await readCandles(path.join(shared!, 'BTC_USDT-1h.csv')), H);
    expect(gaps).toHaveLength(28);
    expect(gaps.reduce((s, g) => s + g.missingCount, 0)).toBe(128);
    const longest = gaps.reduce((a, b) => (b.missingCount > a.missingCount ? b : a));
    expect(longest).toEqual({ afterOpenTimeMs: Date.UTC(2018, 1, 8, 0), missingCount: 33 });
  });

  it('matches the data README for SOL: 10 gaps, 20 missing hours', async () => {
    const gaps = findGaps(await readCandles(path.join(shared!, 'SOL_USDT-1h.csv')), H);
    expect(gaps).toHaveLength(10);
    expect(gaps.reduce((s, g) => s + g.missingCount, 0)).toBe(20);
  });
});
