/**
 * CcxtBroker with the REAL ccxt client against the local Binance simulator: orders, stops, fills,
 * and the fault matrix. Every fault scenario asserts that the venue holds exactly one order per
 * client id (or none when denied): a retry or reconcile must never double an order.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Exchange } from 'ccxt';
import { ExchangeError } from '../src/core/index.js';
import { CcxtBroker, type CcxtBrokerOptions } from '../src/execution/brokers/ccxt-broker.js';
import type { CcxtExchangeLike } from '../src/execution/brokers/exchange-like.js';
import { RateBudget } from '../src/execution/brokers/rate-budget.js';
import { createCcxtExchange } from '../src/market/ccxt-client.js';
import { startExchangeSimulator, type SimulatorHandle } from '../src/simulator/simulator.js';

const SYMBOL = 'BTC/USDT';
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const TIMEOUT_MS = 500;
const KEY = 'test-key-123456';
const SECRET = 'test-secret-abcdef';

/** Flat at 100 for an hour, down to 90, back up to 110. */
const PATH = [
  { timeMs: T0, price: 100 },
  { timeMs: T0 + HOUR, price: 100 },
  { timeMs: T0 + 2 * HOUR, price: 90 },
  { timeMs: T0 + 3 * HOUR, price: 110 },
  { timeMs: T0 + 10 * HOUR, price: 110 },
];

const sleeps: number[] = [];
const fastSleep = (ms: number): Promise<void> => {
  sleeps.push(ms);
  return new Promise((r) => setTimeout(r, 1));
};

function brokerOptions(extra: Partial<CcxtBrokerOptions> = {}): CcxtBrokerOptions {
  return {
    symbols: [SYMBOL],
    sleep: fastSleep,
    rateBudget: new RateBudget({ burst: 1000, perSecond: 1000 }),
    retry: { attempts: 5, baseDelayMs: 10, maxDelayMs: 50 },
    reconcile: { lookups: 4, delayMs: 5, notFoundConfirmations: 2 },
    ...extra,
  };
}

let sim: SimulatorHandle;
let ex: Exchange;
let broker: CcxtBroker;
let seq = 0;
const cid = (tag: string): string => `wE_${tag}_${++seq}`;

async function venueOrdersWith(clientOrderId: string): Promise<number> {
  const all = await ex.fetchOrders(SYMBOL, undefined, 1000);
  return all.filter((o) => o.clientOrderId === clientOrderId).length;
}

function orderPosts(): number {
  return sim.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/api/v3/order')).length;
}

beforeAll(async () => {
  sim = await startExchangeSimulator({
    markets: [{ symbol: SYMBOL, pricePath: PATH }],
    balances: { USDT: 10_000 },
    startTimeMs: T0 + 10 * 60_000,
    apiKey: KEY,
    apiSecret: SECRET,
  });
  ex = await createCcxtExchange({ exchangeId: 'binance', apiKey: KEY, secret: SECRET, urls: { rest: sim.restUrl, ws: sim.wsUrl }, timeoutMs: TIMEOUT_MS });
  broker = await CcxtBroker.create(ex, brokerOptions({ referencePriceQuote: () => sim.priceOf(SYMBOL) }));
});

afterAll(async () => {
  await ex.close();
  await sim.close();
});

beforeEach(() => {
  sim.faults.clear();
  sleeps.length = 0;
});

describe('CcxtBroker against the simulator (real ccxt)', () => {
  it('a ccxt Exchange satisfies the structural interface; market rules come from loaded markets', () => {
    const asLike: CcxtExchangeLike = ex;
    expect(asLike).toBe(ex);
    expect(broker.marketRules(SYMBOL)).toEqual({
      symbol: SYMBOL,
      tickSize: 0.01,
      stepSize: 0.00001,
      minQtyBase: 0.00001,
      minNotionalQuote: 5,
      maxQtyBase: 9000,
      marketMaxQtyBase: 128.52,
      percentPriceBySide: { bidUp: 5, bidDown: 0.2, askUp: 5, askDown: 0.2 },
    });
    expect(broker.supportsNativeStops(SYMBOL)).toBe(true);
  });

  it('market buy with a client id: accepted, filled, fills net of the base-asset fee; found again by client id and in fetchFills', async () => {
    const id = cid('mkt');
    const r = await broker.placeOrder({ clientOrderId: id, symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.1234567 });
    expect(r.status).toBe('accepted');
    if (r.status !== 'accepted') return;
    expect(r.order).toMatchObject({
      clientOrderId: id,
      status: 'filled',
      qtyBase: 0.12345,
      filledQtyBase: 0.12345,
      avgFillPriceQuote: 100,
      purpose: 'entry',
      type: 'market',
    });
    expect(r.order.limitPriceQuote).toBeUndefined();
    expect(r.fills).toHaveLength(1);
    // Binance takes a buy's fee from the BTC received: the fill holds the net quantity.
    expect(r.fills[0]).toMatchObject({ clientOrderId: id, symbol: SYMBOL, side: 'buy', priceQuote: 100 });
    expect(r.fills[0]?.qtyBase).toBeCloseTo(0.12345 * 0.999, 12);
    expect(r.fills[0]?.feeQuote).toBeCloseTo(0.012345, 9);
    const again = await broker.fetchOrder(SYMBOL, id);
    expect(again).toMatchObject({ clientOrderId: id, status: 'filled', filledQtyBase: 0.12345 });
    const fills = await broker.fetchFills(SYMBOL, T0);
    const mine = fills.filter((f) => f.clientOrderId === id);
    expect(mine.map((f) => f.tradeId)).toEqual(r.fills.map((f) => f.tradeId));
    expect(mine[0]?.feeQuote).toBeCloseTo(0.012345, 9);
    expect(await broker.fetchOrder(SYMBOL, 'wE_never_placed')).toBeNull();
    const bal = await broker.fetchBalance();
    expect(bal.base['BTC']).toBeCloseTo(0.12345 * 0.999, 9);
    expect(bal.freeQuote).toBeLessThan(10_000);
  });

  it('resting limit order: open, listed, then canceled', async () => {
    const id = cid('lim');
    const r = await broker.placeOrder({
      clientOrderId: id,
      symbol: SYMBOL,
      side: 'buy',
      type: 'limit',
      purpose: 'entry',
      qtyBase: 0.1,
      limitPriceQuote: 80.005,
    });
    expect(r).toMatchObject({ status: 'accepted', order: { status: 'open', limitPriceQuote: 80, filledQtyBase: 0 }, fills: [] });
    const open = await broker.fetchOpenOrders();
    expect(open.map((o) => o.clientOrderId)).toContain(id);
    const canceled = await broker.cancelOrder(SYMBOL, id);
    expect(canceled).toMatchObject({ clientOrderId: id, status: 'canceled' });
    expect((await broker.fetchOpenOrders(SYMBOL)).map((o) => o.clientOrderId)).not.toContain(id);
    // Canceling again reports the final state instead of failing.
    expect(await broker.cancelOrder(SYMBOL, id)).toMatchObject({ status: 'canceled' });
    expect(await broker.cancelOrder(SYMBOL, 'wS_nothing_here')).toBeNull();
  });

  it('below min notional / min qty: denied without sending anything', async () => {
    const before = orderPosts();
    const small = await broker.placeOrder({ clientOrderId: cid('tiny'), symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.01 });
    expect(small).toMatchObject({ status: 'denied', reason: { code: 'BELOW_MIN_NOTIONAL' } });
    const smallLimit = await broker.placeOrder({
      clientOrderId: cid('tinyl'),
      symbol: SYMBOL,
      side: 'buy',
      type: 'limit',
      purpose: 'entry',
      qtyBase: 0.04,
      limitPriceQuote: 99,
    });
    expect(smallLimit).toMatchObject({ status: 'denied', reason: { code: 'BELOW_MIN_NOTIONAL' } });
    const dust = await broker.placeOrder({ clientOrderId: cid('dust'), symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.000004 });
    expect(dust).toMatchObject({ status: 'denied', reason: { code: 'BELOW_MIN_QTY' } });
    expect(orderPosts()).toBe(before);
  });

  it('protective stop: STOP_LOSS_LIMIT below the trigger, resting, then filled when the price crosses it', async () => {
    const id = `wS_stop_${++seq}`;
    const r = await broker.placeOrder({
      clientOrderId: id,
      symbol: SYMBOL,
      side: 'sell',
      type: 'stop_market',
      purpose: 'stop',
      qtyBase: 0.1,
      triggerPriceQuote: 95.006,
    });
    expect(r.status).toBe('accepted');
    if (r.status !== 'accepted') return;
    // Trigger rounded down (away from the market for a sell stop), limit 0.5 % below, rounded down.
    expect(r.order).toMatchObject({ status: 'open', type: 'stop_market', purpose: 'stop', triggerPriceQuote: 95, limitPriceQuote: 94.52 });
    const venue = sim.openOrders(SYMBOL).find((o) => o.clientOrderId === id);
    expect(venue?.type).toBe('STOP_LOSS_LIMIT');
    sim.advanceTo(T0 + HOUR + 40 * 60_000); // path falls through 95 toward 90
    const after = await broker.fetchOrder(SYMBOL, id);
    expect(after).toMatchObject({ status: 'filled', filledQtyBase: 0.1 });
    const fills = (await broker.fetchFills(SYMBOL, T0)).filter((f) => f.clientOrderId === id);
    expect(fills.length).toBeGreaterThan(0);
    expect(fills[0]?.side).toBe('sell');
  });

  it('take-profit: TAKE_PROFIT_LIMIT with the trigger rounded up', async () => {
    await broker.placeOrder({ clientOrderId: cid('tpbuy'), symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.1 });
    const id = `wT_tp_${++seq}`;
    const r = await broker.placeOrder({
      clientOrderId: id,
      symbol: SYMBOL,
      side: 'sell',
      type: 'take_profit_limit',
      purpose: 'take_profit',
      qtyBase: 0.1,
      triggerPriceQuote: 120.001,
    });
    expect(r).toMatchObject({ status: 'accepted', order: { status: 'open', triggerPriceQuote: 120.01, limitPriceQuote: 120.01 } });
    expect(sim.openOrders(SYMBOL).find((o) => o.clientOrderId === id)?.type).toBe('TAKE_PROFIT_LIMIT');
    await broker.cancelOrder(SYMBOL, id);
  });
});

describe('fault matrix (each: one order per client id on the venue)', () => {
  it('timeout after the exchange accepted the order → reconciled by client id → accepted once', async () => {
    const id = cid('hang');
    sim.faults.timeoutNextOrders({ mode: 'hang' });
    const r = await broker.placeOrder({ clientOrderId: id, symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.1 });
    expect(r).toMatchObject({ status: 'accepted', order: { clientOrderId: id, status: 'filled', filledQtyBase: 0.1 } });
    if (r.status === 'accepted') expect(r.fills.map((f) => f.qtyBase)).toEqual([0.0999]); // net of the 0.1 % fee in BTC
    expect(await venueOrdersWith(id)).toBe(1);
  });

  it('connection dropped after accept (NetworkError) on a resting limit → reconciled, once', async () => {
    const id = cid('drop');
    sim.faults.timeoutNextOrders({ mode: 'drop' });
    const r = await broker.placeOrder({ clientOrderId: id, symbol: SYMBOL, side: 'buy', type: 'limit', purpose: 'entry', qtyBase: 0.1, limitPriceQuote: 70 });
    expect(r).toMatchObject({ status: 'accepted', order: { status: 'open' } });
    expect(await venueOrdersWith(id)).toBe(1);
    await broker.cancelOrder(SYMBOL, id);
  });

  it('429 storm (3) → retried with the same client id after backoff, placed once', async () => {
    const id = cid('429');
    sim.faults.failHttp({ status: 429, count: 3, pathPrefix: '/api/v3/order' });
    const r = await broker.placeOrder({ clientOrderId: id, symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.1 });
    expect(r).toMatchObject({ status: 'accepted', order: { status: 'filled' } });
    expect(sleeps).toEqual([10, 20, 40]);
    expect(await venueOrdersWith(id)).toBe(1);
  });

  it('5xx (2) on order requests → outcome unknown → lookups say absent → one re-send, placed once', async () => {
    const id = cid('5xx');
    sim.faults.failHttp({ status: 502, count: 2, pathPrefix: '/api/v3/order' });
    const r = await broker.placeOrder({ clientOrderId: id, symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.1 });
    expect(r).toMatchObject({ status: 'accepted', order: { status: 'filled' } });
    expect(await venueOrdersWith(id)).toBe(1);
  });

  it('a venue that keeps failing → unknown, never a blind re-send', async () => {
    const id = cid('down');
    sim.faults.failHttp({ status: 503, count: 50, pathPrefix: '/api/v3/order' });
    const r = await broker.placeOrder({ clientOrderId: id, symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.1 });
    expect(r).toMatchObject({ status: 'unknown', reason: { code: 'EXCHANGE_UNAVAILABLE' } });
    sim.faults.clear();
    expect(await venueOrdersWith(id)).toBe(0);
  });

  it('duplicate client id of an open order ("Duplicate order sent.") → reconciled to the existing order', async () => {
    const id = cid('dup');
    const first = await broker.placeOrder({
      clientOrderId: id,
      symbol: SYMBOL,
      side: 'buy',
      type: 'limit',
      purpose: 'entry',
      qtyBase: 0.1,
      limitPriceQuote: 60,
    });
    expect(first.status).toBe('accepted');
    const second = await broker.placeOrder({
      clientOrderId: id,
      symbol: SYMBOL,
      side: 'buy',
      type: 'limit',
      purpose: 'entry',
      qtyBase: 0.1,
      limitPriceQuote: 60,
    });
    expect(second).toMatchObject({ status: 'accepted', order: { clientOrderId: id, status: 'open' } });
    expect(await venueOrdersWith(id)).toBe(1);
    await broker.cancelOrder(SYMBOL, id);
  });

  it('partial fill → partially_filled, then filled on a later fetch', async () => {
    const id = cid('part');
    sim.faults.partialFills(0.4);
    const r = await broker.placeOrder({ clientOrderId: id, symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.5 });
    expect(r).toMatchObject({ status: 'accepted', order: { status: 'partially_filled', filledQtyBase: 0.2 } });
    sim.step(60_000);
    expect(await broker.fetchOrder(SYMBOL, id)).toMatchObject({ status: 'filled', filledQtyBase: 0.5 });
    const fills = (await broker.fetchFills(SYMBOL, T0)).filter((f) => f.clientOrderId === id);
    expect(fills.reduce((s, f) => s + f.qtyBase, 0)).toBeCloseTo(0.5 * 0.999, 9);
    expect(await venueOrdersWith(id)).toBe(1);
  });

  it('insufficient funds → denied, nothing placed', async () => {
    const id = cid('poor');
    const r = await broker.placeOrder({ clientOrderId: id, symbol: SYMBOL, side: 'buy', type: 'limit', purpose: 'entry', qtyBase: 5000, limitPriceQuote: 99 });
    expect(r).toMatchObject({ status: 'denied', reason: { code: 'INSUFFICIENT_FUNDS' } });
    expect(await venueOrdersWith(id)).toBe(0);
  });

  it('stop rejected by the venue → denied (the order manager then exits), nothing placed', async () => {
    await broker.placeOrder({ clientOrderId: cid('stopbuy'), symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.1 });
    const id = `wS_rej_${++seq}`;
    sim.faults.rejectNextStopOrder();
    const r = await broker.placeOrder({
      clientOrderId: id,
      symbol: SYMBOL,
      side: 'sell',
      type: 'stop_market',
      purpose: 'stop',
      qtyBase: 0.1,
      triggerPriceQuote: sim.priceOf(SYMBOL) * 0.9,
    });
    expect(r).toMatchObject({ status: 'denied', reason: { code: 'STOP_WOULD_TRIGGER' } });
    expect(await venueOrdersWith(id)).toBe(0);
  });

  it('bad API secret → ExchangeError with action stop, secret not in the message', async () => {
    const bad = await createCcxtExchange({
      exchangeId: 'binance',
      apiKey: KEY,
      secret: 'wrong-secret-zzzz',
      urls: { rest: sim.restUrl, ws: sim.wsUrl },
      timeoutMs: TIMEOUT_MS,
    });
    try {
      const b = await CcxtBroker.create(bad, brokerOptions());
      const id = cid('auth');
      const err = await b.placeOrder({ clientOrderId: id, symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ExchangeError);
      expect(err).toMatchObject({ action: 'stop', code: 'AUTHENTICATION_FAILED' });
      const text = String((err as Error).message);
      expect(text).not.toContain('wrong-secret-zzzz');
      expect(text).not.toContain(KEY);
      await expect(b.fetchBalance()).rejects.toMatchObject({ action: 'stop' });
      expect(await venueOrdersWith(id)).toBe(0);
    } finally {
      await bad.close();
    }
  });
});

describe('clock skew', () => {
  it('InvalidNonce → re-measures the time difference and retries once: placed once; without a resync → denied CLOCK_SKEW', async () => {
    // The simulator checks recvWindow against wall time, so its clock must run near wall time here.
    const now = Date.now();
    const s = await startExchangeSimulator({
      markets: [
        {
          symbol: SYMBOL,
          pricePath: [
            { timeMs: now - HOUR, price: 100 },
            { timeMs: now + HOUR, price: 100 },
          ],
        },
      ],
      startTimeMs: now,
    });
    const e = await createCcxtExchange({ exchangeId: 'binance', apiKey: 'k', secret: 's', urls: { rest: s.restUrl, ws: s.wsUrl }, timeoutMs: TIMEOUT_MS });
    try {
      const b = await CcxtBroker.create(e, brokerOptions());
      s.faults.setClockSkew(30_000);
      const id = 'wE_skew_1';
      const r = await b.placeOrder({ clientOrderId: id, symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.1 });
      expect(r).toMatchObject({ status: 'accepted', order: { status: 'filled' } });
      expect((await e.fetchOrders(SYMBOL)).filter((o) => o.clientOrderId === id)).toHaveLength(1);

      // A client that cannot re-measure its clock: denied, nothing placed.
      const noResync: CcxtExchangeLike = {
        loadMarkets: (r2) => e.loadMarkets(r2),
        createOrder: (...a) => e.createOrder(a[0], a[1] as 'market', a[2] as 'buy', a[3], a[4], { ...a[5], recvWindow: 5000 }),
        fetchOrder: (id2, sym, p) => e.fetchOrder(id2 as string, sym, p),
        cancelOrder: (id2, sym, p) => e.cancelOrder(id2 as string, sym, p),
        fetchOpenOrders: (sym) => e.fetchOpenOrders(sym),
        fetchMyTrades: (sym, since, limit) => e.fetchMyTrades(sym, since, limit),
        fetchBalance: () => e.fetchBalance(),
      };
      const b2 = await CcxtBroker.create(noResync, brokerOptions());
      s.faults.setClockSkew(-60_000);
      const r2 = await b2.placeOrder({ clientOrderId: 'wE_skew_2', symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.1 });
      expect(r2).toMatchObject({ status: 'denied', reason: { code: 'CLOCK_SKEW' } });
      s.faults.clear();
      await e.loadTimeDifference();
      expect((await e.fetchOrders(SYMBOL)).filter((o) => o.clientOrderId === 'wE_skew_2')).toHaveLength(0);
    } finally {
      await e.close();
      await s.close();
    }
  });
});
