import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/app/cli.js';
import { parseBacktestResult } from '../src/backtest/result.js';
import { SAMPLE_DATA_DIR } from '../src/market/candle-csv-shared-data.js';
import { randomModelFolder } from './support/random-model.js';

const REDIS_URL = process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `wicktest-parity-${process.pid}`;
let model: string;
let out: string;

beforeAll(async () => {
  model = await randomModelFolder({ seed: 5 });
  out = await mkdtemp(join(tmpdir(), 'wick-parity-'));
});
afterAll(async () => {
  await rm(model, { recursive: true, force: true });
  await rm(out, { recursive: true, force: true });
});

async function wick(args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (c: Buffer) => (o += c.toString()));
  stderr.on('data', (c: Buffer) => (e += c.toString()));
  const env = { WICK_REDIS_URL: REDIS_URL, WICK_REDIS_PREFIX: prefix, WICK_MODEL_DIR: model, WICK_LOG_LEVEL: 'error', WICK_EXECUTION_PROVIDER: 'cpu' };
  const code = await runCli(args, { stdout, stderr, env, cwd: process.cwd(), signal: new AbortController().signal });
  return { code, out: o, err: e };
}

const DATA = ['--data', join(SAMPLE_DATA_DIR, 'BTC_USDT-1h.csv'), '--data', join(SAMPLE_DATA_DIR, 'ETH_USDT-1h.csv')];

describe('replay through the daemon ≡ in-process backtest', () => {
  it.each([[[]], [['--from', '2022-02-15T00:00:00Z', '--to', '2022-04-20T00:00:00Z']]])('gives exactly the same trades and equity %j', async (range) => {
    const bt = await wick(['backtest', ...DATA, ...range, '--json', join(out, 'bt.json')]);
    expect(bt.err).toBe('');
    expect(bt.code).toBe(0);
    const rp = await wick(['replay', ...DATA, ...range, '--json', join(out, 'rp.json')]);
    expect(rp.err).toBe('');
    expect(rp.code).toBe(0);
    const a = parseBacktestResult(JSON.parse(await readFile(join(out, 'bt.json'), 'utf8')));
    const b = parseBacktestResult(JSON.parse(await readFile(join(out, 'rp.json'), 'utf8')));
    expect(a.trades.length).toBeGreaterThan(3);
    expect(b.config.mode).toBe('replay');
    expect(b.trades).toEqual(a.trades);
    expect(b.equity).toEqual(a.equity);
    expect(b.metrics).toEqual(a.metrics);
  });

  it('leaves no Redis keys behind', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}-replay-*`, 'COUNT', 10_000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      expect(keys).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});
