import { resolve } from 'node:path';
import { PaperSession } from '../../backtest/session.js';
import { seriesId, timeframeMs, type Logger, type MarketRules, type SeriesKey } from '../../core/index.js';
import { getSpec } from '../../features/index.js';
import { OnnxSignalModel } from '../../model/onnx-signal-model.js';
import { startHealthServer, seriesHealth, type HealthServer } from '../../obs/health-server.js';
import { createMetrics, type WickMetrics } from '../../obs/metrics.js';
import { startPipeline, type Pipeline, type PipelineRole, type WorkerSettingsInput } from '../../pipeline/index.js';
import type { Config } from '../config/load-config.js';
import { fillModelFor, orderManagerConfigFor, policyFor, riskConfigFor } from '../trading-setup.js';
import { PaperTrader, type TraderItem } from './paper-trader.js';
import { createSignalStep } from './signal-step.js';

export interface DaemonOptions {
  readonly config: Config;
  /** paper: live candles; replay: candles from files. Both trade on the paper broker. */
  readonly mode: 'paper' | 'replay';
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
}

export interface Daemon {
  readonly pipeline: Pipeline;
  readonly session: PaperSession | null;
  readonly trader: PaperTrader | null;
  readonly model: OnnxSignalModel | null;
  readonly metrics: WickMetrics;
  readonly http: HealthServer | null;
  stop(): Promise<void>;
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
  const needsModel = options.roles.includes('signal');
  const model = needsModel
    ? await OnnxSignalModel.load(resolve(options.cwd, config.model.dir), { executionProvider: config.model.executionProvider, cudaStrict: config.model.cudaStrict, logger })
    : null;
  if (model !== null && options.series.some((s) => s.timeframe !== model.manifest.timeframe)) {
    await model.close();
    throw new Error(`the model was trained on ${model.manifest.timeframe} candles but WICK_TIMEFRAME is ${options.series[0]?.timeframe}; use a model of that timeframe`);
  }
  const timeframe = options.series[0]?.timeframe ?? config.market.timeframe;

  let session: PaperSession | null = null;
  let trader: PaperTrader | null = null;
  let pipeline: Pipeline | null = null;
  if (options.roles.includes('trader')) {
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
    model === null
      ? undefined
      : createSignalStep({
          model,
          spec: getSpec(model.manifest.featureSpec.name),
          normalisation: { mean: model.manifest.normalisation.mean, std: model.manifest.normalisation.std, ...(model.manifest.normalisation.clipSigma !== null ? { clip: model.manifest.normalisation.clipSigma } : {}) },
          policy: policyFor(model.info, config),
          logger: logger.child({ component: 'signal' }),
          onInference: (seconds) => metrics.inferenceLatencySeconds.observe({ provider: model.info.executionProvider }, seconds),
        });
  try {
    pipeline = await startPipeline({
      redisUrl: config.redis.url,
      roles: options.roles,
      settings: { prefix: options.prefix, ...options.settings },
      ...(signalStep !== undefined ? { signalStep } : {}),
      ...(session !== null ? { traderStep: (item: TraderItem) => (trader as PaperTrader).accept(item) } : {}),
      logger,
      metrics,
    });
  } catch (error) {
    await model?.close();
    throw error;
  }
  if (session !== null) {
    const s = session;
    trader = new PaperTrader({
      session: s,
      series: options.series,
      store: pipeline.store,
      logger: logger.child({ component: 'trader' }),
      ...(options.tradeFromMs !== undefined ? { tradeFromMs: options.tradeFromMs } : {}),
      onStep: (item, outcome) => {
        metrics.equityQuote.set(s.orderManager.equityQuote());
        if (outcome !== null && outcome !== 'warmup' && outcome !== 'late') metrics.ordersTotal.inc({ status: outcome.split(':')[0] as string });
        const p = s.orderManager.position(item.candle.series.symbol);
        metrics.positionQtyBase.set({ symbol: item.candle.series.symbol }, p?.qtyBase ?? 0);
        options.onStep?.(item, outcome);
      },
    });
  }

  let http: HealthServer | null = null;
  if (options.http === true) {
    const p = pipeline;
    http = await startHealthServer({
      host: config.http.host,
      port: config.http.port,
      logger,
      metrics: { text: () => metrics.registry.metrics(), contentType: metrics.contentType },
      healthProbe: async () => {
        const h = await p.health(options.series);
        const now = Date.now();
        return {
          mode: options.mode,
          redis: { reachable: h.redisReachable },
          series: options.series.map((s) => {
            const id = seriesId(s);
            const last = h.series.find((x) => x.id === id)?.lastProcessedOpenTimeMs ?? null;
            return seriesHealth({ id, timeframeMs: timeframeMs(s.timeframe), lastClosedOpenTimeMs: last, nowMs: now, startedAtMs, staleAfterCandles: config.market.staleAfterCandles });
          }),
          queues: h.queues,
          risk: { state: session?.risk.state ?? 'n/a', halted: session?.risk.state === 'HALTED' },
        };
      },
    });
    logger.info({ url: http.url }, 'health and metrics server listening');
  }

  const running = pipeline;
  return {
    pipeline: running,
    session,
    trader,
    model,
    metrics,
    http,
    async stop() {
      await http?.close();
      await running.stop();
      await model?.close();
    },
  };
}
