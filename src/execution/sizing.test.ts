import { describe, expect, it } from 'vitest';
import type { MarketRules } from '../core/index.js';
import { InvariantError } from '../core/index.js';
import type { SizingConfig } from './sizing.js';
import { DEFAULT_SIZING, roundOrderQty, targetQtyBase } from './sizing.js';

const rules: MarketRules = { symbol: 'BTC/USDT', tickSize: 0.01, stepSize: 0.00001, minQtyBase: 0.0001, minNotionalQuote: 5 };
const uncapped: SizingConfig = { mode: { kind: 'proportional' }, maxFraction: 1, maxNotionalQuote: Number.POSITIVE_INFINITY };

describe('targetQtyBase', () => {
  it('proportional: fraction × equity at the reference price', () => {
    expect(targetQtyBase(uncapped, { targetFraction: 0.5, equityQuote: 10_000, priceQuote: 100 })).toBe(50);
    expect(targetQtyBase(uncapped, { targetFraction: -0.25, equityQuote: 10_000, priceQuote: 100 })).toBe(-25);
    expect(targetQtyBase(uncapped, { targetFraction: 0, equityQuote: 10_000, priceQuote: 100 })).toBe(0);
  });

  it('caps by max fraction and by max notional', () => {
    expect(targetQtyBase({ ...uncapped, maxFraction: 0.3 }, { targetFraction: 0.5, equityQuote: 10_000, priceQuote: 100 })).toBeCloseTo(30, 12);
    expect(targetQtyBase({ ...uncapped, maxNotionalQuote: 1_000 }, { targetFraction: 0.5, equityQuote: 10_000, priceQuote: 100 })).toBe(10);
    expect(DEFAULT_SIZING.maxFraction).toBeLessThan(1);
  });

  it('fixed fraction ignores the size of the intent, keeps its sign', () => {
    const cfg: SizingConfig = { ...uncapped, mode: { kind: 'fixed_fraction', fraction: 0.2 } };
    expect(targetQtyBase(cfg, { targetFraction: 0.7, equityQuote: 10_000, priceQuote: 100 })).toBe(20);
    expect(targetQtyBase(cfg, { targetFraction: -0.01, equityQuote: 10_000, priceQuote: 100 })).toBe(-20);
  });

  it('volatility target: risk fraction of equity per ATR multiple', () => {
    const cfg: SizingConfig = { ...uncapped, mode: { kind: 'volatility_target', riskFraction: 0.01, atrMultiple: 2 } };
    // risk 100 quote over a 2 × 5 = 10 quote adverse move -> 10 units
    expect(targetQtyBase(cfg, { targetFraction: 1, equityQuote: 10_000, priceQuote: 100, atrQuote: 5 })).toBeCloseTo(10, 12);
    // tiny ATR -> capped at max fraction
    expect(targetQtyBase({ ...cfg, maxFraction: 0.5 }, { targetFraction: 1, equityQuote: 10_000, priceQuote: 100, atrQuote: 0.01 })).toBeCloseTo(50, 12);
    expect(targetQtyBase(cfg, { targetFraction: 1, equityQuote: 10_000, priceQuote: 100 })).toBe(0);
  });

  it('annual volatility target: target vol / (ATR / price × √bars per year) of equity, capped', () => {
    const cfg: SizingConfig = { ...uncapped, mode: { kind: 'annual_volatility_target', targetAnnualVol: 0.2, barsPerYear: 8760 } };
    // ATR 1% of price per hour -> realised 0.01 × √8760 ≈ 93.6 % a year -> 0.2 / 0.936 of equity
    const realised = 0.01 * Math.sqrt(8760);
    expect(targetQtyBase(cfg, { targetFraction: 0.1, equityQuote: 10_000, priceQuote: 100, atrQuote: 1 })).toBeCloseTo(((0.2 / realised) * 10_000) / 100, 9);
    expect(targetQtyBase({ ...cfg, maxFraction: 0.25 }, { targetFraction: 1, equityQuote: 10_000, priceQuote: 100, atrQuote: 0.001 })).toBeCloseTo(25, 9);
    expect(targetQtyBase(cfg, { targetFraction: 1, equityQuote: 10_000, priceQuote: 100 })).toBe(0);
    expect(targetQtyBase(cfg, { targetFraction: 0, equityQuote: 10_000, priceQuote: 100, atrQuote: 1 })).toBe(0);
  });

  it('throws on broken inputs', () => {
    expect(() => targetQtyBase(uncapped, { targetFraction: Number.NaN, equityQuote: 1, priceQuote: 1 })).toThrow(InvariantError);
    expect(() => targetQtyBase(uncapped, { targetFraction: 1, equityQuote: 1, priceQuote: 0 })).toThrow(InvariantError);
  });
});

describe('roundOrderQty', () => {
  it('truncates down to the step, never up', () => {
    const r = roundOrderQty(0.123456789, 30_000, rules);
    expect(r).toEqual({ status: 'ok', qtyBase: 0.12345, notionalQuote: 0.12345 * 30_000 });
    const r2 = roundOrderQty(0.1 + 0.2, 100, { ...rules, stepSize: 0.1, minQtyBase: 0.1 });
    expect(r2.status === 'ok' && r2.qtyBase).toBe(0.3);
    const r3 = roundOrderQty(2.9999, 100, { ...rules, stepSize: 0.001 });
    expect(r3.status === 'ok' && r3.qtyBase).toBe(2.999);
  });

  it.each([
    [0.000004, 'ZERO_QTY'],
    [0.00009, 'BELOW_MIN_QTY'],
    [0.00015, 'BELOW_MIN_NOTIONAL'], // 0.00015 × 30000 = 4.5 < 5
  ])('refuses %d as %s', (qty, code) => {
    const r = roundOrderQty(qty, 30_000, rules);
    expect(r.status).toBe('skipped');
    expect(r.status === 'skipped' && r.reason.code).toBe(code);
  });

  it('accepts exactly the minimum notional', () => {
    expect(roundOrderQty(0.001, 5_000, { ...rules, stepSize: 0.001, minQtyBase: 0.001 }).status).toBe('ok');
  });
});
