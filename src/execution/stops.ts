import type { Candle } from '../core/index.js';
import { InvariantError } from '../core/index.js';
import { ceilToStep, floorToStep } from './rounding.js';

/**
 * Protective levels for a position. Distances are either a fraction of the entry price (`pct`,
 * 0.02 = 2 %) or a multiple of the ATR at entry (`atr`). Without an ATR an `atr` rule falls back
 * to `fallbackPct` so that no entry is ever left without a stop.
 *
 * Rounding to tickSize (conservative, documented): a stop is rounded AWAY from the entry (a long's
 * stop DOWN, a short's stop UP) so the tick never makes it trigger earlier than the rule says; a
 * take-profit is rounded away from the entry too (a long's target UP), never settling for less.
 */
export type Distance = { readonly kind: 'pct'; readonly pct: number } | { readonly kind: 'atr'; readonly multiple: number; readonly fallbackPct: number };

export interface StopConfig {
  readonly stopLoss: Distance;
  readonly takeProfit?: Distance;
  /** Trailing distance, ratcheted on closed candles from the best price since entry. */
  readonly trailing?: Distance;
}

export const DEFAULT_STOPS: StopConfig = Object.freeze({ stopLoss: Object.freeze({ kind: 'pct' as const, pct: 0.02 }) });

export function distanceQuote(distance: Distance, referenceQuote: number, atrQuote: number | undefined): number {
  if (distance.kind === 'pct') return distance.pct * referenceQuote;
  if (atrQuote !== undefined && atrQuote > 0) return distance.multiple * atrQuote;
  return distance.fallbackPct * referenceQuote;
}

/** Stop price for a position, rounded away from the market to the tick (long: down, short: up). */
export function roundStop(positionSign: number, priceQuote: number, tickSize: number): number {
  return positionSign > 0 ? floorToStep(priceQuote, tickSize) : ceilToStep(priceQuote, tickSize);
}

/** Take-profit price, rounded away from the entry to the tick (long: up, short: down). */
export function roundTakeProfit(positionSign: number, priceQuote: number, tickSize: number): number {
  return positionSign > 0 ? ceilToStep(priceQuote, tickSize) : floorToStep(priceQuote, tickSize);
}

export interface ProtectiveLevels {
  readonly stopPriceQuote: number;
  /** NaN when no take-profit is configured. */
  readonly takeProfitPriceQuote: number;
}

export function protectiveLevels(
  config: StopConfig,
  positionSign: number,
  entryQuote: number,
  atrQuote: number | undefined,
  tickSize: number,
): ProtectiveLevels {
  if (!(entryQuote > 0) || positionSign === 0)
    throw new InvariantError(`protective levels need an open position and a positive entry (sign ${positionSign}, entry ${entryQuote})`);
  const stopDist = distanceQuote(config.stopLoss, entryQuote, atrQuote);
  let stop = roundStop(positionSign, entryQuote - positionSign * stopDist, tickSize);
  if (!(stop > 0)) stop = tickSize;
  let tp = Number.NaN;
  if (config.takeProfit) tp = roundTakeProfit(positionSign, entryQuote + positionSign * distanceQuote(config.takeProfit, entryQuote, atrQuote), tickSize);
  return { stopPriceQuote: stop, takeProfitPriceQuote: tp };
}

/** A per-symbol stop guard: the levels protecting one position, and the trailing state. */
export interface GuardState {
  readonly symbol: string;
  /** +1 long, -1 short. */
  positionSign: number;
  stopPriceQuote: number;
  takeProfitPriceQuote: number;
  /** Best price since entry (highest high for a long, lowest low for a short). */
  bestPriceQuote: number;
  /** ATR captured at arming, used by ATR-based trailing distances. */
  atrQuote: number | undefined;
  /** Whether the venue holds the stop (false: evaluated client-side on every closed candle). */
  native: boolean;
}

/**
 * Ratchets a trailing stop from a closed candle. Returns true if the stop moved. The stop only ever
 * moves in the favourable direction (up for a long), by at least one tick.
 */
export function ratchetTrailing(guard: GuardState, trailing: Distance | undefined, candle: Candle, tickSize: number): boolean {
  if (guard.positionSign > 0) {
    if (candle.high > guard.bestPriceQuote) guard.bestPriceQuote = candle.high;
  } else if (candle.low < guard.bestPriceQuote) guard.bestPriceQuote = candle.low;
  if (trailing === undefined) return false;
  const dist = distanceQuote(trailing, guard.bestPriceQuote, guard.atrQuote);
  const candidate = roundStop(guard.positionSign, guard.bestPriceQuote - guard.positionSign * dist, tickSize);
  if (guard.positionSign > 0 ? candidate > guard.stopPriceQuote : candidate < guard.stopPriceQuote) {
    guard.stopPriceQuote = candidate;
    return true;
  }
  return false;
}
