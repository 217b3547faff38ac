import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_DATA_DIR } from '../src/market/candle-csv-shared-data.js';
import { randomModelFolder } from './support/random-model.js';

const REDIS_URL = process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const cli = fileURLToPath(new URL('../src/app/cli.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
let model: string;
let running: ReturnType<typeof spawn> | undefined;

beforeAll(async () => {
  model = await randomModelFolder({ seed: 2 });
});
afterAll(async () => {
  if (running !== undefined && running.exitCode === null) running.kill('SIGKILL'); // never leave a daemon behind
  await rm(model, { recursive: true, force: true });
});

describe('graceful shutdown', () => {
  it('SIGTERM stops a running daemon (a paced replay, 10 candles/s): drains, closes, prints its summary, exits 0', async () => {
    const child = spawn(tsx, [cli, 'replay', '--data', `${SAMPLE_DATA_DIR}/BTC_USDT-1h.csv`, '--speed', '36000'], {
      env: {
        ...process.env,
        WICK_REDIS_URL: REDIS_URL,
        WICK_REDIS_PREFIX: `wicktest-sigterm-${process.pid}`,
        WICK_MODEL_DIR: model,
        WICK_LOG_FORMAT: 'json',
        WICK_LOG_LEVEL: 'info',
        WICK_EXECUTION_PROVIDER: 'cpu',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running = child;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const started = new Promise<void>((resolve) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes('candle closed')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await Promise.race([started, exited.then((c) => Promise.reject(new Error(`wick exited early (${c}): ${stderr.slice(-2000)}`)))]);
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    // the output travels with the exit code, so a failure says what happened
    expect({ code, out: stdout.slice(-1500), err: code === 0 ? '' : stderr.slice(-3000) }).toMatchObject({ code: 0 });
    expect(Date.now() - signalledAt).toBeLessThan(15_000);
    expect(stdout).toContain('(interrupted)');
    const done = Number(/(\d+) of 3000 candles through the pipeline/.exec(stdout)?.[1]);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(3000);
  });
});
