import { PaperSession } from '../../backtest/session.js';
import { seriesId, timeframeMs, type Broker, type Clock, type Logger, type MarketRules, type SeriesKey } from '../../core/index.js';
import type { OnnxSignalModel } from '../../model/onnx-signal-model.js';
import { assessHealth, startHealthServer, seriesHealth, type HealthReport, type HealthServer } from '../../obs/health-server.js';
import { Notifier, notifyEvents, telegramSink, webhookSink, type NotifySink } from '../../obs/notify.js';
import { createOperatorApi } from '../../obs/operator-api.js';
import { chainHandlers } from '../../obs/model-api.js';
import { modelApiFor } from '../model-port.js';
import { RecentErrors } from '../../obs/operator-api-errors.js';
import { makeLineScrubber } from '../../obs/redact.js';
import { createMetrics, type WickMetrics } from '../../obs/metrics.js';
import { closeRedis, createRedisConnection, startPipeline, type Pipeline, type PipelineRole, type WorkerSettingsInput } from '../../pipeline/index.js';
import { secretsOf, type Config } from '../config/load-config.js';
import { version } from '../version.js';
import { paperOperatorPort, SeriesActivity } from './operator-port.js';
import { fillModelFor, orderManagerConfigFor, riskConfigFor } from '../trading-setup.js';
import { PaperTrader, type TraderItem } from './paper-trader.js';
import { createSignalStep } from './signal-step.js';
import { loadSignalModels, type SignalModels } from './signal-models.js';
import { LiveTrader, type LiveTraderOptions } from './live-trader.js';
import { LiveStateStore, type KeyValueRedis } from './state-store.js';

/** What live mode wires in instead of the paper session: a real broker and the account's starting cash. */
export interface LiveWiring {
  readonly broker: Broker;
  /** Cash of a fresh account (no saved state): the exchange's quote balance. */
  readonly initialCashQuote: number;
  /** Account name: keys the saved state and every client order id. */
  readonly account: string;
  readonly clock?: Clock;
  /** Where the state is saved; default a connection to WICK_REDIS_URL. */
  readonly stateRedis?: KeyValueRedis;
  /** Timers and other LiveTrader settings (tests). */
  readonly trader?: Partial<Pick<LiveTraderOptions, 'pollIntervalMs' | 'reconcileIntervalMs' | 'retryIntervalMs' | 'fillLookbackMs'>>;
}

export interface DaemonOptions {
  readonly config: Config;
  /** paper: live candles; replay: candles from files. Both trade on the paper broker. live: `live` wiring, real orders. */
  readonly mode: 'paper' | 'replay' | 'live';
  /** Required in live mode (with the trader role). */
  readonly live?: LiveWiring;
  readonly roles: readonly PipelineRole[];
  readonly series: readonly SeriesKey[];
  readonly logger: Logger;
  readonly cwd: string;
  /** Redis key prefix of this run (replays use a fresh one). */
  readonly prefix: string;
  /** Market rules per symbol (the exchange's in paper mode, simulated ones in replay). */
  readonly rules: Readonly<Record<string, MarketRules>>;
  readonly settings?: Partial<WorkerSettingsInput>;
  readonly tradeFromMs?: number;
  /** Serve /health and /metrics (WICK_HTTP_HOST/PORT). */
  readonly http?: boolean;
  readonly onStep?: (item: TraderItem, outcome: string | null) => void;
  /** How often a registry daemon reads the champion pointer (ms; 0: only through `models.checkChampion()`). */
  readonly modelWatchEveryMs?: number;
}

export interface Daemon {
  readonly pipeline: Pipeline;
  readonly session: PaperSession | null;
  readonly trader: PaperTrader | null;
  readonly liveTrader: LiveTrader | null;
  /** The fixed model (WICK_MODEL_DIR); null with a registry (see `models`) or without the signal role. */
  readonly model: OnnxSignalModel | null;
  readonly models: SignalModels | null;
  readonly metrics: WickMetrics;
  readonly http: HealthServer | null;
  readonly notifier: Notifier | null;
  stop(): Promise<void>;
}

/**
 * The live trader's part of /health. A trader that does not trade (fail-closed: not reconciled;
 * halted: credentials refused) must answer 503, and the health server (src/obs) answers 503 only for
 * an unreachable Redis or a stale series — so it is reported as a stale pseudo-series named for the
 * reason, besides the risk state.
 */
function liveHealth(lt: LiveTrader): Pick<HealthReport, 'risk'> & { extraSeries: HealthReport['series'] } {
  const trading = lt.status === 'trading';
  const state = trading ? lt.riskEngine.state : `${lt.status.toUpperCase()}: ${lt.statusReason ?? ''}`;
  return {
    risk: { state, halted: !trading || lt.riskEngine.state === 'HALTED' },
    extraSeries: trading ? [] : [{ id: `live-trader ${lt.status} (${lt.statusReason ?? ''})`, lastClosedOpenTimeMs: null, ageMs: 0, stale: true }],
  };
}

function notifierFor(config: Config, logger: Logger): Notifier | null {
  const sinks: NotifySink[] = [];
  if (config.notify.webhookUrl !== undefined) sinks.push(webhookSink({ url: config.notify.webhookUrl }));
  if (config.notify.telegramBotToken !== undefined && config.notify.telegramChatId !== undefined) sinks.push(telegramSink({ botToken: config.notify.telegramBotToken, chatId: config.notify.telegramChatId }));
  if (sinks.length === 0) return null;
  const notifier = new Notifier({ sinks, throttleMs: config.notify.throttleMs, logger, secrets: secretsOf(config).filter((x): x is string => x !== undefined) });
  notifier.start();
  return notifier;
}

/**
 * The composition root of the daemon modes: the pipeline's roles with their domain steps wired in.
 * signal = FeatureBuilder + OnnxSignalModel + Policy; trader = PaperTrader over a PaperSession
 * (risk engine, order manager, paper broker). Which candles come in (ccxt websocket, CSV replay) is
 * the caller's business: it publishes them through `pipeline.publishCandle(s)`.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config, logger } = options;
  const metrics = createMetrics();
  const startedAtMs = Date.now();
  const timeframe = options.series[0]?.timeframe ?? config.market.timeframe;
  const activity = new SeriesActivity();
  const wall = { nowMs: () => Date.now() };
  const errors = new RecentErrors(wall, { scrub: makeLineScrubber(secretsOf(config)) });
  const notifier = notifierFor(config, logger.child({ component: 'notify' }));
  const models = options.roles.includes('signal')
    ? await loadSignalModels({ config, cwd: options.cwd, series: options.series, prefix: options.prefix, settings: options.settings, logger, notifier, ...(options.modelWatchEveryMs !== undefined ? { watchEveryMs: options.modelWatchEveryMs } : {}) }).catch(async (error: unknown) => {
        await notifier?.close();
        throw error;
      })
    : null;
  const model = models?.fixed ?? null;
  /** The model of the latest decision and the series whose inputs drift, for the operator status. */
  const modelStatus = { id: model?.info.modelId ?? '', executionProvider: model?.info.executionProvider ?? 'cpu', kind: model?.info.target ?? ('ratio' as 'ratio' | 'probability'), drifting: new Set<string>() };

  let session: PaperSession | null = null;
  let trader: PaperTrader | null = null;
  let liveTrader: LiveTrader | null = null;
  let stateRedis: ReturnType<typeof createRedisConnection> | null = null;
  let pipeline: Pipeline | null = null;
  if (options.roles.includes('trader') && options.mode === 'live') {
    const live = options.live;
    if (live === undefined) throw new Error('live mode needs the live wiring (broker, account)');
    if (live.stateRedis === undefined) stateRedis = createRedisConnection(config.redis.url, 'worker', 'wick.live-state', logger.child({ component: 'live-state' }));
    const traderLog = logger.child({ component: 'trader' });
    const redisOfState = stateRedis;
    liveTrader = await LiveTrader.start({
      broker: live.broker,
      series: options.series,
      // The pipeline starts after the trader (its worker needs the trader); the ordering reads the store only once items arrive.
      store: { range: (s, from, to) => (pipeline as Pipeline).store.range(s, from, to) },
      logger: traderLog,
      clock: live.clock ?? wall,
      orderManager: orderManagerConfigFor(config, live.account, live.initialCashQuote),
      risk: riskConfigFor(config, live.initialCashQuote),
      stateStore: new LiveStateStore(live.stateRedis ?? (stateRedis as KeyValueRedis), options.prefix, live.account, traderLog),
      ...(options.tradeFromMs !== undefined ? { tradeFromMs: options.tradeFromMs } : {}),
      ...live.trader,
      onStep: (item, outcome) => {
        const { series, candle } = item.candle;
        const lt = liveTrader as LiveTrader;
        activity.candle(series, candle);
        if (item.intent !== null) activity.signal(series, candle.openTimeMs, item.intent.targetFraction, item.intent.reason);
        metrics.equityQuote.set(lt.orderManager.equityQuote());
        metrics.positionQtyBase.set({ symbol: series.symbol }, lt.orderManager.position(series.symbol)?.qtyBase ?? 0);
        if (outcome !== null && outcome !== 'warmup') metrics.ordersTotal.inc({ status: outcome.split(':')[0] as string });
        if (outcome !== null && /^(rejected|unknown|fail-closed|halted)/.test(outcome)) {
          const failure = Object.assign(new Error(`intent ${item.intent?.intentId ?? ''} ${outcome}`), { code: outcome.split(':')[1] ?? outcome });
          errors.record(failure, 'trader');
        }
        options.onStep?.(item, outcome);
      },
      onStatus: (status, reason) => {
        if (status === 'fail-closed' || status === 'halted') {
          const failure = Object.assign(new Error(`live trader ${status}: ${reason ?? ''}`), { code: status === 'halted' ? 'LIVE_HALTED' : 'LIVE_FAIL_CLOSED' });
          errors.record(failure, 'trader');
          notifier?.notify(notifyEvents.error(failure, 'trader'));
        }
      },
    }).catch(async (error: unknown) => {
      // A saved state wick cannot read (LiveStateError) or no Redis: refuse to start, leave nothing open.
      if (redisOfState !== null) await closeRedis(redisOfState);
      await models?.close();
      await notifier?.close();
      throw error;
    });
  } else if (options.roles.includes('trader')) {
    session = new PaperSession({
      timeframe,
      orderManager: orderManagerConfigFor(config, options.mode),
      risk: riskConfigFor(config),
      rules: options.rules,
      fillModel: fillModelFor(config),
      logger,
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
    pipeline = await startPipeline({
      redisUrl: config.redis.url,
      roles: options.roles,
      settings: { prefix: options.prefix, signalConcurrency: config.redis.signalConcurrency, ...options.settings },
      ...(signalStep !== undefined ? { signalStep } : {}),
      ...(session !== null ? { traderStep: (item: TraderItem) => (trader as PaperTrader).accept(item) } : {}),
      ...(liveTrader !== null ? { traderStep: (item: TraderItem) => (liveTrader as LiveTrader).accept(item) } : {}),
      logger,
      metrics,
    });
  } catch (error) {
    await models?.close();
    await liveTrader?.stop();
    if (stateRedis !== null) await closeRedis(stateRedis);
    throw error;
  }
  let notifiedFills = 0;
  let wasHalted = false;
  if (session !== null) {
    const s = session;
    trader = new PaperTrader({
      session: s,
      series: options.series,
      store: pipeline.store,
      logger: logger.child({ component: 'trader' }),
      ...(options.tradeFromMs !== undefined ? { tradeFromMs: options.tradeFromMs } : {}),
      onStep: (item, outcome) => {
        const { series, candle } = item.candle;
        activity.candle(series, candle);
        if (item.intent !== null) activity.signal(series, candle.openTimeMs, item.intent.targetFraction, item.intent.reason);
        metrics.equityQuote.set(s.orderManager.equityQuote());
        if (outcome !== null && outcome !== 'warmup' && outcome !== 'late') metrics.ordersTotal.inc({ status: outcome.split(':')[0] as string });
        if (outcome !== null && (outcome.startsWith('rejected') || outcome.startsWith('unknown'))) {
          const failure = Object.assign(new Error(`intent ${item.intent?.intentId ?? ''} ${outcome}`), { code: outcome.split(':')[1] ?? outcome });
          errors.record(failure, 'trader');
          notifier?.notify(notifyEvents.error(failure, 'trader'));
        }
        if (outcome === 'late') errors.record(Object.assign(new Error(`${seriesId(series)} candle ${candle.openTimeMs} arrived after later candles were traded`), { code: 'CANDLE_LATE' }), 'trader');
        const p = s.orderManager.position(series.symbol);
        metrics.positionQtyBase.set({ symbol: series.symbol }, p?.qtyBase ?? 0);
        const fills = s.fillsSoFar();
        for (; notifiedFills < fills.length; notifiedFills++) {
          const fill = fills[notifiedFills] as (typeof fills)[number];
          const purpose = s.orderManager.order(fill.clientOrderId)?.purpose;
          notifier?.notify(notifyEvents.fill(fill, purpose));
          if (purpose === 'stop') notifier?.notify(notifyEvents.stopOut(fill.symbol, fill.priceQuote));
        }
        const halted = s.risk.state === 'HALTED';
        if (halted && !wasHalted) notifier?.notify(notifyEvents.killSwitch(s.risk.toJSON().haltReason ?? 'maximum drawdown reached'));
        wasHalted = halted;
        options.onStep?.(item, outcome);
      },
    });
  }

  const p = pipeline;
  const healthProbe = async (): Promise<HealthReport> => {
    const h = await p.health(options.series);
    const now = Date.now();
    const live = liveTrader !== null ? liveHealth(liveTrader) : null;
    const series = options.series.map((s) => {
      const id = seriesId(s);
      const last = h.series.find((x) => x.id === id)?.lastProcessedOpenTimeMs ?? null;
      return seriesHealth({ id, timeframeMs: timeframeMs(s.timeframe), lastClosedOpenTimeMs: last, nowMs: now, startedAtMs, staleAfterCandles: config.market.staleAfterCandles });
    });
    const report: HealthReport = {
      mode: options.mode,
      redis: { reachable: h.redisReachable },
      series: live === null ? series : [...series, ...live.extraSeries],
      queues: h.queues,
      risk: live?.risk ?? { state: session?.risk.state ?? 'n/a', halted: session?.risk.state === 'HALTED' },
    };
    for (const s of series) if (s.stale) notifier?.notify(notifyEvents.staleData(s.id, s.ageMs));
    return report;
  };
  let http: HealthServer | null = null;
  if (options.http === true) {
    const operatorApi =
      session !== null && trader !== null
        ? createOperatorApi({
            port: paperOperatorPort({
              mode: options.mode,
              session,
              trader,
              series: options.series,
              activity,
              errors,
              clock: wall,
              startedAtMs,
              initialEquityQuote: config.paper.initialEquityQuote,
              model: models === null ? null : { get id() { return modelStatus.id; }, executionProvider: modelStatus.executionProvider, get kind() { return modelStatus.kind; }, get drifting() { return [...modelStatus.drifting]; } },
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
    http = await startHealthServer({
      host: config.http.host,
      port: config.http.port,
      logger,
      metrics: { text: () => metrics.registry.metrics(), contentType: metrics.contentType },
      healthProbe,
      ...(handlers.length > 0 ? { extraHandler: chainHandlers(...handlers) } : {}),
    });
    logger.info({ url: http.url, operatorApi: operatorApi !== undefined, apiToken: config.http.apiToken !== undefined }, 'health, metrics and operator API listening');
  }

  const running = pipeline;
  return {
    pipeline: running,
    session,
    trader,
    liveTrader,
    model,
    models,
    metrics,
    http,
    notifier,
    async stop() {
      await http?.close();
      await running.stop();
      await liveTrader?.stop();
      if (stateRedis !== null) await closeRedis(stateRedis);
      await models?.close();
      await notifier?.close();
    },
  };
}
