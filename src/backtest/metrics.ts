import { InvariantError } from '../core/index.js';
import type { EquityPoint, Metrics, Trade } from './result.js';

export type { Metrics };

export interface MetricsInput {
  readonly equity: readonly EquityPoint[];
  readonly trades: readonly Trade[];
  /** exposed[i]: a position was held during bar i; same length as equity. */
  readonly exposed: readonly boolean[];
  /** From the timeframe: `barsPerYear(timeframe)` in core (8,760 for 1h). */
  readonly barsPerYear: number;
  /** Fees paid in quote currency, if not the sum of the trades' fees (e.g. a position still open). */
  readonly feesPaidQuote?: number;
}

export const MS_PER_YEAR = 365 * 86_400_000;
const VAR_LEVEL = 0.05;
/** Below this, a standard deviation is rounding noise, not risk. */
const STD_EPSILON = 1e-12;

/**
 * Performance metrics of one equity curve and its trades.
 *
 * Definitions (the README quotes this block):
 *
 * - Input: an equity curve of N points `[timestampMs, equityQuote]`, one per bar, ascending; the
 *   first point is the starting equity. Per-bar simple returns r_i = E_i / E_{i-1} - 1, i = 1..N-1
 *   (M = N - 1 returns). Once equity reaches zero or less, later returns are 0 (the account is ruined).
 *   Bars per year come from the timeframe with 365-day years (8,760 for 1h, `barsPerYear` in core).
 *   Risk-free rate 0. Ratios are fractions (0.2 = 20 %); drawdowns and losses are positive.
 * - totalReturn = E_last / E_first - 1.
 * - cagr = (E_last / E_first)^(1 / years) - 1, years = (t_last - t_first) / (365 × 86,400,000 ms);
 *   -1 if the equity ended at or below zero. Over very short periods it explodes; non-finite → null.
 * - volatility = sample standard deviation of r (divisor M - 1) × √barsPerYear; needs M ≥ 2.
 * - sharpe = mean(r) / sampleStd(r) × √barsPerYear; null when the standard deviation is 0 (a flat or
 *   constant-growth curve, below 1e-12) or M < 2.
 * - sortino = mean(r) / DD × √barsPerYear, downside deviation DD = sqrt(Σ min(r_i, 0)² / M) over ALL M
 *   bars (population divisor, target 0); null when no bar lost (DD = 0).
 * - maxDrawdown = max_t (1 - E_t / max_{s≤t} E_s). maxDrawdownDurationMs = the longest time spent
 *   below a previous peak: from the peak's timestamp to the first point back at or above it, or to
 *   the last point if never recovered (0 if the curve never fell).
 * - calmar = cagr / maxDrawdown; null when maxDrawdown is 0.
 * - var95 = -Q(0.05) and cvar95 = -mean{ r_i : r_i ≤ Q(0.05) }: historical, per bar, positive numbers
 *   are losses (a negative var95 means even the 5 % worst bar gained). Q is the linearly interpolated
 *   quantile of the sorted returns x_0 ≤ … ≤ x_{M-1} (Hyndman–Fan type 7, numpy's default):
 *   h = (M - 1) × 0.05, Q = x_⌊h⌋ + (h - ⌊h⌋) × (x_⌈h⌉ - x_⌊h⌋). Needs M ≥ 1.
 * - Trades (round trips, pnl net of fees): winRate = #(pnl > 0) / #trades; grossProfit = Σ pnl > 0,
 *   grossLoss = -Σ pnl < 0 (positive); profitFactor = grossProfit / grossLoss, null when there are
 *   no losing trades (infinite, or 0/0) — grossProfit and grossLoss tell which; expectancy = mean pnl
 *   per trade (quote currency); feesPaid = Σ trade fees unless given; all null (0 for sums) without trades.
 * - exposure = fraction of bars flagged as holding a position (one flag per equity point).
 * - Edge cases: 0 points → every curve metric null; 1 point → totalReturn 0, maxDrawdown 0, others
 *   null. Every value that is not a finite number is reported as null, never NaN or Infinity.
 */
export function computeMetrics(input: MetricsInput): Metrics {
  const { equity, trades, exposed, barsPerYear } = input;
  assertCurve(equity);
  if (exposed.length !== equity.length) {
    throw new InvariantError(`exposure flags (${exposed.length}) must match equity points (${equity.length})`);
  }
  if (!(barsPerYear > 0)) throw new InvariantError(`barsPerYear must be positive, got ${barsPerYear}`);

  const first = equity[0];
  const last = equity[equity.length - 1];
  const returns = barReturns(equity);
  const m = returns.length;
  const annualise = Math.sqrt(barsPerYear);

  const mean = m >= 1 ? sum(returns) / m : null;
  const std = m >= 2 && mean !== null ? Math.sqrt(sum(returns.map((r) => (r - mean) ** 2)) / (m - 1)) : null;
  const downside = m >= 1 ? Math.sqrt(sum(returns.map((r) => Math.min(r, 0) ** 2)) / m) : null;

  const totalReturn = first !== undefined && last !== undefined && first[1] > 0 ? last[1] / first[1] - 1 : null;
  const cagr = cagrOf(equity);
  const dd = drawdownStats(equity);
  const tail = m >= 1 ? valueAtRisk(returns, VAR_LEVEL) : null;

  const wins = trades.filter((t) => t.pnl > 0);
  const grossProfit = sum(wins.map((t) => t.pnl));
  const grossLoss = sum(trades.filter((t) => t.pnl < 0).map((t) => -t.pnl));

  return {
    bars: equity.length,
    startMs: first?.[0] ?? null,
    endMs: last?.[0] ?? null,
    initialEquity: first?.[1] ?? null,
    finalEquity: last?.[1] ?? null,
    totalReturn: finiteOrNull(totalReturn),
    cagr: finiteOrNull(cagr),
    volatility: std === null ? null : finiteOrNull(std * annualise),
    sharpe: std === null || mean === null || std < STD_EPSILON ? null : finiteOrNull((mean / std) * annualise),
    sortino: downside === null || mean === null || downside < STD_EPSILON ? null : finiteOrNull((mean / downside) * annualise),
    calmar: cagr === null || dd === null || !(dd.maxDrawdown > 0) ? null : finiteOrNull(cagr / dd.maxDrawdown),
    maxDrawdown: dd === null ? null : finiteOrNull(dd.maxDrawdown),
    maxDrawdownDurationMs: dd === null ? null : dd.maxDurationMs,
    var95: tail === null ? null : finiteOrNull(tail.var),
    cvar95: tail === null ? null : finiteOrNull(tail.cvar),
    trades: trades.length,
    winRate: trades.length > 0 ? wins.length / trades.length : null,
    profitFactor: grossLoss > 0 ? finiteOrNull(grossProfit / grossLoss) : null,
    expectancy: trades.length > 0 ? finiteOrNull(sum(trades.map((t) => t.pnl)) / trades.length) : null,
    grossProfit,
    grossLoss,
    exposure: exposed.length > 0 ? exposed.filter(Boolean).length / exposed.length : null,
    feesPaid: input.feesPaidQuote ?? sum(trades.map((t) => t.fee)),
  };
}

/** Per-bar simple returns, length N - 1; 0 once equity has reached zero or less. */
export function barReturns(equity: readonly EquityPoint[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < equity.length; i++) {
    const prev = (equity[i - 1] as EquityPoint)[1];
    const cur = (equity[i] as EquityPoint)[1];
    out.push(prev > 0 ? cur / prev - 1 : 0);
  }
  return out;
}

/** Drawdown at each point: 1 - E_t / running peak (0 at a new high), positive fractions. */
export function drawdownCurve(equity: readonly EquityPoint[]): EquityPoint[] {
  let peak = -Infinity;
  return equity.map(([t, e]) => {
    peak = Math.max(peak, e);
    return [t, peak > 0 ? 1 - e / peak : 0] as const;
  });
}

/** Linearly interpolated quantile (Hyndman–Fan type 7) of an ascending, non-empty array. */
export function quantileSorted(sortedAsc: readonly number[], q: number): number {
  if (sortedAsc.length === 0) throw new InvariantError('quantile of an empty sample');
  const h = (sortedAsc.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const xLo = sortedAsc[lo] as number;
  const xHi = sortedAsc[hi] as number;
  return xLo + (h - lo) * (xHi - xLo);
}

/** Historical VaR and CVaR at `level` (0.05 for 95 %), as positive loss fractions. */
export function valueAtRisk(returns: readonly number[], level: number): { readonly var: number; readonly cvar: number } {
  const sorted = [...returns].sort((a, b) => a - b);
  const q = quantileSorted(sorted, level);
  // type-7 interpolation never goes below the minimum, so the tail holds at least x_0.
  const tail = sorted.filter((r) => r <= q);
  return { var: -q, cvar: -sum(tail) / tail.length };
}

function cagrOf(equity: readonly EquityPoint[]): number | null {
  const first = equity[0];
  const last = equity[equity.length - 1];
  if (first === undefined || last === undefined || first[1] <= 0) return null;
  const years = (last[0] - first[0]) / MS_PER_YEAR;
  if (!(years > 0)) return null;
  const growth = last[1] / first[1];
  return growth <= 0 ? -1 : growth ** (1 / years) - 1;
}

function drawdownStats(equity: readonly EquityPoint[]): { maxDrawdown: number; maxDurationMs: number } | null {
  if (equity.length === 0) return null;
  let peak = -Infinity;
  let peakMs = 0;
  let maxDrawdown = 0;
  let maxDurationMs = 0;
  let underwater = false;
  for (const [t, e] of equity) {
    if (e >= peak) {
      if (underwater) maxDurationMs = Math.max(maxDurationMs, t - peakMs);
      underwater = false;
      peak = e;
      peakMs = t;
      continue;
    }
    underwater = true;
    if (peak > 0) maxDrawdown = Math.max(maxDrawdown, 1 - e / peak);
  }
  const last = equity[equity.length - 1] as EquityPoint;
  if (underwater) maxDurationMs = Math.max(maxDurationMs, last[0] - peakMs);
  return { maxDrawdown, maxDurationMs };
}

function assertCurve(equity: readonly EquityPoint[]): void {
  for (let i = 0; i < equity.length; i++) {
    const [t, e] = equity[i] as EquityPoint;
    if (!Number.isFinite(t) || !Number.isFinite(e)) throw new InvariantError(`equity point ${i} is not finite: [${t}, ${e}]`);
    if (i > 0 && !(t > (equity[i - 1] as EquityPoint)[0])) throw new InvariantError(`equity timestamps must ascend (index ${i})`);
  }
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

function finiteOrNull(x: number | null): number | null {
  return x !== null && Number.isFinite(x) ? x : null;
}
