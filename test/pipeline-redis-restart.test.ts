import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seriesId } from '../src/core/index.js';
import { startPipeline, type Pipeline } from '../src/pipeline/index.js';
import { bySeries, closed, recorder, series, waitFor } from './pipeline-helpers.js';

/**
 * A real Redis restart, not a dropped connection: a throwaway redis-server with AOF persistence
 * (as compose runs it) is shut down mid-run and started again on the same port and directory.
 */
const dir = mkdtempSync(join(tmpdir(), 'wick-redis-restart-'));
let server: ChildProcess | undefined;
let pipeline: Pipeline | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
  const { Redis } = await import('ioredis');
  await waitFor(async () => {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }, 'redis-server up');
  return child;
}

function stopRedis(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

afterAll(async () => {
  await pipeline?.stop().catch(() => undefined);
  if (server !== undefined && server.exitCode === null) await stopRedis(server);
  rmSync(dir, { recursive: true, force: true });
});

const hasRedisServer = await new Promise<boolean>((resolve) => {
  const probe = spawn('redis-server', ['--version'], { stdio: 'ignore' });
  probe.once('error', () => resolve(false));
  probe.once('exit', (code) => resolve(code === 0));
});

describe.skipIf(!hasRedisServer && process.env['CI'] !== 'true')('Redis restarted mid-run', () => {
  it('the pipeline resumes by itself: no candle lost, none processed twice, order kept', async () => {
    const port = await freePort();
    server = await startRedis(port);
    const BTC = series('BTC/USDT');
    const rec = recorder();
    pipeline = await startPipeline({
      redisUrl: `redis://127.0.0.1:${port}`,
      roles: ['ingest', 'signal', 'trader'],
      settings: { prefix: 'restart', instanceName: 'restart', lockDurationMs: 2_000, stalledIntervalMs: 1_000, lockTtlMs: 2_000, ingestRetryMs: 50 },
      signalStep: rec.signalStep('s'),
      traderStep: rec.traderStep,
    });
    for (let i = 0; i < 5; i++) await pipeline.publishCandle(closed(BTC, i));
    await waitFor(() => rec.traderCalls.length >= 5, 'five candles through both queues');

    await stopRedis(server);
    // Published while Redis is down: held by the ingest and retried, never lost.
    const during = [];
    for (let i = 5; i < 8; i++) during.push(await pipeline.publishCandle(closed(BTC, i)));
    expect(during.every((r) => r === 'buffered' || r === 'published')).toBe(true);
    server = await startRedis(port);
    for (let i = 8; i < 10; i++) await pipeline.publishCandle(closed(BTC, i));

    await waitFor(() => rec.traderCalls.length >= 10, 'all ten candles after the restart', 30_000);
    const times = bySeries(rec.traderCalls).get(seriesId(BTC));
    expect(times).toEqual(Array.from({ length: 10 }, (_, i) => closed(BTC, i).candle.openTimeMs));
  });
});
