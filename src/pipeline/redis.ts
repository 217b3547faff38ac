import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../core/index.js';

export type ConnectionKind =
  /** Fails fast while Redis is down (no offline queue, one retry): the ingest producer buffers itself. */
  | 'producer'
  /** Waits for Redis to come back (bullmq workers need maxRetriesPerRequest: null on the instance). */
  | 'worker';

/** Reconnect backoff: 50 ms doubling to a 2 s ceiling, forever. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 6), 2_000);
}

/**
 * One ioredis connection with wick's settings and an error listener that logs the first error of an
 * outage (and the recovery) instead of one line per retry.
 */
export function createRedisConnection(url: string, kind: ConnectionKind, name: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: kind === 'worker' ? null : 1,
    enableOfflineQueue: kind === 'worker',
    retryStrategy: reconnectDelayMs,
    enableReadyCheck: true,
  });
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn({ err, connection: name }, 'redis connection error; reconnecting');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ connection: name }, 'redis connection restored');
  });
  return redis;
}

/** Closes a connection politely, or cuts it when QUIT does not answer in time. */
export async function closeRedis(redis: Redis, timeoutMs = 1_000): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.quit(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('quit timed out')), timeoutMs);
      }),
    ]);
  } catch {
    redis.disconnect();
  } finally {
    clearTimeout(timer);
  }
}

const ALL_SCRIPTS: LuaScript[] = [];

/** Loads every pipeline script into Redis's script cache, so the first calls need no EVAL fallback. */
export async function preloadScripts(redis: Redis): Promise<void> {
  await Promise.all(ALL_SCRIPTS.map((s) => redis.script('LOAD', s.source)));
}

/** A Lua script run with EVALSHA, falling back to EVAL when Redis does not know it (after a restart). */
export class LuaScript {
  readonly sha: string;
  constructor(
    readonly source: string,
    /** -1: any number of keys. */
    readonly numberOfKeys: number,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
    ALL_SCRIPTS.push(this);
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (this.numberOfKeys >= 0 && keys.length !== this.numberOfKeys) throw new Error(`script expects ${this.numberOfKeys} keys, got ${keys.length}`);
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      return await redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** Redis keys of the pipeline's own state (bullmq keeps its keys under `${prefix}:${queueName}:`). */
export class PipelineKeys {
  constructor(readonly prefix: string) {}
  /** Sorted set of a series' candles (candle-store.ts). */
  store(seriesId: string): string {
    return `${this.prefix}:store:candles:${seriesId}`;
  }
  /** Open time of the last candle of a series handed to the SignalStep. */
  lastProcessed(seriesId: string): string {
    return `${this.prefix}:pipeline:last:${seriesId}`;
  }
  seriesLock(seriesId: string): string {
    return `${this.prefix}:pipeline:lock:${seriesId}`;
  }
  traderLock(): string {
    return `${this.prefix}:pipeline:trader:lock`;
  }
  /** Hash seriesId -> open time of the last candle whose intent the trader executed. */
  traderLast(): string {
    return `${this.prefix}:pipeline:trader:last`;
  }
  intentDone(intentId: string): string {
    return `${this.prefix}:pipeline:intent:${intentId}`;
  }
}

/** Deletes every key under `${prefix}:` (SCAN, not KEYS: safe on a busy server). Returns how many. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let removed = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) removed += await redis.del(...keys);
  } while (cursor !== '0');
  return removed;
}
