import { z } from 'zod';
import { TIMEFRAMES, type Timeframe } from '../core/index.js';

/**
 * The result file that `wick backtest --json` and `wick replay --json` both write, and the input
 * of the HTML report. One shape for both modes, so the parity harness can diff them.
 *
 * Equity curves are `[timestampMs, equityQuote][]`, ascending, one point per bar: the timestamp is
 * the candle's open time (the bar's identity everywhere in wick), the value is the equity marked at
 * that candle's close. The first point is the starting equity. Numbers that are undefined or
 * infinite (a Sharpe ratio of a flat curve, a profit factor with no losses) are `null`, never NaN.
 */
export const RESULT_VERSION = 1 as const;

export type { Trade } from '../execution/index.js';
import type { Trade } from '../execution/index.js';

/** What `computeMetrics` reports; each field is defined in metrics.ts. null = undefined for this run. */
export interface Metrics {
  /** Number of equity points. */
  readonly bars: number;
  readonly startMs: number | null;
  readonly endMs: number | null;
  readonly initialEquity: number | null;
  readonly finalEquity: number | null;
  readonly totalReturn: number | null;
  readonly cagr: number | null;
  readonly volatility: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly calmar: number | null;
  readonly maxDrawdown: number | null;
  readonly maxDrawdownDurationMs: number | null;
  readonly var95: number | null;
  readonly cvar95: number | null;
  readonly trades: number;
  readonly winRate: number | null;
  readonly profitFactor: number | null;
  readonly expectancy: number | null;
  readonly grossProfit: number;
  readonly grossLoss: number;
  readonly exposure: number | null;
  readonly feesPaid: number;
}

/** `[timestampMs, equityQuote]`. */
export type EquityPoint = readonly [timestampMs: number, equityQuote: number];

/** What was run. Known fields are typed; modes may add their own (kept when parsing). */
export interface ResultConfig {
  readonly mode?: 'backtest' | 'replay';
  readonly exchange?: string;
  readonly symbols: readonly string[];
  readonly timeframe: Timeframe;
  readonly initialEquityQuote: number;
  readonly feeBps: number;
  readonly slippageBps: number;
  readonly modelId?: string | null;
  readonly [extra: string]: unknown;
}

export interface BacktestResult {
  readonly version: typeof RESULT_VERSION;
  readonly config: ResultConfig;
  readonly metrics: { readonly strategy: Metrics; readonly buyAndHold: Metrics };
  readonly trades: readonly Trade[];
  /** Positions still open when the data ended, marked at the last close (exitReason 'open'); not in `trades` or the trade metrics. */
  readonly openTrades?: readonly Trade[];
  readonly equity: readonly EquityPoint[];
  readonly buyAndHoldEquity: readonly EquityPoint[];
}

const finiteNumber = z.number().refine(Number.isFinite, 'must be a finite number');
/** A metric: a finite number, or null where it is undefined (see metrics.ts). */
const metricNumber = finiteNumber.nullable();

export const metricsSchema = z.object({
  bars: z.number().int().nonnegative(),
  startMs: metricNumber,
  endMs: metricNumber,
  initialEquity: metricNumber,
  finalEquity: metricNumber,
  totalReturn: metricNumber,
  cagr: metricNumber,
  volatility: metricNumber,
  sharpe: metricNumber,
  sortino: metricNumber,
  calmar: metricNumber,
  maxDrawdown: metricNumber,
  maxDrawdownDurationMs: metricNumber,
  var95: metricNumber,
  cvar95: metricNumber,
  trades: z.number().int().nonnegative(),
  winRate: metricNumber,
  profitFactor: metricNumber,
  expectancy: metricNumber,
  grossProfit: finiteNumber,
  grossLoss: finiteNumber,
  exposure: metricNumber,
  feesPaid: finiteNumber,
});

export const tradeSchema = z.object({
  symbol: z.string().min(1),
  side: z.enum(['long', 'short']),
  entryTimeMs: finiteNumber,
  entryPrice: finiteNumber,
  exitTimeMs: finiteNumber,
  exitPrice: finiteNumber,
  qty: finiteNumber,
  fee: finiteNumber,
  pnl: finiteNumber,
  exitReason: z.string(),
});

const equityPointSchema = z.tuple([finiteNumber, finiteNumber]);

const equityCurveSchema = z.array(equityPointSchema).superRefine((points, ctx) => {
  for (let i = 1; i < points.length; i++) {
    const prev = points[i - 1];
    const cur = points[i];
    if (prev !== undefined && cur !== undefined && !(cur[0] > prev[0])) {
      ctx.addIssue({ code: 'custom', message: `timestamps must ascend (index ${i})`, path: [i, 0] });
      return;
    }
  }
});

export const resultConfigSchema = z.looseObject({
  mode: z.enum(['backtest', 'replay']).optional(),
  exchange: z.string().optional(),
  symbols: z.array(z.string().min(1)),
  timeframe: z.enum(TIMEFRAMES),
  initialEquityQuote: finiteNumber.positive(),
  feeBps: finiteNumber.nonnegative(),
  slippageBps: finiteNumber.nonnegative(),
  modelId: z.string().nullable().optional(),
});

export const backtestResultSchema = z.object({
  version: z.literal(RESULT_VERSION),
  config: resultConfigSchema,
  metrics: z.object({ strategy: metricsSchema, buyAndHold: metricsSchema }),
  trades: z.array(tradeSchema),
  openTrades: z.array(tradeSchema).optional(),
  equity: equityCurveSchema,
  buyAndHoldEquity: equityCurveSchema,
});

// the schemas must produce the declared types (checked at compile time)
type Assignable<T, U extends T> = U;
export type _SchemaMatchesTypes = [
  Assignable<Metrics, z.infer<typeof metricsSchema>>,
  Assignable<Trade, z.infer<typeof tradeSchema>>,
  Assignable<EquityPoint, z.infer<typeof equityPointSchema>>,
];

/** Parses a result file's JSON (already `JSON.parse`d). Throws a ZodError naming the bad field. */
export function parseBacktestResult(json: unknown): BacktestResult {
  const parsed = backtestResultSchema.parse(json);
  // exactOptionalPropertyTypes: zod types optional keys as `T | undefined`; a parsed object never
  // holds an explicit undefined (JSON has none), so the cast only narrows that.
  return parsed as BacktestResult;
}

/**
 * The result as JSON text: non-finite numbers become null (a NaN must never pass for a value),
 * objects indented, one trade and one equity point per line so a 50k-bar file stays diffable and
 * compact. Ends with a newline.
 */
export function serializeBacktestResult(result: BacktestResult): string {
  const json = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) ?? 'null';
  const block = (value: unknown, indent: string): string => (JSON.stringify(JSON.parse(json(value)), null, 2) ?? 'null').replace(/\n/g, `\n${indent}`);
  const list = (items: readonly unknown[]): string => (items.length === 0 ? '[]' : `[\n${items.map((item) => `    ${json(item)}`).join(',\n')}\n  ]`);
  // Sections beyond the core ones (e.g. `diagnostics`) follow them as indented blocks.
  const core = new Set(['version', 'config', 'metrics', 'trades', 'equity', 'buyAndHoldEquity']);
  const extra = Object.entries(result).filter(([key, value]) => !core.has(key) && value !== undefined);
  return [
    '{',
    `  "version": ${json(result.version)},`,
    `  "config": ${block(result.config, '  ')},`,
    `  "metrics": ${block(result.metrics, '  ')},`,
    `  "trades": ${list(result.trades)},`,
    ...(result.openTrades !== undefined ? [`  "openTrades": ${list(result.openTrades)},`] : []),
    `  "equity": ${list(result.equity)},`,
    `  "buyAndHoldEquity": ${list(result.buyAndHoldEquity)}${extra.length > 0 ? ',' : ''}`,
    ...extra.map(([key, value], i) => `  ${json(key)}: ${block(value, '  ')}${i < extra.length - 1 ? ',' : ''}`),
    '}',
    '',
  ].join('\n');
}
