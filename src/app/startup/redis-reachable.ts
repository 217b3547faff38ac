import { Redis } from 'ioredis';
import { StartupError } from './http-first.js';

/**
 * Start-up check: Redis answers PING within `timeoutMs`, or start-up stops with one message before
 * the exchange is contacted or a trader lease could be taken. Without it a daemon whose Redis is
 * down waits on reconnects forever (the pipeline's connections retry without end, by design, once
 * running). The URL is shown without its password.
 */
export async function checkRedisReachable(url: string, timeoutMs = 5_000): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  redis.on('error', () => undefined); // reported below, once
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
  } catch (error) {
    throw new StartupError(
      `Redis at ${shown(url)} is unreachable (${error instanceof Error ? error.message : String(error)}): start Redis or fix WICK_REDIS_URL. Nothing was started.`,
      'redis',
    );
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}

function shown(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(an unparseable WICK_REDIS_URL)';
  }
}
