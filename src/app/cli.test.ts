import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { COMMANDS } from './commands/index.js';

const REQUIRED = ['paper', 'live', 'replay', 'backtest', 'train', 'features', 'fetch', 'doctor', 'bench'];

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
  it('with a complete configuration still sends nothing in this version, and says so', async () => {
    const r = await live({ WICK_MODE: 'live', WICK_API_KEY: 'key-12345678', WICK_API_SECRET: 'secret-12345678', WICK_LIVE_CONFIRM: 'I-UNDERSTAND-THIS-TRADES-REAL-MONEY' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('nothing was sent to the exchange');
    expect(r.err).not.toContain('secret-12345678');
  });
});
