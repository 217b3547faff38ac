import { rm } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPaper } from '../src/app/commands/paper.js';
import { loadConfig } from '../src/app/config/load-config.js';
import { Rng, type Candle } from '../src/core/index.js';
import { deleteKeysWithPrefix } from '../src/pipeline/index.js';
import { startExchangeSimulator, type SimulatorHandle } from '../src/simulator/simulator.js';
import { randomModelFolder } from './support/random-model.js';

const REDIS_URL = process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const H = 3_600_000;
const prefix = `wicktest-paper-${process.pid}`;
let sim: SimulatorHandle;
let model: string;
let currentHour = 0;

/** Hourly candles whose last one is the hour forming now, so the simulator's klines line up with the wall clock. */
function candlesUpToNow(n: number): Candle[] {
  const rng = new Rng(9);
  const current = currentHour;
  let price = 30_000;
  return Array.from({ length: n }, (_, i) => {
    const open = price;
    price *= Math.exp(0.005 * rng.normal());
    return {
      openTimeMs: current - (n - 1 - i) * H,
      open,
      high: Math.max(open, price) * 1.001,
      low: Math.min(open, price) * 0.999,
      close: price,
      volume: 5 + rng.next(),
    };
  });
}

beforeAll(async () => {
  model = await randomModelFolder({ seed: 6 });
  currentHour = Math.floor(Date.now() / H) * H;
  sim = await startExchangeSimulator({ markets: [{ symbol: 'BTC/USDT', candles: candlesUpToNow(400), timeframe: '1h' }], startTimeMs: Date.now() });
});
afterAll(async () => {
  await sim?.close();
  await rm(model, { recursive: true, force: true });
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL);
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

describe('wick paper against the local exchange simulator (real ccxt client, real Redis)', () => {
  it('loads the market rules, seeds history over REST, runs every role, serves /health and the API, and stops on SIGTERM', async () => {
    const config = loadConfig({
      WICK_SYMBOLS: 'BTC/USDT',
      WICK_EXCHANGE_REST_URL: sim.restUrl,
      WICK_EXCHANGE_WS_URL: sim.wsUrl,
      WICK_REDIS_URL: REDIS_URL,
      WICK_REDIS_PREFIX: prefix,
      WICK_MODEL_DIR: model,
      WICK_HTTP_PORT: '0',
      WICK_LOG_FORMAT: 'json',
      WICK_API_TOKEN: 'paper-e2e-token-0123456789',
      WICK_EXECUTION_PROVIDER: 'cpu',
    });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let log = '';
    stdout.on('data', (c: Buffer) => (log += c.toString()));
    const controller = new AbortController();
    const running = runPaper(['--seed', '250'], { stdout, stderr, env: {}, cwd: process.cwd(), signal: controller.signal }, config);

    const lines = (): Record<string, unknown>[] =>
      log
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const deadline = Date.now() + 60_000;
    let url: string | undefined;
    let received = 0;
    while (Date.now() < deadline) {
      url ??= lines().find((l) => typeof l['url'] === 'string')?.['url'] as string | undefined;
      received = lines().filter((l) => l['msg'] === 'closed candle received').length;
      if (url !== undefined && received >= 250) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(url).toBeDefined();
    expect(received).toBeGreaterThanOrEqual(250);
    // every seeded candle reaches the trader; none of them trades (history before start-up only warms up)
    let status: { series: { lastCandle: { openTimeMs: number } | null }[]; equityQuote: number } | undefined;
    while (Date.now() < deadline) {
      const res = await fetch(`${url}/api/status`, { headers: { authorization: 'Bearer paper-e2e-token-0123456789' } });
      status = (await res.json()) as typeof status;
      if ((status?.series[0]?.lastCandle?.openTimeMs ?? 0) >= currentHour - H) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // the last closed hour (or the one after it, should the hour turn during the test)
    expect(status?.series[0]?.lastCandle?.openTimeMs).toBeGreaterThanOrEqual(currentHour - H);
    expect(status?.equityQuote).toBe(config.paper.initialEquityQuote);
    const health = (await (await fetch(`${url}/health`)).json()) as { mode: string; redis: { reachable: boolean } };
    expect(health).toMatchObject({ mode: 'paper', redis: { reachable: true } });

    controller.abort('SIGTERM');
    expect(await running).toBe(0);
    expect(lines().some((l) => l['msg'] === 'stopped')).toBe(true);
  });
});
