import { lstmArchitectureOf, normalisationOf } from '../model/manifest.js';
import { loadBacktestModel } from './backtest-model.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { barsPerYear, type Candle, type Logger } from '../core/index.js';
import { runBacktest, type BacktestRun } from '../backtest/engine.js';
import { buyAndHoldEqualWeight } from '../backtest/metrics-buy-and-hold.js';
import { computeMetrics } from '../backtest/metrics.js';
import type { EquityPoint, Trade } from '../backtest/result.js';
import { getSpec } from '../features/index.js';
import type { ModelManifest } from '../model/manifest.js';
import type { CliContext } from './command.js';
import { trainToFolder, type TrainOptions } from './commands/train.js';
import type { Config } from './config/load-config.js';
import type { SeriesFile } from './series-files.js';
import { fillModelFor, orderManagerConfigFor, policyFor, riskConfigFor, simulatedMarketRules } from './trading-setup.js';

const DAY_MS = 86_400_000;

export interface WalkForwardOptions {
  /** Length of each training window, days (training data ends where the fold's test begins). */
  readonly trainDays: number;
  /** Length of each out-of-sample fold, days. */
  readonly testDays: number;
  /** First out-of-sample day. */
  readonly fromMs: number;
  /** End of the last fold (exclusive). */
  readonly toMs: number;
  readonly feeBps?: number | undefined;
  readonly slippageBps?: number | undefined;
  readonly initialEquity: number;
}

export interface WalkForwardFold {
  readonly trainFromMs: number;
  readonly testFromMs: number;
  readonly testToMs: number;
  readonly modelId: string;
  readonly totalReturn: number | null;
}

/** The training settings of a model, to train the same model again on another window. */
export function trainOptionsFromManifest(manifest: ModelManifest): Omit<TrainOptions, 'data' | 'out' | 'fromMs' | 'toMs' | 'testFromMs'> {
  const h = manifest.training.hyperParameters;
  const num = (key: string, fallback: number): number => (typeof h[key] === 'number' ? (h[key] as number) : fallback);
  return {
    spec: manifest.featureSpec.name,
    timeframe: undefined,
    resample: undefined,
    valFraction: num('valFraction', 0.15),
    target: manifest.target.kind === 'ratio' ? 'ratio' : 'direction',
    horizons: manifest.target.kind === 'ratio' ? manifest.horizons.length : manifest.target.horizon,
    loss: manifest.target.kind === 'ratio' ? (manifest.target.loss ?? 'huber') : 'mse',
    window: manifest.windowLength,
    hidden: lstmArchitectureOf(manifest).hidden,
    layers: lstmArchitectureOf(manifest).layers as 1 | 2,
    epochs: num('epochs', 20),
    batch: num('batch', 64),
    lr: num('lr', 1e-3),
    weightDecay: num('weightDecay', 0),
    clip: num('clip', 1),
    dropout: num('dropout', 0.1),
    layerDropout: num('layerDropout', 0.1),
    bptt: num('bptt', manifest.windowLength),
    patience: num('patience', 4),
    seed: manifest.training.seed,
  };
}

/**
 * Walk-forward evaluation: for each fold, train the model (same architecture and settings as the
 * given one) on the `trainDays` before the fold, then backtest it on the fold only. Folds follow
 * each other; each starts flat with the equity the previous one ended with (a position still open
 * at a fold's end is marked to market there). Only out-of-sample results are reported: the curve,
 * trades and metrics are the folds' stitched together, against buy-and-hold over the same span.
 */
export async function runWalkForward(
  series: readonly SeriesFile[],
  template: ModelManifest,
  options: WalkForwardOptions,
  config: Config,
  ctx: CliContext,
  logger: Logger,
): Promise<{ run: BacktestRun; folds: WalkForwardFold[] }> {
  const tf = series[0]?.key.timeframe ?? template.timeframe;
  const base = trainOptionsFromManifest(template);
  const symbols = series.map((s) => s.key.symbol);
  const fillModel = fillModelFor(config, { feeBps: options.feeBps, slippageBps: options.slippageBps });
  const equity: EquityPoint[] = [];
  const exposed: boolean[] = [];
  const trades: Trade[] = [];
  const folds: WalkForwardFold[] = [];
  const deniedByRisk: Record<string, number> = {};
  let cash = options.initialEquity;
  let fees = 0;
  let candles = 0;
  let intents = 0;
  const scratch = await mkdtemp(join(tmpdir(), 'wick-walk-forward-'));
  try {
    for (let testFrom = options.fromMs; testFrom < options.toMs; testFrom += options.testDays * DAY_MS) {
      const testTo = Math.min(testFrom + options.testDays * DAY_MS, options.toMs);
      const trainFrom = testFrom - options.trainDays * DAY_MS;
      const dir = join(scratch, `fold-${folds.length}`);
      ctx.stderr.write(`walk-forward fold ${folds.length + 1}: train ${new Date(trainFrom).toISOString().slice(0, 10)} → ${new Date(testFrom).toISOString().slice(0, 10)}, test → ${new Date(testTo).toISOString().slice(0, 10)}\n`);
      const manifest = await trainToFolder(
        series.map((s) => ({ name: basename(s.path), candles: s.candles })),
        tf,
        { ...base, data: [], out: dir, fromMs: trainFrom, toMs: testFrom, testFromMs: null },
        dir,
        ctx,
        true,
      );
      const model = await loadBacktestModel(dir, config, logger);
      try {
        const run = await runBacktest({
          series: series.map((s) => ({ key: s.key, candles: s.candles as Candle[] })),
          model,
          featureSpec: getSpec(manifest.featureSpec.name),
          normalisation: normalisationOf(manifest),
          policy: policyFor(model.info, config),
          orderManager: orderManagerConfigFor(config, 'walkforward', cash),
          risk: riskConfigFor(config, cash),
          rules: simulatedMarketRules(symbols),
          fillModel,
          fromMs: testFrom,
          toMs: testTo,
          inferenceBatch: 1024,
        });
        equity.push(...run.equity);
        exposed.push(...run.exposed);
        // The next fold starts from this one's equity in cash: a position open at the fold's end is closed there at its mark.
        trades.push(...run.trades, ...run.openTrades.map((t) => ({ ...t, exitReason: 'fold_end' })));
        for (const [code, n] of Object.entries(run.deniedByRisk)) deniedByRisk[code] = (deniedByRisk[code] ?? 0) + n;
        fees += run.feesPaidQuote;
        candles += run.candlesProcessed;
        intents += run.intents;
        cash = run.equity.at(-1)?.[1] ?? cash;
        folds.push({ trainFromMs: trainFrom, testFromMs: testFrom, testToMs: testTo, modelId: manifest.modelId, totalReturn: run.metrics.strategy.totalReturn });
      } finally {
        await model.close();
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const bpy = barsPerYear(tf);
  const oos = series.map((s) => ({ symbol: s.key.symbol, candles: s.candles.filter((c) => c.openTimeMs >= options.fromMs && c.openTimeMs < options.toMs) }));
  const bh = buyAndHoldEqualWeight(oos.filter((m) => m.candles.length > 0), { initialEquityQuote: options.initialEquity, feeBps: fillModel.takerFeeBps, slippageBps: fillModel.slippageBps });
  const run: BacktestRun = {
    timeframe: tf,
    equity,
    exposed,
    trades,
    openTrades: [],
    fills: [],
    intents,
    deniedByRisk,
    feesPaidQuote: fees,
    candlesProcessed: candles,
    metrics: { strategy: computeMetrics({ equity, trades, exposed, barsPerYear: bpy, feesPaidQuote: fees }), buyAndHold: computeMetrics({ equity: bh.equity, trades: bh.trades, exposed: bh.exposed, barsPerYear: bpy }) },
    buyAndHoldEquity: bh.equity,
  };
  return { run, folds };
}
