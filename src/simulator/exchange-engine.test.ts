import { describe, expect, it } from 'vitest';
import { BinanceApiError } from './binance-error.js';
import { ExchangeEngine, SIM_ORDER_TYPES, type EngineMarket } from './exchange-engine.js';
import { PricePath } from './price-path.js';

const S = 1_000_000;
/** 100 → 90 (S+1000) → 110 (S+2000) → 80 (S+3000) → 100 (S+4000). */
const path = PricePath.fromPoints([
  { timeMs: S, price: 100 },
  { timeMs: S + 1000, price: 90 },
  { timeMs: S + 2000, price: 110 },
  { timeMs: S + 3000, price: 80 },
  { timeMs: S + 4000, price: 100 },
]);
const market: EngineMarket = {
  id: 'ETHUSDT',
  base: 'ETH',
  quote: 'USDT',
  tickSize: 0.01,
  stepSize: 0.001,
  minQty: 0.001,
  minNotional: 5,
  marketMaxQty: 128.52,
  maxQty: 9000,
  percentPriceBySide: { bidUp: 5, bidDown: 0.2, askUp: 5, askDown: 0.2 },
  maxNumOrders: 200,
  maxNumAlgoOrders: 5,
  orderTypes: SIM_ORDER_TYPES,
  path,
};

function engine(balances: Record<string, number> = { USDT: 1000 }): ExchangeEngine {
  return new ExchangeEngine({ markets: [market], balances, feeRate: 0.001, startTimeMs: S });
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof BinanceApiError) return `${err.code} ${err.msg}`;
    throw err;
  }
  return 'no error';
}

function bal(e: ExchangeEngine, asset: string): { free: number; locked: number } {
  const b = e.balances().find((x) => x.asset === asset);
  return { free: b?.free ?? 0, locked: b?.locked ?? 0 };
}

describe('ExchangeEngine', () => {
  it('fills a market buy at the current price and charges the fee in the asset received (the base), as Binance does', () => {
    const e = engine();
    const { order, fills } = e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 2, newClientOrderId: 'a' });
    expect(order.status).toBe('FILLED');
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ price: 100, qty: 2, quoteQty: 200, commission: 0.002, commissionAsset: 'ETH' });
    expect(bal(e, 'USDT')).toEqual({ free: 800, locked: 0 });
    expect(bal(e, 'ETH')).toEqual({ free: 1.998, locked: 0 });
    // Selling the whole order quantity is refused: the balance is the quantity less the fee.
    expect(code(() => e.placeOrder({ symbol: 'ETHUSDT', side: 'SELL', type: 'MARKET', quantity: 2 }))).toBe(
      '-2010 Account has insufficient balance for requested action.',
    );
    const sell = e.placeOrder({ symbol: 'ETHUSDT', side: 'SELL', type: 'MARKET', quantity: 1.998 });
    expect(sell.fills[0]).toMatchObject({ commission: 0.1998, commissionAsset: 'USDT' });
  });

  it('BNB-fee mode: pays the fee in BNB (25 % off) while BNB lasts, then in the asset received', () => {
    const e = new ExchangeEngine({
      markets: [market],
      balances: { USDT: 1000, BNB: 0.0004 },
      feeRate: 0.001,
      feeMode: { kind: 'BNB', bnbPriceQuote: 300 },
      startTimeMs: S,
    });
    const first = e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 1 });
    expect(first.fills[0]).toMatchObject({ commission: 0.00025, commissionAsset: 'BNB' });
    expect(bal(e, 'ETH').free).toBe(1);
    const second = e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 1 });
    expect(second.fills[0]).toMatchObject({ commission: 0.001, commissionAsset: 'ETH' });
  });

  it('MARKET_LOT_SIZE (128.52): an oversize market order is refused as MARKET_LOT_SIZE, a limit of the same size is not', () => {
    const e = engine({ USDT: 1_000_000 });
    expect(code(() => e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 128.53 }))).toBe('-1013 Filter failure: MARKET_LOT_SIZE');
    expect(e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 128.52 }).order.status).toBe('FILLED');
    expect(e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 200, price: 99 }).order.status).toBe('NEW');
  });

  it('PERCENT_PRICE_BY_SIDE: a buy limit at 5 % of the average price, or a sell at 6x, is refused', () => {
    const e = engine({ USDT: 1000, ETH: 10 });
    expect(code(() => e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 1, price: 5 }))).toBe(
      '-1013 Filter failure: PERCENT_PRICE_BY_SIDE',
    );
    expect(code(() => e.placeOrder({ symbol: 'ETHUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: 1, price: 600 }))).toBe(
      '-1013 Filter failure: PERCENT_PRICE_BY_SIDE',
    );
    expect(e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 1, price: 21 }).order.status).toBe('NEW');
  });

  it('NOTIONAL for a market order is valued at the 5-minute average price, not the current one', () => {
    // 5 minutes at 100, then a jump to 1000: the average is still near 100.
    const jump = PricePath.fromPoints([
      { timeMs: S, price: 100 },
      { timeMs: S + 300_000, price: 100 },
      { timeMs: S + 300_001, price: 1000 },
      { timeMs: S + 400_000, price: 1000 },
    ]);
    const e = new ExchangeEngine({ markets: [{ ...market, minNotional: 10, path: jump }], balances: { USDT: 1000 }, feeRate: 0.001, startTimeMs: S });
    e.advanceTo(S + 300_002);
    expect(e.avgPriceOf('ETHUSDT')).toBeLessThan(200);
    // 0.02 × 1000 = 20 at the current price, but 0.02 × ~115 < 10 at the average: refused.
    expect(code(() => e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 0.02 }))).toBe('-1013 Filter failure: NOTIONAL');
  });

  it('MAX_NUM_ALGO_ORDERS (5) and MAX_NUM_ORDERS are enforced on open orders per symbol', () => {
    const e = engine({ USDT: 0, ETH: 100 });
    for (let i = 0; i < 5; i++)
      e.placeOrder({ symbol: 'ETHUSDT', side: 'SELL', type: 'STOP_LOSS_LIMIT', timeInForce: 'GTC', quantity: 1, price: 94, stopPrice: 95 });
    expect(
      code(() => e.placeOrder({ symbol: 'ETHUSDT', side: 'SELL', type: 'STOP_LOSS_LIMIT', timeInForce: 'GTC', quantity: 1, price: 94, stopPrice: 95 })),
    ).toBe('-1013 Filter failure: MAX_NUM_ALGO_ORDERS');
    const few = new ExchangeEngine({ markets: [{ ...market, maxNumOrders: 2 }], balances: { ETH: 10 }, feeRate: 0.001, startTimeMs: S });
    few.placeOrder({ symbol: 'ETHUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: 1, price: 110 });
    few.placeOrder({ symbol: 'ETHUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: 1, price: 111 });
    expect(code(() => few.placeOrder({ symbol: 'ETHUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: 1, price: 112 }))).toBe(
      '-1013 Filter failure: MAX_NUM_ORDERS',
    );
  });

  it('rests a limit buy and fills it at its price only when the path trades through', () => {
    const e = engine();
    const { order } = e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 1, price: 90 });
    expect(order.status).toBe('NEW');
    expect(bal(e, 'USDT').locked).toBeCloseTo(90, 8); // price × quantity: the fee comes from the ETH received
    e.advanceTo(S + 1000); // touches 90 exactly: no trade-through yet
    expect(order.status).toBe('NEW');
    e.advanceTo(S + 3000); // passes below 90 on the way to 80
    expect(order.status).toBe('FILLED');
    expect(e.myTrades('ETHUSDT', {})[0]).toMatchObject({ price: 90, isMaker: true, timeMs: S + 2667 });
    expect(bal(e, 'USDT')).toEqual({ free: 910, locked: 0 });
    expect(bal(e, 'ETH').free).toBe(0.999);
  });

  it('fills a marketable limit at once at the better market price', () => {
    const e = engine();
    const { order, fills } = e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 1, price: 105 });
    expect(order.status).toBe('FILLED');
    expect(fills[0]?.price).toBe(100);
    expect(bal(e, 'USDT')).toEqual({ free: 900, locked: 0 });
  });

  it('triggers a STOP_LOSS_LIMIT sell when the price reaches the stop, then fills as a limit', () => {
    const e = engine({ USDT: 0, ETH: 1 });
    const { order } = e.placeOrder({ symbol: 'ETHUSDT', side: 'SELL', type: 'STOP_LOSS_LIMIT', timeInForce: 'GTC', quantity: 1, price: 94, stopPrice: 95 });
    expect(order.workingTimeMs).toBe(-1);
    expect(bal(e, 'ETH')).toEqual({ free: 0, locked: 1 });
    e.advanceTo(S + 1000);
    expect(order.status).toBe('FILLED');
    expect(order.workingTimeMs).toBe(S + 500);
    expect(e.myTrades('ETHUSDT', {})[0]).toMatchObject({ price: 95, isMaker: false });
    expect(bal(e, 'USDT').free).toBeCloseTo(94.905, 8);
  });

  it('leaves a triggered stop resting when the price gaps through its limit', () => {
    const e = engine({ USDT: 0, ETH: 1 });
    const gap = PricePath.fromPoints([
      { timeMs: S, price: 100 },
      { timeMs: S + 999, price: 99 },
      { timeMs: S + 1000, price: 80 },
      { timeMs: S + 2000, price: 96 },
    ]);
    const g = new ExchangeEngine({ markets: [{ ...market, path: gap }], balances: { ETH: 1 }, feeRate: 0, startTimeMs: S });
    const { order } = g.placeOrder({ symbol: 'ETHUSDT', side: 'SELL', type: 'STOP_LOSS_LIMIT', timeInForce: 'GTC', quantity: 1, price: 94, stopPrice: 95 });
    g.advanceTo(S + 1001);
    expect(order.workingTimeMs).toBeGreaterThan(0);
    expect(order.status).toBe('NEW');
    g.advanceTo(S + 2000); // back above 94
    expect(order.status).toBe('FILLED');
    expect(g.myTrades('ETHUSDT', {})[0]?.price).toBe(94);
    expect(e.openOrders()).toHaveLength(0);
  });

  it('rejects like Binance: balance, filters, stop that would trigger, duplicate open client id', () => {
    const e = engine();
    expect(code(() => e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 100 }))).toBe(
      '-2010 Account has insufficient balance for requested action.',
    );
    expect(code(() => e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 0.01 }))).toBe('-1013 Filter failure: NOTIONAL');
    expect(code(() => e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 0.1234 }))).toBe('-1013 Filter failure: LOT_SIZE');
    expect(code(() => e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 1, price: 90.001 }))).toBe(
      '-1013 Filter failure: PRICE_FILTER',
    );
    expect(
      code(() => e.placeOrder({ symbol: 'ETHUSDT', side: 'SELL', type: 'STOP_LOSS_LIMIT', timeInForce: 'GTC', quantity: 1, price: 100, stopPrice: 101 })),
    ).toBe('-2010 Stop price would trigger immediately.');
    expect(code(() => e.placeOrder({ symbol: 'XXXUSDT', side: 'BUY', type: 'MARKET', quantity: 1 }))).toBe('-1121 Invalid symbol.');
    e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 1, price: 50, newClientOrderId: 'dup' });
    expect(
      code(() => e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 1, price: 50, newClientOrderId: 'dup' })),
    ).toBe('-2010 Duplicate order sent.');
    expect(code(() => e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 1, newClientOrderId: 'x'.repeat(37) }))).toMatch(/^-1100 /);
  });

  it('allows reusing a closed order’s client id (Binance scope) unless configured stricter', () => {
    const e = engine();
    e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 0.1, newClientOrderId: 'again' });
    expect(code(() => e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 0.1, newClientOrderId: 'again' }))).toBe('no error');
    const strict = new ExchangeEngine({ markets: [market], balances: { USDT: 1000 }, feeRate: 0.001, startTimeMs: S, duplicateClientOrderIds: 'any' });
    strict.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 0.1, newClientOrderId: 'again' });
    expect(code(() => strict.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 0.1, newClientOrderId: 'again' }))).toBe(
      '-2010 Duplicate order sent.',
    );
  });

  it('cancels and releases locked funds; a filled order cannot be canceled', () => {
    const e = engine();
    e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 1, price: 50, newClientOrderId: 'c1' });
    expect(e.cancelOrder('ETHUSDT', { origClientOrderId: 'c1' }).status).toBe('CANCELED');
    expect(bal(e, 'USDT')).toEqual({ free: 1000, locked: 0 });
    expect(code(() => e.cancelOrder('ETHUSDT', { origClientOrderId: 'c1' }))).toBe('-2011 Unknown order sent.');
    expect(code(() => e.getOrder('ETHUSDT', { origClientOrderId: 'nope' }))).toBe('-2013 Order does not exist.');
  });

  it('partial-fill fault: a fraction now, the rest on the next clock advance', () => {
    const e = engine();
    e.injectPartialFills(0.25);
    const { order, fills } = e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 2 });
    expect(order.status).toBe('PARTIALLY_FILLED');
    expect(fills[0]?.qty).toBe(0.5);
    expect(e.openOrders()).toHaveLength(1);
    e.advanceTo(S + 1000);
    expect(order.status).toBe('FILLED');
    expect(e.myTrades('ETHUSDT', { orderId: order.orderId }).map((t) => t.price)).toEqual([100, 90]);
    expect(bal(e, 'ETH').free).toBe(1.998);
  });

  it('sizes a market buy from quoteOrderQty (floored to the step)', () => {
    const e = engine();
    const { order } = e.placeOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quoteOrderQty: 123.4567 });
    expect(order).toMatchObject({ status: 'FILLED', executedQty: 1.234, cummulativeQuoteQty: 123.4, origQuoteOrderQty: 123.4567 });
  });

  it('refuses to move the clock backwards', () => {
    const e = engine();
    e.advanceTo(S + 10);
    expect(() => e.advanceTo(S)).toThrow(/cannot go back/);
  });
});
