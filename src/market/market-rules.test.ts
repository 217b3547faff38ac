import { describe, expect, it } from 'vitest';
import { DataError } from '../core/index.js';
import { marketRulesFromCcxt } from './market-rules.js';

describe('marketRulesFromCcxt', () => {
  const btc = { symbol: 'BTC/USDT', active: true, precision: { price: 0.01, amount: 0.00001 }, limits: { amount: { min: 0.00001 }, cost: { min: 5 } } };
  it('reads tick, step, minimum amount and minimum notional', () => {
    expect(marketRulesFromCcxt(btc, 4)).toEqual({ symbol: 'BTC/USDT', tickSize: 0.01, stepSize: 0.00001, minQtyBase: 0.00001, minNotionalQuote: 5 });
  });
  it('refuses markets without precision, inactive ones, and other precision modes', () => {
    expect(() => marketRulesFromCcxt({ ...btc, precision: { price: undefined, amount: 0.1 } }, 4)).toThrow(
      /BTC\/USDT has no usable precision.*precision.price/,
    );
    expect(() => marketRulesFromCcxt({ ...btc, active: false }, 4)).toThrow(DataError);
    expect(() => marketRulesFromCcxt(btc, 2)).toThrow(/TICK_SIZE/);
  });
});
