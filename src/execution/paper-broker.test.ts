import { describe, expect, it } from 'vitest';
import type { Candle, MarketRules, OrderRequest, SeriesKey } from '../core/index.js';
import { ManualClock } from '../core/index.js';
import type { PaperBrokerConfig } from './paper-broker.js';
import { PaperBroker } from './paper-broker.js';

const series: SeriesKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const rules: MarketRules = { symbol: 'BTC/USDT', tickSize: 0.01, stepSize: 0.001, minQtyBase: 0.001, minNotionalQuote: 5 };
const H = 3_600_000;
let t = 0;
const c = (open: number, high: number, low: number, close: number): Candle => ({ openTimeMs: (t += H), open, high, low, close, volume: 1 });

function broker(over: Partial<PaperBrokerConfig> = {}): PaperBroker {
  return new PaperBroker(
    { rules: { 'BTC/USDT': rules }, initialQuote: 10_000, fillModel: { slippageBps: 10, takerFeeBps: 10, makerFeeBps: 2 }, ...over },
    new ManualClock(0),
  );
}

const req = (over: Partial<OrderRequest>): OrderRequest => ({
  clientOrderId: 'id1',
  symbol: 'BTC/USDT',
  side: 'buy',
  type: 'market',
  purpose: 'entry',
  qtyBase: 10,
  ...over,
});

describe('PaperBroker', () => {
  it('fills a market order at the NEXT candle open, adverse slippage, taker fee', async () => {
    const b = broker();
    const placed = await b.placeOrder(req({}));
    expect(placed).toMatchObject({ status: 'accepted', order: { status: 'open', filledQtyBase: 0 }, fills: [] });
    const u = b.onCandle(series, c(100, 101, 99, 100));
    expect(u.fills).toHaveLength(1);
    const f = u.fills[0]!;
    expect(f.priceQuote).toBeCloseTo(100.1, 10);
    expect(f.feeQuote).toBeCloseTo(10 * 100.1 * 0.001, 10);
    expect(u.orders[0]).toMatchObject({ status: 'filled', filledQtyBase: 10 });
    expect(b.positionQtyBase('BTC/USDT')).toBe(10);
    const bal = await b.fetchBalance();
    expect(bal.freeQuote).toBeCloseTo(10_000 - 1001 - 1.001, 8);
    expect(bal.base.BTC).toBe(10);
    expect(b.onCandle(series, c(100, 101, 99, 100)).fills).toHaveLength(0);
  });

  async function long(b: PaperBroker, qty = 10): Promise<void> {
    await b.placeOrder(req({ clientOrderId: 'entry', qtyBase: qty }));
    b.onCandle(series, c(100, 100, 100, 100));
  }

  it('stop-loss triggers on the low, fills at the stop minus slippage', async () => {
    const b = broker();
    await long(b);
    await b.placeOrder(req({ clientOrderId: 'stop', side: 'sell', type: 'stop_market', purpose: 'stop', triggerPriceQuote: 95, reduceOnly: true }));
    expect(b.onCandle(series, c(99, 100, 95.01, 96)).fills).toHaveLength(0);
    const u = b.onCandle(series, c(97, 98, 94, 95));
    expect(u.fills[0]!.priceQuote).toBeCloseTo(95 * 0.999, 10);
    expect(b.positionQtyBase('BTC/USDT')).toBe(0);
  });

  it('a gap through the stop fills at the (worse) open', async () => {
    const b = broker();
    await long(b);
    await b.placeOrder(req({ clientOrderId: 'stop', side: 'sell', type: 'stop_market', purpose: 'stop', triggerPriceQuote: 95, reduceOnly: true }));
    const u = b.onCandle(series, c(90, 92, 88, 91));
    expect(u.fills[0]!.priceQuote).toBeCloseTo(90 * 0.999, 10);
  });

  it('stop and take-profit inside one candle: the stop fills, the take-profit is canceled', async () => {
    const b = broker();
    await long(b);
    await b.placeOrder(req({ clientOrderId: 'tp', side: 'sell', type: 'take_profit_limit', purpose: 'take_profit', triggerPriceQuote: 105, reduceOnly: true }));
    await b.placeOrder(req({ clientOrderId: 'stop', side: 'sell', type: 'stop_market', purpose: 'stop', triggerPriceQuote: 95, reduceOnly: true }));
    const u = b.onCandle(series, c(100, 106, 94, 100));
    expect(u.fills).toHaveLength(1);
    expect(u.fills[0]!.clientOrderId).toBe('stop');
    expect(u.orders.map((o) => [o.clientOrderId, o.status])).toEqual([
      ['stop', 'filled'],
      ['tp', 'canceled'],
    ]);
  });

  it('take-profit needs a strict trade-through and fills at the limit with the maker fee', async () => {
    const b = broker();
    await long(b);
    await b.placeOrder(req({ clientOrderId: 'tp', side: 'sell', type: 'take_profit_limit', purpose: 'take_profit', triggerPriceQuote: 105, reduceOnly: true }));
    expect(b.onCandle(series, c(100, 105, 99, 104)).fills).toHaveLength(0);
    const f = b.onCandle(series, c(104, 105.01, 103, 105)).fills[0]!;
    expect(f.priceQuote).toBe(105);
    expect(f.feeQuote).toBeCloseTo(10 * 105 * 0.0002, 10);
  });

  it('limit buy fills on trade-through at the limit', async () => {
    const b = broker();
    await b.placeOrder(req({ type: 'limit', limitPriceQuote: 95 }));
    expect(b.onCandle(series, c(100, 101, 95, 96)).fills).toHaveLength(0);
    expect(b.onCandle(series, c(96, 97, 94.99, 96)).fills[0]!.priceQuote).toBe(95);
  });

  it('separates the open phase from the range phase', async () => {
    const b = broker();
    await b.placeOrder(req({}));
    const candle = c(100, 101, 90, 95);
    expect(b.onCandleOpen(series, candle).fills).toHaveLength(1);
    await b.placeOrder(req({ clientOrderId: 'stop', side: 'sell', type: 'stop_market', purpose: 'stop', triggerPriceQuote: 96, reduceOnly: true }));
    const r = b.onCandleRange(series, candle);
    expect(r.fills[0]!.priceQuote).toBeCloseTo(96 * 0.999, 10);
  });

  it('expires a buy it cannot pay for, and a spot sell of coins it does not hold', async () => {
    const b = broker();
    await b.placeOrder(req({ qtyBase: 100 }));
    const u = b.onCandle(series, c(100, 100, 100, 100));
    expect(u.fills).toHaveLength(0);
    expect(u.orders[0]!.status).toBe('expired');
    await b.placeOrder(req({ clientOrderId: 's', side: 'sell', purpose: 'exit' }));
    expect(b.onCandle(series, c(100, 100, 100, 100)).orders[0]!.status).toBe('expired');
  });

  it('cancels a reduce-only order with nothing to reduce; clamps one larger than the position', async () => {
    const b = broker();
    await b.placeOrder(req({ clientOrderId: 'x', side: 'sell', purpose: 'exit', reduceOnly: true }));
    expect(b.onCandle(series, c(100, 100, 100, 100)).orders[0]!.status).toBe('canceled');
    await long(b, 2);
    await b.placeOrder(req({ clientOrderId: 'y', side: 'sell', purpose: 'exit', reduceOnly: true, qtyBase: 5 }));
    const u = b.onCandle(series, c(100, 100, 100, 100));
    expect(u.fills[0]!.qtyBase).toBe(2);
  });

  it('denies invalid orders as values and is idempotent by client order id', async () => {
    const b = broker();
    expect(await b.placeOrder(req({ qtyBase: 0.0015 }))).toMatchObject({ status: 'denied', reason: { code: 'INVALID_QTY' } });
    expect(await b.placeOrder(req({ type: 'stop_market' }))).toMatchObject({ status: 'denied', reason: { code: 'INVALID_PRICE' } });
    await b.placeOrder(req({}));
    await b.placeOrder(req({}));
    expect(await b.fetchOpenOrders('BTC/USDT')).toHaveLength(1);
    expect(b.onCandle(series, c(100, 100, 100, 100)).fills).toHaveLength(1);
  });

  it('without native stops, refuses stop orders', async () => {
    const b = broker({ nativeStops: false });
    expect(b.supportsNativeStops()).toBe(false);
    expect(await b.placeOrder(req({ side: 'sell', type: 'stop_market', triggerPriceQuote: 90 }))).toMatchObject({
      status: 'denied',
      reason: { code: 'STOPS_UNSUPPORTED' },
    });
  });

  it('cancels, fetches orders and fills', async () => {
    const b = broker();
    await b.placeOrder(req({ type: 'limit', limitPriceQuote: 50 }));
    expect((await b.cancelOrder('BTC/USDT', 'id1'))?.status).toBe('canceled');
    expect(await b.fetchOpenOrders()).toHaveLength(0);
    expect((await b.fetchOrder('BTC/USDT', 'id1'))?.status).toBe('canceled');
    expect(await b.cancelOrder('BTC/USDT', 'nope')).toBeNull();
    await long(b, 1);
    expect(await b.fetchFills('BTC/USDT', 0)).toHaveLength(1);
  });
});
