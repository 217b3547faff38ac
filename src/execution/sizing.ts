import type { MarketRules } from '../core/index.js';
import { InvariantError } from '../core/index.js';
import { floorToStep } from './rounding.js';

/**
 * How an intent's target fraction becomes a target position:
 * - `proportional` (the preset): targetFraction × equity, in quote, at the reference price.
 * - `fixed_fraction`: a constant fraction of equity whenever the intent wants a position (its sign).
 * - `volatility_target`: risk `riskFraction` of equity per `atrMultiple` ATRs of adverse move,
 *   i.e. qty = riskFraction × equity / (atrMultiple × ATR), signed like the intent.
 * - `annual_volatility_target`: notional = targetAnnualVol / realised annual volatility × equity,
 *   the realised volatility estimated as ATR / price × √barsPerYear (the ATR as a per-bar range).
 * Caps apply afterwards: |notional| <= maxFraction × equity and <= maxNotionalQuote.
 */
export type SizingMode =
  | { readonly kind: 'proportional' }
  | { readonly kind: 'fixed_fraction'; readonly fraction: number }
  | { readonly kind: 'volatility_target'; readonly riskFraction: number; readonly atrMultiple: number }
  | { readonly kind: 'annual_volatility_target'; readonly targetAnnualVol: number; readonly barsPerYear: number };

export interface SizingConfig {
  readonly mode: SizingMode;
  /** Largest position as a fraction of equity (1 = all in). Leave headroom for fees and slippage. */
  readonly maxFraction: number;
  /** Largest position notional in quote (Infinity = none). */
  readonly maxNotionalQuote: number;
}

export const DEFAULT_SIZING: SizingConfig = Object.freeze({
  mode: Object.freeze({ kind: 'proportional' as const }),
  maxFraction: 0.99,
  maxNotionalQuote: Number.POSITIVE_INFINITY,
});

export interface TargetInput {
  readonly targetFraction: number;
  readonly equityQuote: number;
  readonly priceQuote: number;
  /** Average true range in quote, required by `volatility_target`. */
  readonly atrQuote?: number | undefined;
}

/** Signed target position in base units (not yet rounded to the market's step). */
export function targetQtyBase(config: SizingConfig, input: TargetInput): number {
  const { targetFraction, equityQuote, priceQuote } = input;
  if (!Number.isFinite(targetFraction) || !Number.isFinite(equityQuote) || !(priceQuote > 0)) {
    throw new InvariantError(`sizing inputs must be finite (fraction ${targetFraction}, equity ${equityQuote}, price ${priceQuote})`);
  }
  if (targetFraction === 0 || equityQuote <= 0) return 0;
  const sign = Math.sign(targetFraction);
  let notionalQuote: number;
  const mode = config.mode;
  switch (mode.kind) {
    case 'proportional':
      notionalQuote = Math.abs(targetFraction) * equityQuote;
      break;
    case 'fixed_fraction':
      notionalQuote = mode.fraction * equityQuote;
      break;
    case 'volatility_target': {
      const atr = input.atrQuote;
      if (atr === undefined || !(atr > 0)) return 0;
      notionalQuote = ((mode.riskFraction * equityQuote) / (mode.atrMultiple * atr)) * priceQuote;
      break;
    }
    case 'annual_volatility_target': {
      const atr = input.atrQuote;
      if (atr === undefined || !(atr > 0)) return 0;
      const realisedAnnualVol = (atr / priceQuote) * Math.sqrt(mode.barsPerYear);
      notionalQuote = (mode.targetAnnualVol / realisedAnnualVol) * equityQuote;
      break;
    }
  }
  notionalQuote = Math.min(notionalQuote, config.maxFraction * equityQuote, config.maxNotionalQuote);
  return (sign * notionalQuote) / priceQuote;
}

export const SIZING_SKIP_CODES = ['ZERO_QTY', 'BELOW_MIN_QTY', 'BELOW_MIN_NOTIONAL'] as const;
export type SizingSkipCode = (typeof SIZING_SKIP_CODES)[number];

export type SizedQty =
  | { readonly status: 'ok'; readonly qtyBase: number; readonly notionalQuote: number }
  | {
      readonly status: 'skipped';
      readonly reason: { readonly code: SizingSkipCode; readonly message: string; readonly qtyBase: number; readonly notionalQuote: number };
    };

/**
 * Rounds an order quantity for a market: truncated DOWN to stepSize (never more than asked), then
 * refused as a value when below minQty or minNotional (at the reference price) — such an order is
 * never sent.
 */
export function roundOrderQty(qtyBase: number, priceQuote: number, rules: MarketRules): SizedQty {
  if (!(qtyBase >= 0) || !(priceQuote > 0)) throw new InvariantError(`order qty must be >= 0 and price > 0 (qty ${qtyBase}, price ${priceQuote})`);
  const qty = floorToStep(qtyBase, rules.stepSize);
  const notionalQuote = qty * priceQuote;
  if (qty <= 0) {
    return {
      status: 'skipped',
      reason: { code: 'ZERO_QTY', message: `quantity ${qtyBase} rounds to 0 at step ${rules.stepSize}`, qtyBase: qty, notionalQuote },
    };
  }
  if (qty < rules.minQtyBase) {
    return { status: 'skipped', reason: { code: 'BELOW_MIN_QTY', message: `quantity ${qty} below minimum ${rules.minQtyBase}`, qtyBase: qty, notionalQuote } };
  }
  if (notionalQuote < rules.minNotionalQuote) {
    return {
      status: 'skipped',
      reason: { code: 'BELOW_MIN_NOTIONAL', message: `notional ${notionalQuote} below minimum ${rules.minNotionalQuote}`, qtyBase: qty, notionalQuote },
    };
  }
  return { status: 'ok', qtyBase: qty, notionalQuote };
}
