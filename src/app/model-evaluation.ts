import { join } from 'node:path';
import { silentLogger, type Candle, type Logger, type SeriesKey, type SignalModel, type Timeframe } from '../core/index.js';
import { scoreBacktestSeries, tradeScoredSeries, type BacktestRun, type ScoredSeries, type TradeSetup } from '../backtest/engine.js';
import { diagnoseBacktest, type BacktestDiagnostics } from '../backtest/diagnostics/index.js';
import { calibratePolicy, type PolicyCalibration } from '../backtest/policy-calibration.js';
import { getSpec } from '../features/index.js';
import { normalisationOf, type ModelManifest } from '../model/manifest.js';
import { OnnxSignalModel } from '../model/onnx-signal-model.js';
import type { Config } from './config/load-config.js';
import { updateManifest } from './model-folder.js';
import { exposureCapFor, fillModelFor, orderManagerConfigFor, policyFor, riskConfigFor, simulatedMarketRules } from './trading-setup.js';

/** Candles before a period that warm up the streaming features (indicators settle well within this). */
const WARMUP_CANDLES = 500;

export interface NamedSeries {
  readonly name: string;
  readonly candles: readonly Candle[];
}

/** `BTC_USDT-1h.csv` → BTC/USDT (else the name itself), for reports. */
function symbolOf(name: string): string {
  const m = /^([A-Z0-9]+)_([A-Z0-9]+)/.exec(name);
  return m === null ? name : `${m[1]}/${m[2]}`;
}

/** Scores the candles of [fromMs, toMs) of every series (with warm-up history before fromMs) with the model. */
export async function scorePeriod(
  model: SignalModel & { readonly manifest: ModelManifest },
  inputs: readonly { readonly key: SeriesKey; readonly candles: readonly Candle[] }[],
  fromMs: number,
  toMs: number,
): Promise<ScoredSeries[]> {
  const series = inputs.map((s) => {
    const first = s.candles.findIndex((c) => c.openTimeMs >= fromMs);
    const start = first < 0 ? s.candles.length : Math.max(0, first - WARMUP_CANDLES - model.info.windowLength);
    return { key: s.key, candles: s.candles.slice(start).filter((c) => c.openTimeMs < toMs) };
  });
  return scoreBacktestSeries({
    series,
    model,
    featureSpec: getSpec(model.manifest.featureSpec.name),
    normalisation: normalisationOf(model.manifest),
    toMs,
    inferenceBatch: 1024,
  });
}

function keyed(inputs: readonly NamedSeries[], timeframe: Timeframe): { key: SeriesKey; candles: readonly Candle[] }[] {
  return inputs.map((s) => ({ key: { exchange: 'evaluation', symbol: symbolOf(s.name), timeframe }, candles: s.candles }));
}

/**
 * Fits the policy calibration on the model's validation split (see policy-calibration.ts) and
 * writes it into the folder's manifest. Returns the updated manifest.
 */
export async function calibrateModelFolder(dir: string, inputs: readonly NamedSeries[], logger: Logger = silentLogger): Promise<ModelManifest> {
  const model = await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger, cpuThreads: 1 });
  try {
    const m = model.manifest;
    const { validationFromMs, validationToMs } = m.training.splits;
    const scored = await scorePeriod(model, keyed(inputs, m.timeframe), validationFromMs, validationToMs + 1);
    const calibration: PolicyCalibration = calibratePolicy(scored, model.info, validationFromMs, validationToMs + 1, Math.max(...m.horizons));
    return await updateManifest(dir, {
      ...m,
      policyCalibration: { ...calibration, quantiles: [...calibration.quantiles], deciles: calibration.deciles.map((d) => ({ ...d })) },
    });
  } finally {
    await model.close();
  }
}

export interface PeriodEvaluation {
  readonly name: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly run: BacktestRun;
  readonly diagnostics: BacktestDiagnostics;
}

/**
 * Backtests the model folder on each period (the whole account, every series, the configured
 * policy, risk, costs) and computes its diagnostics: what `wick train` shows for the validation
 * and test splits.
 */
export async function evaluateModelPeriods(
  dir: string,
  inputs: readonly NamedSeries[],
  periods: readonly { name: string; fromMs: number; toMs: number }[],
  config: Config,
  timingShifts: number,
): Promise<PeriodEvaluation[]> {
  const model = await OnnxSignalModel.load(join(dir), { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger, cpuThreads: 1 });
  try {
    const out: PeriodEvaluation[] = [];
    const initial = config.paper.initialEquityQuote;
    for (const p of periods) {
      const scored = await scorePeriod(model, keyed(inputs, model.manifest.timeframe), p.fromMs, p.toMs);
      const symbols = scored.map((s) => s.key.symbol);
      const makeSetup = (): TradeSetup => ({
        model: model.info,
        policy: policyFor(model.info, config, model.manifest.policyCalibration),
        orderManager: orderManagerConfigFor(config, 'evaluation', initial),
        risk: riskConfigFor(config, initial),
        rules: simulatedMarketRules(symbols),
        fillModel: fillModelFor(config),
        fromMs: p.fromMs,
      });
      const run = await tradeScoredSeries(makeSetup(), scored);
      const diagnostics = await diagnoseBacktest({
        scored,
        run,
        makeSetup,
        timingShifts,
        exposureCap: exposureCapFor(config, symbols.length),
        initialEquityQuote: initial,
      });
      out.push({ ...p, run, diagnostics });
    }
    return out;
  } finally {
    await model.close();
  }
}

/** Flat figures of a period for the manifest's metrics record (additive keys). */
export function periodFigures(e: PeriodEvaluation): Record<string, number | null> {
  const d = e.diagnostics;
  const figures: Record<string, number | null> = {};
  for (const ic of d.signal.ic) {
    figures[`icH${ic.horizon}`] = ic.pearson;
    figures[`rankIcH${ic.horizon}`] = ic.rank;
  }
  const s = e.run.metrics.strategy;
  figures['backtestSharpe'] = s.sharpe;
  figures['backtestTotalReturn'] = s.totalReturn;
  figures['backtestMaxDrawdown'] = s.maxDrawdown;
  figures['backtestTrades'] = s.trades;
  figures['timeInMarket'] = d.trading.timeInMarket;
  figures['avgCapitalDeployed'] = d.trading.avgCapitalDeployed;
  figures['timingRank'] = d.timing?.rank ?? null;
  figures['timingVariants'] = d.timing?.of ?? null;
  figures['timingPValue'] = d.timing?.pValue ?? null;
  return figures;
}
