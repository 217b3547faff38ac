import { seriesId, timeframeMs, type Logger, type SeriesKey } from '../../core/index.js';
import type { OnnxSignalModel } from '../../model/onnx-signal-model.js';
import { bindHttpFirst } from '../startup/http-first.js';
import { assessHealth, seriesHealth, type HealthReport, type HealthServer } from '../../obs/health-server.js';
import { Notifier, notifyEvents, telegramSink, webhookSink, type NotifySink } from '../../obs/notify.js';
import { createOperatorApi } from '../../obs/operator-api.js';
import { chainHandlers } from '../../obs/model-api.js';
import { modelApiFor } from '../model-port.js';
import { RecentErrors } from '../../obs/operator-api-errors.js';
import { makeLineScrubber } from '../../obs/redact.js';
import { createMetrics, type WickMetrics } from '../../obs/metrics.js';
import { Telemetry } from '../../obs/telemetry.js';
import { startPipeline, type Pipeline, type PipelineRole, type WorkerSettingsInput } from '../../pipeline/index.js';
import { secretsOf, type Config } from '../config/load-config.js';
import { version } from '../version.js';
import { accountOperatorPort, SeriesActivity } from './operator-port.js';
import { AccountTrader, type AccountTraderOptions, type StepOutcome } from './account-trader.js';
import { createSignalStep } from './signal-step.js';
import { loadSignalModels, type SignalModels } from './signal-models.js';
import type { TraderItem } from './time-ordered-trader.js';

/** The trader role's adapters, chosen by the composition root (src/app/modes.ts) for the mode. */
export type TraderWiring = Pick<
  AccountTraderOptions,
  'account' | 'kernel' | 'venue' | 'accountStore' | 'memory' | 'pollIntervalMs' | 'reconcileIntervalMs' | 'retryIntervalMs' | 'referencePriceQuote'
> & {
  /** Equity the account started with (the dashboard's baseline). */
  readonly initialEquityQuote: number;
  /** Closes what the wiring opened (the account store's connection) once the daemon stopped. */
  readonly close?: () => Promise<void>;
};

export interface DaemonOptions {
  readonly config: Config;
  /** The mode's name, for health and the operator API only (nothing below the root branches on it). */
  readonly mode: string;
  /** Required with the trader role. */
  readonly trader?: TraderWiring;
  readonly roles: readonly PipelineRole[];
  readonly series: readonly SeriesKey[];
  readonly logger: Logger;
  readonly cwd: string;
  /** Redis key prefix of this run (replays use a fresh one). */
  readonly prefix: string;
  readonly settings?: Partial<WorkerSettingsInput>;
  readonly tradeFromMs?: number;
  /** Serve /health, /metrics, the operator API and the dashboard (WICK_HTTP_HOST/PORT). */
  readonly http?: boolean;
  readonly onStep?: (item: TraderItem, outcome: StepOutcome) => void;
  /** How often a registry daemon reads the champion pointer (ms; 0: only through `models.checkChampion()`). */
  readonly modelWatchEveryMs?: number;
}

export interface Daemon {
  readonly pipeline: Pipeline;
  readonly trader: AccountTrader | null;
  /** The fixed model (WICK_MODEL_DIR); null with a registry (see `models`) or without the signal role. */
  readonly model: OnnxSignalModel | null;
  readonly models: SignalModels | null;
  readonly metrics: WickMetrics;
  readonly http: HealthServer | null;
  readonly notifier: Notifier | null;
  stop(): Promise<void>;
}

/**
 * The trader's part of /health. A trader that does not trade (fail-closed: not reconciled;
 * halted: credentials refused) must answer 503, and the health server (src/obs) answers 503 only for
 * an unreachable Redis or a stale series — so it is reported as a stale pseudo-series named for the
 * reason, besides the risk state.
 */
function traderHealth(lt: AccountTrader): Pick<HealthReport, 'risk'> & { extraSeries: HealthReport['series'] } {
  const trading = lt.status === 'trading';
  const state = trading ? lt.riskEngine.state : `${lt.status.toUpperCase()}: ${lt.statusReason ?? ''}`;
  return {
    risk: { state, halted: !trading || lt.riskEngine.state === 'HALTED' },
    extraSeries: trading ? [] : [{ id: `trader ${lt.status} (${lt.statusReason ?? ''})`, lastClosedOpenTimeMs: null, ageMs: 0, stale: true }],
  };
}

function notifierFor(config: Config, logger: Logger): Notifier | null {
  const sinks: NotifySink[] = [];
  if (config.notify.webhookUrl !== undefined) sinks.push(webhookSink({ url: config.notify.webhookUrl }));
  if (config.notify.telegramBotToken !== undefined && config.notify.telegramChatId !== undefined)
    sinks.push(telegramSink({ botToken: config.notify.telegramBotToken, chatId: config.notify.telegramChatId }));
  if (sinks.length === 0) return null;
  const notifier = new Notifier({
    sinks,
    throttleMs: config.notify.throttleMs,
    logger,
    secrets: secretsOf(config).filter((x): x is string => x !== undefined),
  });
  notifier.start();
  return notifier;
}

/**
 * Starts the daemon's pieces for the roles asked: signal = FeatureBuilder + OnnxSignalModel + Policy;
 * trader = AccountTrader (the trading kernel over the venue in `options.trader`); the pipeline;
 * telemetry (one subscriber to the kernel's events); /health, /metrics, the operator API and the
 * dashboard. Which adapters (candle source, venue, clock, account store) a mode uses is decided in
 * src/app/modes.ts, never here.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config, logger } = options;
  const metrics = createMetrics();
  const startedAtMs = Date.now();
  // Start-up is all or nothing: the port is bound first, and every failure below releases it.
  const early =
    options.http === true
      ? await bindHttpFirst({
          host: config.http.host,
          port: config.http.port,
          logger,
          metrics: { text: () => metrics.registry.metrics(), contentType: metrics.contentType },
        })
      : null;
  const activity = new SeriesActivity();
  const wall = { nowMs: () => Date.now() };
  const errors = new RecentErrors(wall, { scrub: makeLineScrubber(secretsOf(config)) });
  const notifier = notifierFor(config, logger.child({ component: 'notify' }));
  const models = options.roles.includes('signal')
    ? await loadSignalModels({
        config,
        cwd: options.cwd,
        series: options.series,
        prefix: options.prefix,
        settings: options.settings,
        logger,
        notifier,
        ...(options.modelWatchEveryMs !== undefined ? { watchEveryMs: options.modelWatchEveryMs } : {}),
      }).catch(async (error: unknown) => {
        await notifier?.close();
        await early?.server.close();
        throw error;
      })
    : null;
  const model = models?.fixed ?? null;
  /** The model of the latest decision and the series whose inputs drift, for the operator status. */
  const modelStatus = {
    id: model?.info.modelId ?? '',
    executionProvider: model?.info.executionProvider ?? 'cpu',
    kind: model?.info.target ?? ('ratio' as 'ratio' | 'probability'),
    drifting: new Set<string>(),
  };

  const telemetry = new Telemetry({ logger, metrics, notifier, errors });
  let pipeline: Pipeline | null = null;
  let trader: AccountTrader | null = null;
  const wiring = options.trader;
  if (options.roles.includes('trader')) {
    if (wiring === undefined) throw new Error('the trader role needs its wiring (venue, account, store)');
    trader = await AccountTrader.start({
      account: wiring.account,
      kernel: wiring.kernel,
      venue: wiring.venue,
      accountStore: wiring.accountStore,
      ...(wiring.memory !== undefined ? { memory: wiring.memory } : {}),
      ...(wiring.pollIntervalMs !== undefined ? { pollIntervalMs: wiring.pollIntervalMs } : {}),
      ...(wiring.reconcileIntervalMs !== undefined ? { reconcileIntervalMs: wiring.reconcileIntervalMs } : {}),
      ...(wiring.retryIntervalMs !== undefined ? { retryIntervalMs: wiring.retryIntervalMs } : {}),
      ...(wiring.referencePriceQuote !== undefined ? { referencePriceQuote: wiring.referencePriceQuote } : {}),
      series: options.series,
      // The pipeline starts after the trader (its worker needs the trader); the ordering reads the store only once items arrive.
      store: { range: (s, from, to) => (pipeline as Pipeline).store.range(s, from, to) },
      logger: logger.child({ component: 'trader' }),
      ...(options.tradeFromMs !== undefined ? { tradeFromMs: options.tradeFromMs } : {}),
      onEvent: (e) => telemetry.on(e),
      onStatus: (status, reason) => telemetry.onStatus(status, reason),
      onStep: (item, outcome) => {
        const { series, candle } = item.candle;
        activity.candle(series, candle);
        if (item.intent !== null) activity.signal(series, candle.openTimeMs, item.intent.targetFraction, item.intent.reason);
        if (outcome === 'late') telemetry.onLateCandle(seriesId(series), candle.openTimeMs);
        if (outcome === 'fail-closed' || outcome === 'halted') metrics.ordersTotal.inc({ status: outcome });
        options.onStep?.(item, outcome);
      },
    }).catch(async (error: unknown) => {
      // A saved state wick cannot read (AccountStateError) or no Redis: refuse to start, leave nothing open.
      await wiring.close?.();
      await models?.close();
      await notifier?.close();
      await early?.server.close();
      throw error;
    });
  }
  const signalStep =
    models === null
      ? undefined
      : createSignalStep({
          models: models.source,
          driftGuard: config.model.driftGuard,
          logger: logger.child({ component: 'signal' }),
          onInference: (seconds) => metrics.inferenceLatencySeconds.observe({ provider: modelStatus.executionProvider }, seconds),
          onDecision: (prediction, _intent, drift) => {
            const id = seriesId(prediction.series);
            activity.prediction(prediction.series, prediction.candleOpenTimeMs, prediction.values[0] ?? Number.NaN);
            modelStatus.id = prediction.modelId;
            modelStatus.kind = prediction.kind;
            metrics.decisionsTotal.inc({ series: id, model: prediction.modelId });
            if (drift.score !== null && drift.threshold !== null) {
              metrics.inputDriftScore.set({ series: id }, drift.score);
              metrics.inputDriftThreshold.set({ series: id }, drift.threshold);
              const drifting = drift.score > drift.threshold;
              if (drifting && !modelStatus.drifting.has(id)) notifier?.notify(notifyEvents.inputDrift(id, drift.score, drift.threshold, prediction.modelId));
              if (drifting) modelStatus.drifting.add(id);
              else modelStatus.drifting.delete(id);
            }
            if (drift.blocked) metrics.driftBlockedEntriesTotal.inc({ series: id });
            drift.predictionDrift?.forEach((v, k) => metrics.predictionDrift.set({ series: id, horizon: String(prediction.horizons[k] ?? k + 1) }, v));
          },
        });
  try {
    const t = trader;
    pipeline = await startPipeline({
      redisUrl: config.redis.url,
      roles: options.roles,
      settings: { prefix: options.prefix, signalConcurrency: config.redis.signalConcurrency, ...options.settings },
      ...(signalStep !== undefined ? { signalStep } : {}),
      ...(t !== null ? { traderStep: (item: TraderItem) => t.accept(item) } : {}),
      logger,
      metrics,
    });
  } catch (error) {
    await models?.close();
    await trader?.stop();
    await wiring?.close?.();
    await notifier?.close();
    await early?.server.close();
    throw error;
  }

  const p = pipeline;
  const healthProbe = async (): Promise<HealthReport> => {
    const h = await p.health(options.series);
    const now = Date.now();
    const live = trader !== null ? traderHealth(trader) : null;
    const series = options.series.map((s) => {
      const id = seriesId(s);
      const last = h.series.find((x) => x.id === id)?.lastProcessedOpenTimeMs ?? null;
      return seriesHealth({
        id,
        timeframeMs: timeframeMs(s.timeframe),
        lastClosedOpenTimeMs: last,
        nowMs: now,
        startedAtMs,
        staleAfterCandles: config.market.staleAfterCandles,
      });
    });
    const report: HealthReport = {
      mode: options.mode,
      redis: { reachable: h.redisReachable },
      series: live === null ? series : [...series, ...live.extraSeries],
      queues: h.queues,
      risk: live?.risk ?? { state: 'n/a', halted: false },
    };
    for (const s of series) if (s.stale) telemetry.onStale(s.id, s.ageMs);
    return report;
  };
  const http: HealthServer | null = early?.server ?? null;
  if (early !== null) {
    const operatorApi =
      trader !== null
        ? createOperatorApi({
            port: accountOperatorPort({
              mode: options.mode,
              trader,
              series: options.series,
              activity,
              errors,
              clock: wall,
              startedAtMs,
              initialEquityQuote: wiring?.initialEquityQuote ?? config.paper.initialEquityQuote,
              model:
                models === null
                  ? null
                  : {
                      get id() {
                        return modelStatus.id;
                      },
                      executionProvider: modelStatus.executionProvider,
                      get kind() {
                        return modelStatus.kind;
                      },
                      get drifting() {
                        return [...modelStatus.drifting];
                      },
                    },
              health: async () => {
                const verdict = assessHealth(await healthProbe());
                return { status: verdict.status, reasons: verdict.reasons };
              },
            }),
            token: config.http.apiToken,
            logger,
            version: version(),
          })
        : undefined;
    const handlers = [modelApiFor(config, options.cwd, logger), operatorApi].filter((h) => h !== undefined);
    early.attach(healthProbe, handlers.length > 0 ? chainHandlers(...handlers) : undefined);
    logger.info(
      { url: early.server.url, operatorApi: operatorApi !== undefined, apiToken: config.http.apiToken !== undefined },
      'health, metrics and operator API listening',
    );
  }

  const running = pipeline;
  return {
    pipeline: running,
    trader,
    model,
    models,
    metrics,
    http,
    notifier,
    async stop() {
      await http?.close();
      await running.stop();
      await trader?.stop();
      await wiring?.close?.();
      await models?.close();
      await notifier?.close();
    },
  };
}
