import { resolve } from 'node:path';
import { seriesId, timeframeMs, type Logger, type SeriesKey } from '../../core/index.js';
import { OnnxSignalModel } from '../../model/onnx-signal-model.js';
import { loadingVerifier, ModelRegistry } from '../../model/registry.js';
import { notifyEvents, type Notifier } from '../../obs/notify.js';
import { closeRedis, createRedisConnection, ModelSwitchBoard, workerSettingsSchema, type WorkerSettingsInput } from '../../pipeline/index.js';
import type { Config } from '../config/load-config.js';
import { activeModelOf, fixedModelSource, ScheduledModelSource, unservableReason, type ModelSource } from './model-handle.js';

/**
 * The models of the signal role. Without a registry: the one model folder of WICK_MODEL_DIR, for
 * the life of the process. With WICK_MODEL_REGISTRY: the registry's champion, scheduled through
 * Redis at start-up; a watcher notices a newly promoted champion (by `wick model promote`, the
 * operator API or the trainer) and schedules the switch, which every signal process then makes at
 * the same candle. A champion the daemon cannot trade (another timeframe, a window longer than the
 * candle store keeps) is not switched to: the current model keeps trading, and the refusal is
 * logged and notified.
 */
export interface SignalModels {
  readonly source: ModelSource;
  /** The fixed model (no registry), for callers that report it; null with a registry. */
  readonly fixed: OnnxSignalModel | null;
  readonly registry: ModelRegistry | null;
  /** The model traded at start-up: the fixed model's id, or the registry champion scheduled then. */
  readonly startId: string;
  /** Checks the registry's champion now and schedules a switch when it changed (the watcher calls it). */
  checkChampion(): Promise<void>;
  close(): Promise<void>;
}

export interface SignalModelsOptions {
  readonly config: Config;
  readonly cwd: string;
  readonly series: readonly SeriesKey[];
  readonly prefix: string;
  readonly settings: Partial<WorkerSettingsInput> | undefined;
  readonly logger: Logger;
  readonly notifier: Notifier | null;
  /** How often the champion pointer is read (ms); 0: never by itself (tests call checkChampion). */
  readonly watchEveryMs?: number;
}

export async function loadSignalModels(options: SignalModelsOptions): Promise<SignalModels> {
  const { config, logger } = options;
  const log = logger.child({ component: 'model' });
  const timeframe = options.series[0]?.timeframe ?? config.market.timeframe;
  if (config.model.registry === undefined) {
    const model = await OnnxSignalModel.load(resolve(options.cwd, config.model.dir), {
      executionProvider: config.model.executionProvider,
      cudaStrict: config.model.cudaStrict,
      logger,
    });
    if (model.manifest.timeframe !== timeframe) {
      await model.close();
      throw new Error(`the model was trained on ${model.manifest.timeframe} candles but WICK_TIMEFRAME is ${timeframe}; use a model of that timeframe`);
    }
    return {
      source: fixedModelSource(activeModelOf(model.info.modelId, model, config)),
      fixed: model,
      registry: null,
      startId: model.info.modelId,
      checkChampion: () => Promise.resolve(),
      close: () => model.close(),
    };
  }

  const registry = new ModelRegistry(resolve(options.cwd, config.model.registry), { nowMs: () => Date.now(), verify: loadingVerifier(log) });
  const settings = workerSettingsSchema.parse({ prefix: options.prefix, ...options.settings });
  const champion = await registry.champion();
  if (champion === null)
    throw new Error(
      `the model registry ${registry.root} has no champion; register a model (\`wick model add DIR\` or \`wick model import\`) and promote it (\`wick model promote ID\`)`,
    );
  const redis = createRedisConnection(config.redis.url, 'worker', `${settings.instanceName}.models`, log);
  const board = new ModelSwitchBoard(redis, options.prefix, { lockTtlMs: settings.lockTtlMs, waitMs: settings.lockTtlMs * 3, nowMs: () => Date.now() });
  const ids = options.series.map(seriesId);
  const source = new ScheduledModelSource({ schedule: board, registry, config, logger: log });
  let refusedId: string | null = null;

  const schedule = async (id: string): Promise<boolean> => {
    const entry = await registry.find(id);
    const reason = entry === null ? `model ${id} is not in the registry` : unservableReason(entry.manifest, options.series, settings.storeMaxCandles);
    if (reason !== null) {
      if (refusedId !== id) {
        log.error({ modelId: id, reason }, 'the champion cannot be traded by this daemon; the current model keeps trading');
        options.notifier?.notify(notifyEvents.modelRefused(id, reason));
      }
      refusedId = id;
      return false;
    }
    const { switch: s, changed } = await board.schedule(id, ids, timeframeMs(timeframe));
    if (changed) {
      log.info({ modelId: id, fromMs: s.fromMs, from: new Date(s.fromMs).toISOString() }, 'model switch scheduled: every series switches at this candle');
      options.notifier?.notify(notifyEvents.modelSwitch(id, s.fromMs, `promoted by ${champion.promotedBy}`));
    }
    return true;
  };

  let startId = champion.id;
  try {
    if (!(await schedule(champion.id))) startId = (await board.read()).at(-1)?.id ?? startId;
    if (refusedId === champion.id && (await board.read()).length === 0)
      throw new Error(`the registry champion ${champion.id} cannot be traded by this daemon and no earlier model is scheduled`);
  } catch (error) {
    await closeRedis(redis);
    throw error;
  }

  let checking: Promise<void> | null = null;
  const checkChampion = (): Promise<void> => {
    checking ??= (async () => {
      try {
        const now = await registry.champion();
        if (now !== null) await schedule(now.id);
      } catch (error) {
        log.warn({ err: error }, 'could not check the registry champion; will try again');
      } finally {
        checking = null;
      }
    })();
    return checking;
  };
  const everyMs = options.watchEveryMs ?? 5_000;
  const timer = everyMs > 0 ? setInterval(() => void checkChampion(), everyMs) : null;
  timer?.unref();

  return {
    source,
    fixed: null,
    registry,
    startId,
    checkChampion,
    async close() {
      if (timer !== null) clearInterval(timer);
      await checking;
      await source.close();
      await closeRedis(redis);
    },
  };
}
