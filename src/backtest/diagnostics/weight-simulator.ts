import { InvariantError, type Candle } from '../../core/index.js';
import type { EquityPoint, Trade } from '../result.js';

export interface WeightCosts {
  readonly feeBps: number;
  readonly slippageBps: number;
}

export interface WeightRun {
  /** Point i: equity marked at candle i's close, stamped with its open time; point 0 is the cash. */
  readonly equity: readonly EquityPoint[];
  /** Position notional at each close. */
  readonly notional: readonly EquityPoint[];
  readonly exposed: readonly boolean[];
  readonly trades: readonly Trade[];
  readonly feesPaidQuote: number;
  /** Quote notional bought and sold. */
  readonly tradedQuote: number;
}

/**
 * Long-only rule runner for the baselines, with the strategy's fill rule and costs: the target
 * weight decided at candle i's close (targets[i], a fraction of equity; NaN = keep the current one)
 * is traded at candle i+1's open, buys at open × (1 + slippage), sells at open × (1 − slippage),
 * the fee charged on the traded notional. A position is only traded when the target changes, so a
 * constant target buys once and holds. A buy never spends more than the cash.
 */
export function simulateTargetWeights(
  candles: readonly Candle[],
  targets: ArrayLike<number>,
  initialQuote: number,
  costs: WeightCosts,
  symbol: string,
): WeightRun {
  if (targets.length !== candles.length) throw new InvariantError(`targets (${targets.length}) must match candles (${candles.length})`);
  const fee = costs.feeBps / 10_000;
  const slip = costs.slippageBps / 10_000;
  let cash = initialQuote;
  let qty = 0;
  let current = 0;
  let pending = Number.NaN;
  let fees = 0;
  let traded = 0;
  let open = null as { timeMs: number; cost: number; qty: number; fee: number } | null;
  const trades: Trade[] = [];
  const equity: EquityPoint[] = [];
  const notional: EquityPoint[] = [];
  const exposed: boolean[] = [];
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i] as Candle;
    if (!Number.isNaN(pending) && pending !== current) {
      const target = pending;
      current = target;
      const value = cash + qty * c.open;
      const delta = (target * value) / c.open - qty;
      if (delta > 0) {
        const price = c.open * (1 + slip);
        const buy = Math.min(delta, cash / (price * (1 + fee)));
        const f = buy * price * fee;
        cash -= buy * price + f;
        qty += buy;
        fees += f;
        traded += buy * price;
        open ??= { timeMs: c.openTimeMs, cost: 0, qty: 0, fee: 0 };
        open.cost += buy * price;
        open.qty += buy;
        open.fee += f;
      } else if (delta < 0 && qty > 0) {
        const price = c.open * (1 - slip);
        const sell = Math.min(-delta, qty);
        const f = sell * price * fee;
        cash += sell * price - f;
        qty = target === 0 ? 0 : qty - sell;
        fees += f;
        traded += sell * price;
        if (open !== null) {
          const share = sell / open.qty;
          const basis = open.cost * share;
          const entryFee = open.fee * share;
          if (qty === 0) {
            trades.push({
              symbol,
              side: 'long',
              entryTimeMs: open.timeMs,
              entryPrice: open.cost / open.qty,
              exitTimeMs: c.openTimeMs,
              exitPrice: price,
              qty: sell,
              fee: entryFee + f,
              pnl: sell * price - basis - entryFee - f,
              exitReason: 'signal',
            });
            open = null;
          } else {
            open.cost -= basis;
            open.qty -= sell;
            open.fee -= entryFee;
          }
        }
      }
    }
    pending = targets[i] as number;
    equity.push([c.openTimeMs, i === 0 ? initialQuote : cash + qty * c.close]);
    notional.push([c.openTimeMs, i === 0 ? 0 : qty * c.close]);
    exposed.push(i > 0 && qty > 0);
  }
  const last = candles.at(-1);
  if (open !== null && last !== undefined) {
    trades.push({
      symbol,
      side: 'long',
      entryTimeMs: open.timeMs,
      entryPrice: open.cost / open.qty,
      exitTimeMs: last.openTimeMs,
      exitPrice: last.close,
      qty: open.qty,
      fee: open.fee,
      pnl: open.qty * last.close - open.cost - open.fee,
      exitReason: 'end_of_data',
    });
  }
  return { equity, notional, exposed, trades, feesPaidQuote: fees, tradedQuote: traded };
}
