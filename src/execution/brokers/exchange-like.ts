/**
 * The slice of a ccxt exchange instance the broker and `wick doctor` use, typed structurally so
 * brokers take the instance by injection (src/market builds it; brokers never import src/market).
 * A ccxt `Exchange` satisfies it as is.
 */
export interface CcxtExchangeLike {
  /** Used only to scrub secrets from messages. */
  readonly apiKey?: string;
  readonly secret?: string;
  loadMarkets(reload?: boolean): Promise<Record<string, unknown>>;
  createOrder(symbol: string, type: string, side: string, amount: number, price?: number, params?: Record<string, unknown>): Promise<unknown>;
  /** Binance: `fetchOrder(undefined, symbol, { origClientOrderId })` looks an order up by client id. */
  fetchOrder(id: string | undefined, symbol?: string, params?: Record<string, unknown>): Promise<unknown>;
  cancelOrder(id: string | undefined, symbol?: string, params?: Record<string, unknown>): Promise<unknown>;
  fetchOpenOrders(symbol?: string, since?: number, limit?: number, params?: Record<string, unknown>): Promise<unknown[]>;
  fetchMyTrades(symbol?: string, since?: number, limit?: number, params?: Record<string, unknown>): Promise<unknown[]>;
  fetchBalance(params?: Record<string, unknown>): Promise<unknown>;
  /** Re-measures the offset between local and exchange clocks (ccxt binance: `options.timeDifference`). */
  loadTimeDifference?(params?: Record<string, unknown>): Promise<unknown>;
}
