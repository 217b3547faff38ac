import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { seriesId, type Logger, type OrderIntent } from '../core/index.js';
import { describeIssues, INTENTS_QUEUE, intentJobSchema } from './jobs.js';
import { keepAlive, LockBusyError, newLockToken, whileBusy } from './locks.js';
import { LuaScript, PipelineKeys } from './redis.js';
import type { PipelineMetrics, TraderStep } from './types.js';
import type { WorkerSettings } from './worker-settings.js';

// KEYS: accountLock, traderLast, intentDone... ARGV: token, ttlMs, seriesId.
// -> {0} locked by another trader | {1, lastTradedOpenTime or '', {done flags}}
const BEGIN = new LuaScript(
  `if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0} end
local done = {}
for i = 3, #KEYS do done[#done + 1] = redis.call('EXISTS', KEYS[i]) end
return {1, redis.call('HGET', KEYS[2], ARGV[3]) or '', done}`,
  -1,
);

// KEYS: accountLock, traderLast, intentDone... ARGV: token, ttlSec, seriesId, lastOpenTime ('' = none).
const COMMIT = new LuaScript(
  `for i = 3, #KEYS do redis.call('SET', KEYS[i], '1', 'EX', ARGV[2]) end
if ARGV[4] ~= '' then
  local cur = redis.call('HGET', KEYS[2], ARGV[3])
  if not cur or tonumber(ARGV[4]) > tonumber(cur) then redis.call('HSET', KEYS[2], ARGV[3], ARGV[4]) end
end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0`,
  -1,
);

export interface TraderWorkerDeps {
  readonly connection: Redis;
  readonly step: TraderStep;
  readonly settings: WorkerSettings;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
  readonly nowMs: () => number;
}

/**
 * The trader role: the single writer of order state. One bullmq worker at concurrency 1, and an
 * account lock in Redis around every job, so a second trader process (by mistake or as a standby)
 * can never run a TraderStep at the same time. Each intent id is executed once (a Redis key with a
 * TTL, checked before and set after the step); an intent older than one already executed for its
 * series (a retried job that fell behind newer ones) is skipped as stale.
 */
export class TraderWorker {
  readonly worker: Worker;
  private readonly keys: PipelineKeys;

  constructor(private readonly deps: TraderWorkerDeps) {
    const s = deps.settings;
    this.keys = new PipelineKeys(s.prefix);
    this.worker = new Worker(INTENTS_QUEUE, (job) => this.process(job), {
      connection: deps.connection,
      prefix: s.prefix,
      concurrency: 1,
      lockDuration: s.lockDurationMs,
      stalledInterval: s.stalledIntervalMs,
      maxStalledCount: s.maxStalledCount,
      removeOnComplete: s.removeOnComplete,
      removeOnFail: s.removeOnFail,
      name: `trader-${s.instanceName}`,
    });
    this.worker.on('error', (err) => deps.logger.error({ err }, 'trader worker error'));
    this.worker.on('failed', (job, err) => {
      const final = job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1);
      deps.logger[final ? 'error' : 'warn']({ err, jobId: job?.id, attemptsMade: job?.attemptsMade }, final ? 'intent job failed for good' : 'intent job failed; will retry');
    });
  }

  private async process(job: Job): Promise<void> {
    const { connection, settings, logger, metrics, step, nowMs } = this.deps;
    const parsed = intentJobSchema.safeParse(job.data);
    if (!parsed.success) {
      const reason = describeIssues(parsed.error);
      logger.error({ jobId: job.id, reason }, 'malformed intent job rejected');
      metrics.errorsTotal.inc({ code: 'JOB_MALFORMED' });
      throw new UnrecoverableError(`malformed intent job: ${reason}`);
    }
    if (job.processedOn !== undefined) metrics.queueWaitSeconds.observe({ queue: INTENTS_QUEUE }, Math.max(0, job.processedOn - job.timestamp) / 1000);
    const id = seriesId(parsed.data.series);
    const entries = parsed.data.intents as readonly { readonly intent: OrderIntent; readonly ingestedAtMs: number }[];
    const lockKey = this.keys.traderLock();
    const doneKeys = entries.map((e) => this.keys.intentDone(e.intent.intentId));
    const token = newLockToken();
    const begun = await whileBusy(settings.lockTtlMs + 1_000, async () => {
      const r = (await BEGIN.run(connection, [lockKey, this.keys.traderLast(), ...doneKeys], [token, settings.lockTtlMs, id])) as [number, string?, number[]?];
      return r[0] === 0 ? undefined : r;
    });
    if (begun === undefined) throw new LockBusyError('the trader account lock');
    const lastTraded = begun[1] === undefined || begun[1] === '' ? -Infinity : Number(begun[1]);
    const done = begun[2] ?? [];

    const alive = keepAlive(connection, lockKey, token, settings.lockTtlMs);
    const executed: string[] = [];
    let executedLast: number | null = null;
    let failure: unknown;
    try {
      for (const [i, { intent, ingestedAtMs }] of entries.entries()) {
        if (done[i] === 1) {
          logger.debug({ intentId: intent.intentId }, 'intent already executed; skipped');
          continue;
        }
        if (intent.candleOpenTimeMs <= lastTraded) {
          logger.warn({ intentId: intent.intentId, series: id, candleOpenTimeMs: intent.candleOpenTimeMs, lastTradedOpenTimeMs: lastTraded }, 'stale intent skipped: a newer intent of its series was already executed');
          metrics.errorsTotal.inc({ code: 'INTENT_STALE' });
          continue;
        }
        const started = nowMs();
        try {
          await step(intent);
        } catch (error) {
          failure = error;
          break;
        }
        const finished = nowMs();
        metrics.stepSeconds.observe({ step: 'trader' }, (finished - started) / 1000);
        metrics.pipelineLatencySeconds.observe({ stage: 'ingest_to_trader' }, Math.max(0, started - ingestedAtMs) / 1000);
        executed.push(this.keys.intentDone(intent.intentId));
        executedLast = intent.candleOpenTimeMs;
      }
    } finally {
      alive.stop();
      const owned = await COMMIT.run(connection, [lockKey, this.keys.traderLast(), ...executed], [token, settings.intentDedupTtlSec, id, executedLast ?? '']).catch((err: unknown) => {
        logger.error({ err, executed: executed.length }, 'could not record executed intents; a re-run relies on the TraderStep being idempotent');
        return 1;
      });
      if (owned === 0 || alive.lost()) logger.warn('trader account lock expired during a step; another trader may have run concurrently');
    }
    if (failure !== undefined) {
      metrics.errorsTotal.inc({ code: 'TRADER_STEP_FAILED' });
      throw failure;
    }
  }
}
