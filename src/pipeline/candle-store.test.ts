import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Candle, SeriesKey } from '../core/index.js';
import { CandleStore, decodeStoredCandle, encodeStoredCandle } from './candle-store.js';
import { mergePending } from './signal-worker.js';

const REDIS_URL = process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const PREFIX = `wt-store-${process.pid}-${Date.now().toString(36)}`;
const S: SeriesKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const H = 3_600_000;
const c = (i: number, close = 100 + i * 0.1): Candle => ({ openTimeMs: i * H, open: close, high: close + 0.5, low: close - 0.5, close, volume: 1 / 3 });

let redis: Redis;
beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  const keys = await redis.keys(`${PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('CandleStore (real Redis)', () => {
  it('appends idempotently, keeps the last N, answers range/last/lastOpenTime with exact numbers', async () => {
    const store = new CandleStore(redis, { prefix: PREFIX, maxCandles: 5 });
    expect(await store.lastOpenTime(S)).toBeNull();
    expect(await store.append(S, [c(1), c(2), c(3)])).toEqual({ added: 3, duplicates: 0, late: [] });
    // First write wins: a replayed candle with other values changes nothing.
    expect(await store.append(S, [c(2, 999), c(4)])).toEqual({ added: 1, duplicates: 1, late: [] });
    expect((await store.range(S, 2 * H, 2 * H))[0]).toEqual(c(2));
    await store.append(S, [c(5), c(6), c(7)]);
    expect((await store.last(S, 10)).map((x) => x.openTimeMs)).toEqual([3, 4, 5, 6, 7].map((i) => i * H));
    expect(await store.last(S, 2)).toEqual([c(6), c(7)]);
    expect(await store.range(S, 4 * H, 5 * H)).toEqual([c(4), c(5)]);
    expect(await store.lastOpenTime(S)).toBe(7 * H);
    expect(await redis.zcard(store.keys.store('binance.BTC-USDT.1h'))).toBe(5);
  });

  it('reports candles older than the last processed one as late', async () => {
    const store = new CandleStore(redis, { prefix: `${PREFIX}-late`, maxCandles: 100 });
    await redis.set(store.keys.lastProcessed('binance.BTC-USDT.1h'), String(10 * H));
    const r = await store.append(S, [c(9), c(11)]);
    expect(r.late).toEqual([9 * H]);
    await redis.del(store.keys.lastProcessed('binance.BTC-USDT.1h'), store.keys.store('binance.BTC-USDT.1h'));
  });

  it('encodes candles losslessly and refuses corrupt members', () => {
    const x: Candle = { openTimeMs: 1, open: 0.1 + 0.2, high: 1e-12, low: 5e-324, close: 123456.789, volume: 0 };
    expect(decodeStoredCandle(encodeStoredCandle(x, 42))).toEqual({ candle: x, ingestedAtMs: 42 });
    expect(() => decodeStoredCandle('[1,2,"x",4,5,6]')).toThrow(/corrupt candle/);
  });
});

describe('mergePending', () => {
  const stored = (i: number) => ({ candle: c(i), ingestedAtMs: 1 });
  it('adds job candles the store lacks, after the last processed one, in order', () => {
    const out = mergePending([stored(3), stored(5)], [c(2), c(4), c(5, 7), c(6)], 9, 2 * H, false);
    expect(out.map((p) => p.candle.openTimeMs / H)).toEqual([3, 4, 5, 6]);
    expect(out[2]!.candle.close).toBe(c(5).close); // the stored one wins
  });
  it('leaves job candles beyond a truncated read for the next pass', () => {
    const out = mergePending([stored(3), stored(4)], [c(9)], 9, 2 * H, true);
    expect(out.map((p) => p.candle.openTimeMs / H)).toEqual([3, 4]);
  });
});
