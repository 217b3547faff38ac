/**
 * Pipeline benchmark against the Redis at WICK_REDIS_URL (default 127.0.0.1:6379), through both bullmq
 * queues with trivial steps (every candle yields an intent):
 *  - throughput: a replay of 20,000 candles over 10 series published in bulk, timed from the first
 *    publish to the last TraderStep call, per-series order checked;
 *  - latency: 200 candles/s for 5 s published one by one (a live-like feed), publishCandle() call →
 *    TraderStep call, p50/p99/p99.9, with what the tail coincides with: the share of the samples
 *    above p99 during which a GC pause ran (pipeline.tailWithGcShare), the longest GC pause, and the
 *    event loop's own delay p99 (pipeline.eventLoopDelayP99Ms: time a ready callback waited for
 *    the loop, i.e. CPU contention and synchronous work, not Redis).
 * Run: npm run bench -- pipeline   (WICK_BENCH_LIVE_RATE changes the 200/s)
 * All roles run in this one process, sharing its event loop with the publisher.
 */
import { monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { seriesId, type ClosedCandle, type OrderIntent, type SeriesKey } from '../../core/index.js';
import { deleteKeysWithPrefix, startPipeline, type Pipeline, type SignalStep, type TraderStep } from '../../pipeline/index.js';

const HOUR = 3_600_000;
const SYMBOLS = ['BTC', 'ETH', 'SOL', 'BNB', 'XRP', 'ADA', 'DOGE', 'AVAX', 'DOT', 'LINK'].map((b) => `${b}/USDT`);

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function candle(series: SeriesKey, i: number): ClosedCandle {
  const close = 100 + Math.sin(i / 10);
  return { series, candle: { openTimeMs: Date.UTC(2020, 0, 1) + i * HOUR, open: close, high: close + 1, low: close - 1, close, volume: 1 } };
}

const trivialSignal: SignalStep = async (c) => {
  const intent: OrderIntent = {
    intentId: `${seriesId(c.series)}.${c.candle.openTimeMs}`,
    series: c.series,
    candleOpenTimeMs: c.candle.openTimeMs,
    referencePriceQuote: c.candle.close,
    targetFraction: 0.5,
    reason: 'bench',
    signal: 0,
  };
  return intent;
};

async function withPipeline<T>(redisUrl: string, name: string, traderStep: TraderStep, run: (p: Pipeline) => Promise<T>): Promise<T> {
  const prefix = `bench-${name}-${process.pid}-${Date.now().toString(36)}`;
  const pipeline = await startPipeline({
    redisUrl,
    roles: ['ingest', 'signal', 'trader'],
    settings: { prefix, instanceName: prefix },
    signalStep: trivialSignal,
    traderStep,
  });
  try {
    return await run(pipeline);
  } finally {
    await pipeline.stop();
    const admin = new Redis(redisUrl);
    await deleteKeysWithPrefix(admin, prefix);
    await admin.quit();
  }
}

function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error('benchmark timed out'));
      else setTimeout(poll, 2);
    };
    poll();
  });
}

async function throughput(redisUrl: string, total: number): Promise<number> {
  const series = SYMBOLS.map((symbol): SeriesKey => ({ exchange: 'binance', symbol, timeframe: '1h' }));
  const lastSeen = new Map<string, number>();
  let calls = 0;
  let disorder = 0;
  const traderStep: TraderStep = async ({ candle }) => {
    const id = seriesId(candle.series);
    if (candle.candle.openTimeMs <= (lastSeen.get(id) ?? -Infinity)) disorder++;
    lastSeen.set(id, candle.candle.openTimeMs);
    calls++;
  };
  return withPipeline(redisUrl, 'replay', traderStep, async (pipeline) => {
    const perSeries = total / series.length;
    const all: ClosedCandle[] = [];
    for (let i = 0; i < perSeries; i++) for (const s of series) all.push(candle(s, i));
    const started = performance.now();
    // A replay reads its files in chunks and publishes each chunk at once.
    for (let k = 0; k < all.length; k += 1_000) await pipeline.publishCandles(all.slice(k, k + 1_000));
    await waitUntil(() => calls >= total, 120_000);
    const seconds = (performance.now() - started) / 1000;
    if (disorder > 0 || calls !== total) throw new Error(`order broken: ${disorder} out of order, ${calls} calls for ${total} candles`);
    return total / seconds;
  });
}

interface LatencyFigures {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly tailWithGcShare: number;
  readonly gcMaxPauseMs: number;
  readonly loopDelayP99Ms: number;
}

async function latency(redisUrl: string, ratePerSec: number, seconds: number): Promise<LatencyFigures> {
  const series = SYMBOLS.map((symbol): SeriesKey => ({ exchange: 'binance', symbol, timeframe: '1h' }));
  const publishedAt = new Map<string, number>();
  const samples: { t0: number; t1: number }[] = [];
  let calls = 0;
  const traderStep: TraderStep = async ({ intent }) => {
    calls++;
    if (intent === null) return;
    const t0 = publishedAt.get(intent.intentId);
    if (t0 !== undefined) samples.push({ t0, t1: performance.now() });
  };
  const gcs: PerformanceEntry[] = [];
  const gcObserver = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
  const loop = monitorEventLoopDelay({ resolution: 1 });
  return withPipeline(redisUrl, 'live', traderStep, async (pipeline) => {
    const total = ratePerSec * seconds;
    const intervalMs = 1000 / ratePerSec;
    // Warm-up: connections, Lua script cache, JIT.
    for (let i = 0; i < 100; i++) await pipeline.publishCandle(candle(series[i % series.length]!, 1_000_000 + Math.floor(i / series.length)));
    await waitUntil(() => calls >= 100, 30_000);
    samples.length = 0;
    gcObserver.observe({ entryTypes: ['gc'] });
    loop.enable();
    const start = performance.now();
    for (let n = 0; n < total; n++) {
      const due = start + n * intervalMs;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const s = series[n % series.length]!;
      const c = candle(s, 2_000_000 + Math.floor(n / series.length));
      publishedAt.set(`${seriesId(s)}.${c.candle.openTimeMs}`, performance.now());
      void pipeline.publishCandle(c);
    }
    await waitUntil(() => samples.length >= total, 30_000);
    loop.disable();
    gcObserver.disconnect();
    const measured = samples.slice(-total);
    const sorted = measured.map((x) => x.t1 - x.t0).sort((a, b) => a - b);
    const p99 = percentile(sorted, 99);
    const tail = measured.filter((x) => x.t1 - x.t0 > p99);
    const withGc = tail.filter((x) => gcs.some((g) => g.startTime < x.t1 && g.startTime + g.duration > x.t0));
    return {
      p50: percentile(sorted, 50),
      p99,
      p999: percentile(sorted, 99.9),
      tailWithGcShare: tail.length === 0 ? 0 : withGc.length / tail.length,
      gcMaxPauseMs: gcs.reduce((m, g) => Math.max(m, g.duration), 0),
      loopDelayP99Ms: loop.percentile(99) / 1e6,
    };
  });
}

export async function benchPipeline(): Promise<Record<string, number>> {
  const redisUrl = process.env['WICK_REDIS_URL'] ?? process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const candlesPerSec = await throughput(redisUrl, Number(process.env['WICK_BENCH_REPLAY'] ?? 20_000));
  const rate = Number(process.env['WICK_BENCH_LIVE_RATE'] ?? 200);
  const l = await latency(redisUrl, rate, Number(process.env['WICK_BENCH_LIVE_SECONDS'] ?? 5));
  return {
    'pipeline.candlesPerSec': Math.round(candlesPerSec),
    'pipeline.latencyP50Ms': Number(l.p50.toFixed(3)),
    'pipeline.latencyP99Ms': Number(l.p99.toFixed(3)),
    'pipeline.latencyP999Ms': Number(l.p999.toFixed(3)),
    'pipeline.tailWithGcShare': Number(l.tailWithGcShare.toFixed(2)),
    'pipeline.gcMaxPauseMs': Number(l.gcMaxPauseMs.toFixed(2)),
    'pipeline.eventLoopDelayP99Ms': Number(l.loopDelayP99Ms.toFixed(2)),
  };
}
