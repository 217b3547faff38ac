import { z } from 'zod';
import { DataError, type MarketRules } from '../core/index.js';

/**
 * The parts of a ccxt market that wick trades by. Binance (like most ccxt exchanges today) reports
 * precision in TICK_SIZE mode: `precision.price` is the tick and `precision.amount` the step.
 */
const ccxtMarketSchema = z.object({
  symbol: z.string(),
  active: z.boolean().optional().nullable(),
  precision: z.object({ price: z.number().positive(), amount: z.number().positive() }),
  limits: z.object({
    amount: z.object({ min: z.number().nonnegative().nullable().optional() }).optional(),
    cost: z.object({ min: z.number().nonnegative().nullable().optional() }).optional(),
  }),
});

/** Market rules from a loaded ccxt market; refuses (with the reason) a market it cannot trade safely. */
export function marketRulesFromCcxt(market: unknown, precisionMode: number | undefined): MarketRules {
  const TICK_SIZE = 4; // ccxt's constant for precisionMode TICK_SIZE
  const parsed = ccxtMarketSchema.safeParse(market);
  if (!parsed.success) {
    const symbol = (market as { symbol?: unknown } | null)?.symbol;
    throw new DataError(
      `market ${String(symbol)} has no usable precision/limits from the exchange: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const m = parsed.data;
  if (precisionMode !== undefined && precisionMode !== TICK_SIZE) {
    throw new DataError(`market ${m.symbol}: the exchange reports precision in mode ${precisionMode}; wick supports TICK_SIZE (4) exchanges such as Binance`);
  }
  if (m.active === false) throw new DataError(`market ${m.symbol} is not active on the exchange`);
  return {
    symbol: m.symbol,
    tickSize: m.precision.price,
    stepSize: m.precision.amount,
    minQtyBase: m.limits.amount?.min ?? m.precision.amount,
    minNotionalQuote: m.limits.cost?.min ?? 0,
  };
}
