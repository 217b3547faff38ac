import { barsPerYear, type Candle, type Fill, type Timeframe } from '../core/index.js';
import type { AccountLedger, FillModelConfig } from '../execution/index.js';
import { buyAndHoldEqualWeight } from './metrics-buy-and-hold.js';
import { computeMetrics } from './metrics.js';
import type { EquityPoint, Metrics, Trade } from './result.js';

/** A finished simulated run: the account's history and its metrics against buy-and-hold. */
export interface SessionResult {
  readonly timeframe: Timeframe;
  readonly equity: readonly EquityPoint[];
  readonly exposed: readonly boolean[];
  /** Round trips closed before the data ended. */
  readonly trades: readonly Trade[];
  /** Positions still open when the data ended, marked at the last close (exitReason 'open'); not counted as trades. */
  readonly openTrades: readonly Trade[];
  readonly fills: readonly Fill[];
  readonly intents: number;
  readonly deniedByRisk: Readonly<Record<string, number>>;
  readonly feesPaidQuote: number;
  readonly candlesProcessed: number;
  readonly metrics: { readonly strategy: Metrics; readonly buyAndHold: Metrics };
  readonly buyAndHoldEquity: readonly EquityPoint[];
}

export interface RunResultConfig {
  readonly timeframe: Timeframe;
  readonly initialCashQuote: number;
  readonly fillModel: FillModelConfig;
  /** The candles each market stepped (the benchmark holds the same markets over the same bars). */
  readonly markets: readonly { readonly symbol: string; readonly candles: readonly Candle[] }[];
}

/**
 * Closes the ledger's books (positions still open are marked at the last close and kept apart from
 * the closed trades; the equity curve holds their mark) and measures the run against
 * an equal-weight basket of the same markets over the same bars, paying the same entry costs.
 */
export function finishRun(ledger: AccountLedger, config: RunResultConfig): SessionResult {
  const done = ledger.finish();
  const bpy = barsPerYear(config.timeframe);
  const strategy =
    done.equity.length > 0
      ? computeMetrics({ equity: done.equity, trades: done.trades, exposed: done.exposed, barsPerYear: bpy, feesPaidQuote: ledger.feesPaidQuote })
      : computeMetrics({ equity: [], trades: [], exposed: [], barsPerYear: bpy });
  const bh = buyAndHoldEqualWeight(config.markets, {
    initialEquityQuote: config.initialCashQuote,
    feeBps: config.fillModel.takerFeeBps,
    slippageBps: config.fillModel.slippageBps,
  });
  return {
    timeframe: config.timeframe,
    equity: done.equity,
    exposed: done.exposed,
    trades: done.trades,
    openTrades: done.openTrades,
    fills: done.fills,
    intents: ledger.intents,
    deniedByRisk: ledger.deniedByRisk,
    feesPaidQuote: ledger.feesPaidQuote,
    candlesProcessed: ledger.candlesProcessed,
    metrics: { strategy, buyAndHold: computeMetrics({ equity: bh.equity, trades: bh.trades, exposed: bh.exposed, barsPerYear: bpy }) },
    buyAndHoldEquity: bh.equity,
  };
}

/** The candles each market stepped, markets in the order they first stepped (the benchmark's order). */
export class SteppedMarkets {
  private readonly bySymbol = new Map<string, Candle[]>();

  add(symbol: string, candle: Candle): void {
    let list = this.bySymbol.get(symbol);
    if (list === undefined) this.bySymbol.set(symbol, (list = []));
    list.push(candle);
  }

  list(): readonly { readonly symbol: string; readonly candles: readonly Candle[] }[] {
    return [...this.bySymbol].map(([symbol, candles]) => ({ symbol, candles }));
  }
}
