import { createServer, type Server } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { ConfigError } from '../../core/errors.js';
import { checkConfigConflicts } from './conflicts.js';
import { loadConfig } from './load-config.js';

/** A TCP listener that counts connections: stands in for Redis and the exchange, to prove nobody called. */
let listener: Server;
let connections = 0;
let port = 0;
let dir: string;
beforeAll(async () => {
  listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  port = (listener.address() as { port: number }).port;
  dir = await mkdtemp(path.join(os.tmpdir(), 'wick-conflicts-'));
});
afterAll(async () => {
  await new Promise((r) => listener.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function run(command: 'paper' | 'live', env: Record<string, string>) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const err: string[] = [];
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  stdout.resume();
  const base = {
    WICK_REDIS_URL: `redis://127.0.0.1:${port}`,
    WICK_EXCHANGE_REST_URL: `http://127.0.0.1:${port}`,
    WICK_EXCHANGE_WS_URL: `ws://127.0.0.1:${port}/stream`,
    WICK_HTTP_PORT: '0',
    WICK_LOG_LEVEL: 'error',
  };
  const code = await runCli([command], { stdout, stderr, env: { ...base, ...env }, cwd: process.cwd(), signal: new AbortController().signal });
  return { code, err: err.join('') };
}

describe('configuration conflicts are found before any I/O (exit 2)', () => {
  it('wick paper with WICK_TIMEFRAME=4h and the 1h default model exits 2 naming both, having contacted nothing', async () => {
    const before = connections;
    const r = await run('paper', { WICK_TIMEFRAME: '4h', WICK_SYMBOLS: 'BTC/USDT' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('WICK_TIMEFRAME = "4h" but the model in models/default was trained on 1h candles');
    expect(r.err).toContain('set WICK_TIMEFRAME=1h');
    expect(connections).toBe(before);
  });

  it('wick live (fully confirmed) with a market the model never saw exits 2 before any exchange or Redis call', async () => {
    const before = connections;
    const r = await run('live', {
      WICK_MODE: 'live',
      WICK_API_KEY: 'key-12345678',
      WICK_API_SECRET: 'secret-12345678',
      WICK_LIVE_CONFIRM: 'I-UNDERSTAND-THIS-TRADES-REAL-MONEY',
      WICK_SYMBOLS: 'BTC/USDT,DOGE/USDT',
    });
    expect(r.code).toBe(2);
    expect(r.err).toContain('WICK_SYMBOLS holds DOGE/USDT, which the model in models/default never saw (trained on BTC/USDT, ETH/USDT, SOL/USDT)');
    expect(r.err).not.toContain('secret-12345678');
    expect(connections).toBe(before);
  });

  it('lists every conflict at once: half an exchange override, an unreadable model folder', async () => {
    const config = loadConfig({ WICK_EXCHANGE_REST_URL: 'http://127.0.0.1:1', WICK_MODEL_DIR: path.join(dir, 'nothing-here') });
    const err = await checkConfigConflicts(config, { cwd: process.cwd(), roles: ['ingest', 'signal', 'trader'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([
      expect.stringContaining('WICK_EXCHANGE_REST_URL is set without WICK_EXCHANGE_WS_URL'),
      expect.stringContaining('no readable manifest.json there (ENOENT)'),
    ]);
  });

  it('a corrupt manifest is a configuration error naming the field; a role without the model skips the model checks', async () => {
    await writeFile(path.join(dir, 'manifest.json'), '{"format":"wick-model"}');
    const config = loadConfig({ WICK_MODEL_DIR: dir, WICK_TIMEFRAME: '4h' });
    await expect(checkConfigConflicts(config, { cwd: process.cwd(), roles: ['signal'] })).rejects.toThrow(/not a valid wick model manifest/);
    await expect(checkConfigConflicts(config, { cwd: process.cwd(), roles: ['ingest', 'trader'] })).resolves.toBeUndefined();
  });

  it('the defaults (1h, BTC/USDT and ETH/USDT, the default model) have no conflict', async () => {
    await expect(checkConfigConflicts(loadConfig({}), { cwd: process.cwd(), roles: ['ingest', 'signal', 'trader'] })).resolves.toBeUndefined();
  });
});
