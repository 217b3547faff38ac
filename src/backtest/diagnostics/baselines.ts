import { InvariantError, type Candle } from '../../core/index.js';
import { computeMetrics } from '../metrics.js';
import { sumCurvesOnUnion } from '../metrics-buy-and-hold.js';
import type { EquityPoint, Metrics, Trade } from '../result.js';
import { simulateTargetWeights, type WeightCosts, type WeightRun } from './weight-simulator.js';

/** Target weight per candle (decided at its close), NaN = keep. */
export type BaselineRule = (candles: readonly Candle[]) => Float64Array;

export const flatRule: BaselineRule = (candles) => new Float64Array(candles.length);

export function constantRule(weight: number): BaselineRule {
  return (candles) => new Float64Array(candles.length).fill(weight);
}

/** Long `weight` while the fast simple moving average of closes is above the slow one, else flat. */
export function movingAverageCrossoverRule(fast: number, slow: number, weight: number): BaselineRule {
  if (!(Number.isInteger(fast) && Number.isInteger(slow) && fast >= 1 && slow > fast))
    throw new InvariantError(`moving averages need 1 <= fast < slow, got ${fast}, ${slow}`);
  return (candles) => {
    const out = new Float64Array(candles.length).fill(Number.NaN);
    let sumFast = 0;
    let sumSlow = 0;
    candles.forEach((c, i) => {
      sumFast += c.close;
      sumSlow += c.close;
      if (i >= fast) sumFast -= (candles[i - fast] as Candle).close;
      if (i >= slow) sumSlow -= (candles[i - slow] as Candle).close;
      if (i >= slow - 1) out[i] = sumFast / fast > sumSlow / slow ? weight : 0;
    });
    return out;
  };
}

/** "Opposite of the last return", long-only: long `weight` after a falling candle, flat after a rising one. */
export function oppositeOfLastReturnRule(weight: number): BaselineRule {
  return (candles) => {
    const out = new Float64Array(candles.length).fill(Number.NaN);
    for (let i = 1; i < candles.length; i++) {
      const r = (candles[i] as Candle).close / (candles[i - 1] as Candle).close - 1;
      out[i] = r < 0 ? weight : r > 0 ? 0 : Number.NaN;
    }
    return out;
  };
}

export interface BaselineResult {
  readonly name: string;
  readonly metrics: Metrics;
  /** Share of bars with a position. */
  readonly timeInMarket: number | null;
  /** Mean over bars of position notional / equity. */
  readonly avgCapitalDeployed: number | null;
  /** Fees / (net PnL + fees) of the round trips; null when trading before fees made no profit. */
  readonly feesShareOfGrossProfit: number | null;
}

/** Fees as a share of the round trips' profit before fees; null when that profit is not positive. */
export function feesShareOfGrossProfit(trades: readonly Trade[], feesQuote: number): number | null {
  let net = 0;
  for (const t of trades) net += t.pnl;
  const gross = net + feesQuote;
  return gross > 0 ? feesQuote / gross : null;
}

/** Mean of notional / equity over the bars (point by point, same timestamps). */
export function averageDeployed(equity: readonly EquityPoint[], notional: readonly EquityPoint[]): number | null {
  if (equity.length === 0) return null;
  let s = 0;
  equity.forEach(([, e], i) => {
    const n = (notional[i] as EquityPoint)[1];
    s += e > 0 ? n / e : 0;
  });
  return s / equity.length;
}

export interface BaselineMarket {
  readonly symbol: string;
  /** Candles including warm-up history; only those at or after `fromMs` are traded. */
  readonly candles: readonly Candle[];
}

/**
 * Runs one rule on every market with an equal share of the capital (like the buy-and-hold
 * benchmark), over candles at or after `fromMs`; the rule sees the earlier candles as history.
 */
export function runBaseline(
  name: string,
  rule: BaselineRule,
  markets: readonly BaselineMarket[],
  options: WeightCosts & { readonly initialEquityQuote: number; readonly fromMs: number; readonly barsPerYear: number },
): BaselineResult {
  const share = options.initialEquityQuote / Math.max(1, markets.length);
  const legs: WeightRun[] = markets.map((m) => {
    const targets = rule(m.candles);
    const first = m.candles.findIndex((c) => c.openTimeMs >= options.fromMs);
    const from = first < 0 ? m.candles.length : first;
    return simulateTargetWeights(m.candles.slice(from), targets.subarray(from), share, options, m.symbol);
  });
  const equity = sumCurvesOnUnion(
    legs.map((l) => l.equity),
    legs.map(() => share),
  );
  const notional = sumCurvesOnUnion(
    legs.map((l) => l.notional),
    legs.map(() => 0),
  );
  const exposed = notional.map(([, n]) => n > 0);
  const trades = legs.flatMap((l) => l.trades);
  const fees = legs.reduce((s, l) => s + l.feesPaidQuote, 0);
  const metrics = computeMetrics({ equity, trades, exposed, barsPerYear: options.barsPerYear, feesPaidQuote: fees });
  return {
    name,
    metrics,
    timeInMarket: metrics.exposure,
    avgCapitalDeployed: averageDeployed(equity, notional),
    feesShareOfGrossProfit: feesShareOfGrossProfit(trades, fees),
  };
}

export interface BaselineSettings {
  /** The most of its equity the strategy can hold (all markets together); each baseline holds at most this much. */
  readonly exposureCap: number;
  readonly fastBars?: number;
  readonly slowBars?: number;
}

/**
 * The baselines every backtest report carries, under the strategy's costs and bars: flat,
 * buy-and-hold at 100 % and at the strategy's exposure cap, a moving-average crossover and
 * "opposite of the last return" (both at the cap).
 */
export function standardBaselines(
  markets: readonly BaselineMarket[],
  settings: BaselineSettings,
  options: WeightCosts & { readonly initialEquityQuote: number; readonly fromMs: number; readonly barsPerYear: number },
): BaselineResult[] {
  const cap = settings.exposureCap;
  const fast = settings.fastBars ?? 24;
  const slow = settings.slowBars ?? 168;
  const pctCap = `${Math.round(cap * 100)}%`;
  return [
    runBaseline('flat', flatRule, markets, options),
    runBaseline('buy & hold 100%', constantRule(1), markets, options),
    runBaseline(`buy & hold ${pctCap}`, constantRule(cap), markets, options),
    runBaseline(`MA ${fast}/${slow} crossover ${pctCap}`, movingAverageCrossoverRule(fast, slow, cap), markets, options),
    runBaseline(`opposite of last return ${pctCap}`, oppositeOfLastReturnRule(cap), markets, options),
  ];
}
