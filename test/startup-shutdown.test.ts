/**
 * Start-up is all or nothing and shutdown is bounded: real `wick` processes against the exchange
 * simulator and a real Redis (reached through a proxy the test can freeze).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExchangeSimulator, type SimulatorHandle } from '../src/simulator/simulator.js';
import { randomModelFolder } from './support/random-model.js';

const REDIS_URL = process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const cli = fileURLToPath(new URL('../src/app/cli.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const H = 3_600_000;
const children: ChildProcess[] = [];
const servers: Server[] = [];
let sim: SimulatorHandle;
let model: string;

beforeAll(async () => {
  model = await randomModelFolder({ seed: 11 });
  const now = Date.now();
  sim = await startExchangeSimulator({
    markets: [
      {
        symbol: 'BTC/USDT',
        pricePath: [
          { timeMs: now - 400 * H, price: 100 },
          { timeMs: now + 10 * H, price: 101 },
        ],
      },
    ],
    startTimeMs: now,
    playbackSpeed: 1,
    apiKey: 'startup-key-1234',
    apiSecret: 'startup-secret-1234',
  });
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); // never leave a daemon behind
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await sim.close();
  await rm(model, { recursive: true, force: true });
});

function wick(args: string[], env: Record<string, string>): { child: ChildProcess; out: () => string; exited: Promise<{ code: number | null; ms: number }> } {
  const started = Date.now();
  const child = spawn(tsx, [cli, ...args], {
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      WICK_SYMBOLS: 'BTC/USDT',
      WICK_MODEL_DIR: model,
      WICK_EXECUTION_PROVIDER: 'cpu',
      WICK_LOG_FORMAT: 'json',
      WICK_LOG_LEVEL: 'info',
      WICK_EXCHANGE_REST_URL: sim.restUrl,
      WICK_EXCHANGE_WS_URL: sim.wsUrl,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) => child.once('exit', (code) => resolve({ code, ms: Date.now() - started })));
  return { child, out: () => out, exited };
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

/** Either the process exits within `ms`, or the answer is 'still running' (and it is killed). */
async function within(run: ReturnType<typeof wick>, ms: number): Promise<{ code: number | null; ms: number } | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([run.exited, new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), ms)))]);
  clearTimeout(timer);
  if (result === 'still running') run.child.kill('SIGKILL');
  return result;
}

describe('start-up is all or nothing', () => {
  it('WICK_HTTP_PORT already in use: wick paper exits 1 with one clear message, no trader lease, nothing in Redis', async () => {
    const port = await listen(createServer(() => undefined));
    const prefix = `wicktest-eaddr-${process.pid}`;
    const run = wick(['paper'], { WICK_HTTP_PORT: String(port), WICK_REDIS_URL: REDIS_URL, WICK_REDIS_PREFIX: prefix });
    const result = await within(run, 60_000);
    expect(result, run.out().slice(-2000)).not.toBe('still running');
    expect((result as { code: number }).code).toBe(1);
    const messages = run.out().match(/WICK_HTTP_PORT [^\n]*EADDRINUSE[^\n]*/g) ?? [];
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('no trader lease taken, no order sent');
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.keys(`${prefix}*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 90_000);

  it('Redis unreachable: wick live exits 1 at once naming Redis, before contacting the exchange', async () => {
    const closed = await listen(createServer((s) => s.destroy()));
    const before = sim.requests.length;
    const run = wick(['live'], {
      WICK_MODE: 'live',
      WICK_API_KEY: 'startup-key-1234',
      WICK_API_SECRET: 'startup-secret-1234',
      WICK_LIVE_CONFIRM: 'I-UNDERSTAND-THIS-TRADES-REAL-MONEY',
      WICK_REDIS_URL: `redis://127.0.0.1:${closed}`,
      WICK_HTTP_PORT: '0',
    });
    const result = await within(run, 40_000);
    expect(result, run.out().slice(-2000)).not.toBe('still running');
    expect((result as { code: number }).code).toBe(1);
    expect(run.out()).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+\/? is unreachable/);
    expect(run.out()).not.toContain('startup-secret-1234');
    expect(sim.requests.length).toBe(before);
  }, 60_000);
});

describe('shutdown is bounded', () => {
  it('SIGTERM while Redis stops answering: wick paper exits within WICK_SHUTDOWN_TIMEOUT_SECONDS; a second signal exits at once', async () => {
    // A proxy to the real Redis that the test can freeze: connections stay open, nothing answers.
    let frozen = false;
    const sockets: Socket[] = [];
    const proxyPort = await listen(
      createServer((client) => {
        const upstream = connect(Number(new URL(REDIS_URL).port || 6379), new URL(REDIS_URL).hostname);
        sockets.push(client, upstream);
        client.on('data', (d) => {
          if (!frozen) upstream.write(d);
        });
        upstream.on('data', (d) => {
          if (!frozen) client.write(d);
        });
        client.on('error', () => undefined);
        upstream.on('error', () => undefined);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      }),
    );
    const prefix = `wicktest-hang-${process.pid}`;
    const run = wick(['paper', '--seed', '200'], {
      WICK_HTTP_PORT: '0',
      WICK_REDIS_URL: `redis://127.0.0.1:${proxyPort}`,
      WICK_REDIS_PREFIX: prefix,
      WICK_SHUTDOWN_TIMEOUT_SECONDS: '3',
    });
    const deadline = Date.now() + 60_000;
    while (!run.out().includes('health, metrics and operator API listening') && Date.now() < deadline && run.child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    expect(run.out(), run.out().slice(-2000)).toContain('health, metrics and operator API listening');
    frozen = true;
    const signalledAt = Date.now();
    run.child.kill('SIGTERM');
    const result = await within(run, 20_000);
    expect(result, run.out().slice(-2000)).not.toBe('still running');
    expect(Date.now() - signalledAt).toBeLessThan(3_000 + 5_000);
    expect((result as { code: number }).code).not.toBe(0);
    for (const s of sockets) s.destroy();
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    // A second signal exits at once, whatever the state.
    const again = wick(['paper'], { WICK_HTTP_PORT: '0', WICK_REDIS_URL: REDIS_URL, WICK_REDIS_PREFIX: `${prefix}-2`, WICK_SHUTDOWN_TIMEOUT_SECONDS: '600' });
    while (!again.out().includes('wick starting') && again.child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    again.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    const secondAt = Date.now();
    again.child.kill('SIGINT');
    const second = await within(again, 5_000);
    expect(second, again.out().slice(-2000)).not.toBe('still running');
    expect(Date.now() - secondAt).toBeLessThan(5_000);
    const redis2 = new Redis(REDIS_URL);
    try {
      const keys = await redis2.keys(`${prefix}-2*`);
      if (keys.length > 0) await redis2.del(...keys);
    } finally {
      redis2.disconnect();
    }
  }, 120_000);
});
