import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeOhlcvExchange, HOUR, T0, loadBtcUsdt1h } from '../../../test/fixtures/ccxt/fake-exchange.js';
import type { Candle } from '../../core/candle.js';
import { readCandles } from '../../market/candle-csv.js';
import { startExchangeSimulator } from '../../simulator/simulator.js';
import { runCli } from '../cli.js';
import type { CliContext } from '../command.js';
import { command, createFetchCommand, parseFetchArgs } from './fetch.js';

const ROWS = loadBtcUsdt1h();
const CANDLES: Candle[] = ROWS.map(([openTimeMs, open, high, low, close, volume]) => ({
  openTimeMs: openTimeMs!,
  open: open!,
  high: high!,
  low: low!,
  close: close!,
  volume: volume!,
}));
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wick-fetch-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function context(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  const ctx: CliContext = { stdout, stderr, env, cwd: dir, signal: new AbortController().signal };
  return { ctx, stdout: () => out.join(''), stderr: () => err.join('') };
}

const BASE = ['--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '1h', '--since', '2024-03-01', '--out', 'btc.csv'];

describe('wick fetch arguments', () => {
  it('parses and resolves the output path against the working directory', () => {
    expect(parseFetchArgs([...BASE, '--until', '2024-03-02T12:00:00Z', '--page-size', '500'], '/data')).toEqual({
      exchangeId: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
      sinceMs: T0,
      untilMs: T0 + 36 * HOUR,
      outPath: '/data/btc.csv',
      pageSize: 500,
    });
    // A date-time without an offset is UTC, not local time.
    expect(parseFetchArgs([...BASE.slice(0, 6), '--since', '2024-03-01T05:00', '--out', 'x.csv'], '/').sinceMs).toBe(T0 + 5 * HOUR);
  });

  it.each([
    [['--symbol', 'BTC/USDT'], /missing --exchange, --timeframe, --since, --out/],
    [[...BASE.slice(0, 4), '--timeframe', '2h', ...BASE.slice(6)], /--timeframe must be one of 1m, 5m/],
    [[...BASE.slice(0, 2), '--symbol', 'btcusdt', ...BASE.slice(4)], /--symbol must look like BTC\/USDT/],
    [[...BASE.slice(0, 6), '--since', 'yesterday', '--out', 'x.csv'], /--since must be an ISO date/],
    [[...BASE, '--until', '2024-02-01'], /--until .* must be after --since/],
    [[...BASE, '--page-size', '5000'], /--page-size must be an integer from 1 to 1000/],
    [[...BASE, '--bogus'], /Unknown option '--bogus'/],
  ])('bad arguments exit 2 with a clear message: %j', async (args, message) => {
    const c = context();
    const code = await runCli(['fetch', ...args], c.ctx, [command]);
    expect(code).toBe(2);
    expect(c.stderr()).toMatch(message);
    expect(c.stderr()).toContain('Usage: wick fetch');
  });

  it('a half-set simulator override is a configuration error (exit 2)', async () => {
    const c = context({ WICK_EXCHANGE_REST_URL: 'http://127.0.0.1:1' });
    expect(await runCli(['fetch', ...BASE], c.ctx, [command])).toBe(2);
    expect(c.stderr()).toMatch(/set both WICK_EXCHANGE_REST_URL and WICK_EXCHANGE_WS_URL/);
  });
});

describe('wick fetch with a scripted exchange', () => {
  it('draws a progress bar on a terminal and prints a summary', async () => {
    let now = T0 + 30 * HOUR + 1;
    const fake = new FakeOhlcvExchange(ROWS, () => now);
    const cmd = createFetchCommand({ createExchange: () => Promise.resolve(fake), clock: { nowMs: () => now }, isTty: true });
    const c = context();
    expect(await runCli(['fetch', ...BASE, '--page-size', '10'], c.ctx, [cmd])).toBe(0);
    expect(c.stderr()).toMatch(/\r\[#{10}\.{20}\] {2}33% {2}10 new, 10 in file/);
    expect(c.stderr()).toMatch(/\r\[#{30}\] 100% {2}30 new, 30 in file, up to 2024-03-02T05:00:00Z\n$/);
    expect(c.stdout()).toBe(`${path.join(dir, 'btc.csv')}: 30 candles appended, 30 in file, last open 2024-03-02T05:00:00Z\n`);
    expect(fake.closeCalls).toBe(1);
    now = T0 + 32 * HOUR + 1;
    const c2 = context();
    expect(await runCli(['fetch', ...BASE], c2.ctx, [cmd])).toBe(0);
    expect(c2.stdout()).toContain(': 2 candles appended, 32 in file');
  });

  it('writes log lines instead of a bar when stderr is not a terminal', async () => {
    const now = T0 + 12 * HOUR;
    const fake = new FakeOhlcvExchange(ROWS, () => now);
    const cmd = createFetchCommand({ createExchange: () => Promise.resolve(fake), clock: { nowMs: () => now }, isTty: false });
    const c = context();
    expect(await runCli(['fetch', ...BASE, '--page-size', '5'], c.ctx, [cmd])).toBe(0);
    expect(c.stderr()).not.toContain('\r');
    expect(c.stderr()).toContain('wick fetch: starting candle download');
    expect(c.stderr()).toContain(`wick fetch: 12 candles in ${path.join(dir, 'btc.csv')}, up to 2024-03-01T11:00:00Z\n`);
  });

  it('a truncated output file is a data error (exit 2) that names the file', async () => {
    const now = T0 + 12 * HOUR;
    const fake = new FakeOhlcvExchange(ROWS, () => now);
    const cmd = createFetchCommand({ createExchange: () => Promise.resolve(fake), clock: { nowMs: () => now }, isTty: false });
    await runCli(['fetch', ...BASE], context().ctx, [cmd]);
    const file = path.join(dir, 'btc.csv');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, (await readFile(file, 'utf8')).slice(0, -3));
    const c = context();
    expect(await runCli(['fetch', ...BASE], c.ctx, [cmd])).toBe(2);
    expect(c.stderr()).toContain(`${file}, line 13: the last line is incomplete`);
  });
});

describe('wick fetch against the exchange simulator (real ccxt client, loopback)', () => {
  it('downloads closed candles page by page, then resumes after the simulator clock moves on', async () => {
    const sim = await startExchangeSimulator({
      markets: [{ symbol: 'BTC/USDT', candles: CANDLES, timeframe: '1h' }],
      startTimeMs: T0 + 20 * HOUR + 30 * 60_000,
    });
    try {
      const env = { WICK_EXCHANGE_REST_URL: sim.restUrl, WICK_EXCHANGE_WS_URL: sim.wsUrl };
      // The default exchange factory (real ccxt, env overrides); the market clock is the simulator's.
      const command = createFetchCommand({ clock: { nowMs: () => sim.nowMs() } });
      const c = context(env);
      expect(await runCli(['fetch', ...BASE, '--page-size', '7'], c.ctx, [command])).toBe(0);
      const file = path.join(dir, 'btc.csv');
      expect(await readCandles(file, { timeframe: '1h' })).toEqual(CANDLES.slice(0, 20));
      const klineCalls = sim.requests.filter((r) => r.path === '/api/v3/klines').length;
      expect(klineCalls).toBe(3);
      sim.advanceTo(T0 + 30 * HOUR + 5 * 60_000);
      const c2 = context(env);
      expect(await runCli(['fetch', ...BASE, '--page-size', '7'], c2.ctx, [command])).toBe(0);
      expect(c2.stdout()).toContain(': 10 candles appended, 30 in file, last open 2024-03-02T05:00:00Z');
      expect(await readCandles(file, { timeframe: '1h' })).toEqual(CANDLES.slice(0, 30));
    } finally {
      await sim.close();
    }
  });

  it('an unknown symbol is bad input (exit 2)', async () => {
    const sim = await startExchangeSimulator({ markets: [{ symbol: 'BTC/USDT', candles: CANDLES, timeframe: '1h' }], startTimeMs: T0 + 20 * HOUR });
    try {
      const c = context({ WICK_EXCHANGE_REST_URL: sim.restUrl, WICK_EXCHANGE_WS_URL: sim.wsUrl });
      const args = [...BASE];
      args[3] = 'DOGE/USDT';
      expect(await runCli(['fetch', ...args], c.ctx, [command])).toBe(2);
      expect(c.stderr()).toMatch(/DOGE\/USDT/);
    } finally {
      await sim.close();
    }
  });
});
