import { normalisationOf } from '../../model/manifest.js';
import { loadBacktestModel } from '../backtest-model.js';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeFile, rename, rm } from 'node:fs/promises';
import { isTimeframe, type Timeframe } from '../../core/candle.js';
import { createLogger } from '../../obs/logger.js';
import { scoreBacktestSeries, tradeScoredSeries, type BacktestRun, type TradeSetup } from '../../backtest/engine.js';
import { diagnoseBacktest } from '../../backtest/diagnostics/index.js';
import { formatDiagnostics } from '../../backtest/diagnostics/format.js';
import type { DiagnosedResult } from '../../backtest/diagnostics/schema.js';
import { renderReport } from '../../backtest/report.js';
import { RESULT_VERSION, serializeBacktestResult, type BacktestResult } from '../../backtest/result.js';
import { getSpec } from '../../features/index.js';
import { loadConfig, secretsOf, type Config } from '../config/load-config.js';
import { parseIsoDate, parseOptions } from '../cli-args.js';
import { UsageError, type CliCommand, type CliContext } from '../command.js';
import { loadSeriesFiles } from '../series-files.js';
import { runWalkForward } from '../walk-forward.js';
import { exposureCapFor, fillModelFor, orderManagerConfigFor, policyFor, riskConfigFor, simulatedMarketRules } from '../trading-setup.js';

const HELP = `Usage: wick backtest --data FILE.csv [--data ...] [--model DIR] [--from ISO] [--to ISO]
                     [--fee-bps N] [--slippage-bps N] [--json OUT.json] [--report OUT.html]

Replays candle files through the same features, model, policy, risk engine and order manager as
the daemon, with the paper broker's fill model: a decision at a candle's close fills at the NEXT
candle's open with slippage and the taker fee; stops trigger on the candle's range. Candles before
--from only warm up the features; candles from --to on are not read at all. Several files trade on
one account; the benchmark is an equal-weight buy-and-hold of the same markets, paying the same
entry costs. Strategy, risk and stop settings come from the configuration (WICK_* variables).

Options (default in brackets):
  --data FILE          candle CSV; the file name gives the market (BTC_USDT-1h.csv → BTC/USDT)
  --model DIR          model folder [WICK_MODEL_DIR, models/default]
  --from ISO           first candle that may trade [the first with a full feature window]
  --to ISO             end of the data used (exclusive)
  --resample TF        aggregate the candles first, e.g. 1d (the model must be trained on it)
  --fee-bps N          taker fee in basis points [WICK_FEE_BPS, 10]
  --slippage-bps N     adverse slippage in basis points [WICK_SLIPPAGE_BPS, 5]
  --initial-equity X   starting quote balance [WICK_INITIAL_EQUITY, 10000]
  --timing-shifts K    timing test: replay the predictions shifted by ±1…±K bars [10; 0 skips it]
  --json OUT.json      write the result (config, metrics, diagnostics, trades, equity curves)
  --report OUT.html    write a self-contained HTML report (charts, metrics, trades)
  --walk-forward       retrain the model (same architecture and settings as --model) on a rolling
                       window before each fold and score the fold with it; one account trades all
                       folds (positions and risk state carry over); only out-of-sample results are
                       reported; a last fold under half --test-days is merged into the one before;
                       too little data before a fold is refused. Needs --from (first fold) and uses:
  --train-days N       training window before each fold [730]
  --test-days N        fold length [90]

Example:
  wick backtest --data ../shared/data/BTC_USDT-1h.csv --data ../shared/data/ETH_USDT-1h.csv \\
    --model models/default --from 2023-01-01 --json out/bt.json --report out/bt.html`;

export interface BacktestOptions {
  readonly data: readonly string[];
  readonly model: string | undefined;
  readonly fromMs: number | undefined;
  readonly toMs: number | undefined;
  readonly resample: Timeframe | undefined;
  readonly feeBps: number | undefined;
  readonly slippageBps: number | undefined;
  readonly initialEquity: number | undefined;
  readonly json: string | undefined;
  readonly report: string | undefined;
  readonly timingShifts: number;
  readonly walkForward: { readonly trainDays: number; readonly testDays: number } | undefined;
}

function nonNegative(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} "${value}": expected a non-negative number`);
  return n;
}

export function parseBacktestArgs(args: readonly string[]): BacktestOptions {
  const values = parseOptions(args, {
    data: { type: 'string', multiple: true },
    model: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    resample: { type: 'string' },
    'fee-bps': { type: 'string' },
    'slippage-bps': { type: 'string' },
    'initial-equity': { type: 'string' },
    json: { type: 'string' },
    report: { type: 'string' },
    'timing-shifts': { type: 'string' },
    'walk-forward': { type: 'boolean' },
    'train-days': { type: 'string' },
    'test-days': { type: 'string' },
  });
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const data = (values['data'] as string[] | undefined) ?? [];
  if (data.length === 0) throw new UsageError('--data FILE.csv is required (repeat it for several markets)');
  const resample = str('resample');
  if (resample !== undefined && !isTimeframe(resample)) throw new UsageError(`--resample "${resample}" is not a timeframe (1h, 4h, 1d, ...)`);
  const initialEquity = nonNegative('--initial-equity', str('initial-equity'));
  if (initialEquity === 0) throw new UsageError('--initial-equity must be positive');
  const fromMs = parseIsoDate('--from', str('from'));
  const toMs = parseIsoDate('--to', str('to'));
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) throw new UsageError('--to must be after --from');
  const days = (flag: string, fallback: number): number => {
    const raw = str(flag);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} "${raw}": expected a positive whole number of days`);
    return n;
  };
  const shiftsRaw = str('timing-shifts');
  const timingShifts = shiftsRaw === undefined ? 10 : Number(shiftsRaw);
  if (!Number.isInteger(timingShifts) || timingShifts < 0 || timingShifts > 500)
    throw new UsageError(`--timing-shifts "${shiftsRaw}": expected a whole number of bars from 0 to 500`);
  const walkForward = values['walk-forward'] === true ? { trainDays: days('train-days', 730), testDays: days('test-days', 90) } : undefined;
  if (walkForward !== undefined && fromMs === undefined) throw new UsageError('--walk-forward needs --from: the first day of the first out-of-sample fold');
  return {
    data,
    model: str('model'),
    fromMs,
    toMs,
    resample: resample as Timeframe | undefined,
    feeBps: nonNegative('--fee-bps', str('fee-bps')),
    slippageBps: nonNegative('--slippage-bps', str('slippage-bps')),
    initialEquity,
    json: str('json'),
    report: str('report'),
    timingShifts,
    walkForward,
  };
}

/** The `config` block of a result file: what was run, with which costs, strategy and risk settings. */
export function resultConfigOf(
  mode: 'backtest' | 'replay',
  config: Config,
  run: {
    readonly symbols: readonly string[];
    readonly initialEquityQuote: number;
    readonly fill: { readonly takerFeeBps: number; readonly slippageBps: number };
    readonly modelId: string | null;
    readonly data: readonly string[];
    readonly fromMs: number | undefined;
    readonly toMs: number | undefined;
  },
  extra: Record<string, unknown> = {},
): Record<string, unknown> & { symbols: readonly string[]; initialEquityQuote: number; feeBps: number; slippageBps: number } {
  return {
    mode,
    symbols: run.symbols,
    initialEquityQuote: run.initialEquityQuote,
    feeBps: run.fill.takerFeeBps,
    slippageBps: run.fill.slippageBps,
    modelId: run.modelId,
    data: run.data,
    fromMs: run.fromMs ?? null,
    toMs: run.toMs ?? null,
    ...extra,
    strategy: config.strategy,
    risk: config.risk,
  };
}

/** Builds the result file both `wick backtest` and `wick replay` write. */
export function toResult(
  run: Pick<BacktestRun, 'metrics' | 'trades' | 'openTrades' | 'equity' | 'buyAndHoldEquity' | 'timeframe'>,
  config: Record<string, unknown> & { symbols: readonly string[]; initialEquityQuote: number; feeBps: number; slippageBps: number },
): BacktestResult {
  return {
    version: RESULT_VERSION,
    config: { ...config, timeframe: run.timeframe },
    metrics: run.metrics,
    trades: run.trades,
    openTrades: run.openTrades,
    equity: run.equity,
    buyAndHoldEquity: run.buyAndHoldEquity,
  };
}

/** Writes the --json result and the --report HTML when asked (both atomically). */
export async function writeResultFiles(
  result: DiagnosedResult,
  paths: { readonly json: string | undefined; readonly report: string | undefined },
  cwd: string,
): Promise<void> {
  if (paths.json !== undefined) await writeAtomically(resolve(cwd, paths.json), serializeBacktestResult(result));
  if (paths.report !== undefined) await writeAtomically(resolve(cwd, paths.report), renderReport(result));
}

export async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

function pct(x: number | null): string {
  return x === null ? '—' : `${(x * 100).toFixed(2)}%`;
}
function num(x: number | null): string {
  return x === null ? '—' : x.toFixed(2);
}

/** The console table both `wick backtest` and `wick replay` print: strategy beside buy-and-hold. */
export function formatSummary(run: Pick<BacktestRun, 'metrics' | 'equity' | 'deniedByRisk'>, title: string, detail: string, footer: string): string {
  const s = run.metrics.strategy;
  const b = run.metrics.buyAndHold;
  const rows: [string, string, string][] = [
    ['total return', pct(s.totalReturn), pct(b.totalReturn)],
    ['CAGR', pct(s.cagr), pct(b.cagr)],
    ['Sharpe', num(s.sharpe), num(b.sharpe)],
    ['Sortino', num(s.sortino), num(b.sortino)],
    ['Calmar', num(s.calmar), num(b.calmar)],
    ['max drawdown', pct(s.maxDrawdown), pct(b.maxDrawdown)],
    ['volatility', pct(s.volatility), pct(b.volatility)],
    ['VaR 95% (bar)', pct(s.var95), pct(b.var95)],
    ['CVaR 95% (bar)', pct(s.cvar95), pct(b.cvar95)],
    ['trades', String(s.trades), String(b.trades)],
    ['win rate', pct(s.winRate), pct(b.winRate)],
    ['exposure', pct(s.exposure), pct(b.exposure)],
    ['fees paid', num(s.feesPaid), num(b.feesPaid)],
  ];
  const first = run.equity[0]?.[0];
  const last = run.equity.at(-1)?.[0];
  const day = (ms: number | undefined): string => (ms === undefined ? '' : new Date(ms).toISOString().slice(0, 10));
  const denied = Object.keys(run.deniedByRisk).length > 0 ? `; denied by risk: ${JSON.stringify(run.deniedByRisk)}` : '';
  return [
    `${title}, ${day(first)} → ${day(last)}, ${detail}`,
    `${'metric'.padEnd(16)}${'strategy'.padStart(12)}${'buy & hold'.padStart(12)}`,
    ...rows.map(([k, a, c]) => `${k.padEnd(16)}${a.padStart(12)}${c.padStart(12)}`),
    `${footer}${denied}`,
    '',
  ].join('\n');
}

export async function runBacktestCommand(options: BacktestOptions, ctx: CliContext, config: Config = loadConfig(ctx.env)): Promise<number> {
  const logger = createLogger({
    level: config.log.level === 'info' ? 'warn' : config.log.level,
    format: config.log.format,
    secrets: secretsOf(config),
    destination: ctx.stderr,
  });
  const modelDir = resolve(ctx.cwd, options.model ?? config.model.dir);
  const series = await loadSeriesFiles(options.data, {
    cwd: ctx.cwd,
    exchange: 'backtest',
    resample: options.resample,
    plausibility: config.market.plausibility,
  });
  const model = await loadBacktestModel(
    modelDir,
    config,
    logger,
    series.reduce((n, s) => n + s.candles.length, 0),
  );
  try {
    const tf = series[0]?.key.timeframe;
    if (tf !== model.manifest.timeframe) {
      throw new UsageError(
        `the data is ${tf} candles but the model was trained on ${model.manifest.timeframe}${options.resample === undefined ? ` (use --resample ${model.manifest.timeframe} if the files are finer)` : ''}`,
      );
    }
    const initial = options.initialEquity ?? config.paper.initialEquityQuote;
    const fillModel = fillModelFor(config, { feeBps: options.feeBps, slippageBps: options.slippageBps });
    const symbols = series.map((s) => s.key.symbol);
    const facts = { symbols, initialEquityQuote: initial, fill: fillModel, data: options.data, fromMs: options.fromMs, toMs: options.toMs };
    const started = performance.now();
    if (options.walkForward !== undefined) {
      const lastOpen = Math.max(...series.map((s) => s.candles.at(-1)?.openTimeMs ?? 0));
      const { run, folds, scored, makeSetup } = await runWalkForward(
        series,
        model.manifest,
        {
          ...options.walkForward,
          fromMs: options.fromMs as number,
          toMs: options.toMs ?? lastOpen + 1,
          feeBps: options.feeBps,
          slippageBps: options.slippageBps,
          initialEquity: initial,
        },
        config,
        ctx,
        logger,
      );
      const diagnostics = await diagnoseBacktest({
        scored,
        run,
        makeSetup,
        timingShifts: options.timingShifts,
        exposureCap: exposureCapFor(config, symbols.length),
        initialEquityQuote: initial,
      });
      const seconds = (performance.now() - started) / 1000;
      const result = {
        ...toResult(
          run,
          resultConfigOf(
            'backtest',
            config,
            { ...facts, modelId: null },
            { walkForward: { ...options.walkForward, carry: 'one account across folds: positions and risk state carry over', folds } },
          ),
        ),
        diagnostics,
      };
      await writeResultFiles(result, options, ctx.cwd);
      const shortest = Math.min(...folds.map((f) => f.trainDays));
      ctx.stdout.write(
        formatSummary(
          run,
          `walk-forward backtest ${symbols.join(', ')} ${run.timeframe}`,
          `${folds.length} folds of ${options.walkForward.testDays} days (a short last one merged), each trained on the ${shortest < options.walkForward.trainDays ? `${shortest.toFixed(1)}–` : ''}${options.walkForward.trainDays} days before it; one account across folds (positions and risk state carry over); fee ${fillModel.takerFeeBps} bps, slippage ${fillModel.slippageBps} bps`,
          `${run.candlesProcessed} out-of-sample candles, ${seconds.toFixed(1)} s including training`,
        ),
      );
      for (const f of folds)
        ctx.stdout.write(
          `fold ${new Date(f.testFromMs).toISOString().slice(0, 10)} → ${new Date(f.testToMs).toISOString().slice(0, 10)}: trained on ${f.trainDays.toFixed(1)} days, return ${f.totalReturn === null ? '—' : `${(f.totalReturn * 100).toFixed(2)}%`}, ${f.policy}\n`,
        );
      ctx.stdout.write(formatDiagnostics(diagnostics, run.metrics.strategy));
      return 0;
    }
    const makeSetup = (): TradeSetup => ({
      model: model.info,
      policy: policyFor(model.info, config, model.manifest.policyCalibration),
      orderManager: orderManagerConfigFor(config, 'backtest', initial),
      risk: riskConfigFor(config, initial),
      rules: simulatedMarketRules(symbols),
      fillModel,
      ...(options.fromMs !== undefined ? { fromMs: options.fromMs } : {}),
      logger,
    });
    const scored = await scoreBacktestSeries({
      ...makeSetup(),
      series: series.map((s) => ({ key: s.key, candles: s.candles })),
      model,
      featureSpec: getSpec(model.manifest.featureSpec.name),
      normalisation: normalisationOf(model.manifest),
      ...(options.toMs !== undefined ? { toMs: options.toMs } : {}),
      inferenceBatch: 1024,
    });
    const run = await tradeScoredSeries(makeSetup(), scored);
    const diagnostics = await diagnoseBacktest({
      scored,
      run,
      makeSetup,
      timingShifts: options.timingShifts,
      exposureCap: exposureCapFor(config, symbols.length),
      initialEquityQuote: initial,
    });
    const seconds = (performance.now() - started) / 1000;
    const result = {
      ...toResult(run, resultConfigOf('backtest', config, { ...facts, modelId: model.info.modelId }, { resample: options.resample ?? null })),
      diagnostics,
    };
    await writeResultFiles(result, options, ctx.cwd);
    ctx.stdout.write(
      formatSummary(
        run,
        `backtest ${symbols.join(', ')} ${run.timeframe}`,
        `model ${model.info.modelId}, fee ${fillModel.takerFeeBps} bps, slippage ${fillModel.slippageBps} bps`,
        `${run.candlesProcessed} candles in ${seconds.toFixed(2)} s including diagnostics`,
      ),
    );
    ctx.stdout.write(formatDiagnostics(diagnostics, run.metrics.strategy));
    return 0;
  } finally {
    await model.close();
  }
}

export const command: CliCommand = {
  name: 'backtest',
  help: HELP,
  run: (args, ctx) => runBacktestCommand(parseBacktestArgs(args), ctx),
};
