import type { Candle, Fill } from '../../core/index.js';
import { MS_PER_YEAR } from '../metrics.js';
import type { EquityPoint, Trade } from '../result.js';
import { averageDeployed, feesShareOfGrossProfit } from './baselines.js';

export interface TradingStats {
  readonly trades: number;
  /** Mean time from entry to exit of the round trips, hours. */
  readonly avgHoldingHours: number | null;
  /** Share of round trips by exit reason (signal, stop, take_profit, trailing, end_of_data, ...). */
  readonly exitsByReason: Readonly<Record<string, number>>;
  /** Quote notional traded per year, in multiples of the mean equity. */
  readonly annualTurnover: number | null;
  /** Share of bars with a position. */
  readonly timeInMarket: number | null;
  /** Mean over bars of position notional / equity, positions marked at each close. */
  readonly avgCapitalDeployed: number | null;
  readonly feesPaidQuote: number;
  readonly feesShareOfGrossProfit: number | null;
}

/**
 * Position notional at each equity point, rebuilt from the fills (a fill is stamped with the open
 * time of the candle it happened in, so it counts from that bar's close on) and each market's close.
 */
export function deployedNotional(
  equity: readonly EquityPoint[],
  fills: readonly Fill[],
  markets: readonly { readonly symbol: string; readonly candles: readonly Candle[] }[],
): number[] {
  const state = markets.map((m) => ({ symbol: m.symbol, candles: m.candles, ci: -1, qty: 0 }));
  const bySymbol = new Map(state.map((s) => [s.symbol, s]));
  const sorted = [...fills].sort((a, b) => a.timeMs - b.timeMs);
  let fi = 0;
  return equity.map(([t]) => {
    for (; fi < sorted.length && (sorted[fi] as Fill).timeMs <= t; fi++) {
      const f = sorted[fi] as Fill;
      const s = bySymbol.get(f.symbol);
      if (s !== undefined) s.qty += f.side === 'buy' ? f.qtyBase : -f.qtyBase;
    }
    let total = 0;
    for (const s of state) {
      while (s.ci + 1 < s.candles.length && (s.candles[s.ci + 1] as Candle).openTimeMs <= t) s.ci++;
      const close = s.ci >= 0 ? (s.candles[s.ci] as Candle).close : 0;
      total += Math.abs(s.qty) * close;
    }
    return total;
  });
}

export function tradingStats(input: {
  readonly equity: readonly EquityPoint[];
  readonly exposed: readonly boolean[];
  readonly trades: readonly Trade[];
  readonly fills: readonly Fill[];
  readonly feesPaidQuote: number;
  readonly markets: readonly { readonly symbol: string; readonly candles: readonly Candle[] }[];
}): TradingStats {
  const { equity, trades, fills } = input;
  const reasons: Record<string, number> = {};
  for (const t of trades) reasons[t.exitReason] = (reasons[t.exitReason] ?? 0) + 1;
  for (const k of Object.keys(reasons)) reasons[k] = (reasons[k] as number) / trades.length;
  const holding = trades.length > 0 ? trades.reduce((s, t) => s + (t.exitTimeMs - t.entryTimeMs), 0) / trades.length / 3_600_000 : null;
  const meanEquity = equity.length > 0 ? equity.reduce((s, [, e]) => s + e, 0) / equity.length : 0;
  const years = equity.length > 1 ? ((equity.at(-1) as EquityPoint)[0] - (equity[0] as EquityPoint)[0]) / MS_PER_YEAR : 0;
  const traded = fills.reduce((s, f) => s + f.qtyBase * f.priceQuote, 0);
  const notional = deployedNotional(equity, fills, input.markets);
  return {
    trades: trades.length,
    avgHoldingHours: holding,
    exitsByReason: reasons,
    annualTurnover: years > 0 && meanEquity > 0 ? traded / meanEquity / years : null,
    timeInMarket: input.exposed.length > 0 ? input.exposed.filter(Boolean).length / input.exposed.length : null,
    avgCapitalDeployed: averageDeployed(
      equity,
      equity.map(([t], i) => [t, notional[i] as number] as const),
    ),
    feesPaidQuote: input.feesPaidQuote,
    feesShareOfGrossProfit: feesShareOfGrossProfit(trades, input.feesPaidQuote),
  };
}
