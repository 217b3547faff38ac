/**
 * Start-up (`npm run bench -- startup`), each the median of WICK_BENCH_STARTUP_RUNS (default 5) fresh processes:
 *  - startup.helpMs: `wick --help`, process start to exit; the peer in the same run is a bare
 *    `node -e 0` (startup.nodeMs), so startup.helpOverNode is the CLI's own share;
 *  - startup.firstDecisionMs: `wick replay` of the committed sample with the default model, process
 *    start to the first decision logged by the signal role (Redis at WICK_REDIS_URL).
 * Runs the built CLI (dist/app/cli.js) when present, else the source through tsx (startup.fromSource = 1),
 * which adds the TypeScript transform to every figure.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '../../pipeline/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUILT = `${ROOT}dist/app/cli.js`;

function cliArgs(): string[] {
  return existsSync(BUILT) ? [BUILT] : ['--import', 'tsx', `${ROOT}src/app/cli.ts`];
}

/** Milliseconds from spawn until `done` says so (or the process exits), then the process is stopped. */
function timeProcess(args: readonly string[], env: NodeJS.ProcessEnv, done?: (stderrChunk: string) => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let settled = false;
    let tail = '';
    const finish = (ms: number): void => {
      if (settled) return;
      settled = true;
      resolve(ms);
    };
    child.stderr.on('data', (c: Buffer) => {
      tail = (tail + c.toString()).slice(-4_000);
      if (done !== undefined && !settled && done(tail)) {
        finish(performance.now() - started);
        child.kill('SIGTERM');
      }
    });
    child.on('exit', (code) => {
      if (done === undefined) finish(performance.now() - started);
      else if (!settled) reject(new Error(`startup bench: process exited (${code}) before it was ready: ${tail.slice(-500)}`));
    });
    child.on('error', reject);
  });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

export async function benchStartup(): Promise<Record<string, number>> {
  const runs = Number(process.env['WICK_BENCH_STARTUP_RUNS'] ?? 5);
  const redisUrl = process.env['WICK_REDIS_URL'] ?? process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const node: number[] = [];
  const help: number[] = [];
  const first: number[] = [];
  const admin = new Redis(redisUrl);
  try {
    for (let r = 0; r < runs; r++) {
      node.push(await timeProcess(['-e', '0'], process.env));
      help.push(await timeProcess([...cliArgs(), '--help'], process.env));
      const prefix = `bench-startup-${process.pid}-${r}`;
      try {
        first.push(
          await timeProcess(
            [...cliArgs(), 'replay', '--data', 'test/fixtures/sample/BTC_USDT-1h.csv'],
            {
              ...process.env,
              WICK_REDIS_URL: redisUrl,
              WICK_REDIS_PREFIX: prefix,
              WICK_MODEL_DIR: 'models/default',
              WICK_LOG_FORMAT: 'json',
              WICK_LOG_LEVEL: 'info',
              WICK_HTTP_PORT: '0',
            },
            (text) => text.includes('candle closed: prediction'),
          ),
        );
      } finally {
        await deleteKeysWithPrefix(admin, prefix);
      }
    }
  } finally {
    await admin.quit();
  }
  return {
    'startup.nodeMs': Math.round(median(node)),
    'startup.helpMs': Math.round(median(help)),
    'startup.helpOverNode': Number((median(help) / median(node)).toFixed(2)),
    'startup.firstDecisionMs': Math.round(median(first)),
    'startup.fromSource': existsSync(BUILT) ? 0 : 1,
  };
}
