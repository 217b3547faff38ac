import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { seriesId, type Logger } from '../core/index.js';
import { anyDecisionJobSchema, decisionGroups, describeIssues, INTENTS_QUEUE, type DecisionJobData } from './jobs.js';
import { LockBusyError, newLockToken } from './locks.js';
import { LuaScript, PipelineKeys } from './redis.js';
import type { PipelineMetrics, SignalDecision, TraderStep } from './types.js';
import type { WorkerSettings } from './worker-settings.js';

// KEYS: lease. ARGV: token, ttlMs. Renews the lease if ours, takes it if free. -> 1 held, 0 someone else's.
const ACQUIRE = new LuaScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`,
  1,
);
const RELEASE = new LuaScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1);

// KEYS: traderLast, intentDone... ARGV: seriesId. -> {lastTradedOpenTime or '', {done flags}}
const LOOKUP = new LuaScript(
  `local done = {}
for i = 2, #KEYS do done[#done + 1] = redis.call('EXISTS', KEYS[i]) end
return {redis.call('HGET', KEYS[1], ARGV[1]) or '', done}`,
  -1,
);

// KEYS: traderLast, intentDone... ARGV: ttlSec, seriesId, lastOpenTime.
const COMMIT = new LuaScript(
  `for i = 2, #KEYS do redis.call('SET', KEYS[i], '1', 'EX', ARGV[1]) end
local cur = redis.call('HGET', KEYS[1], ARGV[2])
if not cur or tonumber(ARGV[3]) > tonumber(cur) then redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) end
return 1`,
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
 * The trader role: the single writer of order state. One bullmq worker at concurrency 1 that runs only
 * while its process holds the account lease in Redis (SET NX PX, renewed every third of its TTL): a
 * second trader process waits as a standby and takes over when the lease expires or is released. Each
 * candle's decision is executed once: per series the open time of the last executed candle (a Redis
 * hash, cached in memory while the lease is held, since nobody else writes it) and the executed
 * decision ids (Redis keys with a TTL) are checked before the TraderStep and written after it. A
 * decision at or before the last executed one of its series - a duplicate, or a retried job that fell
 * behind newer ones - is skipped.
 */
export class TraderWorker {
  readonly worker: Worker;
  private readonly keys: PipelineKeys;
  private readonly token = newLockToken();
  private readonly lastTraded = new Map<string, number>();
  private validUntil = 0;
  private held = false;
  private started = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: TraderWorkerDeps) {
    const s = deps.settings;
    this.keys = new PipelineKeys(s.prefix);
    this.worker = new Worker(INTENTS_QUEUE, (job) => this.process(job), {
      connection: deps.connection,
      prefix: s.prefix,
      concurrency: 1,
      autorun: false,
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
      deps.logger[final ? 'error' : 'warn'](
        { err, jobId: job?.id, attemptsMade: job?.attemptsMade },
        final ? 'intent job failed for good' : 'intent job failed; will retry',
      );
    });
    void this.tick();
  }

  /** Holding the lease: the worker runs. Not holding it: the worker is paused (standby). */
  private async tick(): Promise<void> {
    if (this.stopped) return;
    const { connection, settings, logger } = this.deps;
    const sentAt = Date.now();
    let ok = false;
    try {
      ok = (await ACQUIRE.run(connection, [this.keys.traderLock()], [this.token, settings.lockTtlMs])) === 1;
    } catch (err) {
      logger.debug({ err }, 'trader lease renewal failed');
    }
    if (this.stopped) return;
    if (ok) {
      this.validUntil = sentAt + settings.lockTtlMs;
      if (!this.held) {
        this.held = true;
        this.lastTraded.clear();
        logger.info('trader lease acquired: this process is the single writer');
        if (!this.started) {
          this.started = true;
          this.worker.run().catch((err: unknown) => logger.error({ err }, 'trader worker stopped'));
        } else this.worker.resume();
      }
    } else if (this.held && Date.now() >= this.validUntil) {
      this.held = false;
      this.lastTraded.clear();
      logger.warn('trader lease lost: pausing until it can be taken again');
      void this.worker.pause(true).catch(() => undefined);
    }
    this.timer = setTimeout(() => void this.tick(), Math.max(10, Math.floor(settings.lockTtlMs / (this.held ? 3 : 2))));
  }

  /** Stops renewing; releases the lease (unless crashing) so a standby takes over at once. */
  async close(force: boolean): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (force) {
      await this.worker.close(true).catch(() => undefined);
      return;
    }
    await this.worker.close();
    if (this.held) await RELEASE.run(this.deps.connection, [this.keys.traderLock()], [this.token]).catch(() => undefined);
  }

  private async process(job: Job): Promise<void> {
    const { logger, metrics } = this.deps;
    const parsed = anyDecisionJobSchema.safeParse(job.data);
    if (!parsed.success) {
      const reason = describeIssues(parsed.error);
      logger.error({ jobId: job.id, reason }, 'malformed decision job rejected');
      metrics.errorsTotal.inc({ code: 'JOB_MALFORMED' });
      throw new UnrecoverableError(`malformed decision job: ${reason}`);
    }
    if (!this.held || Date.now() >= this.validUntil) throw new LockBusyError('the trader lease');
    if (job.processedOn !== undefined) metrics.queueWaitSeconds.observe({ queue: INTENTS_QUEUE }, Math.max(0, job.processedOn - job.timestamp) / 1000);
    // Groups run in order; a failure stops the job, and its retry skips what already ran (per-series dedup).
    for (const group of decisionGroups(parsed.data)) await this.processGroup(group);
  }

  /** One series' decisions of a job, in order. */
  private async processGroup(group: Omit<DecisionJobData, 'v'>): Promise<void> {
    const { connection, settings, logger, metrics, step, nowMs } = this.deps;
    const id = seriesId(group.series);
    const series = group.series;
    const entries = group.decisions;
    const decisionId = (openTimeMs: number): string => `${id}.${openTimeMs}`;

    let lastTraded = this.lastTraded.get(id);
    let done: readonly number[] = [];
    if (lastTraded === undefined) {
      const r = (await LOOKUP.run(
        connection,
        [this.keys.traderLast(), ...entries.map((e) => this.keys.intentDone(decisionId(e.candle.openTimeMs)))],
        [id],
      )) as [string, number[]];
      lastTraded = r[0] === '' ? -Infinity : Number(r[0]);
      done = r[1];
    }

    const executed: string[] = [];
    let failure: unknown;
    for (const [i, { candle, intent, ingestedAtMs }] of entries.entries()) {
      if (done[i] === 1 || candle.openTimeMs <= lastTraded) {
        logger.debug(
          { series: id, candleOpenTimeMs: candle.openTimeMs, intentId: intent?.intentId, lastTradedOpenTimeMs: lastTraded },
          'decision already executed or superseded by a newer one of its series; skipped',
        );
        metrics.candlesRejected.inc({ series: id, reason: 'intent_done' });
        continue;
      }
      if (Date.now() >= this.validUntil) {
        failure = new LockBusyError('the trader lease');
        break;
      }
      const started = nowMs();
      try {
        await step({ candle: { series, candle }, intent } as SignalDecision);
      } catch (error) {
        failure = error;
        break;
      }
      metrics.stepSeconds.observe({ step: 'trader' }, (nowMs() - started) / 1000);
      metrics.pipelineLatencySeconds.observe({ stage: 'ingest_to_trader' }, Math.max(0, started - ingestedAtMs) / 1000);
      executed.push(this.keys.intentDone(decisionId(candle.openTimeMs)));
      lastTraded = candle.openTimeMs;
    }
    if (executed.length > 0) {
      if (this.held) this.lastTraded.set(id, lastTraded);
      // Not awaited: written now, on the connection bullmq then uses to complete the job, so Redis runs
      // it first and the trader saves a round trip per job. Were it lost with the connection, the job
      // would stall and re-run: the crash window that the TraderStep's own idempotency covers.
      COMMIT.run(connection, [this.keys.traderLast(), ...executed], [settings.intentDedupTtlSec, id, lastTraded]).catch((err: unknown) => {
        logger.error({ err, series: id, executed: executed.length }, 'could not record executed intents; a re-run relies on the TraderStep being idempotent');
        metrics.errorsTotal.inc({ code: 'TRADER_COMMIT_FAILED' });
      });
    }
    if (failure !== undefined) {
      metrics.errorsTotal.inc({ code: failure instanceof LockBusyError ? failure.code : 'TRADER_STEP_FAILED' });
      throw failure;
    }
  }
}
