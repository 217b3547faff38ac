import { performance } from 'node:perf_hooks';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Rng, silentLogger, type Candle, type ClosedCandle, type SeriesKey } from '../../core/index.js';
import { loadConfig } from '../config/load-config.js';
import { startDaemon } from '../daemon/daemon.js';
import { deleteKeysWithPrefix } from '../../pipeline/index.js';
import { simulatedMarketRules } from '../trading-setup.js';
import { simulatedTrader } from '../modes.js';
import { benchModelDir } from './inference.js';

const H = 3_600_000;

/**
 * Memory of a running daemon: 10 series replayed through every role (Redis queues, signal worker
 * with the model, paper trader) at a steady pace for WICK_BENCH_SOAK_MINUTES (default 10). Reports
 * the resident set size at the end and its growth since minute 2 (after warm-up). Not part of the
 * default set: `npm run bench -- soak`.
 */
export async function benchSoak(): Promise<Record<string, number>> {
  const minutes = Number(process.env['WICK_BENCH_SOAK_MINUTES'] ?? 10);
  const perSecond = Number(process.env['WICK_BENCH_SOAK_RATE'] ?? 50);
  const redisUrl = process.env['WICK_REDIS_URL'] ?? process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const { dir, scratch } = await benchModelDir();
  const config = loadConfig({ WICK_MODEL_DIR: dir, WICK_REDIS_URL: redisUrl, WICK_LOG_LEVEL: 'silent', WICK_EXECUTION_PROVIDER: 'cpu' });
  const symbols = Array.from({ length: 10 }, (_, i) => `S${i}/USDT`);
  const series: SeriesKey[] = symbols.map((symbol) => ({ exchange: 'soak', symbol, timeframe: '1h' }));
  const prefix = `wick-soak-${Date.now().toString(36)}`;
  const daemon = await startDaemon({
    config,
    mode: 'replay',
    roles: ['ingest', 'signal', 'trader'],
    series,
    logger: silentLogger,
    cwd: process.cwd(),
    prefix,
    trader: await simulatedTrader({
      mode: 'replay',
      config,
      rules: simulatedMarketRules(symbols),
      timeframe: '1h',
      prefix,
      logger: silentLogger,
      persist: false,
      memory: { maxTrades: 500, maxPoints: 5_000 },
    }),
  });
  const rng = new Rng(7);
  const prices = symbols.map(() => 100);
  let t = Date.UTC(2020, 0, 1);
  const next = (): ClosedCandle[] => {
    const out = series.map((s, i): ClosedCandle => {
      const open = prices[i] as number;
      const close = open * Math.exp(0.01 * rng.normal());
      prices[i] = close;
      const candle: Candle = { openTimeMs: t, open, high: Math.max(open, close) * 1.002, low: Math.min(open, close) * 0.998, close, volume: 10 + rng.next() };
      return { series: s, candle };
    });
    t += H;
    return out;
  };
  const mb = (): number => process.memoryUsage().rss / 1_048_576;
  const started = performance.now();
  const end = started + minutes * 60_000;
  let atTwo: number | null = null;
  let published = 0;
  try {
    while (performance.now() < end) {
      const tick = performance.now();
      await daemon.pipeline.publishCandles(next());
      published += series.length;
      if (atTwo === null && performance.now() - started >= 120_000) atTwo = mb();
      const wait = (series.length / perSecond) * 1000 - (performance.now() - tick);
      if (wait > 0) await sleep(wait);
    }
    await sleep(2_000);
    global.gc?.();
    const final = mb();
    return {
      'daemon.rssMb': Math.round(final),
      'daemon.rssGrowthMbAfterMinute2': atTwo === null ? Number.NaN : Math.round((final - atTwo) * 10) / 10,
      'daemon.soakMinutes': minutes,
      'daemon.soakCandles': published,
    };
  } finally {
    await daemon.stop();
    const redis = new Redis(redisUrl);
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}
