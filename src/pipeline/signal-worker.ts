import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { seriesId, type Candle, type Logger, type OrderIntent, type SeriesKey } from '../core/index.js';
import { decodeStoredCandle, type CandleStore } from './candle-store.js';
import { DecisionPublisher } from './decision-publisher.js';
import { CANDLES_QUEUE, candleJobSchema, describeIssues } from './jobs.js';
import { keepAlive, KeyedMutex, LockBusyError, newLockToken, whileBusy } from './locks.js';
import { LuaScript, PipelineKeys } from './redis.js';
import { intentAction, type PipelineMetrics, type SignalStep } from './types.js';
import type { WorkerSettings } from './worker-settings.js';

// KEYS: lock, lastProcessed, store. ARGV: token, ttlMs, targetOpenTimeMs, readLimit.
// -> {2, last} covered already | {0, last} locked by another worker | {1, last, rows} lock taken, rows after last.
const BEGIN = new LuaScript(
  `local last = redis.call('GET', KEYS[2])
if last and tonumber(last) >= tonumber(ARGV[3]) then return {2, last} end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0, last or ''} end
local from = '-inf'
if last then from = '(' .. last end
return {1, last or '', redis.call('ZRANGEBYSCORE', KEYS[3], from, '+inf', 'LIMIT', 0, tonumber(ARGV[4]))}`,
  3,
);

// KEYS: lock, lastProcessed. ARGV: token, newLast ('' = nothing processed). Advances last monotonically
// (true even when the lock expired meanwhile: these candles were processed), releases the lock if still ours.
const COMMIT = new LuaScript(
  `if ARGV[2] ~= '' then
  local cur = redis.call('GET', KEYS[2])
  if not cur or tonumber(ARGV[2]) > tonumber(cur) then redis.call('SET', KEYS[2], ARGV[2]) end
end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0`,
  2,
);

export interface SignalWorkerDeps {
  readonly connection: Redis;
  readonly intentsQueue: Queue;
  readonly store: CandleStore;
  readonly step: SignalStep;
  readonly settings: WorkerSettings;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
  readonly nowMs: () => number;
}

interface Pending {
  readonly candle: Candle;
  readonly ingestedAtMs: number;
}

/**
 * The signal role: consumes `candles`, hands each series' candles to the SignalStep strictly in
 * open-time order, publishes the resulting intents to `intents`. See pipeline.ts for the design.
 */
export class SignalWorker {
  readonly worker: Worker;
  private readonly keys: PipelineKeys;
  private readonly mutex = new KeyedMutex();
  /** Lower bound of each series' last processed open time (it only grows), to skip covered jobs without a round trip. */
  private readonly knownLast = new Map<string, number>();
  private readonly publisher: DecisionPublisher;

  constructor(private readonly deps: SignalWorkerDeps) {
    const s = deps.settings;
    this.keys = new PipelineKeys(s.prefix);
    this.publisher = new DecisionPublisher(deps.intentsQueue, INTENT_JOB_NAME);
    this.worker = new Worker(CANDLES_QUEUE, (job) => this.process(job), {
      connection: deps.connection,
      prefix: s.prefix,
      concurrency: s.signalConcurrency,
      lockDuration: s.lockDurationMs,
      stalledInterval: s.stalledIntervalMs,
      maxStalledCount: s.maxStalledCount,
      removeOnComplete: s.removeOnComplete,
      removeOnFail: s.removeOnFail,
      name: `signal-${s.instanceName}`,
    });
    this.worker.on('error', (err) => deps.logger.error({ err }, 'signal worker error'));
    this.worker.on('failed', (job, err) => {
      const final = job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1);
      deps.logger[final ? 'error' : 'warn'](
        { err, jobId: job?.id, attemptsMade: job?.attemptsMade },
        final ? 'candle job failed for good' : 'candle job failed; will retry',
      );
    });
  }

  private async process(job: Job): Promise<void> {
    const { logger, metrics } = this.deps;
    const parsed = candleJobSchema.safeParse(job.data);
    if (!parsed.success) {
      const reason = describeIssues(parsed.error);
      logger.error({ jobId: job.id, reason }, 'malformed candle job rejected');
      metrics.candlesRejected.inc({ series: 'unknown', reason: 'malformed' });
      metrics.errorsTotal.inc({ code: 'JOB_MALFORMED' });
      throw new UnrecoverableError(`malformed candle job: ${reason}`);
    }
    if (job.processedOn !== undefined) metrics.queueWaitSeconds.observe({ queue: CANDLES_QUEUE }, Math.max(0, job.processedOn - job.timestamp) / 1000);
    const { series, candles, ingestedAtMs } = parsed.data;
    const id = seriesId(series);
    const target = candles[candles.length - 1]!.openTimeMs;
    if ((this.knownLast.get(id) ?? -Infinity) >= target) return this.covered(id, job, target);
    await this.mutex.run(id, async () => {
      if ((this.knownLast.get(id) ?? -Infinity) >= target) return this.covered(id, job, target);
      // A pass reads at most readAhead stored candles; a job covering more takes several passes.
      while (await this.advance(series, id, target, candles, ingestedAtMs, job));
    });
  }

  private covered(id: string, job: Job, target: number): void {
    this.deps.logger.debug({ series: id, jobId: job.id, openTimeMs: target }, 'candles already processed; job skipped');
    this.deps.metrics.candlesRejected.inc({ series: id, reason: 'covered' });
  }

  /**
   * One pass: processes the series from its last processed candle on, up to readAhead stored candles
   * (which may go beyond `target`: their own jobs are then skipped as covered). Returns true when
   * `target` is not reached yet and another pass is needed.
   */
  private async advance(series: SeriesKey, id: string, target: number, jobCandles: readonly Candle[], ingestedAtMs: number, job: Job): Promise<boolean> {
    const { connection, settings, logger, metrics, store, step, nowMs } = this.deps;
    const lockKey = this.keys.seriesLock(id);
    const lastKey = this.keys.lastProcessed(id);
    const token = newLockToken();
    const begun = await whileBusy(settings.lockTtlMs + 1_000, async () => {
      const r = (await BEGIN.run(connection, [lockKey, lastKey, this.keys.store(id)], [token, settings.lockTtlMs, target, settings.readAhead])) as [
        number,
        string,
        string[]?,
      ];
      return r[0] === 0 ? undefined : r;
    });
    if (begun === undefined) throw new LockBusyError(`series ${id}`);
    const [status, lastRaw, rows = []] = begun;
    const last = lastRaw === '' ? null : Number(lastRaw);
    if (last !== null) this.raiseKnownLast(id, last);
    if (status === 2) {
      this.covered(id, job, target);
      return false;
    }

    const limitHit = rows.length >= settings.readAhead;
    const pending = mergePending(rows.map(decodeStoredCandle), jobCandles, ingestedAtMs, last, limitHit);
    const alive = keepAlive(connection, lockKey, token, settings.lockTtlMs);
    const decisions: { candle: Candle; intent: OrderIntent | null; ingestedAtMs: number }[] = [];
    let processed = last;
    let failure: unknown;
    try {
      for (const p of pending) {
        const started = nowMs();
        let intent: OrderIntent | null;
        try {
          intent = await step({ series, candle: p.candle }, { previousOpenTimeMs: processed, store });
        } catch (error) {
          failure = error;
          break;
        }
        metrics.stepSeconds.observe({ step: 'signal' }, (nowMs() - started) / 1000);
        metrics.candlesProcessed.inc({ series: id });
        decisions.push({ candle: p.candle, intent, ingestedAtMs: p.ingestedAtMs });
        if (intent !== null) metrics.intentsTotal.inc({ action: intentAction(intent) });
        processed = p.candle.openTimeMs;
      }
      // At least once: decisions go out before the series advances; a crash in between re-runs these
      // candles, and the duplicates are dropped by job id or by the trader's per-candle check.
      if (decisions.length > 0) await this.publisher.publish({ series, decisions });
    } catch (error) {
      failure ??= error;
      processed = last; // the decisions did not go out: these candles must run again
    } finally {
      alive.stop();
      // Not awaited: written now, on the connection that later completes the job and runs this series'
      // next BEGIN, so Redis applies it first; the worker saves a round trip per pass. If it is lost with
      // the connection, the job stalls and re-runs these candles (at least once; intents are deduped).
      COMMIT.run(connection, [lockKey, lastKey], [token, processed === null || processed === last ? '' : processed]).then(
        (owned) => {
          if (owned === 0 || alive.lost()) logger.warn({ series: id }, 'series lock expired while processing; another worker may have repeated these candles');
        },
        (err: unknown) => logger.warn({ err, series: id }, 'could not commit series progress; the lock expires by itself'),
      );
    }
    if (processed !== null) this.raiseKnownLast(id, processed);
    if (failure !== undefined) {
      metrics.errorsTotal.inc({ code: 'SIGNAL_STEP_FAILED' });
      throw failure;
    }
    return limitHit && processed !== null && processed < target;
  }

  private raiseKnownLast(id: string, t: number): void {
    if (t > (this.knownLast.get(id) ?? -Infinity)) this.knownLast.set(id, t);
  }
}

export const INTENT_JOB_NAME = 'intents';

/**
 * What to process, ascending: the stored candles after `last`, plus the job's own candles that the
 * store lacks (a producer that skipped the store, or a trimmed store). When the read hit its limit,
 * job candles beyond the last row wait for a later pass so nothing stored in between is skipped.
 */
export function mergePending(
  stored: readonly { readonly candle: Candle; readonly ingestedAtMs: number }[],
  jobCandles: readonly Candle[],
  jobIngestedAtMs: number,
  last: number | null,
  readLimitHit: boolean,
): Pending[] {
  const byTime = new Map<number, Pending>();
  for (const s of stored) byTime.set(s.candle.openTimeMs, s);
  const ceiling = readLimitHit && stored.length > 0 ? stored[stored.length - 1]!.candle.openTimeMs : Infinity;
  for (const c of jobCandles) {
    if ((last !== null && c.openTimeMs <= last) || c.openTimeMs > ceiling || byTime.has(c.openTimeMs)) continue;
    byTime.set(c.openTimeMs, { candle: c, ingestedAtMs: jobIngestedAtMs });
  }
  return [...byTime.values()].sort((a, b) => a.candle.openTimeMs - b.candle.openTimeMs);
}
