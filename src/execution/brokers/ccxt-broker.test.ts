import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import { ExchangeError } from '../../core/index.js';
import { CcxtBroker, type CcxtBrokerOptions } from './ccxt-broker.js';
import { orderStatusOf } from './ccxt-payloads.js';
import type { CcxtExchangeLike } from './exchange-like.js';
import { RateBudget } from './rate-budget.js';

const SYMBOL = 'BTC/USDT';
const MARKET = {
  symbol: SYMBOL,
  base: 'BTC',
  quote: 'USDT',
  spot: true,
  precision: { price: 0.01, amount: 0.001 },
  limits: { amount: { min: 0.001 }, cost: { min: 10 } },
};

type Step = () => unknown;
type Args = readonly unknown[];

/** A scripted stand-in for a ccxt exchange: each call takes the next scripted step (or a default answer). */
class FakeExchange implements CcxtExchangeLike {
  readonly apiKey = 'fake-api-key-123';
  readonly secret = 'fake-secret-456';
  readonly calls: Array<{ readonly fn: string; readonly args: Args }> = [];
  readonly script: Record<string, Step[]> = {};

  private next(fn: string, args: Args, fallback: Step): unknown {
    this.calls.push({ fn, args });
    const step = this.script[fn]?.shift() ?? fallback;
    return step();
  }
  count(fn: string): number {
    return this.calls.filter((c) => c.fn === fn).length;
  }
  loadMarkets(): Promise<Record<string, unknown>> {
    return Promise.resolve({ [SYMBOL]: MARKET });
  }
  createOrder(...args: [string, string, string, number, number?, Record<string, unknown>?]): Promise<unknown> {
    return Promise.resolve().then(() => this.next('createOrder', args, () => order({ amount: args[3], clientOrderId: String(args[5]?.['clientOrderId']) })));
  }
  fetchOrder(...args: [string | undefined, string?, Record<string, unknown>?]): Promise<unknown> {
    return Promise.resolve().then(() => this.next('fetchOrder', args, () => order({})));
  }
  cancelOrder(...args: [string | undefined, string?, Record<string, unknown>?]): Promise<unknown> {
    return Promise.resolve().then(() => this.next('cancelOrder', args, () => order({ status: 'canceled' })));
  }
  fetchOpenOrders(...args: [string?]): Promise<unknown[]> {
    return Promise.resolve().then(() => this.next('fetchOpenOrders', args, () => []) as unknown[]);
  }
  fetchMyTrades(...args: [string?, number?, number?, Record<string, unknown>?]): Promise<unknown[]> {
    return Promise.resolve().then(() => this.next('fetchMyTrades', args, () => []) as unknown[]);
  }
  fetchBalance(): Promise<unknown> {
    return Promise.resolve().then(() => this.next('fetchBalance', [], () => ({ free: { USDT: 90, BTC: 0.5 }, total: { USDT: 100, BTC: 0.5, ETH: 0 } })));
  }
}

function order(o: Record<string, unknown>): Record<string, unknown> {
  return {
    id: '42',
    clientOrderId: 'wE_x',
    timestamp: 1_000,
    symbol: SYMBOL,
    type: 'market',
    side: 'buy',
    amount: 0.5,
    filled: 0.5,
    average: 100,
    status: 'closed',
    trades: [],
    ...o,
  };
}
const fail =
  (err: Error): Step =>
  () => {
    throw err;
  };

async function makeBroker(ex: FakeExchange, extra: Partial<CcxtBrokerOptions> = {}): Promise<CcxtBroker> {
  return CcxtBroker.create(ex, {
    symbols: [SYMBOL],
    sleep: () => Promise.resolve(),
    rateBudget: new RateBudget({ burst: 1000, perSecond: 1000 }),
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    reconcile: { lookups: 3, delayMs: 1, notFoundConfirmations: 2 },
    ...extra,
  });
}

const buy = { clientOrderId: 'wE_t_0_abc', symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.5 } as const;

describe('CcxtBroker (scripted exchange)', () => {
  it('market order: amount truncated to the step, no price, client id as ccxt param', async () => {
    const ex = new FakeExchange();
    const b = await makeBroker(ex);
    await b.placeOrder({ ...buy, qtyBase: 0.5009 });
    expect(ex.calls.find((c) => c.fn === 'createOrder')?.args).toEqual([SYMBOL, 'market', 'buy', 0.5, undefined, { clientOrderId: buy.clientOrderId }]);
  });

  it('buy stop (short cover): trigger and limit rounded UP, limit 0.5 % above', async () => {
    const ex = new FakeExchange();
    const b = await makeBroker(ex);
    const r = await b.placeOrder({
      clientOrderId: 'wS_1',
      symbol: SYMBOL,
      side: 'buy',
      type: 'stop_market',
      purpose: 'stop',
      qtyBase: 0.5,
      triggerPriceQuote: 100.004,
    });
    expect(ex.calls.find((c) => c.fn === 'createOrder')?.args).toEqual([SYMBOL, 'limit', 'buy', 0.5, 100.52, { clientOrderId: 'wS_1', stopLossPrice: 100.01 }]);
    expect(r).toMatchObject({ status: 'accepted', order: { type: 'stop_market', triggerPriceQuote: 100.01, limitPriceQuote: 100.52 } });
  });

  it('timeout, then lookups that keep failing → unknown, sent exactly once (never blind)', async () => {
    const ex = new FakeExchange();
    ex.script['createOrder'] = [fail(new ccxt.RequestTimeout('timed out'))];
    ex.script['fetchOrder'] = [fail(new ccxt.NetworkError('x')), fail(new ccxt.RequestTimeout('x')), fail(new ccxt.ExchangeNotAvailable('x'))];
    const r = await (await makeBroker(ex)).placeOrder(buy);
    expect(r).toMatchObject({ status: 'unknown', reason: { code: 'TIMEOUT' } });
    expect(ex.count('createOrder')).toBe(1);
    expect(ex.count('fetchOrder')).toBe(3);
  });

  it('timeout, order confirmed absent → one re-send with the same id; absent again → unknown (two sends in all)', async () => {
    const ex = new FakeExchange();
    const notFound = fail(new ccxt.OrderNotFound('binance {"code":-2013,"msg":"Order does not exist."}'));
    ex.script['createOrder'] = [fail(new ccxt.RequestTimeout('x')), fail(new ccxt.RequestTimeout('x'))];
    ex.script['fetchOrder'] = [notFound, notFound, notFound, notFound];
    const r = await (await makeBroker(ex)).placeOrder(buy);
    expect(r.status).toBe('unknown');
    const sends = ex.calls.filter((c) => c.fn === 'createOrder');
    expect(sends).toHaveLength(2);
    expect(sends.map((c) => (c.args[5] as Record<string, unknown>)['clientOrderId'])).toEqual([buy.clientOrderId, buy.clientOrderId]);
  });

  it('rate limit that never ends → denied RATE_LIMITED after the configured attempts', async () => {
    const ex = new FakeExchange();
    ex.script['createOrder'] = [1, 2, 3].map(() => fail(new ccxt.DDoSProtection('429')));
    expect(await (await makeBroker(ex)).placeOrder(buy)).toMatchObject({ status: 'denied', reason: { code: 'RATE_LIMITED' } });
    expect(ex.count('createOrder')).toBe(3);
  });

  it('authentication failure → ExchangeError stop, key and secret scrubbed', async () => {
    const ex = new FakeExchange();
    ex.script['createOrder'] = [fail(new ccxt.AuthenticationError('binance key fake-api-key-123 secret fake-secret-456 rejected'))];
    const err = await (await makeBroker(ex)).placeOrder(buy).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExchangeError);
    expect(err).toMatchObject({ action: 'stop', code: 'AUTHENTICATION_FAILED' });
    expect((err as Error).message).not.toMatch(/fake-api-key-123|fake-secret-456/);
  });

  it('fills: a base-asset fee on a buy → qty net of it, fee converted at the trade price; third-asset fee booked 0, client id looked up once per order', async () => {
    const ex = new FakeExchange();
    ex.script['fetchMyTrades'] = [
      () => [
        { id: 't1', order: '77', timestamp: 5, symbol: SYMBOL, side: 'buy', price: 100, amount: 0.2, fee: { cost: 0.0002, currency: 'BTC' } },
        { id: 't2', order: '77', timestamp: 6, symbol: SYMBOL, side: 'buy', price: 101, amount: 0.3, fee: { cost: 0.01, currency: 'BNB' } },
      ],
    ];
    ex.script['fetchOrder'] = [() => order({ id: '77', clientOrderId: 'wE_seventy7' })];
    const fills = await (await makeBroker(ex)).fetchFills(SYMBOL, 0);
    expect(fills).toEqual([
      {
        tradeId: 't1',
        clientOrderId: 'wE_seventy7',
        symbol: SYMBOL,
        side: 'buy',
        qtyBase: expect.closeTo(0.1998, 12) as number,
        priceQuote: 100,
        feeQuote: expect.closeTo(0.02, 12) as number,
        timeMs: 5,
      },
      { tradeId: 't2', clientOrderId: 'wE_seventy7', symbol: SYMBOL, side: 'buy', qtyBase: 0.3, priceQuote: 101, feeQuote: 0, timeMs: 6 },
    ]);
    expect(ex.count('fetchOrder')).toBe(1);
  });

  it('fetchFills pages by trade id after the first page', async () => {
    const ex = new FakeExchange();
    const trade = (i: number): Record<string, unknown> => ({
      id: String(i),
      order: '9',
      timestamp: 100 + i,
      symbol: SYMBOL,
      side: 'sell',
      price: 100,
      amount: 0.001,
      fee: { cost: 0.0001, currency: 'USDT' },
    });
    ex.script['fetchMyTrades'] = [() => Array.from({ length: 500 }, (_, i) => trade(i + 1)), () => [trade(501), trade(502)]];
    ex.script['fetchOrder'] = [() => order({ id: '9', clientOrderId: 'wX_nine' })];
    const fills = await (await makeBroker(ex)).fetchFills(SYMBOL, 50);
    expect(fills).toHaveLength(502);
    expect(fills.every((f) => f.clientOrderId === 'wX_nine' && f.qtyBase === 0.001)).toBe(true);
    const pages = ex.calls.filter((c) => c.fn === 'fetchMyTrades').map((c) => c.args);
    expect(pages).toEqual([
      [SYMBOL, 50, 500, {}],
      [SYMBOL, undefined, 500, { fromId: 501 }],
    ]);
  });

  it('balance: quote of the first symbol, base holdings above zero; payloads are parsed', async () => {
    const ex = new FakeExchange();
    const b = await makeBroker(ex);
    expect(await b.fetchBalance()).toEqual({ freeQuote: 90, totalQuote: 100, base: { BTC: 0.5 } });
    ex.script['fetchOpenOrders'] = [() => [{ nonsense: true }]];
    await expect(b.fetchOpenOrders()).rejects.toThrow(/unexpected payload/);
  });

  it('maps ccxt statuses', () => {
    expect([
      orderStatusOf('open', 0),
      orderStatusOf('open', 0.1),
      orderStatusOf('closed', 1),
      orderStatusOf('canceled', 0),
      orderStatusOf('expired', 0),
      orderStatusOf('rejected', 0),
      orderStatusOf(undefined, 0),
    ]).toEqual(['open', 'partially_filled', 'filled', 'canceled', 'expired', 'rejected', 'unknown']);
  });

  it('refuses unknown symbols at construction', async () => {
    await expect(CcxtBroker.create(new FakeExchange(), { symbols: ['NOPE/USDT'] })).rejects.toThrow(/NOPE\/USDT/);
  });
});
