import type { SeriesKey } from './candle.js';

/** What a model said about one series after one closed candle. */
export interface Prediction {
  readonly series: SeriesKey;
  /** Open time of the closed candle whose window produced this prediction. */
  readonly candleOpenTimeMs: number;
  /** 'ratio': values[k] is the predicted close(t+h_k)/close(t+h_k-1); 'probability': P(return over horizons[k] > 0). */
  readonly kind: 'ratio' | 'probability';
  readonly horizons: readonly number[];
  readonly values: readonly number[];
  readonly modelId: string;
}

/** A policy's decision: the position the strategy wants, as a fraction of equity (0 = flat, 1 = all in, < 0 short). */
export interface OrderIntent {
  /** Deterministic: derived from series and candle, so a duplicate decision is recognisable. */
  readonly intentId: string;
  readonly series: SeriesKey;
  readonly candleOpenTimeMs: number;
  /** Close of the deciding candle: the reference price for sizing; fills happen later, at the next open. */
  readonly referencePriceQuote: number;
  readonly targetFraction: number;
  readonly reason: string;
  /** The signal behind the decision (e.g. averaged predicted ratio minus one), for logs and reports. */
  readonly signal: number;
  /** The model that made the decision (registry id or manifest modelId); absent from policies, set by the signal step. */
  readonly modelId?: string;
}

export type OrderSide = 'buy' | 'sell';
export type OrderType = 'market' | 'limit' | 'stop_loss_limit' | 'stop_market' | 'take_profit_limit';
/** Why an order exists; part of its client order id. */
export type OrderPurpose = 'entry' | 'exit' | 'stop' | 'take_profit' | 'emergency_exit';

/**
 * Order life cycle: new → submitted → open → partially_filled → filled | canceled | rejected | expired,
 * and unknown when the outcome of a request is ambiguous (a timeout after send) until reconciled.
 */
export const ORDER_STATUSES = ['new', 'submitted', 'open', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired', 'unknown'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const TERMINAL_ORDER_STATUSES: ReadonlySet<OrderStatus> = new Set(['filled', 'canceled', 'rejected', 'expired']);

/** A request to place an order: what the order manager hands a Broker. */
export interface OrderRequest {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly purpose: OrderPurpose;
  readonly qtyBase: number;
  /** Limit price, for limit-type orders. */
  readonly limitPriceQuote?: number;
  /** Trigger price, for stop and take-profit orders. */
  readonly triggerPriceQuote?: number;
  readonly reduceOnly?: boolean;
}

export interface Order extends OrderRequest {
  readonly exchangeOrderId?: string;
  readonly status: OrderStatus;
  readonly filledQtyBase: number;
  readonly avgFillPriceQuote: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/** One execution. `tradeId` is unique per venue: a fill is applied once, by trade id. */
export interface Fill {
  readonly tradeId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly qtyBase: number;
  readonly priceQuote: number;
  readonly feeQuote: number;
  readonly timeMs: number;
}

export interface Position {
  readonly symbol: string;
  /** Signed: > 0 long, < 0 short. */
  readonly qtyBase: number;
  readonly avgEntryPriceQuote: number;
  readonly realisedPnlQuote: number;
  readonly feesQuote: number;
  readonly openedAtMs: number;
  readonly stopPriceQuote?: number;
  readonly takeProfitPriceQuote?: number;
}

/** What a market allows (ccxt `market.precision` / `market.limits` shape, in plain numbers). */
export interface MarketRules {
  readonly symbol: string;
  /** Smallest price increment. */
  readonly tickSize: number;
  /** Smallest amount increment (base). */
  readonly stepSize: number;
  readonly minQtyBase: number;
  readonly minNotionalQuote: number;
  /** Largest quantity of any order (Binance LOT_SIZE maxQty), when the exchange says. */
  readonly maxQtyBase?: number;
  /** Largest quantity of a market order (Binance MARKET_LOT_SIZE maxQty, 128.52 on BTCUSDT), when the exchange says. */
  readonly marketMaxQtyBase?: number;
  /**
   * Binance PERCENT_PRICE_BY_SIDE: a buy's limit price must lie within [avg × bidDown, avg × bidUp],
   * a sell's within [avg × askDown, avg × askUp], avg being the recent average price.
   */
  readonly percentPriceBySide?: { readonly bidUp: number; readonly bidDown: number; readonly askUp: number; readonly askDown: number };
}
