import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { FakeOhlcvExchange, HOUR, T0, ccxtError, loadBtcUsdt1h } from '../../test/fixtures/ccxt/fake-exchange.js';
import { backoffDelayMs, dedupeAscending, fetchClosedCandles, lastClosedOpenTimeMs, retryableErrorName } from './backfill.js';

const ROWS = loadBtcUsdt1h();
const idx = (cs: readonly { openTimeMs: number }[]): number[] => cs.map((c) => (c.openTimeMs - T0) / HOUR);

describe('fetchClosedCandles', () => {
  it('pages through 1000-row calls and keeps going when the venue caps pages lower', async () => {
    const now = T0 + 47 * HOUR + 1;
    const ex = new FakeOhlcvExchange(ROWS, () => now);
    const capped = { fetchOHLCV: (s: string, tf: string, since?: number) => ex.fetchOHLCV(s, tf, since, 7) };
    const { candles } = await fetchClosedCandles(capped, { symbol: 'BTC/USDT', timeframe: '1h', fromOpenTimeMs: T0, nowMs: now }, silentLogger);
    expect(idx(candles)).toEqual(Array.from({ length: 47 }, (_, i) => i));
    expect(ex.fetchCalls).toHaveLength(7);
  });

  it('drops the forming candle, stops at the range end, and dedupes overlapping pages', async () => {
    const now = T0 + 5 * HOUR + 30 * 60_000;
    const ex = new FakeOhlcvExchange(ROWS, () => now);
    const { candles } = await fetchClosedCandles(ex, { symbol: 'BTC/USDT', timeframe: '1h', fromOpenTimeMs: T0 + HOUR, nowMs: now }, silentLogger);
    expect(idx(candles)).toEqual([1, 2, 3, 4]);
    expect(ex.fetchCalls.map((c) => c.limit)).toEqual([1000]);
    const overlapping = {
      fetchOHLCV: (_s: string, _tf: string, since?: number) => Promise.resolve(ROWS.filter((r) => r[0]! >= since! - 2 * HOUR && r[0]! < since! + 3 * HOUR)),
    };
    const r = await fetchClosedCandles(
      overlapping,
      { symbol: 'BTC/USDT', timeframe: '1h', fromOpenTimeMs: T0 + 2 * HOUR, toOpenTimeMs: T0 + 9 * HOUR, nowMs: T0 + 40 * HOUR },
      silentLogger,
    );
    expect(idx(r.candles)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('ends on an empty page or a page that brings nothing newer', async () => {
    let calls = 0;
    const stuck = { fetchOHLCV: () => (calls++, Promise.resolve([ROWS[0]!])) };
    await fetchClosedCandles(stuck, { symbol: 'BTC/USDT', timeframe: '1h', fromOpenTimeMs: T0 + HOUR, nowMs: T0 + 40 * HOUR }, silentLogger);
    expect(calls).toBe(1);
    const empty = { fetchOHLCV: () => Promise.resolve([]) };
    expect((await fetchClosedCandles(empty, { symbol: 'BTC/USDT', timeframe: '1h', fromOpenTimeMs: T0, nowMs: T0 + 40 * HOUR }, silentLogger)).candles).toEqual(
      [],
    );
  });

  it('has helpers that agree with the forming-candle rule', () => {
    expect(lastClosedOpenTimeMs(T0 + HOUR, HOUR)).toBe(T0);
    expect(lastClosedOpenTimeMs(T0 + HOUR - 1, HOUR)).toBe(T0 - HOUR);
    expect(idx(dedupeAscending([{ openTimeMs: T0 + HOUR }, { openTimeMs: T0 }, { openTimeMs: T0 + HOUR }] as never))).toEqual([0, 1]);
  });
});

describe('retryableErrorName', () => {
  it('classifies real ccxt errors by class, subclasses included', () => {
    expect(retryableErrorName(new ccxt.NetworkError('x'))).toBe('NetworkError');
    expect(retryableErrorName(new ccxt.RequestTimeout('x'))).toBe('RequestTimeout');
    expect(retryableErrorName(new ccxt.ExchangeNotAvailable('x'))).toBe('ExchangeNotAvailable');
    expect(retryableErrorName(new ccxt.DDoSProtection('x'))).toBe('DDoSProtection');
    expect(retryableErrorName(new ccxt.RateLimitExceeded('x'))).toBe('RateLimitExceeded');
    expect(retryableErrorName(new ccxt.ExchangeClosedByUser('x'))).toBe('ExchangeClosedByUser');
    expect(retryableErrorName(new ccxt.BadSymbol('x'))).toBeUndefined();
    expect(retryableErrorName(new ccxt.AuthenticationError('x'))).toBeUndefined();
    expect(retryableErrorName(new ccxt.ExchangeError('x'))).toBeUndefined();
  });

  it('falls back to the constructor chain when name was not set, and to name for plain errors', () => {
    class NetworkError extends Error {}
    class CustomDrop extends NetworkError {}
    expect(retryableErrorName(new CustomDrop('x'))).toBe('NetworkError');
    expect(retryableErrorName(ccxtError('RequestTimeout'))).toBe('RequestTimeout');
    expect(retryableErrorName(new TypeError('bug'))).toBeUndefined();
    expect(retryableErrorName('NetworkError')).toBeUndefined();
  });
});

describe('backoffDelayMs', () => {
  it('doubles from the base, caps at the max, and jitters within the upper half', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelayMs(a, 1000, 60_000, () => 0))).toEqual([500, 1000, 2000, 4000, 30_000]);
    expect([0, 1, 2, 3, 10].map((a) => backoffDelayMs(a, 1000, 60_000, () => 0.999999))).toEqual([1000, 2000, 4000, 8000, 60_000]);
  });
});
