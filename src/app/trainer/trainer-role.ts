import { open, readFile, rm, stat, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Candle, Logger, SeriesKey } from '../../core/index.js';
import { loadingVerifier, ModelRegistry } from '../../model/registry.js';
import { notifyEvents, type Notifier } from '../../obs/notify.js';
import { CandleStore, closeRedis, createRedisConnection, workerSettingsSchema } from '../../pipeline/index.js';
import type { Config } from '../config/load-config.js';
import { childWickRunner, retrainOnce, type RetrainOutcome, type WickRunner } from './retrain.js';

/** setTimeout's longest delay; longer waits re-arm. */
const MAX_TIMER_MS = 2_147_483_647;
/** A trainer lock older than this belongs to a process that died mid-run. */
const STALE_LOCK_MS = 12 * 3_600_000;

export interface TrainerRoleOptions {
  readonly config: Config;
  readonly cwd: string;
  readonly series: readonly SeriesKey[];
  readonly history: { range(series: SeriesKey, fromMs: number, toMs: number): Promise<Candle[]> };
  readonly logger: Logger;
  readonly notifier: Notifier | null;
  /** The environment of the child processes (the daemon's own, so they read the same settings). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly nowMs?: () => number;
  readonly runWick?: WickRunner;
}

export interface TrainerRole {
  /** Runs one retraining now (unless another process is running one) and reschedules. */
  runNow(): Promise<RetrainOutcome | null>;
  stop(): Promise<void>;
}

/**
 * The trainer role: every WICK_RETRAIN_EVERY, one retrainOnce (challenger trained and evaluated in
 * child processes, never on the signal path). The time of the last run is kept in the registry
 * (trainer.json), so a restart does not retrain early; a lock file keeps two trainer processes from
 * running at once.
 */
export function startTrainerRole(options: TrainerRoleOptions): TrainerRole {
  const { config, logger } = options;
  const everyMs = config.retrain.everyMs;
  const registryDir = config.model.registry;
  if (everyMs === null || registryDir === undefined) throw new Error('the trainer role needs WICK_RETRAIN_EVERY and WICK_MODEL_REGISTRY');
  const log = logger.child({ component: 'trainer' });
  const nowMs = options.nowMs ?? (() => Date.now());
  const registry = new ModelRegistry(resolve(options.cwd, registryDir), { nowMs, verify: loadingVerifier(log) });
  const statePath = join(registry.root, 'trainer.json');
  const lockPath = join(registry.root, '.trainer-lock');
  const runWick = options.runWick ?? childWickRunner({ env: options.env, cwd: options.cwd });
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<RetrainOutcome | null> | null = null;
  let stopped = false;

  const lastRunMs = async (): Promise<number | null> => {
    try {
      const v = (JSON.parse(await readFile(statePath, 'utf8')) as { lastRunAtMs?: unknown }).lastRunAtMs;
      return typeof v === 'number' ? v : null;
    } catch {
      return null;
    }
  };

  const once = async (): Promise<RetrainOutcome | null> => {
    try {
      const info = await stat(lockPath);
      if (nowMs() - info.mtimeMs > STALE_LOCK_MS) await rm(lockPath, { force: true });
    } catch {
      // no lock
    }
    let lock;
    try {
      lock = await open(lockPath, 'wx');
    } catch {
      log.info('another trainer is retraining; skipping this run');
      return null;
    }
    await lock.close();
    try {
      const tmp = `${statePath}.tmp-${process.pid}`;
      await writeFile(tmp, JSON.stringify({ lastRunAtMs: nowMs() }));
      await rename(tmp, statePath);
      const outcome = await retrainOnce({
        registry,
        history: options.history,
        series: options.series,
        settings: { margin: config.retrain.margin, evalDays: config.retrain.evalDays, epochs: config.retrain.epochs },
        logger,
        workDir: join(tmpdir(), 'wick-trainer'),
        runWick,
      });
      if (outcome.status === 'promoted')
        options.notifier?.notify(notifyEvents.modelSwitch(outcome.challenger, nowMs(), `promoted by the trainer: ${outcome.reason}`));
      else if (outcome.status === 'failed')
        options.notifier?.notify(notifyEvents.error(Object.assign(new Error(outcome.reason), { code: 'RETRAIN_FAILED' }), 'trainer'));
      else log.info({ status: outcome.status, reason: outcome.reason }, `retraining: ${outcome.status}`);
      return outcome;
    } finally {
      await rm(lockPath, { force: true });
    }
  };

  const arm = async (): Promise<void> => {
    if (stopped) return;
    const last = await lastRunMs();
    if (timer !== null) clearTimeout(timer);
    const dueMs = last === null ? nowMs() : last + (everyMs as number);
    const waitMs = Math.max(0, Math.min(dueMs - nowMs(), MAX_TIMER_MS));
    log.info({ nextRunAt: new Date(nowMs() + waitMs).toISOString(), everyMs }, 'next retraining scheduled');
    timer = setTimeout(() => {
      timer = null;
      if (dueMs > nowMs()) return void arm();
      void runNow();
    }, waitMs);
    timer.unref();
  };

  const runNow = (): Promise<RetrainOutcome | null> => {
    running ??= once()
      .catch((error: unknown) => {
        log.error({ err: error }, 'retraining failed; the champion keeps trading');
        return null;
      })
      .finally(() => {
        running = null;
        void arm();
      });
    return running;
  };

  void arm();
  return {
    runNow,
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      await running;
    },
  };
}

/**
 * `--role trainer`: the trainer alone in its process, reading the candle store that the ingest of
 * another process fills; runs until `signal` aborts.
 */
export async function runTrainerAlone(options: Omit<TrainerRoleOptions, 'history' | 'notifier'> & { readonly signal: AbortSignal }): Promise<void> {
  const { config, logger } = options;
  const redis = createRedisConnection(config.redis.url, 'worker', 'wick.trainer', logger.child({ component: 'trainer' }));
  const store = new CandleStore(redis, {
    prefix: config.redis.prefix,
    maxCandles: workerSettingsSchema.parse({ prefix: config.redis.prefix }).storeMaxCandles,
  });
  const role = startTrainerRole({ ...options, history: store, notifier: null });
  try {
    await new Promise<void>((r) => (options.signal.aborted ? r() : options.signal.addEventListener('abort', () => r(), { once: true })));
  } finally {
    await role.stop();
    await closeRedis(redis);
  }
}
