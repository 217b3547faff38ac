import type { ClosedCandle, SeriesKey } from './candle.js';
import type { Fill, MarketRules, Order, OrderRequest } from './trading.js';

/** Where closed candles come from: a ccxt websocket, a CSV replay. */
export interface CandleSource {
  /** Closed candles in time order per series; ends when the source is closed or exhausted. */
  closedCandles(): AsyncIterable<ClosedCandle>;
  /** Optional: the same candles in batches that may be published together (a replay at full speed). */
  closedCandleBatches?(): AsyncIterable<readonly ClosedCandle[]>;
  close(): Promise<void>;
}

export interface Balance {
  readonly freeQuote: number;
  readonly totalQuote: number;
  /** Base-asset holdings by currency code. */
  readonly base: Readonly<Record<string, number>>;
}

export type PlaceOrderResult =
  | { readonly status: 'accepted'; readonly order: Order; readonly fills: readonly Fill[] }
  | { readonly status: 'denied'; readonly reason: { readonly code: string; readonly message: string } }
  | { readonly status: 'unknown'; readonly reason: { readonly code: string; readonly message: string } };

/** Where orders go: a ccxt exchange, or simulated fills (paper and backtest). */
export interface Broker {
  readonly name: string;
  /** Whether the venue holds native stop orders for this symbol. */
  supportsNativeStops(symbol: string): boolean;
  marketRules(symbol: string): MarketRules;
  placeOrder(request: OrderRequest): Promise<PlaceOrderResult>;
  cancelOrder(symbol: string, clientOrderId: string): Promise<Order | null>;
  fetchOrder(symbol: string, clientOrderId: string): Promise<Order | null>;
  fetchOpenOrders(symbol?: string): Promise<readonly Order[]>;
  fetchFills(symbol: string, sinceMs: number): Promise<readonly Fill[]>;
  fetchBalance(): Promise<Balance>;
}

/** Model metadata the rest of the system relies on. */
export interface SignalModelInfo {
  readonly modelId: string;
  readonly specHash: string;
  readonly windowLength: number;
  readonly featureCount: number;
  readonly horizons: readonly number[];
  readonly target: 'ratio' | 'probability';
  readonly executionProvider: string;
}

/** Turns feature windows into predictions. */
export interface SignalModel {
  readonly info: SignalModelInfo;
  /**
   * windows: (batch, windowLength, featureCount) row-major, normalised features.
   * Returns (batch, horizons.length) in the prediction's units: close ratios for 'ratio' models
   * (1.002 = +0.2%), probabilities for 'probability' models.
   */
  predict(windows: Float32Array, batch: number): Promise<Float64Array>;
  close(): Promise<void>;
}

export type { SeriesKey };
