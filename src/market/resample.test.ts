import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Candle } from '../core/candle.js';
import { sharedDataDir } from './candle-csv-shared-data.js';
import { readCandles } from './candle-csv.js';
import { resample } from './resample.js';

const H = 3_600_000;
const DAY = 24 * H;
const hour = (h: number, close: number, volume = 1): Candle => ({ openTimeMs: h * H, open: close - 0.5, high: close + 1, low: close - 1, close, volume });

describe('resample', () => {
  it('aggregates complete 4h buckets aligned to UTC: first open, max high, min low, last close, summed volume', () => {
    const hours = [0, 1, 2, 3, 4, 5, 6, 7].map((h) => hour(h, 10 + ((h * 7) % 5), h + 1));
    const out = resample(hours, '1h', '4h');
    expect(out).toEqual([
      { openTimeMs: 0, open: 9.5, high: 15, low: 9, close: 11, volume: 1 + 2 + 3 + 4 },
      { openTimeMs: 4 * H, open: 12.5, high: 15, low: 9, close: 14, volume: 5 + 6 + 7 + 8 },
    ]);
  });

  it('drops a bucket with a missing hour, and a trailing bucket still forming', () => {
    const hours = [0, 1, 3, 4, 5, 6, 7, 8, 9].map((h) => hour(h, 100 + h));
    const out = resample(hours, '1h', '4h');
    expect(out.map((c) => c.openTimeMs)).toEqual([4 * H]);
  });

  it('starts daily buckets at 00:00 UTC, not at the first candle', () => {
    const hours = Array.from({ length: 48 }, (_, i) => hour(5 + i, 100 + i));
    const out = resample(hours, '1h', '1d');
    expect(out).toHaveLength(1);
    expect(out[0]!.openTimeMs).toBe(DAY);
    expect(out[0]!.close).toBe(100 + (48 - 5 - 1));
  });

  it('rejects impossible conversions and unordered input', () => {
    expect(() => resample([], '4h', '1h')).toThrow(/not a whole multiple/);
    expect(() => resample([hour(1, 1), hour(0, 1)], '1h', '4h')).toThrow(/ascending/);
  });
});

const shared = sharedDataDir();
describe.skipIf(shared === undefined)('resampling real data (skipped: ../shared/data or $WICK_TEST_DATA_DIR not found)', () => {
  it('emits exactly the UTC days that have all 24 hours, each matching a direct aggregation', async () => {
    const hourly = await readCandles(path.join(shared!, 'ETH_USDT-1h.csv'));
    const byDay = new Map<number, Candle[]>();
    for (const c of hourly) {
      const d = Math.floor(c.openTimeMs / DAY) * DAY;
      const list = byDay.get(d) ?? [];
      list.push(c);
      byDay.set(d, list);
    }
    const complete = [...byDay].filter(([, list]) => list.length === 24);
    const daily = resample(hourly, '1h', '1d');
    expect(daily.map((c) => c.openTimeMs)).toEqual(complete.map(([d]) => d));
    for (let i = 0; i < daily.length; i += 97) {
      const list = complete[i]![1];
      expect(daily[i]).toEqual({
        openTimeMs: complete[i]![0],
        open: list[0]!.open,
        high: Math.max(...list.map((c) => c.high)),
        low: Math.min(...list.map((c) => c.low)),
        close: list[23]!.close,
        volume: list.reduce((s, c) => s + c.volume, 0),
      });
    }
    // 2018-02-08 lost 23 hours to the 33-hour gap: no daily candle for it.
    expect(daily.some((c) => c.openTimeMs === Date.UTC(2018, 1, 8))).toBe(false);
  });
});
