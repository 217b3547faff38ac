/**
 * Each simulator fault as the real ccxt client sees it: the error class that surfaces is what
 * wick's broker and candle source classify (retry, reconcile, deny, stop).
 */
import ccxt, { type Exchange } from 'ccxt';
import { afterEach, describe, expect, it } from 'vitest';
import { createCcxtExchange, type CcxtExchangeOptions } from '../market/ccxt-client.js';
import { startExchangeSimulator, type SimulatorHandle } from './simulator.js';
import { HOUR_MS, syntheticHourlyCandles } from './testing.js';

const T0 = Date.UTC(2024, 0, 1);
const START = T0 + 24 * HOUR_MS + 30 * 60_000;
const TIMEOUT_MS = 600;

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

async function pair(extra: Partial<CcxtExchangeOptions> = {}): Promise<{ sim: SimulatorHandle; ex: Exchange }> {
  const sim = await startExchangeSimulator({
    markets: [{ symbol: 'BTC/USDT', candles: syntheticHourlyCandles(T0, 48, 100), timeframe: '1h' }],
    balances: { USDT: 10_000 },
    startTimeMs: START,
  });
  const ex = await createCcxtExchange({
    exchangeId: 'binance',
    apiKey: 'k',
    secret: 's',
    urls: { rest: sim.restUrl, ws: sim.wsUrl },
    timeoutMs: TIMEOUT_MS,
    ...extra,
  });
  closers.push(
    () => sim.close(),
    () => ex.close(),
  );
  await ex.loadMarkets();
  return { sim, ex };
}

async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

function pendingState(p: Promise<unknown>): Promise<'pending' | 'settled'> {
  return Promise.race([
    p.then(
      () => 'settled' as const,
      () => 'settled' as const,
    ),
    new Promise<'pending'>((r) => setTimeout(() => r('pending'), 400)),
  ]);
}

describe('simulator faults seen through ccxt', () => {
  it('latency below the timeout only slows; above it → RequestTimeout', async () => {
    const { sim, ex } = await pair();
    sim.faults.setLatency(200);
    const t = Date.now();
    await ex.fetchTime();
    expect(Date.now() - t).toBeGreaterThanOrEqual(190);
    sim.faults.setLatency(TIMEOUT_MS + 300, '/api/v3/account');
    expect(await errorOf(ex.fetchBalance())).toBeInstanceOf(ccxt.RequestTimeout);
    sim.faults.clear();
    await expect(ex.fetchBalance()).resolves.toBeDefined();
  });

  it('429 and 418 storms → DDoSProtection for N requests, then normal again', async () => {
    const { sim, ex } = await pair();
    sim.faults.failHttp({ status: 429, count: 2 });
    expect(await errorOf(ex.fetchTime())).toBeInstanceOf(ccxt.DDoSProtection);
    expect(await errorOf(ex.fetchTime())).toBeInstanceOf(ccxt.DDoSProtection);
    await expect(ex.fetchTime()).resolves.toBeGreaterThan(0);
    sim.faults.failHttp({ status: 418, count: 1 });
    expect(await errorOf(ex.fetchOHLCV('BTC/USDT', '1h'))).toBeInstanceOf(ccxt.DDoSProtection);
  });

  it('5xx storms → ExchangeNotAvailable, except 504 → RequestTimeout (gateway gave up: outcome unknown)', async () => {
    const { sim, ex } = await pair();
    const expected = { 500: ccxt.ExchangeNotAvailable, 502: ccxt.ExchangeNotAvailable, 503: ccxt.ExchangeNotAvailable, 504: ccxt.RequestTimeout } as const;
    for (const status of [500, 502, 503, 504] as const) {
      sim.faults.failHttp({ status, count: 1 });
      const err = await errorOf(ex.fetchTime());
      expect(err, `HTTP ${status}`).toBeInstanceOf(expected[status]);
    }
    await expect(ex.fetchTime()).resolves.toBeGreaterThan(0);
  });

  it('timeout after accepting an order → RequestTimeout, yet the order exists and is found by client id', async () => {
    const { sim, ex } = await pair();
    sim.faults.timeoutNextOrders({ mode: 'hang' });
    const err = await errorOf(ex.createOrder('BTC/USDT', 'market', 'buy', 0.1, undefined, { clientOrderId: 'wick-hang-1' }));
    expect(err).toBeInstanceOf(ccxt.RequestTimeout);
    const found = await ex.fetchOrder(undefined as unknown as string, 'BTC/USDT', { origClientOrderId: 'wick-hang-1' });
    expect(found).toMatchObject({ status: 'closed', filled: 0.1 });
    sim.faults.timeoutNextOrders({ mode: 'delay', delayMs: TIMEOUT_MS + 400 });
    expect(await errorOf(ex.createOrder('BTC/USDT', 'market', 'buy', 0.1, undefined, { clientOrderId: 'wick-late-1' }))).toBeInstanceOf(ccxt.RequestTimeout);
    await expect(ex.fetchOrder(undefined as unknown as string, 'BTC/USDT', { origClientOrderId: 'wick-late-1' })).resolves.toMatchObject({ status: 'closed' });
  });

  it('connection dropped after accepting an order → NetworkError (outcome unknown)', async () => {
    const { sim, ex } = await pair();
    sim.faults.timeoutNextOrders({ mode: 'drop' });
    const err = await errorOf(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.1, 90, { clientOrderId: 'wick-drop-1' }));
    expect(err).toBeInstanceOf(ccxt.NetworkError);
    expect(err).not.toBeInstanceOf(ccxt.RequestTimeout);
    expect(sim.openOrders('BTC/USDT').map((o) => o.clientOrderId)).toEqual(['wick-drop-1']);
  });

  it('partial fill: part now (status open), the rest after the clock moves', async () => {
    const { sim, ex } = await pair();
    sim.faults.partialFills(0.4);
    const order = await ex.createOrder('BTC/USDT', 'market', 'buy', 0.5, undefined, { clientOrderId: 'wick-part-1' });
    expect(order).toMatchObject({ status: 'open', filled: 0.2 });
    sim.step(60_000);
    const later = await ex.fetchOrder(String(order.id), 'BTC/USDT');
    expect(later).toMatchObject({ status: 'closed', filled: 0.5 });
    expect(await ex.fetchMyTrades('BTC/USDT')).toHaveLength(2);
  });

  it('rejecting the next stop order → InvalidOrder (OrderImmediatelyFillable by default), the one after passes', async () => {
    const { sim, ex } = await pair();
    await ex.createOrder('BTC/USDT', 'market', 'buy', 0.2);
    sim.faults.rejectNextStopOrder();
    const price = sim.priceOf('BTC/USDT');
    const stop = Math.floor(price * 0.9 * 100) / 100;
    const err = await errorOf(ex.createOrder('BTC/USDT', 'limit', 'sell', 0.1, stop - 1, { stopLossPrice: stop }));
    expect(err).toBeInstanceOf(ccxt.InvalidOrder);
    expect(err).toBeInstanceOf(ccxt.OrderImmediatelyFillable);
    await expect(ex.createOrder('BTC/USDT', 'limit', 'sell', 0.1, stop - 1, { stopLossPrice: stop })).resolves.toMatchObject({ status: 'open' });
    sim.faults.rejectNextStopOrder({ code: -2010, msg: 'Order rejected.' });
    expect(await errorOf(ex.createOrder('BTC/USDT', 'limit', 'sell', 0.1, stop - 1, { stopLossPrice: stop }))).toBeInstanceOf(ccxt.InvalidOrder);
  });

  it('clock skew beyond recvWindow → InvalidNonce on signed calls; public calls unaffected', async () => {
    const { sim, ex } = await pair();
    sim.faults.setClockSkew(30_000); // server ahead: our timestamp is older than ccxt's recvWindow (10 s)
    expect(await errorOf(ex.fetchBalance())).toBeInstanceOf(ccxt.InvalidNonce);
    expect(await ex.fetchTime()).toBe(START + 30_000);
    sim.faults.setClockSkew(-5_000); // server behind: our timestamp is in its future
    expect(await errorOf(ex.fetchBalance())).toBeInstanceOf(ccxt.InvalidNonce);
    await expect(ex.fetchOHLCV('BTC/USDT', '1h', undefined, 2)).resolves.toHaveLength(2);
    sim.faults.setClockSkew(0);
    await expect(ex.fetchBalance()).resolves.toBeDefined();
  });

  it('dropped websocket → pending watch rejects with NetworkError; the next watch redials and resubscribes', async () => {
    const { sim, ex } = await pair();
    await ex.watchOHLCV('BTC/USDT', '1h');
    const pending = ex.watchOHLCV('BTC/USDT', '1h');
    sim.faults.dropWebSockets();
    const err = await errorOf(pending);
    expect(err).toBeInstanceOf(ccxt.NetworkError);
    const again = ex.watchOHLCV('BTC/USDT', '1h');
    await sim.waitForSubscription('btcusdt@kline_1h', 5000);
    sim.step(60_000);
    const rows = await again;
    expect(rows.length).toBeGreaterThan(0);
  });

  it('silent stall with pongs → watch just waits (needs a watchdog); without pongs → RequestTimeout after the keepalive', async () => {
    const { sim, ex } = await pair({ wsKeepAliveMs: 200 });
    await ex.watchOHLCV('BTC/USDT', '1h');
    sim.faults.stallWebSockets({ answerPings: true });
    const quiet = ex.watchOHLCV('BTC/USDT', '1h');
    sim.step(60_000);
    expect(await pendingState(quiet)).toBe('pending');
    sim.faults.stallWebSockets({ answerPings: false });
    const err = await errorOf(quiet);
    expect(err).toBeInstanceOf(ccxt.RequestTimeout);
  });
});
