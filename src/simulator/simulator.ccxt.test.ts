/**
 * The real ccxt client (binance, ccxt.pro) against the simulator over loopback: every call wick's
 * market and broker adapters rely on, and the error class each Binance rejection surfaces as.
 */
import ccxt, { type Exchange } from 'ccxt';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCcxtExchange } from '../market/ccxt-client.js';
import { startExchangeSimulator, type SimulatorHandle } from './simulator.js';
import { HOUR_MS, syntheticHourlyCandles } from './testing.js';

const T0 = Date.UTC(2024, 0, 1);
const CANDLES = syntheticHourlyCandles(T0, 48, 100);
/** Simulated "now": 24 closed candles behind us, 30 minutes into the 25th. */
const START = T0 + 24 * HOUR_MS + 30 * 60_000;
/** ETH follows a script: 100 now, 90 at +1 h, 110 at +2 h, 80 at +3 h, 100 at +4 h. */
const ETH_PATH = [
  { timeMs: T0, price: 100 },
  { timeMs: START, price: 100 },
  { timeMs: START + HOUR_MS, price: 90 },
  { timeMs: START + 2 * HOUR_MS, price: 110 },
  { timeMs: START + 3 * HOUR_MS, price: 80 },
  { timeMs: START + 4 * HOUR_MS, price: 100 },
];

let sim: SimulatorHandle;
let ex: Exchange;
const closers: Array<() => Promise<unknown>> = [];

async function startPair(): Promise<void> {
  sim = await startExchangeSimulator({
    markets: [
      { symbol: 'BTC/USDT', candles: CANDLES, timeframe: '1h' },
      { symbol: 'ETH/USDT', pricePath: ETH_PATH, volumePerHour: 100, stepSize: 0.001 },
    ],
    balances: { USDT: 10_000, ETH: 5 },
    startTimeMs: START,
    apiKey: 'test-key',
    apiSecret: 'test-secret',
  });
  ex = await createCcxtExchange({
    exchangeId: 'binance',
    apiKey: 'test-key',
    secret: 'test-secret',
    urls: { rest: sim.restUrl, ws: sim.wsUrl },
    timeoutMs: 3000,
  });
  const s = sim;
  const e = ex;
  closers.push(
    () => e.close(),
    () => s.close(),
  );
}

beforeEach(startPair);
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});
afterAll(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('ccxt binance against the simulator: market data', () => {
  it('loads spot markets with filters and order types, without sapi/fapi calls', async () => {
    const markets = await ex.loadMarkets();
    expect(Object.keys(markets).sort()).toEqual(['BTC/USDT', 'ETH/USDT']);
    const btc = markets['BTC/USDT'];
    expect(btc?.spot).toBe(true);
    expect(btc?.precision).toMatchObject({ price: 0.01, amount: 0.00001 });
    expect(btc?.limits.cost?.min).toBe(5);
    expect(btc?.info['orderTypes']).toContain('STOP_LOSS_LIMIT');
    expect(sim.requests.map((r) => r.path)).toEqual(['/api/v3/exchangeInfo']);
  });

  it('fetchOHLCV returns the CSV candles plus the still-forming one', async () => {
    const rows = await ex.fetchOHLCV('BTC/USDT', '1h', undefined, 5);
    expect(rows).toHaveLength(5);
    const closed = rows.slice(0, 4);
    const expected = CANDLES.slice(20, 24).map((c) => [c.openTimeMs, c.open, c.high, c.low, c.close, c.volume]);
    expect(closed).toEqual(expected);
    const forming = rows[4];
    expect(forming?.[0]).toBe(T0 + 24 * HOUR_MS);
    expect(forming?.[5]).toBeLessThan(10);
    const since = await ex.fetchOHLCV('BTC/USDT', '1h', T0, 3);
    expect(since.map((r) => r[0])).toEqual([T0, T0 + HOUR_MS, T0 + 2 * HOUR_MS]);
    const minutes = await ex.fetchOHLCV('BTC/USDT', '15m', undefined, 3);
    expect(minutes.map((r) => r[0])).toEqual([START - 30 * 60_000, START - 15 * 60_000, START]);
  });

  it('watchOHLCV gets pushed klines: the forming one, then the closed candle and the next at a boundary', async () => {
    const first = await ex.watchOHLCV('BTC/USDT', '1h');
    expect(first.map((r) => r[0])).toEqual([T0 + 24 * HOUR_MS]);
    const next = ex.watchOHLCV('BTC/USDT', '1h');
    sim.advanceTo(T0 + 25 * HOUR_MS + 10 * 60_000);
    const rows = await next;
    const c = CANDLES[24];
    if (c === undefined) throw new Error('fixture');
    expect(rows[0]).toEqual([c.openTimeMs, c.open, c.high, c.low, c.close, c.volume]);
    expect(rows[1]?.[0]).toBe(T0 + 25 * HOUR_MS);
    expect(sim.subscriberCount('btcusdt@kline_1h')).toBe(1);
  });

  it('pushes raw Binance kline events with the final flag (x) over the stream socket', async () => {
    const require = createRequire(import.meta.url);
    const { WebSocket } = require('ws') as {
      WebSocket: new (url: string) => { on(e: string, f: (d: Buffer) => void): void; send(s: string): void; close(): void };
    };
    const socket = new WebSocket(`${sim.wsUrl}/0`);
    const messages: Array<Record<string, unknown>> = [];
    await new Promise<void>((resolve) => socket.on('open', () => resolve()));
    socket.on('message', (d) => messages.push(JSON.parse(d.toString()) as Record<string, unknown>));
    socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['ethusdt@kline_1m'], id: 7 }));
    await sim.waitForSubscription('ethusdt@kline_1m');
    sim.advanceTo(START + 2 * 60_000 + 1000);
    await expect.poll(() => messages.length).toBeGreaterThanOrEqual(5);
    socket.close();
    expect(messages[0]).toEqual({ result: null, id: 7 });
    const klines = messages.slice(1).map((m) => m['k'] as Record<string, unknown>);
    expect(klines.map((k) => [k['t'], k['x']])).toEqual([
      [START, false],
      [START, true],
      [START + 60_000, true],
      [START + 120_000, false],
    ]);
    expect(klines[1]).toMatchObject({ s: 'ETHUSDT', i: '1m', T: START + 59_999, o: '100.00000000' });
    expect(typeof klines[1]?.['c']).toBe('string');
  });
});

describe('ccxt binance against the simulator: account and orders', () => {
  it('fetchBalance reads free and locked balances', async () => {
    const b = await ex.fetchBalance();
    expect(b['USDT']).toMatchObject({ free: 10_000, used: 0, total: 10_000 });
    expect(b['ETH']).toMatchObject({ free: 5 });
  });

  it('market order with a client id, then fetchOrder by that id and fetchMyTrades', async () => {
    await ex.loadMarkets();
    const order = await ex.createOrder('ETH/USDT', 'market', 'buy', 2, undefined, { clientOrderId: 'wick-eth-1' });
    expect(order).toMatchObject({ clientOrderId: 'wick-eth-1', status: 'closed', filled: 2, average: 100, cost: 200 });
    expect(order.fee).toMatchObject({ currency: 'ETH', cost: 0.002 }); // Binance charges a buy's fee in the asset received
    const fetched = await ex.fetchOrder(undefined as unknown as string, 'ETH/USDT', { origClientOrderId: 'wick-eth-1' });
    expect(fetched).toMatchObject({ id: order.id, clientOrderId: 'wick-eth-1', status: 'closed', filled: 2 });
    const trades = await ex.fetchMyTrades('ETH/USDT', START);
    expect(trades).toHaveLength(1);
    expect(trades[0]).toMatchObject({ order: order.id, side: 'buy', price: 100, amount: 2, fee: { cost: 0.002, currency: 'ETH' } });
    const b = await ex.fetchBalance();
    expect(b['USDT']?.free).toBeCloseTo(10_000 - 200, 8);
    expect(b['ETH']?.free).toBeCloseTo(5 + 1.998, 8);
    const post = sim.requests.find((r) => r.method === 'POST');
    expect(post?.path).toBe('/api/v3/order');
  });

  it('limit buy rests, shows in fetchOpenOrders, and fills on trade-through', async () => {
    await ex.loadMarkets();
    const order = await ex.createOrder('ETH/USDT', 'limit', 'buy', 1, 95, { clientOrderId: 'wick-lim-1' });
    expect(order.status).toBe('open');
    const open = await ex.fetchOpenOrders('ETH/USDT');
    expect(open.map((o) => o.clientOrderId)).toEqual(['wick-lim-1']);
    expect((await ex.fetchBalance())['USDT']?.used).toBeCloseTo(95, 8);
    sim.advanceTo(START + HOUR_MS);
    const filled = await ex.fetchOrder(String(order.id), 'ETH/USDT');
    expect(filled).toMatchObject({ status: 'closed', filled: 1, average: 95 });
    expect(await ex.fetchOpenOrders('ETH/USDT')).toHaveLength(0);
  });

  it('STOP_LOSS_LIMIT via stopLossPrice triggers and fills; cancelOrder cancels another', async () => {
    await ex.loadMarkets();
    const stop = await ex.createOrder('ETH/USDT', 'limit', 'sell', 1, 84, { stopLossPrice: 85, clientOrderId: 'wick-stop-1' });
    expect(stop).toMatchObject({ status: 'open', type: 'limit', triggerPrice: 85, price: 84 });
    expect((stop.info as Record<string, unknown>)['type']).toBe('STOP_LOSS_LIMIT');
    const resting = await ex.createOrder('ETH/USDT', 'limit', 'sell', 1, 150, { clientOrderId: 'wick-tp-1' });
    const canceled = await ex.cancelOrder(String(resting.id), 'ETH/USDT');
    expect(canceled.status).toBe('canceled');
    expect((canceled.info as Record<string, unknown>)['origClientOrderId']).toBe('wick-tp-1');
    sim.advanceTo(START + 3 * HOUR_MS); // 110 → 80 passes 85 at +2 h 50 min
    const done = await ex.fetchOrder(undefined as unknown as string, 'ETH/USDT', { origClientOrderId: 'wick-stop-1' });
    expect(done).toMatchObject({ status: 'closed', filled: 1, average: 85 });
    expect((await ex.fetchBalance())['ETH']).toMatchObject({ free: 4, used: 0 });
  });

  it('maps Binance rejections to ccxt error classes', async () => {
    await ex.loadMarkets();
    await ex.createOrder('ETH/USDT', 'limit', 'buy', 1, 50, { clientOrderId: 'wick-dup' });
    const dup = await errorOf(ex.createOrder('ETH/USDT', 'limit', 'buy', 1, 50, { clientOrderId: 'wick-dup' }));
    expect(dup).toBeInstanceOf(ccxt.InvalidOrder);
    expect(dup.message).toContain('Duplicate order sent.');
    const poor = await errorOf(ex.createOrder('ETH/USDT', 'market', 'buy', 120));
    expect(poor).toBeInstanceOf(ccxt.InsufficientFunds);
    const tiny = await errorOf(ex.createOrder('ETH/USDT', 'market', 'buy', 0.01));
    expect(tiny).toBeInstanceOf(ccxt.BadRequest);
    expect(tiny.message).toContain('Filter failure: NOTIONAL');
    const missing = await errorOf(ex.fetchOrder(undefined as unknown as string, 'ETH/USDT', { origClientOrderId: 'never-sent' }));
    expect(missing).toBeInstanceOf(ccxt.OrderNotFound);
    const cancelMissing = await errorOf(ex.cancelOrder('999999', 'ETH/USDT'));
    expect(cancelMissing).toBeInstanceOf(ccxt.OrderNotFound);
    const early = await errorOf(ex.createOrder('ETH/USDT', 'limit', 'sell', 1, 100, { stopLossPrice: 101 }));
    expect(early).toBeInstanceOf(ccxt.OrderImmediatelyFillable);
  });

  it('rejects a wrong API key and a bad signature as AuthenticationError', async () => {
    const wrong = await createCcxtExchange({
      exchangeId: 'binance',
      apiKey: 'other-key',
      secret: 'test-secret',
      urls: { rest: sim.restUrl, ws: sim.wsUrl },
      timeoutMs: 3000,
    });
    const badSig = await createCcxtExchange({
      exchangeId: 'binance',
      apiKey: 'test-key',
      secret: 'not-the-secret',
      urls: { rest: sim.restUrl, ws: sim.wsUrl },
      timeoutMs: 3000,
    });
    closers.push(
      () => wrong.close(),
      () => badSig.close(),
    );
    expect(await errorOf(wrong.fetchBalance())).toBeInstanceOf(ccxt.AuthenticationError);
    const sig = await errorOf(badSig.fetchBalance());
    expect(sig).toBeInstanceOf(ccxt.AuthenticationError);
    expect(sig.message).not.toContain('not-the-secret');
  });
});
