import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LuaScript } from './redis.js';

// KEYS: lock. ARGV: token, ttlMs.
const RENEW = new LuaScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`,
  1,
);

export function newLockToken(): string {
  return randomUUID();
}

/**
 * Keeps a Redis lock alive while a step runs (renewed every third of its TTL); `stop()` ends the
 * renewals. `lost()` says whether a renewal found the lock gone or taken by someone else.
 */
export function keepAlive(redis: Redis, key: string, token: string, ttlMs: number): { stop(): void; lost(): boolean } {
  let lost = false;
  const timer = setInterval(
    () => {
      RENEW.run(redis, [key], [token, ttlMs]).then(
        (r) => {
          if (r === 0) lost = true;
        },
        () => undefined,
      );
    },
    Math.max(10, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  return { stop: () => clearInterval(timer), lost: () => lost };
}

/** Runs tasks one at a time per key inside this process (in arrival order). */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retries `attempt` (which returns undefined while a lock is busy) with a short growing pause, up to `waitMs`. */
export async function whileBusy<T>(waitMs: number, attempt: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + waitMs;
  for (let pause = 1; ; pause = Math.min(pause * 2, 25)) {
    const result = await attempt();
    if (result !== undefined || Date.now() >= deadline) return result;
    await sleep(pause);
  }
}

/** A lock stayed busy longer than the wait allowed; the job is retried later (bullmq attempts/backoff). */
export class LockBusyError extends Error {
  readonly code = 'PIPELINE_LOCK_BUSY';
  constructor(what: string) {
    super(`${what} stayed locked by another worker; retrying later`);
    this.name = 'LockBusyError';
  }
}
