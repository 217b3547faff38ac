/**
 * One Broker contract, run against every adapter (as bullmq runs one suite against each of its
 * connections): the PaperBroker driven by candles, and the CcxtBroker through the real ccxt client
 * against the exchange simulator. Same scenario, same assertions: market orders fill, a repeated
 * client order id of a live order never makes a second one (a filled id may be reused on Binance:
 * the order manager's records hold that line), a stop rests and fires when the price goes through
 * it, cancel ends an order (and an unknown id is null), fills are paged by time, a refused order is
 * a classified denial — never a throw.
 */
import type { Exchange } from 'ccxt';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock, silentLogger, type Broker, type MarketRules, type SeriesKey } from '../src/core/index.js';
import { CcxtBroker } from '../src/execution/brokers/ccxt-broker.js';
import { RateBudget } from '../src/execution/brokers/rate-budget.js';
import { PaperBroker } from '../src/execution/index.js';
import { createCcxtExchange } from '../src/market/ccxt-client.js';
import { startExchangeSimulator, type SimulatorHandle } from '../src/simulator/simulator.js';

const SYMBOL = 'BTC/USDT';
const SERIES: SeriesKey = { exchange: 'binance', symbol: SYMBOL, timeframe: '1h' };
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
/** Hour i's price: steady, then a drop through any stop placed at 95 % (hour 4). */
const PRICES = [100, 100, 100, 100, 90, 90, 90, 90];

/** A venue under test: its Broker and how to move its market to the close of hour i. */
interface Venue {
  readonly broker: Broker;
  /** Moves time to the end of hour i (the market trades through hour i's price). */
  advance(i: number): Promise<void>;
  close(): Promise<void>;
}

async function paperVenue(): Promise<Venue> {
  const clock = new ManualClock(T0);
  const rules: MarketRules = { symbol: SYMBOL, tickSize: 0.01, stepSize: 0.00001, minQtyBase: 0.00001, minNotionalQuote: 5 };
  const broker = new PaperBroker({ rules: { [SYMBOL]: rules }, initialQuote: 10_000, fillModel: { slippageBps: 0, takerFeeBps: 10, makerFeeBps: 10 } }, clock);
  return {
    broker,
    advance: (i) => {
      const p = PRICES[i] as number;
      const prev = PRICES[Math.max(0, i - 1)] as number;
      clock.set(T0 + (i + 1) * H);
      broker.onCandle(SERIES, { openTimeMs: T0 + i * H, open: prev, high: Math.max(prev, p), low: Math.min(prev, p), close: p, volume: 1 });
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

async function ccxtVenue(): Promise<Venue> {
  const sim: SimulatorHandle = await startExchangeSimulator({
    markets: [{ symbol: SYMBOL, pricePath: PRICES.map((price, i) => ({ timeMs: T0 + i * H, price })) }],
    balances: { USDT: 10_000 },
    startTimeMs: T0 + 60_000,
  });
  const ex: Exchange = await createCcxtExchange({
    exchangeId: 'binance',
    apiKey: 'k',
    secret: 's',
    urls: { rest: sim.restUrl, ws: sim.wsUrl },
    timeoutMs: 2_000,
  });
  const broker = await CcxtBroker.create(ex, {
    symbols: [SYMBOL],
    sleep: () => Promise.resolve(),
    rateBudget: new RateBudget({ burst: 1000, perSecond: 1000 }),
    reconcile: { lookups: 3, delayMs: 0, notFoundConfirmations: 2 },
    clock: { nowMs: () => sim.nowMs() },
    logger: silentLogger,
    referencePriceQuote: () => sim.priceOf(SYMBOL),
  });
  return {
    broker,
    advance: (i) => {
      // The simulator interpolates between the path's points: one minute past hour i is at hour i's price.
      sim.advanceTo(T0 + i * H + 60_000);
      return Promise.resolve();
    },
    close: async () => {
      await ex.close();
      await sim.close();
    },
  };
}

/** The status the venue reports for an order of ours. */
async function statusOf(broker: Broker, id: string): Promise<string | undefined> {
  return (await broker.fetchOrder(SYMBOL, id))?.status;
}

const ADAPTERS: readonly [string, () => Promise<Venue>][] = [
  ['PaperBroker', paperVenue],
  ['CcxtBroker (exchange simulator)', ccxtVenue],
];

describe.each(ADAPTERS)('Broker contract: %s', (_name, make) => {
  const venues: Venue[] = [];
  afterAll(async () => {
    for (const v of venues) await v.close();
  });

  it('market order fills; the same client id again is the same order; stop rests then fires through its trigger; cancel; fills paged by time; a refused order is a classified denial', async () => {
    const v = await make();
    venues.push(v);
    const b = v.broker;
    expect(b.marketRules(SYMBOL).stepSize).toBeGreaterThan(0);

    // Market buy: accepted, then filled (a simulated venue fills at the next candle's open).
    const buy = await b.placeOrder({ clientOrderId: 'wE_conf_buy', symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 1 });
    expect(buy.status).toBe('accepted');
    await v.advance(1);
    expect(await statusOf(b, 'wE_conf_buy')).toBe('filled');
    const afterBuy = await b.fetchBalance();
    expect(afterBuy.base['BTC'] ?? 0).toBeGreaterThan(0.99);

    await v.advance(2);
    const buyFills = (await b.fetchFills(SYMBOL, T0)).filter((f) => f.clientOrderId === 'wE_conf_buy');
    // Within the fee: a venue that takes it from the asset received (Binance) reports the net quantity.
    expect(buyFills.reduce((a, f) => a + f.qtyBase, 0)).toBeCloseTo(1, 2);
    const held = (await b.fetchBalance()).base['BTC'] ?? 0;

    // A stop below the market rests (open) until the price goes through it, then fills.
    const qty = Math.floor(held * 0.5 * 1e5) / 1e5;
    const stopRequest = {
      clientOrderId: 'wS_conf_stop',
      symbol: SYMBOL,
      side: 'sell',
      type: 'stop_market',
      purpose: 'stop',
      qtyBase: qty,
      triggerPriceQuote: 95,
      reduceOnly: true,
    } as const;
    expect((await b.placeOrder(stopRequest)).status).toBe('accepted');
    // Idempotency: the same client id while the order lives is that order (or a denial), never a second one.
    const again = await b.placeOrder(stopRequest);
    if (again.status === 'accepted') expect(again.order.clientOrderId).toBe('wS_conf_stop');
    await v.advance(3);
    expect((await b.fetchOpenOrders(SYMBOL)).filter((o) => o.clientOrderId === 'wS_conf_stop')).toHaveLength(1);
    const stopFrom = T0 + 3 * H + 120_000; // after every fill so far, before the drop
    await v.advance(4); // the price drops to 90
    expect(await statusOf(b, 'wS_conf_stop')).toBe('filled');
    const stopFills = (await b.fetchFills(SYMBOL, stopFrom)).filter((f) => f.clientOrderId === 'wS_conf_stop');
    expect(stopFills.reduce((a, f) => a + f.qtyBase, 0)).toBeCloseTo(qty, 9);
    expect(stopFills.every((f) => f.priceQuote <= 95 && f.priceQuote >= 85)).toBe(true);

    // Fills are paged by time: from after the stop, none of the earlier ones.
    const later = await b.fetchFills(SYMBOL, stopFrom);
    expect(later.some((f) => f.clientOrderId === 'wE_conf_buy')).toBe(false);
    expect(later.every((f) => f.timeMs >= stopFrom)).toBe(true);

    // Cancel: a resting stop ends canceled and leaves the open orders; an unknown id is null.
    const rest = await b.placeOrder({
      clientOrderId: 'wS_conf_rest',
      symbol: SYMBOL,
      side: 'sell',
      type: 'stop_market',
      purpose: 'stop',
      qtyBase: 0.1,
      triggerPriceQuote: 80,
      reduceOnly: true,
    });
    expect(rest.status).toBe('accepted');
    const canceled = await b.cancelOrder(SYMBOL, 'wS_conf_rest');
    expect(canceled?.status).toBe('canceled');
    expect((await b.fetchOpenOrders(SYMBOL)).map((o) => o.clientOrderId)).not.toContain('wS_conf_rest');
    expect(await b.fetchOrder(SYMBOL, 'wX_never_placed')).toBeNull();

    // A refused order is a value with a code, not a throw; nothing rests.
    const tiny = await b.placeOrder({ clientOrderId: 'wE_conf_tiny', symbol: SYMBOL, side: 'buy', type: 'market', purpose: 'entry', qtyBase: 0.000001 });
    expect(tiny.status).toBe('denied');
    expect(tiny.status === 'denied' ? tiny.reason.code : '').toMatch(/^[A-Z_]+$/);
    expect((await b.fetchOpenOrders(SYMBOL)).map((o) => o.clientOrderId)).not.toContain('wE_conf_tiny');
  });
});
