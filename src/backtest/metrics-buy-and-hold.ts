import { InvariantError, type Candle } from '../core/index.js';
import type { EquityPoint, Trade } from './result.js';

export interface BuyAndHoldOptions {
  readonly initialEquityQuote: number;
  readonly feeBps: number;
  readonly slippageBps: number;
  /** Symbol written on the single trade (default 'buy-and-hold'). */
  readonly symbol?: string;
}

/** The benchmark as `computeMetrics` input (minus barsPerYear). */
export interface BuyAndHold {
  readonly equity: readonly EquityPoint[];
  readonly trades: readonly Trade[];
  readonly exposed: readonly boolean[];
}

/**
 * Buy-and-hold benchmark, paying the same entry costs as the strategy:
 *
 * - At the close of the first candle, spend all equity: entry price = close₀ × (1 + slippageBps/10⁴),
 *   qty = E₀ / (entry × (1 + feeBps/10⁴)), entry fee = qty × entry × feeBps/10⁴.
 * - Point 0 is `[openTime₀, E₀]` (cash, before the purchase, like the strategy's first point);
 *   point i ≥ 1 is `[openTimeᵢ, qty × closeᵢ]`: the position marked at each close. The entry costs
 *   therefore show up in the first bar's return.
 * - No exit: no sell fee or slippage is charged. The single trade (exitReason 'end_of_data') is
 *   marked at the last close and its pnl is E_last - E₀, so it includes the entry costs.
 * - Exposure: flat during bar 0, invested from bar 1 on. With fewer than 2 candles there is no
 *   trade and the curve is the cash alone.
 */
export function buyAndHold(candles: readonly Candle[], options: BuyAndHoldOptions): BuyAndHold {
  const { initialEquityQuote, feeBps, slippageBps } = options;
  if (!(initialEquityQuote > 0)) throw new InvariantError(`initial equity must be positive, got ${initialEquityQuote}`);
  if (!(feeBps >= 0) || !(slippageBps >= 0)) throw new InvariantError(`fee and slippage must be non-negative bps, got ${feeBps}, ${slippageBps}`);
  candles.forEach((c, i) => {
    if (!(c.close > 0) || !Number.isFinite(c.close)) throw new InvariantError(`candle ${i} has an invalid close ${c.close}`);
  });
  const first = candles[0];
  const last = candles[candles.length - 1];
  if (first === undefined || last === undefined) return { equity: [], trades: [], exposed: [] };
  if (candles.length < 2) return { equity: [[first.openTimeMs, initialEquityQuote]], trades: [], exposed: [false] };

  const entryPrice = first.close * (1 + slippageBps / 10_000);
  const qty = initialEquityQuote / (entryPrice * (1 + feeBps / 10_000));
  const fee = qty * entryPrice * (feeBps / 10_000);
  const equity: EquityPoint[] = candles.map((c, i) => [c.openTimeMs, i === 0 ? initialEquityQuote : qty * c.close] as const);
  const finalEquity = qty * last.close;
  const trade: Trade = {
    symbol: options.symbol ?? 'buy-and-hold',
    side: 'long',
    entryTimeMs: first.openTimeMs,
    entryPrice,
    exitTimeMs: last.openTimeMs,
    exitPrice: last.close,
    qty,
    fee,
    pnl: finalEquity - initialEquityQuote,
    exitReason: 'end_of_data',
  };
  return { equity, trades: [trade], exposed: candles.map((_c, i) => i > 0) };
}

/** The buy-and-hold equity curve alone (see `buyAndHold` for the rules). */
export function buyAndHoldEquity(candles: readonly Candle[], initialEquityQuote: number, feeBps: number, slippageBps: number): readonly EquityPoint[] {
  return buyAndHold(candles, { initialEquityQuote, feeBps, slippageBps }).equity;
}

/**
 * Equal-weight buy-and-hold over several markets (a multi-symbol run's benchmark): each market
 * gets E₀ / k and follows the `buyAndHold` rules on its own candles. The curve is on the union of
 * all timestamps; a market contributes its cash share before its first candle and its last mark
 * between and after its candles. Exposed where any market is invested.
 */
export function buyAndHoldEqualWeight(
  markets: readonly { readonly symbol: string; readonly candles: readonly Candle[] }[],
  options: Omit<BuyAndHoldOptions, 'symbol'>,
): BuyAndHold {
  if (markets.length === 0) return { equity: [], trades: [], exposed: [] };
  const share = options.initialEquityQuote / markets.length;
  const legs = markets.map((m) => buyAndHold(m.candles, { ...options, initialEquityQuote: share, symbol: m.symbol }));
  const equity = sumCurvesOnUnion(
    legs.map((leg) => leg.equity),
    legs.map(() => share),
  );
  const invested = sumCurvesOnUnion(
    legs.map((leg) => leg.equity.map(([t], i) => [t, leg.exposed[i] === true ? 1 : 0] as const)),
    legs.map(() => 0),
  );
  const exposed = invested.map(([, n]) => n > 0);
  return { equity, trades: legs.flatMap((leg) => leg.trades), exposed };
}

/**
 * Sums curves that each hold a value per own timestamp on the union of their timestamps: before its
 * first point a curve contributes `before[k]`, between and after its points its last value.
 */
export function sumCurvesOnUnion(curves: readonly (readonly EquityPoint[])[], before: readonly number[]): EquityPoint[] {
  const times = [...new Set(curves.flatMap((c) => c.map(([t]) => t)))].sort((a, b) => a - b);
  const cursor = curves.map(() => -1);
  return times.map((t) => {
    let total = 0;
    curves.forEach((curve, k) => {
      let i = cursor[k] as number;
      while (i + 1 < curve.length && (curve[i + 1] as EquityPoint)[0] <= t) i++;
      cursor[k] = i;
      total += i < 0 ? (before[k] as number) : (curve[i] as EquityPoint)[1];
    });
    return [t, total] as const;
  });
}
