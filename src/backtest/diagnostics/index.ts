import { barsPerYear, timeframeMs } from '../../core/index.js';
import type { BacktestRun, ScoredSeries, TradeSetup } from '../engine.js';
import { standardBaselines, type BaselineResult } from './baselines.js';
import { realisedReturns, signalQuality, type HorizonIc, type PredictionKind, type SignalQuality } from './signal-quality.js';
import { runTimingTest, type TimingTest } from './timing.js';
import { tradingStats, type TradingStats } from './trading-stats.js';

export * from './baselines.js';
export * from './deflated-sharpe.js';
export * from './signal-quality.js';
export * from './stats.js';
export * from './timing.js';
export * from './trading-stats.js';
export * from './weight-simulator.js';

/** Everything a backtest report says about whether the signal is worth trading. */
export interface BacktestDiagnostics {
  /** Predictions vs realised returns over the traded period, all markets pooled. */
  readonly signal: SignalQuality;
  /** Information coefficients per market. */
  readonly bySymbol: readonly { readonly symbol: string; readonly ic: readonly HorizonIc[] }[];
  /** null when not asked for (timing shifts 0). */
  readonly timing: TimingTest | null;
  readonly trading: TradingStats;
  readonly baselines: readonly BaselineResult[];
}

export interface DiagnoseOptions {
  readonly scored: readonly ScoredSeries[];
  readonly run: BacktestRun;
  /** A fresh trade setup per call (the timing test replays the series many times). */
  readonly makeSetup: () => TradeSetup;
  /** The timing test shifts predictions by ±1…±timingShifts bars; 0 skips it. */
  readonly timingShifts: number;
  /** The most of its equity the strategy can hold, all markets together: the baselines' cap. */
  readonly exposureCap: number;
  readonly initialEquityQuote: number;
}

/** Signal diagnostics, trading statistics, the timing test and the baselines of one backtest. */
export async function diagnoseBacktest(options: DiagnoseOptions): Promise<BacktestDiagnostics> {
  const { scored, run } = options;
  const setup = options.makeSetup();
  const fromMs = setup.fromMs ?? Number.NEGATIVE_INFINITY;
  const horizons = setup.model.horizons;
  const kind: PredictionKind = setup.model.target;
  const K = horizons.length;
  const tfMs = timeframeMs(run.timeframe);
  const pooledPred: number[] = [];
  const pooledReal: number[] = [];
  const bySymbol = scored.map((s) => {
    const realised = realisedReturns(s.candles, horizons, kind, tfMs);
    const rows: number[] = [];
    s.candles.forEach((c, i) => {
      if (c.openTimeMs >= fromMs) rows.push(i);
    });
    for (const i of rows) {
      for (let k = 0; k < K; k++) {
        pooledPred.push(s.predictions[i * K + k] as number);
        pooledReal.push(realised[i * K + k] as number);
      }
    }
    return { symbol: s.key.symbol, ic: signalQuality(s.predictions, realised, horizons, kind, rows).ic };
  });
  const markets = scored.map((s) => ({ symbol: s.key.symbol, candles: s.candles }));
  const fill = setup.fillModel;
  return {
    signal: signalQuality(pooledPred, pooledReal, horizons, kind),
    bySymbol,
    timing: options.timingShifts > 0 ? await runTimingTest(scored, options.makeSetup, options.timingShifts, run) : null,
    trading: tradingStats({
      equity: run.equity,
      exposed: run.exposed,
      trades: run.trades,
      fills: run.fills,
      feesPaidQuote: run.feesPaidQuote,
      markets: markets.map((m) => ({ ...m, candles: m.candles.filter((c) => c.openTimeMs >= fromMs) })),
    }),
    baselines: standardBaselines(
      markets,
      { exposureCap: options.exposureCap },
      {
        feeBps: fill.takerFeeBps,
        slippageBps: fill.slippageBps,
        initialEquityQuote: options.initialEquityQuote,
        fromMs: Number.isFinite(fromMs) ? fromMs : Number.NEGATIVE_INFINITY,
        barsPerYear: barsPerYear(run.timeframe),
      },
    ),
  };
}
