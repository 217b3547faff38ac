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
