/**
 * The simulator behaves like Binance where a live guarantee depends on it, and wick handles each
 * behaviour: the REAL ccxt client against the simulator, one row of the fault matrix per behaviour.
 * Each row checks the venue (raw ccxt) and wick's CcxtBroker (pre-send check or clean denial, and
 * never more than one order per client id).
 */
import type { Exchange } from 'ccxt';
import ccxt from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CcxtBroker } from '../src/execution/brokers/ccxt-broker.js';
import { RateBudget } from '../src/execution/brokers/rate-budget.js';
import { createCcxtExchange } from '../src/market/ccxt-client.js';
import { startExchangeSimulator, type SimulatorHandle } from '../src/simulator/simulator.js';

const SYMBOL = 'BTC/USDT';
const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const KEY = 'fidelity-key-1234';
const SECRET = 'fidelity-secret-1234';

let sim: SimulatorHandle;
let ex: Exchange;
let broker: CcxtBroker;
let price = 100;
let seq = 0;
const cid = (tag: string): string => `wF_${tag}_${++seq}`;

function orderPosts(): number {
  return sim.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/api/v3/order')).length;
}

async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  sim = await startExchangeSimulator({
    markets: [
      {
        symbol: SYMBOL,
        pricePath: [
          { timeMs: T0, price: 100 },
          { timeMs: T0 + 10 * HOUR, price: 100 },
        ],
      },
    ],
    balances: { USDT: 100_000 },
    startTimeMs: T0 + 10 * 60_000,
    apiKey: KEY,
    apiSecret: SECRET,
  });
  ex = await createCcxtExchange({ exchangeId: 'binance', apiKey: KEY, secret: SECRET, urls: { rest: sim.restUrl, ws: sim.wsUrl }, timeoutMs: 2_000 });
  broker = await CcxtBroker.create(ex, {
    symbols: [SYMBOL],
    rateBudget: new RateBudget({ burst: 1000, perSecond: 1000 }),
    retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    referencePriceQuote: () => price,
  });
});

afterAll(async () => {
  await ex.close();
  await sim.close();
});

describe('simulator fidelity (Binance behaviours wick relies on)', () => {
  it('buy fees come out of the asset received: a full-size exit after a buy is refused by the venue, the net quantity wick records sells', async () => {
    const buy = await broker.placeOrder({ clientOrderId: cid('buy'), symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.5 });
    expect(buy.status).toBe('accepted');
    if (buy.status !== 'accepted') return;
    const net = buy.fills.reduce((s, f) => s + f.qtyBase, 0);
    expect(net).toBeCloseTo(0.5 * 0.999, 10);
    expect(buy.fills[0]?.feeQuote).toBeCloseTo(0.05, 9); // 0.0005 BTC at 100
    expect((await broker.fetchBalance()).base['BTC']).toBeCloseTo(net, 10);
    const full = await broker.placeOrder({ clientOrderId: cid('full'), symbol: SYMBOL, side: 'sell', type: 'market', purpose: 'exit', qtyBase: 0.5 });
    expect(full).toMatchObject({ status: 'denied', reason: { code: 'INSUFFICIENT_FUNDS' } });
    const stop = await broker.placeOrder({
      clientOrderId: cid('stop'),
      symbol: SYMBOL,
      side: 'sell',
      type: 'stop_loss_limit',
      purpose: 'stop',
      qtyBase: net,
      triggerPriceQuote: 95,
    });
    expect(stop).toMatchObject({ status: 'accepted', order: { status: 'open' } });
    await broker.cancelOrder(SYMBOL, stop.status === 'accepted' ? stop.order.clientOrderId : '');
    const exit = await broker.placeOrder({ clientOrderId: cid('exit'), symbol: SYMBOL, side: 'sell', type: 'market', purpose: 'exit', qtyBase: net });
    expect(exit).toMatchObject({ status: 'accepted', order: { status: 'filled' } });
  });

  it('BNB-fee mode (an option) pays the fee in BNB; wick keeps the whole quantity', async () => {
    const bnbSim = await startExchangeSimulator({
      markets: [
        {
          symbol: SYMBOL,
          pricePath: [
            { timeMs: T0, price: 100 },
            { timeMs: T0 + HOUR, price: 100 },
          ],
        },
      ],
      balances: { USDT: 1000, BNB: 1 },
      feeMode: { kind: 'BNB', bnbPriceQuote: 300 },
      startTimeMs: T0,
      apiKey: KEY,
      apiSecret: SECRET,
    });
    const bnbEx = await createCcxtExchange({
      exchangeId: 'binance',
      apiKey: KEY,
      secret: SECRET,
      urls: { rest: bnbSim.restUrl, ws: bnbSim.wsUrl },
      timeoutMs: 2_000,
    });
    try {
      const b = await CcxtBroker.create(bnbEx, { symbols: [SYMBOL], rateBudget: new RateBudget({ burst: 100, perSecond: 100 }) });
      const r = await b.placeOrder({ clientOrderId: cid('bnb'), symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 1 });
      expect(r.status).toBe('accepted');
      if (r.status === 'accepted') expect(r.fills.reduce((s, f) => s + f.qtyBase, 0)).toBe(1);
      const trades = await bnbEx.fetchMyTrades(SYMBOL);
      expect(trades[0]?.fee).toMatchObject({ currency: 'BNB', cost: 0.00025 });
    } finally {
      await bnbEx.close();
      await bnbSim.close();
    }
  });

  it('PERCENT_PRICE_BY_SIDE is published and enforced; wick refuses a buy limit at 5 % of the market before sending', async () => {
    const venue = await errorOf(ex.createOrder(SYMBOL, 'limit', 'buy', 1, 5));
    expect(venue).toBeInstanceOf(ccxt.InvalidOrder);
    expect(venue.message).toContain('PERCENT_PRICE_BY_SIDE');
    const before = orderPosts();
    const r = await broker.placeOrder({
      clientOrderId: cid('band'),
      symbol: SYMBOL,
      side: 'buy',
      type: 'limit',
      purpose: 'entry',
      qtyBase: 1,
      limitPriceQuote: 5,
    });
    expect(r).toMatchObject({ status: 'denied', reason: { code: 'PRICE_OUT_OF_BAND', message: expect.stringContaining('PERCENT_PRICE_BY_SIDE') } });
    expect(orderPosts()).toBe(before);
  });

  it('MARKET_LOT_SIZE is 128.52: the venue refuses an oversize market order as MARKET_LOT_SIZE; wick refuses it before sending', async () => {
    const venue = await errorOf(ex.createOrder(SYMBOL, 'market', 'buy', 200));
    expect(venue.message, venue.message).toContain('Filter failure: MARKET_LOT_SIZE');
    const before = orderPosts();
    const r = await broker.placeOrder({ clientOrderId: cid('big'), symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 200 });
    expect(r).toMatchObject({ status: 'denied', reason: { code: 'ABOVE_MAX_QTY', message: expect.stringContaining('128.52') } });
    expect(orderPosts()).toBe(before);
  });

  it('a STOP_LOSS_LIMIT placement carries a real time (never -1), and wick never stores a time that is not positive', async () => {
    await broker.placeOrder({ clientOrderId: cid('own'), symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.3 });
    const raw = await ex.createOrder(SYMBOL, 'limit', 'sell', 0.1, 94, { stopLossPrice: 95, newOrderRespType: 'RESULT' });
    expect((raw.info as { workingTime: number }).workingTime).toBeGreaterThan(0);
    expect(raw.timestamp).toBeGreaterThan(0);
    const r = await broker.placeOrder({
      clientOrderId: cid('slt'),
      symbol: SYMBOL,
      side: 'sell',
      type: 'stop_loss_limit',
      purpose: 'stop',
      qtyBase: 0.1,
      triggerPriceQuote: 95,
    });
    expect(r.status, JSON.stringify(r)).toBe('accepted');
    if (r.status === 'accepted') expect(r.order.createdAtMs).toBeGreaterThan(0);
    await ex.cancelAllOrders(SYMBOL);
  });

  it('minimum notional of a market order is judged at the 5-minute average price: the venue refuses, wick denies cleanly, nothing placed', async () => {
    const jump = await startExchangeSimulator({
      markets: [
        {
          symbol: SYMBOL,
          minNotional: 10,
          pricePath: [
            { timeMs: T0, price: 100 },
            { timeMs: T0 + 300_000, price: 100 },
            { timeMs: T0 + 300_001, price: 1000 },
            { timeMs: T0 + HOUR, price: 1000 },
          ],
        },
      ],
      balances: { USDT: 1000 },
      startTimeMs: T0 + 300_002,
      apiKey: KEY,
      apiSecret: SECRET,
    });
    const jEx = await createCcxtExchange({
      exchangeId: 'binance',
      apiKey: KEY,
      secret: SECRET,
      urls: { rest: jump.restUrl, ws: jump.wsUrl },
      timeoutMs: 2_000,
    });
    try {
      // wick's last price (1000) says 0.02 BTC is 20 USDT, above 10; the venue's average (~115) says 2.3.
      const b = await CcxtBroker.create(jEx, {
        symbols: [SYMBOL],
        rateBudget: new RateBudget({ burst: 100, perSecond: 100 }),
        referencePriceQuote: () => 1000,
      });
      const id = cid('avg');
      const r = await b.placeOrder({ clientOrderId: id, symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.02 });
      expect(r).toMatchObject({ status: 'denied', reason: { code: 'BELOW_MIN_NOTIONAL' } });
      expect((await jEx.fetchOrders(SYMBOL)).filter((o) => o.clientOrderId === id)).toHaveLength(0);
    } finally {
      await jEx.close();
      await jump.close();
    }
  });

  it('open algo orders are capped at 5 per symbol: the sixth stop is denied cleanly (TOO_MANY_OPEN_ORDERS), one order per client id', async () => {
    await broker.placeOrder({ clientOrderId: cid('own6'), symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.7 });
    for (let i = 0; i < 5; i++) {
      const r = await broker.placeOrder({
        clientOrderId: cid(`s${i}`),
        symbol: SYMBOL,
        side: 'sell',
        type: 'stop_loss_limit',
        purpose: 'stop',
        qtyBase: 0.1,
        triggerPriceQuote: 95,
      });
      expect(r.status, JSON.stringify(r)).toBe('accepted');
    }
    const id = cid('s6');
    const sixth = await broker.placeOrder({
      clientOrderId: id,
      symbol: SYMBOL,
      side: 'sell',
      type: 'stop_loss_limit',
      purpose: 'stop',
      qtyBase: 0.1,
      triggerPriceQuote: 95,
    });
    expect(sixth).toMatchObject({ status: 'denied', reason: { code: 'TOO_MANY_OPEN_ORDERS' } });
    expect((await ex.fetchOrders(SYMBOL, undefined, 1000)).filter((o) => o.clientOrderId === id)).toHaveLength(0);
    await ex.cancelAllOrders(SYMBOL);
    price = 100;
  });
});
