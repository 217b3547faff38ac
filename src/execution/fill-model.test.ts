import { describe, expect, it } from 'vitest';
import type { Candle, OrderSide } from '../core/index.js';
import { feeQuote, limitFillPrice, protectiveHit, slippedPrice, stopTriggerPrice } from './fill-model.js';

type Row = [OrderSide, number, Candle, number, string];

const c = (open: number, high: number, low: number, close: number): Candle => ({ openTimeMs: 0, open, high, low, close, volume: 1 });

describe('fill model', () => {
  it('slippage is adverse, fee in quote', () => {
    expect(slippedPrice('buy', 100, 10)).toBeCloseTo(100.1, 12);
    expect(slippedPrice('sell', 100, 10)).toBeCloseTo(99.9, 12);
    expect(feeQuote(2, 100, 10)).toBeCloseTo(0.2, 12);
  });

  it.each<Row>([
    ['sell', 95, c(100, 101, 96, 97), Number.NaN, 'not reached'],
    ['sell', 95, c(100, 101, 95, 97), 95, 'touched'],
    ['sell', 95, c(100, 101, 94, 97), 95, 'crossed'],
    ['sell', 95, c(93, 96, 92, 95), 93, 'gap through: the worse open'],
    ['buy', 105, c(100, 104, 99, 103), Number.NaN, 'not reached'],
    ['buy', 105, c(100, 106, 99, 103), 105, 'crossed'],
    ['buy', 105, c(107, 108, 106, 107), 107, 'gap through: the worse open'],
  ])('%s stop at %d: %s', (side, trigger, candle, expected) => {
    const got = stopTriggerPrice(side, trigger, candle);
    if (Number.isNaN(expected)) expect(got).toBeNaN();
    else expect(got).toBe(expected);
  });

  it.each<Row>([
    ['sell', 110, c(100, 110, 99, 105), Number.NaN, 'touch is not a trade-through'],
    ['sell', 110, c(100, 110.01, 99, 105), 110, 'strict cross fills at the limit'],
    ['sell', 110, c(115, 116, 114, 115), 110, 'gap above fills at the limit, not the better open'],
    ['buy', 90, c(100, 101, 90, 95), Number.NaN, 'touch is not a trade-through'],
    ['buy', 90, c(100, 101, 89.99, 95), 90, 'strict cross'],
  ])('%s limit at %d: %s', (side, limit, candle, expected) => {
    const got = limitFillPrice(side, limit, candle);
    if (Number.isNaN(expected)) expect(got).toBeNaN();
    else expect(got).toBe(expected);
  });

  it('stop wins when stop and take-profit both lie inside one candle', () => {
    expect(protectiveHit(1, 95, 110, c(100, 111, 94, 100))).toBe('stop');
    expect(protectiveHit(-1, 105, 90, c(100, 106, 89, 100))).toBe('stop');
    expect(protectiveHit(1, 95, 110, c(100, 111, 96, 100))).toBe('take_profit');
    expect(protectiveHit(1, 95, Number.NaN, c(100, 111, 96, 100))).toBe('none');
  });
});
