import type { Candle, OrderSide } from '../core/index.js';

/**
 * Pure fill rules shared by the PaperBroker (paper mode and backtest) and the client-side stop
 * guard. All prices in quote. A "sell stop" protects a long; a "buy stop" protects a short.
 *
 * - Market orders fill at the open of the candle AFTER the one that produced the signal, moved
 *   against the trader by `slippageBps`, paying the taker fee.
 * - Stops trigger on the candle's range; a gap through the stop fills at the (worse) open.
 * - Take-profits and limit orders need a trade-through: price strictly beyond the limit; they fill
 *   at the limit, never at a better gap price (conservative).
 * - Stop and take-profit both inside one candle: the stop (adverse) fills first.
 */
export interface FillModelConfig {
  readonly slippageBps: number;
  readonly takerFeeBps: number;
  readonly makerFeeBps: number;
}

export const DEFAULT_FILL_MODEL: FillModelConfig = Object.freeze({ slippageBps: 5, takerFeeBps: 10, makerFeeBps: 10 });

/** Price paid (buy) or received (sell) for a market-like execution at `refPriceQuote`. */
export function slippedPrice(side: OrderSide, refPriceQuote: number, slippageBps: number): number {
  const f = slippageBps / 10_000;
  return side === 'buy' ? refPriceQuote * (1 + f) : refPriceQuote * (1 - f);
}

export function feeQuote(qtyBase: number, priceQuote: number, feeBps: number): number {
  return (qtyBase * priceQuote * feeBps) / 10_000;
}

/**
 * Trigger price of a stop order within `candle`, before slippage, or NaN if not triggered.
 * side is the stop ORDER's side (sell for a long's stop).
 */
export function stopTriggerPrice(side: OrderSide, triggerQuote: number, candle: Candle): number {
  if (side === 'sell') {
    if (candle.open <= triggerQuote) return candle.open;
    if (candle.low <= triggerQuote) return triggerQuote;
    return Number.NaN;
  }
  if (candle.open >= triggerQuote) return candle.open;
  if (candle.high >= triggerQuote) return triggerQuote;
  return Number.NaN;
}

/** Fill price of a limit (or take-profit) order within `candle`: the limit on a strict trade-through, else NaN. */
export function limitFillPrice(side: OrderSide, limitQuote: number, candle: Candle): number {
  if (side === 'sell') return candle.high > limitQuote ? limitQuote : Number.NaN;
  return candle.low < limitQuote ? limitQuote : Number.NaN;
}

export type ProtectiveHit = 'stop' | 'take_profit' | 'none';

/**
 * Which protective level a position hits within one candle; the stop wins when both do (we cannot
 * know the path inside the candle, so assume the adverse one came first).
 * positionSide: +1 long, -1 short. Use NaN for an absent level.
 */
export function protectiveHit(positionSign: number, stopQuote: number, takeProfitQuote: number, candle: Candle): ProtectiveHit {
  const exitSide: OrderSide = positionSign > 0 ? 'sell' : 'buy';
  if (!Number.isNaN(stopQuote) && !Number.isNaN(stopTriggerPrice(exitSide, stopQuote, candle))) return 'stop';
  if (!Number.isNaN(takeProfitQuote) && !Number.isNaN(limitFillPrice(exitSide, takeProfitQuote, candle))) return 'take_profit';
  return 'none';
}
