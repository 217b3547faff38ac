import { lstmArchitectureOf } from '../model/manifest.js';
import { loadBacktestModel } from './backtest-model.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Candle, Logger, OrderIntent, Prediction, SeriesKey, SignalModelInfo } from '../core/index.js';
import { tradeScoredSeries, type BacktestRun, type ScoredSeries, type TradeSetup } from '../backtest/engine.js';
import type { Policy } from '../strategy/index.js';
import { UsageError } from './command.js';
import { scorePeriod } from './model-evaluation.js';
import type { ModelManifest } from '../model/manifest.js';
import type { CliContext } from './command.js';
import { trainToFolder, type TrainOptions } from './commands/train.js';
import type { Config } from './config/load-config.js';
import type { SeriesFile } from './series-files.js';
import { describePolicy, fillModelFor, orderManagerConfigFor, policyFor, riskConfigFor, simulatedMarketRules } from './trading-setup.js';

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
  /** First candle the fold's model was trained on (the data may start later than asked). */
  readonly trainFromMs: number;
  /** Days of data the model was really trained on (first candle to the fold's start). */
  readonly trainDays: number;
  readonly testFromMs: number;
  readonly testToMs: number;
  readonly modelId: string;
  /** The thresholds the fold traded with. */
  readonly policy: string;
  /** Equity change over the fold (the account carries on from the previous fold). */
  readonly totalReturn: number | null;
}

/** A fold shorter than this share of --test-days is merged into the fold before it. */
const STUB_FOLD_SHARE = 0.5;
/** Training data may fall short of --train-days by this share (gaps, a late first candle), no more. */
const TRAIN_SPAN_TOLERANCE = 0.9;

/**
 * The folds of a walk-forward run: consecutive test periods of `testDays` from `fromMs` to
 * `toMs`, a last stub shorter than half a fold merged into the one before; each trained on the
 * `trainDays` before it. Refuses (UsageError) a fold whose data before it covers less than 90 % of
 * `trainDays`, naming the first date that would work.
 */
export function planFolds(
  options: Pick<WalkForwardOptions, 'trainDays' | 'testDays' | 'fromMs' | 'toMs'>,
  firstCandleMs: number,
): { trainFromMs: number; trainDays: number; testFromMs: number; testToMs: number }[] {
  const step = options.testDays * DAY_MS;
  const bounds: [number, number][] = [];
  for (let from = options.fromMs; from < options.toMs; from += step) bounds.push([from, Math.min(from + step, options.toMs)]);
  const last = bounds.at(-1);
  if (bounds.length > 1 && last !== undefined && last[1] - last[0] < STUB_FOLD_SHARE * step) {
    bounds.pop();
    (bounds.at(-1) as [number, number])[1] = last[1];
  }
  return bounds.map(([testFromMs, testToMs], i) => {
    const trainFromMs = Math.max(testFromMs - options.trainDays * DAY_MS, firstCandleMs);
    const trainDays = (testFromMs - trainFromMs) / DAY_MS;
    if (trainDays < TRAIN_SPAN_TOLERANCE * options.trainDays) {
      const earliest = new Date(firstCandleMs + options.trainDays * DAY_MS).toISOString().slice(0, 10);
      throw new UsageError(
        `walk-forward fold ${i + 1} (from ${new Date(testFromMs).toISOString().slice(0, 10)}) has only ${trainDays.toFixed(1)} days of data before it, but --train-days is ${options.trainDays}: start --from on ${earliest} or later, or lower --train-days`,
      );
    }
    return { trainFromMs, trainDays, testFromMs, testToMs };
  });
}

/**
 * Hands each prediction to the policy of the fold it falls in (each fold's model has its own
 * calibrated levels), so one account trades across all folds.
 */
export class FoldPolicy implements Policy {
  constructor(private readonly folds: readonly { readonly fromMs: number; readonly policy: Policy }[]) {}

  decide(prediction: Prediction, referencePriceQuote: number): OrderIntent | null {
    let current: Policy | undefined;
    for (const f of this.folds) if (f.fromMs <= prediction.candleOpenTimeMs) current = f.policy;
    return current === undefined ? null : current.decide(prediction, referencePriceQuote);
  }
}

/**
 * Copies each fold's predictions into one (N, K) array per series over `series`' candles: row i
 * gets the prediction of the fold whose test period holds candle i (NaN elsewhere).
 */
export function stitchFoldPredictions(
  series: readonly { readonly key: SeriesKey; readonly candles: readonly Candle[] }[],
  K: number,
  folds: readonly { readonly fromMs: number; readonly toMs: number; readonly scored: readonly ScoredSeries[] }[],
): ScoredSeries[] {
  return series.map((s, si) => {
    const index = new Map(s.candles.map((c, i) => [c.openTimeMs, i]));
    const predictions = new Float64Array(s.candles.length * K).fill(Number.NaN);
    for (const fold of folds) {
      const part = fold.scored[si] as ScoredSeries;
      part.candles.forEach((c, j) => {
        const i = index.get(c.openTimeMs);
        if (i === undefined || c.openTimeMs < fold.fromMs || c.openTimeMs >= fold.toMs) return;
        predictions.set(part.predictions.subarray(j * K, j * K + K), i * K);
      });
    }
    return { key: s.key, candles: s.candles, predictions };
  });
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
 * given one) on the `trainDays` before the fold and score the fold with it; then ONE account trades
 * all folds in a single pass, so positions, cash and risk state (drawdown, daily loss, cooldowns)
 * carry across fold boundaries and every trade pays its real costs. Only out-of-sample predictions
 * trade; the curve is compared with buy-and-hold over the same span.
 */
export async function runWalkForward(
  series: readonly SeriesFile[],
  template: ModelManifest,
  options: WalkForwardOptions,
  config: Config,
  ctx: CliContext,
  logger: Logger,
): Promise<{ run: BacktestRun; folds: WalkForwardFold[]; scored: ScoredSeries[]; makeSetup: () => TradeSetup }> {
  const tf = series[0]?.key.timeframe ?? template.timeframe;
  const base = trainOptionsFromManifest(template);
  const symbols = series.map((s) => s.key.symbol);
  const fillModel = fillModelFor(config, { feeBps: options.feeBps, slippageBps: options.slippageBps });
  const firstCandleMs = Math.max(...series.map((s) => s.candles[0]?.openTimeMs ?? Number.POSITIVE_INFINITY));
  const plan = planFolds(options, firstCandleMs);
  const traded = series.map((s) => ({ key: s.key, candles: s.candles.filter((c) => c.openTimeMs < options.toMs) }));
  const parts: { fromMs: number; toMs: number; scored: ScoredSeries[] }[] = [];
  const policies: { fromMs: number; make: () => Policy }[] = [];
  const folds: Omit<WalkForwardFold, 'totalReturn'>[] = [];
  let info: SignalModelInfo | undefined;
  const scratch = await mkdtemp(join(tmpdir(), 'wick-walk-forward-'));
  try {
    for (const fold of plan) {
      const dir = join(scratch, `fold-${folds.length}`);
      const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
      ctx.stderr.write(`walk-forward fold ${folds.length + 1}: train ${day(fold.trainFromMs)} → ${day(fold.testFromMs)}, test → ${day(fold.testToMs)}\n`);
      const manifest = await trainToFolder(
        series.map((s) => ({ name: basename(s.path), candles: s.candles })),
        tf,
        { ...base, data: [], out: dir, fromMs: fold.trainFromMs, toMs: fold.testFromMs, testFromMs: null },
        dir,
        ctx,
        true,
      );
      const model = await loadBacktestModel(
        dir,
        config,
        logger,
        series.reduce((n, s) => n + s.candles.length, 0),
      );
      try {
        info = model.info;
        parts.push({ fromMs: fold.testFromMs, toMs: fold.testToMs, scored: await scorePeriod(model, traded, fold.testFromMs, fold.testToMs) });
        const calibration = manifest.policyCalibration;
        policies.push({ fromMs: fold.testFromMs, make: () => policyFor(model.info, config, calibration) });
        folds.push({ ...fold, modelId: manifest.modelId, policy: describePolicy(config, calibration) });
      } finally {
        await model.close();
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const modelInfo = info as SignalModelInfo;
  const scored = stitchFoldPredictions(traded, modelInfo.horizons.length, parts);
  const makeSetup = (): TradeSetup => ({
    model: { ...modelInfo, modelId: 'walk-forward' },
    policy: new FoldPolicy(policies.map((p) => ({ fromMs: p.fromMs, policy: p.make() }))),
    orderManager: orderManagerConfigFor(config, 'walkforward', options.initialEquity),
    risk: riskConfigFor(config, options.initialEquity),
    rules: simulatedMarketRules(symbols),
    fillModel,
    fromMs: options.fromMs,
  });
  const run = await tradeScoredSeries(makeSetup(), scored);
  const equityBefore = (t: number): number | undefined => {
    let value: number | undefined;
    for (const [time, e] of run.equity) if (time < t) value = e;
    return value;
  };
  return {
    run,
    scored,
    makeSetup,
    folds: folds.map((f) => {
      const start = equityBefore(f.testFromMs) ?? options.initialEquity;
      const end = equityBefore(f.testToMs);
      return { ...f, totalReturn: end === undefined ? null : end / start - 1 };
    }),
  };
}
