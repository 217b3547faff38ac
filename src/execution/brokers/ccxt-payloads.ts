import { z } from 'zod';
import type { Fill, MarketRules, OrderPurpose, OrderSide, OrderStatus, OrderType } from '../../core/index.js';

/** ccxt leaves absent fields undefined and sometimes null: treat both as absent. */
const num = z.number().finite().nullish();
/**
 * A time in epoch ms. Binance answers `workingTime: -1` for a stop not yet triggered and ccxt can
 * take that as the order's timestamp: a time that is not positive is missing, never stored.
 */
const time = z
  .number()
  .nullish()
  .transform((v) => (v !== undefined && v !== null && Number.isFinite(v) && v > 0 ? v : undefined));
const str = z.string().nullish();

export const ccxtFeeSchema = z.object({ cost: num, currency: str });

/** The unified trade fields wick reads (fetchMyTrades, and order.trades of a FULL order response). */
export const ccxtTradeSchema = z.object({
  id: z.union([z.string(), z.number()]).nullish(),
  order: z.union([z.string(), z.number()]).nullish(),
  clientOrderId: str,
  timestamp: time,
  symbol: str,
  side: z.enum(['buy', 'sell']).nullish(),
  price: z.number().finite().positive(),
  amount: z.number().finite().nonnegative(),
  fee: ccxtFeeSchema.nullish(),
});
export type CcxtTrade = z.infer<typeof ccxtTradeSchema>;

/** The unified order fields wick reads. */
export const ccxtOrderSchema = z.object({
  id: z.union([z.string(), z.number()]).nullish(),
  clientOrderId: str,
  timestamp: time,
  lastTradeTimestamp: time,
  lastUpdateTimestamp: time,
  symbol: z.string(),
  type: str,
  side: z.enum(['buy', 'sell']),
  price: num,
  average: num,
  cost: num,
  amount: num,
  filled: num,
  status: str,
  triggerPrice: num,
  stopPrice: num,
  trades: z.array(ccxtTradeSchema).nullish(),
});
export type CcxtOrder = z.infer<typeof ccxtOrderSchema>;

export const ccxtBalanceSchema = z.object({
  free: z.record(z.string(), z.number().nullish()).default({}),
  total: z.record(z.string(), z.number().nullish()).default({}),
});

/** The part of a loaded ccxt market wick relies on (precision mode TICK_SIZE: precision values are increments). */
export const ccxtMarketSchema = z.object({
  symbol: z.string(),
  base: z.string(),
  quote: z.string(),
  spot: z.boolean().nullish(),
  precision: z.object({ price: z.number().positive(), amount: z.number().positive() }),
  limits: z.object({
    amount: z.object({ min: num, max: num }).nullish(),
    market: z.object({ max: num }).nullish(),
    cost: z.object({ min: num }).nullish(),
  }),
  /** The exchange's own market entry: Binance's filters, for those ccxt does not unify. */
  info: z.object({ filters: z.array(z.record(z.string(), z.unknown())).nullish() }).nullish(),
});
export type CcxtMarket = z.infer<typeof ccxtMarketSchema>;

const multiplier = z.coerce.number().finite().positive();
const percentPriceBySideSchema = z.object({
  filterType: z.literal('PERCENT_PRICE_BY_SIDE'),
  bidMultiplierUp: multiplier,
  bidMultiplierDown: multiplier,
  askMultiplierUp: multiplier,
  askMultiplierDown: multiplier,
});

export function marketRulesOf(m: CcxtMarket): MarketRules {
  const maxQty = m.limits.amount?.max;
  const marketMax = m.limits.market?.max;
  const band = (m.info?.filters ?? []).map((f) => percentPriceBySideSchema.safeParse(f)).find((r) => r.success)?.data;
  return Object.freeze({
    symbol: m.symbol,
    tickSize: m.precision.price,
    stepSize: m.precision.amount,
    minQtyBase: m.limits.amount?.min ?? 0,
    minNotionalQuote: m.limits.cost?.min ?? 0,
    ...(maxQty !== undefined && maxQty !== null && maxQty > 0 ? { maxQtyBase: maxQty } : {}),
    ...(marketMax !== undefined && marketMax !== null && marketMax > 0 ? { marketMaxQtyBase: marketMax } : {}),
    ...(band !== undefined
      ? {
          percentPriceBySide: Object.freeze({
            bidUp: band.bidMultiplierUp,
            bidDown: band.bidMultiplierDown,
            askUp: band.askMultiplierUp,
            askDown: band.askMultiplierDown,
          }),
        }
      : {}),
  });
}

/** ccxt unified status → wick status. An open order with fills is partially filled. */
export function orderStatusOf(status: string | null | undefined, filled: number): OrderStatus {
  switch (status) {
    case 'open':
      return filled > 0 ? 'partially_filled' : 'open';
    case 'closed':
      return 'filled';
    case 'canceled':
    case 'cancelled':
      return 'canceled';
    case 'expired':
      return 'expired';
    case 'rejected':
      return 'rejected';
    default:
      return 'unknown';
  }
}

/** ccxt order type (Binance's lower-cased, e.g. 'stop_loss_limit') → wick order type. */
export function orderTypeOf(type: string | null | undefined, hasTrigger: boolean): OrderType {
  switch ((type ?? '').toLowerCase()) {
    case 'market':
      return 'market';
    case 'stop_loss_limit':
      return 'stop_loss_limit';
    case 'stop_loss':
    case 'stop_market':
    case 'stop':
      return 'stop_market';
    case 'take_profit_limit':
    case 'take_profit':
    case 'take_profit_market':
      return 'take_profit_limit';
    default:
      return hasTrigger ? 'stop_loss_limit' : 'limit';
  }
}

const PURPOSE_BY_CODE: Readonly<Record<string, OrderPurpose>> = Object.freeze({ E: 'entry', X: 'exit', S: 'stop', T: 'take_profit', M: 'emergency_exit' });

/** Purpose from a wick client order id (`w<code>_...`); orders placed by others count by their type. */
export function purposeOf(clientOrderId: string, type: OrderType): OrderPurpose {
  const m = /^w([EXSTM])_/.exec(clientOrderId);
  const byId = m?.[1] !== undefined ? PURPOSE_BY_CODE[m[1]] : undefined;
  if (byId !== undefined) return byId;
  if (type === 'stop_market' || type === 'stop_loss_limit') return 'stop';
  if (type === 'take_profit_limit') return 'take_profit';
  return 'entry';
}

/**
 * Fee in quote currency: quote fees as they are, base fees × price; another asset (e.g. BNB) has
 * no price here and yields undefined (the caller decides).
 */
export function feeQuoteOf(
  fee: { cost?: number | null | undefined; currency?: string | null | undefined } | null | undefined,
  base: string,
  quote: string,
  priceQuote: number,
): number | undefined {
  const cost = fee?.cost ?? 0;
  if (cost === 0) return 0;
  if (fee?.currency === quote || fee?.currency === undefined || fee.currency === null) return cost;
  if (fee.currency === base) return cost * priceQuote;
  return undefined;
}

/**
 * A ccxt trade as a wick Fill. A buy whose fee was taken in the base asset (Binance's default
 * without BNB) delivers `amount − fee` coins: the fill says so (qtyBase net, fee in quote), so the
 * position matches the coins the account holds and a stop for the whole position is sellable.
 * Cash stays exact: net × price + fee × price = amount × price.
 */
export function fillOf(t: CcxtTrade, clientOrderId: string, symbol: string, side: OrderSide, feeQuote: number, fallbackTimeMs: number, base?: string): Fill {
  if (t.id === undefined || t.id === null) throw new TypeError('trade without id');
  const fillSide = t.side ?? side;
  const baseFee = base !== undefined && fillSide === 'buy' && t.fee?.currency === base ? (t.fee.cost ?? 0) : 0;
  return Object.freeze({
    tradeId: String(t.id),
    clientOrderId,
    symbol,
    side: fillSide,
    qtyBase: t.amount - baseFee,
    priceQuote: t.price,
    feeQuote,
    timeMs: t.timestamp ?? fallbackTimeMs,
  });
}
