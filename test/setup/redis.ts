import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest global setup: tests talk to a real Redis. Use the one at WICK_TEST_REDIS_URL or
 * 127.0.0.1:6379 when it answers; otherwise start a throwaway `redis-server` on a free port
 * (no persistence) and stop it afterwards. Workers inherit WICK_TEST_REDIS_URL.
 */
function ping(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

let child: ChildProcess | undefined;
let dir: string | undefined;

export async function setup(): Promise<void> {
  const configured = process.env['WICK_TEST_REDIS_URL'];
  if (configured !== undefined) return;
  if (await ping('127.0.0.1', 6379)) {
    process.env['WICK_TEST_REDIS_URL'] = 'redis://127.0.0.1:6379';
    return;
  }
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  dir = mkdtempSync(join(tmpdir(), 'wick-redis-'));
  child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  const spawnError = new Promise<never>((_, reject) =>
    child?.once('error', (e) =>
      reject(
        new Error(
          `No Redis answers at 127.0.0.1:6379 and redis-server could not be started (${e.message}). Install Redis 7 (apt-get install redis-server) or set WICK_TEST_REDIS_URL.`,
        ),
      ),
    ),
  );
  for (let attempt = 0; attempt < 100; attempt++) {
    const ok = await Promise.race([ping('127.0.0.1', port, 200), spawnError]);
    if (ok) {
      process.env['WICK_TEST_REDIS_URL'] = `redis://127.0.0.1:${port}`;
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer on port ${port} within 5 s`);
}

export function teardown(): void {
  child?.kill('SIGTERM');
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}
