import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { FakeOhlcvExchange, HOUR, T0, ccxtError, loadBtcUsdt1h, recordingLogger } from '../../test/fixtures/ccxt/fake-exchange.js';
import { readCandles } from './candle-csv.js';
import { fetchHistoryToCsv, type FetchHistoryOptions } from './fetch-history.js';

const ROWS = loadBtcUsdt1h();
let dir: string;
let out: string;
let now: number;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wick-fetch-'));
  out = path.join(dir, 'BTC_USDT-1h.csv');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(exchange: FetchHistoryOptions['exchange'], extra: Partial<FetchHistoryOptions> = {}) {
  return fetchHistoryToCsv({
    exchange,
    symbol: 'BTC/USDT',
    timeframe: '1h',
    sinceMs: T0,
    outPath: out,
    clock: { nowMs: () => now },
    logger: silentLogger,
    pageSize: 10,
    sleep: () => Promise.resolve(),
    ...extra,
  });
}

const opensOf = async (): Promise<number[]> => (await readCandles(out, { timeframe: '1h' })).map((c) => (c.openTimeMs - T0) / HOUR);
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

describe('fetchHistoryToCsv', () => {
  it('paginates by advancing since, drops the forming candle, writes every closed one once', async () => {
    now = T0 + 40 * HOUR + 30 * 60_000;
    const ex = new FakeOhlcvExchange(ROWS, () => now);
    const result = await run(ex);
    expect(result).toEqual({ existing: 0, appended: 40, rejected: 0, lastOpenTimeMs: T0 + 39 * HOUR, complete: true });
    expect(ex.fetchCalls.map((c) => [(c.since! - T0) / HOUR, c.limit])).toEqual([
      [0, 10],
      [10, 10],
      [20, 10],
      [30, 10],
    ]);
    expect(await opensOf()).toEqual(range(0, 40));
    const text = await readFile(out, 'utf8');
    expect(text.split('\n')[0]).toBe('timestamp,open,high,low,close,volume');
    expect(text.split('\n')[1]).toBe(ROWS[0]!.join(','));
  });

  it('resumes: a second run appends only the candles closed since, never duplicating', async () => {
    now = T0 + 20 * HOUR + 5 * 60_000;
    const ex = new FakeOhlcvExchange(ROWS, () => now);
    await run(ex);
    expect(await opensOf()).toEqual(range(0, 20));
    const before = await readFile(out, 'utf8');
    now = T0 + 33 * HOUR + 59 * 60_000;
    ex.fetchCalls.length = 0;
    const second = await run(ex);
    expect(second).toMatchObject({ existing: 20, appended: 13, lastOpenTimeMs: T0 + 32 * HOUR });
    expect(ex.fetchCalls[0]?.since).toBe(T0 + 20 * HOUR);
    const after = await readFile(out, 'utf8');
    expect(after.startsWith(before)).toBe(true); // appended, not rewritten
    expect(await opensOf()).toEqual(range(0, 33));
    // Nothing new: no request for rows, nothing appended.
    ex.fetchCalls.length = 0;
    expect(await run(ex)).toMatchObject({ existing: 33, appended: 0 });
    expect(ex.fetchCalls).toEqual([]);
  });

  it('honours --until as an exclusive end and rounds --since up to the timeframe', async () => {
    now = T0 + 47 * HOUR;
    const ex = new FakeOhlcvExchange(ROWS, () => now);
    await run(ex, { sinceMs: T0 + 2 * HOUR + 1, untilMs: T0 + 12 * HOUR });
    expect(await opensOf()).toEqual(range(3, 12));
  });

  it('refuses a file whose last line was cut by an interrupted write', async () => {
    now = T0 + 10 * HOUR + 1;
    const ex = new FakeOhlcvExchange(ROWS, () => now);
    await run(ex);
    const text = await readFile(out, 'utf8');
    await writeFile(out, text.slice(0, -7)); // torn mid-volume, no newline
    const err = await run(ex).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toMatch(/BTC_USDT-1h\.csv, line 11: the last line is incomplete/);
    expect(await readFile(out, 'utf8')).toBe(text.slice(0, -7)); // left untouched
  });

  it("refuses a corrupt existing file with the reader's line and column", async () => {
    await writeFile(out, `timestamp,open,high,low,close,volume\n${ROWS[0]!.join(',')}\n${T0 + HOUR},1,2,3\n`);
    now = T0 + 10 * HOUR;
    const err = await run(new FakeOhlcvExchange(ROWS, () => now)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/line 3, column close: missing/);
  });

  it('skips invalid rows from the exchange with a log line', async () => {
    now = T0 + 4 * HOUR;
    const log = recordingLogger();
    const bad = [...ROWS.slice(0, 4).map((r) => [...r])];
    bad[1] = [T0 + HOUR, 100, 90, 95, 99, 1]; // high below open
    const ex = { fetchOHLCV: () => Promise.resolve(bad) };
    const result = await run(ex, { logger: log });
    expect(result).toMatchObject({ appended: 3, rejected: 1 });
    expect(await opensOf()).toEqual([0, 2, 3]);
    expect(log.records.some((r) => r.level === 'warn' && r.msg === 'OHLCV row rejected')).toBe(true);
  });

  it('retries a page after a network error, then gives up after maxRetries', async () => {
    now = T0 + 5 * HOUR;
    const real = new FakeOhlcvExchange(ROWS, () => now);
    let failures = 1;
    const flaky = {
      fetchOHLCV: (s: string, tf: string, since?: number, limit?: number) =>
        failures-- > 0 ? Promise.reject(ccxtError('RequestTimeout')) : real.fetchOHLCV(s, tf, since, limit),
    };
    expect(await run(flaky)).toMatchObject({ appended: 5 });
    const down = { fetchOHLCV: () => Promise.reject(ccxtError('ExchangeNotAvailable', 'binance 502 Bad Gateway')) };
    now = T0 + 8 * HOUR;
    await expect(run(down, { maxRetries: 2 })).rejects.toThrow('502');
    const bad = { fetchOHLCV: () => Promise.reject(ccxtError('BadSymbol', 'binance does not have market symbol X/Y')) };
    await expect(run(bad)).rejects.toThrow('does not have market');
  });

  it('stops after the current batch when aborted; a rerun completes the file', async () => {
    now = T0 + 30 * HOUR + 1;
    const ex = new FakeOhlcvExchange(ROWS, () => now);
    const controller = new AbortController();
    const first = await run(ex, { signal: controller.signal, onProgress: (p) => (p.appended >= 10 ? controller.abort() : undefined) });
    expect(first).toMatchObject({ appended: 10, complete: false });
    expect(await opensOf()).toEqual(range(0, 10));
    const second = await run(ex);
    expect(second).toMatchObject({ existing: 10, appended: 20, complete: true });
    expect(await opensOf()).toEqual(range(0, 30));
  });

  it('cuts the forming candle at the earlier of the local and the exchange clock', async () => {
    now = T0 + 47 * HOUR; // local clock far ahead
    const exchangeNow = T0 + 5 * HOUR + 10;
    const ex = new FakeOhlcvExchange(ROWS, () => exchangeNow);
    const withTime = Object.assign(ex, { fetchTime: () => Promise.resolve(exchangeNow) });
    await run(withTime);
    expect(await opensOf()).toEqual(range(0, 5));
    // A simulator answers /time with its wall clock, far ahead of the simulated market clock.
    await rm(out);
    now = T0 + 3 * HOUR + 10;
    const sim = Object.assign(new FakeOhlcvExchange(ROWS, () => now), { fetchTime: () => Promise.resolve(Date.now()) });
    await run(sim);
    expect(await opensOf()).toEqual(range(0, 3));
  });
});
