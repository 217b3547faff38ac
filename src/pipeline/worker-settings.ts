import { z } from 'zod';

/** Tunables of the pipeline, validated once. Defaults suit a live daemon; tests shorten the timings. */
export const workerSettingsSchema = z.object({
  /** bullmq and key prefix (WICK_REDIS_PREFIX). */
  prefix: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/),
  /** Names this process's connections and workers (CLIENT LIST, job records). */
  instanceName: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{1,64}$/)
    .default('wick'),
  /** Jobs one signal worker runs at once; order per series holds regardless (series lock). */
  signalConcurrency: z.number().int().min(1).max(64).default(8),
  /** Stored candles one signal pass reads ahead of the last processed one. */
  readAhead: z.number().int().min(1).max(10_000).default(256),
  /** Most candles of one series in one candles job (publishCandles batches a replay). */
  maxCandlesPerJob: z.number().int().min(1).max(10_000).default(256),
  /** Candles kept per series in the candle store (>= feature window + warm-up). */
  storeMaxCandles: z.number().int().min(16).max(1_000_000).default(5_000),
  /** bullmq job lock; a job whose worker died is re-run after about lockDuration + stalledInterval. */
  lockDurationMs: z.number().int().min(200).max(600_000).default(10_000),
  stalledIntervalMs: z.number().int().min(100).max(600_000).default(5_000),
  maxStalledCount: z.number().int().min(0).max(100).default(1),
  /** TTL of the per-series and per-account Redis locks (renewed while held). */
  lockTtlMs: z.number().int().min(200).max(600_000).default(10_000),
  /** Attempts of a job whose step failed, with exponential backoff from backoffMs. */
  attempts: z.number().int().min(1).max(100).default(8),
  backoffMs: z.number().int().min(1).max(600_000).default(200),
  /** Finished job records kept: the window in which a duplicate job id is dropped by bullmq itself. */
  removeOnComplete: z.object({ count: z.number().int().min(0), age: z.number().int().min(1) }).default({ count: 10_000, age: 3_600 }),
  removeOnFail: z.object({ count: z.number().int().min(0), age: z.number().int().min(1) }).default({ count: 10_000, age: 7 * 86_400 }),
  /** How long an executed intent id is remembered (the trader's durable dedup). */
  intentDedupTtlSec: z
    .number()
    .int()
    .min(60)
    .max(365 * 86_400)
    .default(7 * 86_400),
  /** Candles the ingest holds in memory while Redis is unreachable (oldest dropped beyond). */
  ingestBufferMax: z.number().int().min(0).max(1_000_000).default(10_000),
  ingestRetryMs: z.number().int().min(10).max(60_000).default(500),
  /** stop(): how long to wait for in-flight jobs before forcing. */
  shutdownTimeoutMs: z.number().int().min(0).max(600_000).default(10_000),
});
export type WorkerSettingsInput = z.input<typeof workerSettingsSchema>;
export type WorkerSettings = Readonly<z.output<typeof workerSettingsSchema>>;
