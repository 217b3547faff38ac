import { Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { seriesId, silentLogger, type ClosedCandle, type Logger, type SeriesKey } from '../core/index.js';
import { CandleStore } from './candle-store.js';
import { CandleIngest, type PublishResult } from './ingest.js';
import { CANDLES_QUEUE, INTENTS_QUEUE } from './jobs.js';
import { closeRedis, createRedisConnection, PipelineKeys, preloadScripts } from './redis.js';
import { SignalWorker } from './signal-worker.js';
import { TraderWorker } from './trader-worker.js';
import { noopPipelineMetrics, type PipelineMetrics, type PipelineRole, type SignalStep, type TraderStep } from './types.js';
import { workerSettingsSchema, type WorkerSettings, type WorkerSettingsInput } from './worker-settings.js';

/*
 * Ordering and dedup design (quoted by the README):
 *
 * The candle store is the source of truth and a candles job is only a wake-up call meaning "series S
 * has closed candles up to T". The ingest appends each closed candle to the store (a sorted set per
 * series, first write wins) before it enqueues the job, whose id `${seriesId}.${T}` makes bullmq drop
 * a duplicate while the finished record is retained (removeOnComplete {count, age}: by default the
 * last 10,000 jobs or one hour, whichever is shorter - that is bullmq's dedup window). The durable
 * dedup does not depend on retention: per series, Redis holds the open time of the last candle handed
 * to the SignalStep. A signal worker takes the series lock (SET NX PX, renewed while held; inside one
 * process a per-series mutex queues the jobs first), reads that time, and processes the stored
 * candles after it in open-time order - up to T and a bounded read-ahead beyond it - then advances
 * the time and releases the lock in one script. So any number of signal workers, at any concurrency,
 * in any number of processes keep each series in order: a job whose T is at or before the last
 * processed time (a duplicate, a job whose candle a previous pass read ahead, a retried or stalled
 * job that fell behind newer ones) is skipped with a log line, and a job that finds candles missing
 * before T processes them from the store first. A candle that reaches the store after a newer one was
 * processed is stored for history but never fed (the streaming features only move forward); the
 * ingest logs it as late. Every processed candle's decision (the candle plus the intent decided on
 * it, or none) goes out before the series advances (at least once): the trader needs every candle,
 * since its broker fills and checks stops candle by candle. The trader is the single writer: one
 * worker at concurrency 1 that runs only while its process holds the account lease in Redis (other
 * trader processes wait as standbys); it skips a decision whose candle is at or before the last one
 * executed for its series (a duplicate, or a retried job that fell behind newer ones) and remembers
 * executed decisions (Redis keys with a TTL, default 7 days), so a re-delivered one is never
 * executed twice; only a crash between a TraderStep and its record re-runs the step, which the
 * TraderStep covers with deterministic client order ids.
 */

export interface PipelineOptions {
  readonly redisUrl: string;
  /** Which roles this process runs; the others may run in other processes against the same Redis. */
  readonly roles: readonly PipelineRole[];
  /** `prefix` is required (WICK_REDIS_PREFIX); the rest have defaults (worker-settings.ts). */
  readonly settings: WorkerSettingsInput;
  /** Required with the signal role. */
  readonly signalStep?: SignalStep;
  /** Required with the trader role. */
  readonly traderStep?: TraderStep;
  readonly logger?: Logger;
  readonly metrics?: PipelineMetrics;
  /** Wall clock with sub-millisecond resolution, for latency metrics. */
  readonly nowMs?: () => number;
  /** How long start-up waits for Redis. */
  readonly connectTimeoutMs?: number;
}

export interface PipelineHealth {
  readonly redisReachable: boolean;
  /** Jobs not yet finished (waiting, delayed, active); null when Redis did not answer. */
  readonly queues: { readonly candles: number | null; readonly intents: number | null };
  readonly series: readonly { readonly id: string; readonly lastProcessedOpenTimeMs: number | null }[];
}

export interface Pipeline {
  readonly roles: readonly PipelineRole[];
  readonly settings: WorkerSettings;
  readonly store: CandleStore;
  /** Ingest role: appends the candle to the store and enqueues it (see PublishResult). */
  publishCandle(candle: ClosedCandle): Promise<PublishResult>;
  /** Ingest role: many candles at once (replay, backfill), sent as multi-candle jobs. */
  publishCandles(candles: readonly ClosedCandle[]): Promise<PublishResult>;
  /** Open time of the last candle of a series handed to the SignalStep (any process). */
  lastProcessedOpenTime(series: SeriesKey): Promise<number | null>;
  health(series: readonly SeriesKey[]): Promise<PipelineHealth>;
  /** Graceful: stops taking candles and jobs, waits for in-flight jobs (bounded), closes everything. */
  stop(): Promise<void>;
  /** A crash, for tests: workers stop without finishing (jobs stay locked until they stall), connections cut. */
  kill(): Promise<void>;
}

/** WICK_ROLE ('all' or one role) → the roles startPipeline runs. */
export function rolesFor(role: 'all' | PipelineRole): PipelineRole[] {
  return role === 'all' ? ['ingest', 'signal', 'trader'] : [role];
}

const hiResNow = (): number => performance.timeOrigin + performance.now();

async function waitReady(redis: Redis, timeoutMs: number, name: string): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`redis connection ${name} not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts the roles of this process. `src/app` wires the domain steps in:
 * `startPipeline({ redisUrl, roles: ['ingest', 'signal', 'trader'], settings: { prefix }, signalStep, traderStep, logger, metrics })`.
 */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const roles = [...new Set(options.roles)];
  if (roles.length === 0) throw new Error('startPipeline needs at least one role');
  const settings: WorkerSettings = Object.freeze(workerSettingsSchema.parse(options.settings));
  const logger = (options.logger ?? silentLogger).child({ component: 'pipeline' });
  const metrics = options.metrics ?? noopPipelineMetrics;
  const nowMs = options.nowMs ?? hiResNow;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  if (roles.includes('signal') && options.signalStep === undefined) throw new Error('the signal role needs a signalStep');
  if (roles.includes('trader') && options.traderStep === undefined) throw new Error('the trader role needs a traderStep');

  const connections: Redis[] = [];
  const queues: Queue[] = [];
  /** What stop()/kill() close: bullmq workers, and the trader's lease with its worker. */
  const workers: { readonly name: string; close(force: boolean): Promise<void> }[] = [];
  const plain = (w: Worker) => ({ name: w.name, close: (force: boolean) => w.close(force) });
  const connect = (kind: 'producer' | 'worker', role: string): Redis => {
    const redis = createRedisConnection(options.redisUrl, kind, `${settings.instanceName}.${role}`, logger.child({ role }));
    connections.push(redis);
    return redis;
  };
  const queueOptions = (connection: Redis) => ({
    connection,
    prefix: settings.prefix,
    defaultJobOptions: {
      attempts: settings.attempts,
      backoff: { type: 'exponential' as const, delay: settings.backoffMs },
      removeOnComplete: settings.removeOnComplete,
      removeOnFail: settings.removeOnFail,
    },
  });
  const newQueue = (name: string, connection: Redis): Queue => {
    const queue = new Queue(name, queueOptions(connection));
    queue.on('error', (err) => logger.error({ err, queue: name }, 'queue error'));
    queues.push(queue);
    return queue;
  };

  try {
    const producer = roles.includes('ingest') ? connect('producer', 'ingest') : undefined;
    const signalConn = roles.includes('signal') ? connect('worker', 'signal') : undefined;
    const traderConn = roles.includes('trader') ? connect('worker', 'trader') : undefined;
    await Promise.all(connections.map((c, i) => waitReady(c, connectTimeoutMs, `#${i}`)));
    const main = (producer ?? signalConn ?? traderConn)!;
    await preloadScripts(main);
    const store = new CandleStore(main, { prefix: settings.prefix, maxCandles: settings.storeMaxCandles });
    const keys = new PipelineKeys(settings.prefix);

    const candlesQueue = producer !== undefined ? newQueue(CANDLES_QUEUE, producer) : undefined;
    const ingest =
      producer !== undefined && candlesQueue !== undefined
        ? new CandleIngest({ queue: candlesQueue, store, settings, logger: logger.child({ role: 'ingest' }), metrics, nowMs })
        : undefined;
    const intentsQueue = signalConn !== undefined ? newQueue(INTENTS_QUEUE, signalConn) : undefined;
    if (signalConn !== undefined && intentsQueue !== undefined) {
      workers.push(
        plain(
          new SignalWorker({
            connection: signalConn,
            intentsQueue,
            store,
            step: options.signalStep!,
            settings,
            logger: logger.child({ role: 'signal' }),
            metrics,
            nowMs,
          }).worker,
        ),
      );
    }
    if (traderConn !== undefined) {
      const trader = new TraderWorker({
        connection: traderConn,
        step: options.traderStep!,
        settings,
        logger: logger.child({ role: 'trader' }),
        metrics,
        nowMs,
      });
      workers.push({ name: trader.worker.name, close: (force) => trader.close(force) });
    }
    logger.info({ roles, prefix: settings.prefix, signalConcurrency: settings.signalConcurrency }, 'pipeline started');

    // Depth of a queue this process does not produce to: a light Queue handle, made on first use.
    const monitors = new Map<string, Queue>();
    const depthQueue = (name: string): Queue => {
      if (name === CANDLES_QUEUE && candlesQueue !== undefined) return candlesQueue;
      if (name === INTENTS_QUEUE && intentsQueue !== undefined) return intentsQueue;
      let q = monitors.get(name);
      if (q === undefined) monitors.set(name, (q = newQueue(name, main)));
      return q;
    };
    const depth = async (name: string): Promise<number | null> => {
      const q = depthQueue(name);
      const r = await withTimeout(q.getJobCountByTypes('wait', 'delayed', 'prioritized', 'active'), 1_000).catch(() => 'timeout' as const);
      return r === 'timeout' ? null : r;
    };
    const needIngest = (): CandleIngest => {
      if (ingest === undefined) throw new Error('publishCandle needs the ingest role in this process');
      return ingest;
    };
    let stopped = false;

    return {
      roles,
      settings,
      store,
      publishCandle: (candle) => needIngest().publishCandle(candle),
      publishCandles: (candles) => needIngest().publishCandles(candles),
      async lastProcessedOpenTime(series) {
        const raw = await main.get(keys.lastProcessed(seriesId(series)));
        return raw === null ? null : Number(raw);
      },
      async health(series) {
        const ping = await withTimeout(main.ping(), 1_000).catch(() => 'error' as const);
        const redisReachable = ping === 'PONG';
        if (!redisReachable)
          return { redisReachable, queues: { candles: null, intents: null }, series: series.map((s) => ({ id: seriesId(s), lastProcessedOpenTimeMs: null })) };
        const [candles, intents, lasts] = await Promise.all([
          depth(CANDLES_QUEUE),
          depth(INTENTS_QUEUE),
          series.length === 0 ? Promise.resolve([]) : main.mget(...series.map((s) => keys.lastProcessed(seriesId(s)))),
        ]);
        return {
          redisReachable,
          queues: { candles, intents },
          series: series.map((s, i) => ({ id: seriesId(s), lastProcessedOpenTimeMs: lasts[i] === null || lasts[i] === undefined ? null : Number(lasts[i]) })),
        };
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        const deadline = Date.now() + settings.shutdownTimeoutMs;
        const left = (): number => Math.max(0, deadline - Date.now());
        if (ingest !== undefined) await ingest.close(Math.min(left(), 2_000));
        await Promise.all(
          workers.map(async (w) => {
            const closed = await withTimeout(w.close(false), left());
            if (closed === 'timeout') {
              logger.warn({ worker: w.name }, 'jobs still running at shutdown timeout; leaving them to stall and re-run elsewhere');
              await w.close(true).catch(() => undefined);
            }
          }),
        );
        await Promise.all([...queues, ...monitors.values()].map((q) => withTimeout(q.close(), Math.max(left(), 500)).catch(() => undefined)));
        await Promise.all(connections.map((c) => closeRedis(c, Math.max(left(), 200))));
        logger.info('pipeline stopped');
      },
      async kill() {
        stopped = true;
        if (ingest !== undefined) void ingest.close(0);
        for (const c of connections) c.disconnect();
        await Promise.all(workers.map((w) => w.close(true).catch(() => undefined)));
        await Promise.all([...queues, ...monitors.values()].map((q) => withTimeout(q.close(), 200).catch(() => undefined)));
      },
    };
  } catch (error) {
    await Promise.all(workers.map((w) => w.close(true).catch(() => undefined)));
    for (const c of connections) c.disconnect();
    throw error;
  }
}
