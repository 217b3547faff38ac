import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startExchangeSimulator } from '../simulator/simulator.js';
import { runCli } from './cli.js';
import { COMMANDS } from './commands/index.js';

const REQUIRED = ['paper', 'live', 'replay', 'trades', 'backtest', 'train', 'tune', 'model', 'features', 'fetch', 'doctor', 'bench'];

function context() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  return {
    ctx: { stdout, stderr, env: {}, cwd: process.cwd(), signal: new AbortController().signal },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

describe('wick CLI', () => {
  it('has every command the design names', () => {
    expect(COMMANDS.map((c) => c.name).sort()).toEqual([...REQUIRED].sort());
  });

  it('lists every command in --help', async () => {
    const { ctx, out } = context();
    expect(await runCli(['--help'], ctx)).toBe(0);
    for (const name of REQUIRED) expect(out()).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it.each(REQUIRED)('`wick %s --help` prints its usage and exits 0', async (name) => {
    const { ctx, out } = context();
    expect(await runCli([name, '--help'], ctx)).toBe(0);
    expect(out()).toContain(`Usage: wick ${name}`);
  });

  it('lists a lazily loaded command without loading it, and loads it only to run it or show its help', async () => {
    let loads = 0;
    const lazy = { name: 'demo', summary: 'a demo command', load: async () => (loads++, { name: 'demo', help: 'Usage: wick demo', run: async () => 7 }) };
    const help = context();
    expect(await runCli(['--help'], help.ctx, [lazy])).toBe(0);
    expect(help.out()).toMatch(/^ {2}demo {2}a demo command$/m);
    expect(loads).toBe(0);
    const usage = context();
    expect(await runCli(['demo', '--help'], usage.ctx, [lazy])).toBe(0);
    expect(usage.out()).toContain('Usage: wick demo');
    expect(await runCli(['demo'], context().ctx, [lazy])).toBe(7);
    expect(loads).toBe(2);
  });

  it('rejects an unknown command with status 2', async () => {
    const { ctx, err } = context();
    expect(await runCli(['moon'], ctx)).toBe(2);
    expect(err()).toContain('unknown command "moon"');
  });

  it('runs as a real process through the bin entry', async () => {
    const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
    const { stdout } = await promisify(execFile)(tsx, [cli, '--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('wick live never starts by accident', () => {
  async function live(env: Record<string, string>) {
    const { ctx, err } = context();
    const code = await runCli(['live'], { ...ctx, env });
    return { code, err: err() };
  }
  it('refuses in paper mode (the default)', async () => {
    const r = await live({});
    expect(r.code).toBe(2);
    expect(r.err).toContain('WICK_MODE is "paper"');
  });
  it('refuses live mode without keys and confirmation, naming each', async () => {
    const r = await live({ WICK_MODE: 'live' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('WICK_API_KEY and WICK_API_SECRET are not set');
    expect(r.err).toContain('WICK_LIVE_CONFIRM is not set');
  });
  it('with a complete configuration trades; keys the exchange refuses halt it: /health 503, nothing sent, no secret logged', async () => {
    const sim = await startExchangeSimulator({
      markets: [
        {
          symbol: 'BTC/USDT',
          pricePath: [
            { timeMs: 0, price: 100 },
            { timeMs: Date.now() + 86_400_000, price: 100 },
          ],
        },
      ],
      balances: { USDT: 1000 },
      apiKey: 'good-key-1234',
      apiSecret: 'good-secret-1234',
      playbackSpeed: 1,
    });
    try {
      const { ctx, out, err } = context();
      const abort = new AbortController();
      const env = {
        WICK_MODE: 'live',
        WICK_API_KEY: 'key-12345678',
        WICK_API_SECRET: 'secret-12345678',
        WICK_LIVE_CONFIRM: 'I-UNDERSTAND-THIS-TRADES-REAL-MONEY',
        WICK_SYMBOLS: 'BTC/USDT',
        WICK_EXCHANGE_REST_URL: sim.restUrl,
        WICK_EXCHANGE_WS_URL: sim.wsUrl,
        WICK_REDIS_URL: process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
        WICK_REDIS_PREFIX: `wtcl-${process.pid}-${Date.now() % 1e9}`,
        WICK_HTTP_PORT: '0',
        WICK_LOG_FORMAT: 'json',
      };
      const running = runCli(['live', '--role', 'trader'], { ...ctx, env, signal: abort.signal });
      const deadline = Date.now() + 20_000;
      while (!out().includes('operator API listening') && err() === '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const url = /"url":"([^"]+)"/.exec(
        out()
          .split('\n')
          .find((l) => l.includes('operator API listening')) ?? '',
      )?.[1];
      expect(url, err()).toBeDefined();
      const health = await fetch(`${url as string}/health`);
      expect(health.status).toBe(503);
      expect(await health.text()).toMatch(/halted/i);
      abort.abort();
      expect(await running).toBe(0);
      expect(out()).toMatch(/refused the (API key|credentials)/);
      expect(sim.openOrders()).toHaveLength(0);
      expect(sim.requests.filter((q) => q.method === 'POST' && q.path.startsWith('/api/v3/order'))).toHaveLength(0);
      expect(out()).not.toContain('secret-12345678');
    } finally {
      await sim.close();
    }
  });
});
