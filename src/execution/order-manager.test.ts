import { describe, expect, it } from 'vitest';
import type { Broker, Candle, Fill, LogFn, Logger, MarketRules, Order, OrderIntent, OrderRequest, PlaceOrderResult, SeriesKey } from '../core/index.js';
import { InvariantError, ManualClock } from '../core/index.js';
import { SimulatedVenueFeed } from './kernel/broker-feed.js';
import type { OrderManagerConfig } from './order-manager.js';
import { OrderManager } from './order-manager.js';
import type { PaperBrokerConfig } from './paper-broker.js';
import { PaperBroker } from './paper-broker.js';
import type { RiskConfig } from './risk-engine.js';
import { DEFAULT_RISK, RiskEngine } from './risk-engine.js';

const H = 3_600_000;

/** What the kernel does per candle before the decision: the simulated venue's reports, then the manager's candle work. The test drives its own clock. */
async function stepCandle(broker: PaperBroker, om: OrderManager, s: SeriesKey, candle: Candle): Promise<void> {
  await new SimulatedVenueFeed(broker, new ManualClock(), 0).sync(s, candle, om);
  await om.onCandleClosed(s, candle);
}
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % H);
const series: SeriesKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const rules: MarketRules = { symbol: 'BTC/USDT', tickSize: 0.01, stepSize: 0.001, minQtyBase: 0.001, minNotionalQuote: 5 };

interface Rig {
  clock: ManualClock;
  broker: PaperBroker;
  risk: RiskEngine;
  om: OrderManager;
  /** Next candle in time order; returns its open time. */
  step(open: number, high: number, low: number, close: number): Promise<number>;
  intent(fraction: number, ref: number): OrderIntent;
}

function rig(
  opts: {
    om?: Partial<OrderManagerConfig>;
    risk?: Partial<RiskConfig>;
    broker?: Partial<PaperBrokerConfig>;
    wrap?: (b: PaperBroker) => Broker;
    logger?: Logger;
  } = {},
): Rig {
  const clock = new ManualClock(T0);
  const broker = new PaperBroker(
    { rules: { 'BTC/USDT': rules }, initialQuote: 10_000, fillModel: { slippageBps: 0, takerFeeBps: 10, makerFeeBps: 10 }, ...opts.broker },
    clock,
  );
  const risk = new RiskEngine({ ...DEFAULT_RISK, ...opts.risk }, clock);
  const front = opts.wrap ? opts.wrap(broker) : broker;
  const om = new OrderManager(
    {
      account: 'test',
      initialCashQuote: 10_000,
      sizing: { mode: { kind: 'proportional' }, maxFraction: 1, maxNotionalQuote: Number.POSITIVE_INFINITY },
      ...opts.om,
    },
    { broker: front, risk, clock, ...(opts.logger ? { logger: opts.logger } : {}) },
  );
  let t = T0 - H;
  let last = T0 - H;
  return {
    clock,
    broker,
    risk,
    om,
    async step(open, high, low, close) {
      t += H;
      last = t;
      clock.set(t + H);
      await stepCandle(broker, om, series, { openTimeMs: t, open, high, low, close, volume: 1 });
      return t;
    },
    intent(fraction, ref) {
      return { intentId: `x-${last}`, series, candleOpenTimeMs: last, referencePriceQuote: ref, targetFraction: fraction, reason: 'test', signal: 0 };
    },
  };
}

describe('OrderManager with PaperBroker', () => {
  it('round trip: entry at the next open, stop armed, exit cancels the stop; PnL by hand', async () => {
    const r = rig();
    await r.step(100, 100, 100, 100);
    const sent = await r.om.onIntent(r.intent(0.5, 100));
    expect(sent).toMatchObject({ status: 'sent', order: { side: 'buy', qtyBase: 50, purpose: 'entry', status: 'open' } });
    expect(r.om.position('BTC/USDT')!.qtyBase).toBe(0); // nothing fills on the signal candle

    await r.step(102, 103, 101, 102.5);
    // buy 50 @ 102, fee 50 × 102 × 0.001 = 5.1
    const p = r.om.position('BTC/USDT')!;
    expect(p).toMatchObject({ qtyBase: 50, avgEntryPriceQuote: 102, realisedPnlQuote: 0, stopPriceQuote: 99.96 });
    expect(p.feesQuote).toBeCloseTo(5.1, 10);
    expect(r.om.cashQuote).toBeCloseTo(4_894.9, 8);
    expect(r.om.unrealisedPnlQuote('BTC/USDT')).toBeCloseTo(25, 10);
    expect(r.om.equityQuote()).toBeCloseTo(10_019.9, 8);
    const open = await r.broker.fetchOpenOrders('BTC/USDT');
    expect(open.map((o) => [o.type, o.purpose, o.qtyBase, o.triggerPriceQuote])).toEqual([['stop_market', 'stop', 50, 99.96]]);

    const exit = await r.om.onIntent(r.intent(0, 104));
    expect(exit).toMatchObject({ status: 'sent', order: { side: 'sell', qtyBase: 50, purpose: 'exit', reduceOnly: true } });
    expect((await r.broker.fetchOpenOrders('BTC/USDT')).map((o) => o.purpose)).toEqual(['exit']);
    expect(r.om.order(open[0]!.clientOrderId)!.status).toBe('canceled');

    await r.step(105, 106, 104, 105);
    // sell 50 @ 105: realised 50 × 3 = 150, fee 5.25
    const q = r.om.position('BTC/USDT')!;
    expect(q.qtyBase).toBe(0);
    expect(q.realisedPnlQuote).toBeCloseTo(150, 10);
    expect(q.feesQuote).toBeCloseTo(10.35, 10);
    expect(r.om.cashQuote).toBeCloseTo(10_139.65, 8);
    expect(r.om.equityQuote()).toBeCloseTo(10_000 + 150 - 10.35, 8);
    expect(r.broker.positionQtyBase('BTC/USDT')).toBe(0);
    expect((await r.broker.fetchBalance()).freeQuote).toBeCloseTo(r.om.cashQuote, 8);
  });

  it('stop-out: fills at the stop, realises the loss, starts the cooldown', async () => {
    const r = rig({ risk: { cooldownAfterStopMs: 2 * H } });
    await r.step(100, 100, 100, 100);
    await r.om.onIntent(r.intent(0.5, 100));
    await r.step(102, 103, 101, 102);
    await r.step(101, 101.5, 99, 100);
    // stop 99.96: realised 50 × (99.96 − 102) = −102; fees 5.1 + 4.998
    const p = r.om.position('BTC/USDT')!;
    expect(p.qtyBase).toBe(0);
    expect(p.realisedPnlQuote).toBeCloseTo(-102, 8);
    expect(p.feesQuote).toBeCloseTo(10.098, 8);
    expect(r.om.equityQuote()).toBeCloseTo(10_000 - 102 - 10.098, 8);
    expect(await r.om.onIntent(r.intent(0.5, 100))).toMatchObject({ status: 'denied', reason: { code: 'COOLDOWN_AFTER_STOP' } });
  });

  it('a stop armed after the entry fills at the open is checked against the same candle', async () => {
    const r = rig();
    await r.step(100, 100, 100, 100);
    await r.om.onIntent(r.intent(0.5, 100));
    await r.step(100, 100.5, 97, 98); // entry @ 100, stop 98 hit in the same candle
    const p = r.om.position('BTC/USDT')!;
    expect(p.qtyBase).toBe(0);
    expect(p.realisedPnlQuote).toBeCloseTo(-100, 8);
  });

  it('gap through the stop fills at the worse open', async () => {
    const r = rig();
    await r.step(100, 100, 100, 100);
    await r.om.onIntent(r.intent(0.5, 100));
    await r.step(100, 101, 99, 100);
    await r.step(90, 91, 89, 90);
    expect(r.om.position('BTC/USDT')!.realisedPnlQuote).toBeCloseTo(-500, 8);
  });

  it('take-profit and stop in one candle: the stop wins, the take-profit is canceled', async () => {
    const r = rig({ om: { stops: { stopLoss: { kind: 'pct', pct: 0.02 }, takeProfit: { kind: 'pct', pct: 0.04 } } } });
    await r.step(100, 100, 100, 100);
    await r.om.onIntent(r.intent(0.5, 100));
    await r.step(100, 101, 99, 100);
    expect((await r.broker.fetchOpenOrders()).map((o) => [o.purpose, o.triggerPriceQuote])).toEqual([
      ['stop', 98],
      ['take_profit', 104],
    ]);
    await r.step(100, 105, 97, 100);
    expect(r.om.position('BTC/USDT')!.realisedPnlQuote).toBeCloseTo(-100, 8);
    expect(await r.broker.fetchOpenOrders()).toHaveLength(0);
    expect(
      r.om
        .orders()
        .filter((o) => o.purpose === 'take_profit')
        .map((o) => o.status),
    ).toEqual(['canceled']);
  });

  it('trailing stop ratchets on closed candles and replaces the native stop', async () => {
    const r = rig({ om: { stops: { stopLoss: { kind: 'pct', pct: 0.02 }, trailing: { kind: 'pct', pct: 0.05 } } } });
    await r.step(100, 100, 100, 100);
    await r.om.onIntent(r.intent(0.5, 100));
    await r.step(100, 101, 99, 100);
    expect(r.om.position('BTC/USDT')!.stopPriceQuote).toBe(98); // 101 − 5 % = 95.95 < 98: unchanged
    await r.step(100, 110, 99, 109);
    expect(r.om.position('BTC/USDT')!.stopPriceQuote).toBe(104.5);
    const open = await r.broker.fetchOpenOrders();
    expect(open.map((o) => o.triggerPriceQuote)).toEqual([104.5]);
    await r.step(109, 109, 100, 101); // trips 104.5
    expect(r.om.position('BTC/USDT')!.realisedPnlQuote).toBeCloseTo(50 * 4.5, 8);
  });

  it('client-side guard when the broker holds no stops: exit at the next open', async () => {
    const r = rig({ broker: { nativeStops: false }, risk: { cooldownAfterStopMs: H } });
    await r.step(100, 100, 100, 100);
    await r.om.onIntent(r.intent(0.5, 100));
    await r.step(100, 101, 99, 100);
    expect(r.om.guard('BTC/USDT')).toMatchObject({ native: false, stopPriceQuote: 98 });
    expect(await r.broker.fetchOpenOrders()).toHaveLength(0);
    await r.step(100, 100, 97.5, 97.8); // low below 98 → market exit queued
    expect(
      r.om
        .orders()
        .filter((o) => o.purpose === 'stop')
        .map((o) => o.status),
    ).toEqual(['open']);
    await r.step(97, 98, 96, 97);
    const p = r.om.position('BTC/USDT')!;
    expect(p.qtyBase).toBe(0);
    expect(p.realisedPnlQuote).toBeCloseTo(-150, 8);
    expect(await r.om.onIntent(r.intent(0.5, 97))).toMatchObject({ status: 'denied', reason: { code: 'COOLDOWN_AFTER_STOP' } });
  });

  it('a stop that cannot be placed triggers an emergency exit', async () => {
    const errors: unknown[][] = [];
    const noop: LogFn = () => undefined;
    const logger: Logger = {
      trace: noop,
      debug: noop,
      info: noop,
      warn: noop,
      fatal: noop,
      error: ((...args: unknown[]) => void errors.push(args)) as LogFn,
      child: () => logger,
    };
    const r = rig({
      logger,
      wrap: (b) =>
        new Proxy(b, {
          get(target, prop, receiver) {
            if (prop === 'placeOrder') {
              return (req: OrderRequest): Promise<PlaceOrderResult> =>
                req.purpose === 'stop'
                  ? Promise.resolve({ status: 'denied', reason: { code: 'INVALID_ORDER', message: 'venue says no' } })
                  : target.placeOrder(req);
            }
            return Reflect.get(target, prop, receiver) as unknown;
          },
        }),
    });
    await r.step(100, 100, 100, 100);
    await r.om.onIntent(r.intent(0.5, 100));
    await r.step(100, 101, 99, 100);
    expect(r.om.orders().map((o) => [o.purpose, o.status])).toEqual([
      ['entry', 'filled'],
      ['stop', 'rejected'],
      ['emergency_exit', 'open'],
    ]);
    expect(r.om.guard('BTC/USDT')!.native).toBe(false);
    expect(r.om.emergencyExitCount).toBe(1);
    expect(errors).toEqual([[{ symbol: 'BTC/USDT', qtyBase: 50, why: 'INVALID_ORDER: venue says no' }, 'stop could not be placed: emergency exit']]);
    await r.step(101, 101, 100, 100);
    expect(r.om.position('BTC/USDT')!.qtyBase).toBe(0);
    expect(r.om.position('BTC/USDT')!.realisedPnlQuote).toBeCloseTo(50, 8);
  });

  it('skips as values: no change, pending order, rebalance band, below minimum; risk denials pass through', async () => {
    const r = rig({ risk: { maxNotionalPerSymbolQuote: 6_000 } });
    await r.step(100, 100, 100, 100);
    expect(await r.om.onIntent(r.intent(0, 100))).toMatchObject({ status: 'skipped', reason: { code: 'NO_CHANGE' } });
    expect(await r.om.onIntent(r.intent(0.00001, 100))).toMatchObject({ status: 'skipped', reason: { code: 'BELOW_MIN_NOTIONAL' } });
    expect(await r.om.onIntent(r.intent(0.7, 100))).toMatchObject({ status: 'denied', reason: { code: 'NOTIONAL_ABOVE_MAX' } });
    expect(await r.om.onIntent(r.intent(0.5, 100))).toMatchObject({ status: 'sent' });
    expect(await r.om.onIntent(r.intent(0.5, 100))).toMatchObject({ status: 'skipped', reason: { code: 'ORDER_PENDING' } });
    await r.step(100, 101, 99, 100);
    expect(await r.om.onIntent(r.intent(0.53, 100))).toMatchObject({ status: 'skipped', reason: { code: 'WITHIN_REBALANCE_BAND' } });
    expect(await r.om.onIntent(r.intent(0.3, 100))).toMatchObject({ status: 'sent', order: { side: 'sell', purpose: 'exit', qtyBase: 20.015 } }); // 0.3 × equity 9 995 (after the 5 fee) / 100 = 29.985
    await r.step(100, 101, 99, 100);
    expect(r.om.position('BTC/USDT')!.qtyBase).toBe(29.985);
    // the reduced position is still protected by a stop of its full size
    expect((await r.broker.fetchOpenOrders()).map((o) => [o.purpose, o.qtyBase])).toEqual([['stop', 29.985]]);
  });

  it('long-only: a short target only exits', async () => {
    const r = rig();
    await r.step(100, 100, 100, 100);
    await r.om.onIntent(r.intent(0.5, 100));
    await r.step(100, 101, 99, 100);
    expect(await r.om.onIntent(r.intent(-0.5, 100))).toMatchObject({ status: 'sent', order: { side: 'sell', qtyBase: 50, purpose: 'exit' } });
    await r.step(100, 101, 99, 100);
    expect(r.om.position('BTC/USDT')!.qtyBase).toBe(0);
    expect(await r.om.onIntent(r.intent(-0.5, 100))).toMatchObject({ status: 'skipped', reason: { code: 'NO_CHANGE' } });
  });

  it('a daily-loss REDUCING risk state still lets the exit through', async () => {
    const r = rig({ risk: { dailyLossLimitFraction: 0.007 } });
    await r.step(100, 100, 100, 100);
    await r.om.onIntent(r.intent(0.5, 100));
    await r.step(100, 101, 99, 99);
    expect(r.risk.state).toBe('ACTIVE');
    await r.step(99, 99, 98.5, 98.5); // equity 4 995 + 50 × 98.5 = 9 920: −0.8 % (−0.55 % at the previous close)
    expect(r.risk.state).toBe('REDUCING');
    expect(await r.om.onIntent(r.intent(0.9, 98.5))).toMatchObject({ status: 'denied', reason: { code: 'DAILY_LOSS_LIMIT' } });
    expect(await r.om.onIntent(r.intent(0, 98.5))).toMatchObject({ status: 'sent' });
  });
});

describe('OrderManager bookkeeping', () => {
  const fill = (tradeId: string, side: 'buy' | 'sell', qtyBase: number, priceQuote: number, feeQuote = 0, clientOrderId = 'ext'): Fill => ({
    tradeId,
    clientOrderId,
    symbol: 'BTC/USDT',
    side,
    qtyBase,
    priceQuote,
    feeQuote,
    timeMs: T0,
  });

  it('applies a fill once by trade id; duplicates are ignored and counted', async () => {
    const r = rig();
    expect(await r.om.applyFill(fill('t1', 'buy', 1, 100, 0.1))).toBe(true);
    expect(await r.om.applyFill(fill('t1', 'buy', 1, 100, 0.1))).toBe(false);
    expect(await r.om.applyFill(fill('t1', 'buy', 1, 100, 0.1))).toBe(false);
    expect(r.om.duplicateFills).toBe(2);
    expect(r.om.position('BTC/USDT')).toMatchObject({ qtyBase: 1, avgEntryPriceQuote: 100, feesQuote: 0.1 });
    expect(r.om.cashQuote).toBeCloseTo(10_000 - 100 - 0.1, 10);
  });

  it('average entry, realised on reductions, unrealised at the mark (long)', async () => {
    const r = rig();
    await r.om.applyFill(fill('a', 'buy', 10, 100));
    await r.om.applyFill(fill('b', 'buy', 10, 110));
    expect(r.om.position('BTC/USDT')!.avgEntryPriceQuote).toBe(105);
    await r.om.applyFill(fill('c', 'sell', 5, 120));
    const p = r.om.position('BTC/USDT')!;
    expect(p.qtyBase).toBe(15);
    expect(p.avgEntryPriceQuote).toBe(105);
    expect(p.realisedPnlQuote).toBeCloseTo(75, 10);
    await r.om.onCandleClosed(series, { openTimeMs: T0, open: 120, high: 120, low: 120, close: 120, volume: 1 });
    expect(r.om.unrealisedPnlQuote('BTC/USDT')).toBeCloseTo(225, 10);
    expect(r.om.equityQuote()).toBeCloseTo(10_000 + 75 + 225, 8);
  });

  it('short PnL and a flip through zero', async () => {
    const r = rig();
    await r.om.applyFill(fill('a', 'sell', 10, 100));
    expect(r.om.position('BTC/USDT')).toMatchObject({ qtyBase: -10, avgEntryPriceQuote: 100, stopPriceQuote: 102 });
    await r.om.applyFill(fill('b', 'buy', 4, 90));
    expect(r.om.position('BTC/USDT')!.realisedPnlQuote).toBeCloseTo(40, 10);
    await r.om.applyFill(fill('c', 'buy', 10, 95)); // closes 6 (+30), opens 4 long @ 95
    const p = r.om.position('BTC/USDT')!;
    expect(p.qtyBase).toBe(4);
    expect(p.avgEntryPriceQuote).toBe(95);
    expect(p.realisedPnlQuote).toBeCloseTo(70, 10);
    expect(p.stopPriceQuote).toBe(93.1); // re-armed for the new long side
  });

  it('quantities stay exact multiples of the step after many fills', async () => {
    const r = rig();
    for (let i = 0; i < 30; i++) await r.om.applyFill(fill(`b${i}`, 'buy', 0.1, 100));
    for (let i = 0; i < 10; i++) await r.om.applyFill(fill(`s${i}`, 'sell', 0.3, 100));
    expect(r.om.position('BTC/USDT')!.qtyBase).toBe(0);
  });
});

describe('OrderManager order life cycle against a scripted broker', () => {
  function scripted(results: PlaceOrderResult[]): Broker & { cancels: string[] } {
    const cancels: string[] = [];
    return {
      name: 'scripted',
      cancels,
      supportsNativeStops: () => true,
      marketRules: () => rules,
      placeOrder: (req: OrderRequest) => {
        const next = results.shift();
        if (next !== undefined) return Promise.resolve(next);
        return Promise.resolve({
          status: 'accepted',
          order: { ...req, status: 'open', filledQtyBase: 0, avgFillPriceQuote: 0, createdAtMs: T0, updatedAtMs: T0 },
          fills: [],
        });
      },
      cancelOrder: (_s: string, id: string) => {
        cancels.push(id);
        return Promise.resolve(null);
      },
      fetchOrder: () => Promise.resolve(null),
      fetchOpenOrders: () => Promise.resolve([]),
      fetchFills: () => Promise.resolve([]),
      fetchBalance: () => Promise.resolve({ freeQuote: 0, totalQuote: 0, base: {} }),
    };
  }

  function setup(results: PlaceOrderResult[]): { om: OrderManager; broker: ReturnType<typeof scripted> } {
    const clock = new ManualClock(T0);
    const broker = scripted(results);
    const om = new OrderManager({ account: 'a', initialCashQuote: 10_000 }, { broker, risk: new RiskEngine(DEFAULT_RISK, clock), clock });
    return { om, broker };
  }
  const intent: OrderIntent = { intentId: 'i', series, candleOpenTimeMs: T0, referencePriceQuote: 100, targetFraction: 0.5, reason: 't', signal: 0 };

  it('unknown outcome → reconciled to open → partially filled → filled; stop armed for each size', async () => {
    const { om } = setup([{ status: 'unknown', reason: { code: 'TIMEOUT', message: 'no answer' } }]);
    const out = await om.onIntent(intent);
    expect(out).toMatchObject({ status: 'unknown', reason: { code: 'TIMEOUT' } });
    const id = om.orders()[0]!.clientOrderId;
    expect(om.order(id)!.status).toBe('unknown');
    const report = (status: Order['status'], filled: number): Order => ({ ...om.order(id)!, status, filledQtyBase: filled, updatedAtMs: T0 + 1 });
    await om.applyOrderUpdate(report('open', 0));
    expect(om.order(id)!.status).toBe('open');
    await om.applyFill({ tradeId: 'f1', clientOrderId: id, symbol: 'BTC/USDT', side: 'buy', qtyBase: 20, priceQuote: 100, feeQuote: 0, timeMs: T0 + 2 });
    expect(om.order(id)).toMatchObject({ status: 'partially_filled', filledQtyBase: 20 });
    const stops1 = om.orders().filter((o) => o.purpose === 'stop');
    expect(stops1.map((o) => o.qtyBase)).toEqual([20]);
    await om.applyFill({ tradeId: 'f2', clientOrderId: id, symbol: 'BTC/USDT', side: 'buy', qtyBase: 29.5, priceQuote: 102, feeQuote: 0, timeMs: T0 + 3 });
    // a status report repeating the fill does not double it
    await om.applyOrderUpdate(report('partially_filled', 49.5));
    await om.applyFill({ tradeId: 'f3', clientOrderId: id, symbol: 'BTC/USDT', side: 'buy', qtyBase: 0.5, priceQuote: 102, feeQuote: 0, timeMs: T0 + 4 });
    expect(om.order(id)).toMatchObject({ status: 'filled', filledQtyBase: 50 });
    expect(om.order(id)!.avgFillPriceQuote).toBeCloseTo((20 * 100 + 30 * 102) / 50, 10);
    expect(om.position('BTC/USDT')!.qtyBase).toBe(50);
    const live = om.orders().filter((o) => o.purpose === 'stop' && o.status === 'open');
    expect(live.map((o) => o.qtyBase)).toEqual([50]);
    // a late report for a filled order is ignored, not an error
    await om.applyOrderUpdate(report('canceled', 50));
    expect(om.order(id)!.status).toBe('filled');
  });

  it('an illegal transition of a live order throws InvariantError', async () => {
    const { om } = setup([]);
    await om.onIntent(intent);
    const o = om.orders()[0]!;
    expect(o.status).toBe('open');
    await expect(om.applyOrderUpdate({ ...o, status: 'rejected' })).rejects.toThrow(InvariantError);
    await expect(om.applyOrderUpdate({ ...o, status: 'new' })).rejects.toThrow(InvariantError);
  });

  it('broker denial is a rejected outcome; the same intent twice never sends twice', async () => {
    const { om } = setup([{ status: 'denied', reason: { code: 'INSUFFICIENT_FUNDS', message: 'no' } }]);
    expect(await om.onIntent(intent)).toMatchObject({ status: 'rejected', reason: { code: 'INSUFFICIENT_FUNDS' } });
    const first = await om.onIntent({ ...intent, candleOpenTimeMs: T0 + H });
    expect(first.status).toBe('sent');
    expect(await om.onIntent({ ...intent, candleOpenTimeMs: T0 + H })).toMatchObject({ status: 'skipped', reason: { code: 'ORDER_PENDING' } });
  });
});

describe('OrderManager edge paths', () => {
  it('an entry the venue cannot pay for at the next open expires; books stay flat', async () => {
    const r = rig();
    await r.step(100, 100, 100, 100);
    await r.om.onIntent(r.intent(0.995, 100)); // 99.5 units
    await r.step(101, 102, 100, 101); // 99.5 × 101 > 10 000
    expect(r.om.orders().map((o) => o.status)).toEqual(['expired']);
    expect(r.om.position('BTC/USDT')!.qtyBase).toBe(0);
    expect(await r.om.onIntent(r.intent(0.5, 101))).toMatchObject({ status: 'sent' });
  });

  it('kill switch halts entries; flatten() still exits the position', async () => {
    const r = rig({ risk: { maxDrawdownFraction: 0.01 }, om: { stops: { stopLoss: { kind: 'pct', pct: 0.2 } } } });
    await r.step(100, 100, 100, 100);
    await r.om.onIntent(r.intent(0.5, 100));
    await r.step(100, 100, 99, 100);
    await r.step(100, 100, 97, 97); // equity 9 995 − 150: > 1 % down from the peak
    expect(r.risk.state).toBe('HALTED');
    expect(await r.om.onIntent(r.intent(0.9, 97))).toMatchObject({ status: 'denied', reason: { code: 'KILL_SWITCH' } });
    const t = await r.step(97, 98, 96, 97);
    expect(await r.om.flatten('BTC/USDT', t)).toMatchObject({ status: 'sent', order: { purpose: 'exit', qtyBase: 50 } });
    expect(await r.om.flatten('BTC/USDT', t)).toMatchObject({ status: 'skipped', reason: { code: 'ORDER_PENDING' } });
    await r.step(96, 97, 95, 96);
    expect(r.om.position('BTC/USDT')!.qtyBase).toBe(0);
    expect(await r.broker.fetchOpenOrders()).toHaveLength(0);
    expect(await r.om.flatten('BTC/USDT', t)).toMatchObject({ status: 'skipped', reason: { code: 'NO_CHANGE' } });
  });
});

describe('OrderManager reconciliation', () => {
  it('an unknown entry blocks further intents until reconcile() resolves it from the venue', async () => {
    let first = true;
    const r = rig({
      wrap: (b) =>
        new Proxy(b, {
          get(target, prop, receiver) {
            if (prop === 'placeOrder') {
              return async (req: OrderRequest): Promise<PlaceOrderResult> => {
                const res = await target.placeOrder(req); // the venue got it ...
                if (first) {
                  first = false;
                  return { status: 'unknown', reason: { code: 'TIMEOUT', message: 'no answer' } }; // ... but we never heard back
                }
                return res;
              };
            }
            return Reflect.get(target, prop, receiver) as unknown;
          },
        }),
    });
    await r.step(100, 100, 100, 100);
    expect(await r.om.onIntent(r.intent(0.5, 100))).toMatchObject({ status: 'unknown' });
    expect(await r.om.onIntent(r.intent(0.5, 100))).toMatchObject({ status: 'skipped', reason: { code: 'ORDER_PENDING' } });
    // the venue fills it at the next open; the update reaches the manager via the candle step
    await r.step(101, 102, 100, 101);
    expect(r.om.position('BTC/USDT')!.qtyBase).toBe(50);
    expect(await r.om.reconcile()).toBe(0); // already resolved by the fill
    expect(r.om.orders()[0]!.status).toBe('filled');
  });

  it('reconcile() books an order the venue never saw as rejected, and resolves known ones', async () => {
    const r = rig({
      wrap: (b) =>
        new Proxy(b, {
          get(target, prop, receiver) {
            if (prop === 'placeOrder')
              return (): Promise<PlaceOrderResult> => Promise.resolve({ status: 'unknown', reason: { code: 'TIMEOUT', message: 'lost' } });
            return Reflect.get(target, prop, receiver) as unknown;
          },
        }),
    });
    await r.step(100, 100, 100, 100);
    await r.om.onIntent(r.intent(0.5, 100));
    expect(await r.om.reconcile()).toBe(1);
    expect(r.om.orders()[0]!.status).toBe('rejected');
    expect(await r.om.onIntent(r.intent(0.5, 100))).toMatchObject({ status: 'unknown' }); // no longer pending
  });
});

describe('OrderManager shorts and ATR', () => {
  it('short round trip when both manager and venue allow it: buy stop above, loss by hand', async () => {
    const r = rig({ om: { allowShort: true }, broker: { allowShort: true } });
    await r.step(100, 100, 100, 100);
    expect(await r.om.onIntent(r.intent(-0.5, 100))).toMatchObject({ status: 'sent', order: { side: 'sell', qtyBase: 50, purpose: 'entry' } });
    await r.step(100, 101, 99, 100);
    expect(r.om.position('BTC/USDT')).toMatchObject({ qtyBase: -50, avgEntryPriceQuote: 100, stopPriceQuote: 102 });
    expect((await r.broker.fetchOpenOrders()).map((o) => [o.side, o.type, o.triggerPriceQuote])).toEqual([['buy', 'stop_market', 102]]);
    await r.step(100, 103, 99, 102.5);
    const p = r.om.position('BTC/USDT')!;
    expect(p.qtyBase).toBe(0);
    expect(p.realisedPnlQuote).toBeCloseTo(-100, 8);
    expect(p.feesQuote).toBeCloseTo(5 + 5.1, 8);
    expect(r.om.cashQuote).toBeCloseTo(10_000 - 100 - 10.1, 8);
  });

  it('volatility-targeted sizing and an ATR stop from the intent ATR', async () => {
    const r = rig({
      om: {
        sizing: { mode: { kind: 'volatility_target', riskFraction: 0.01, atrMultiple: 2 }, maxFraction: 1, maxNotionalQuote: Number.POSITIVE_INFINITY },
        stops: { stopLoss: { kind: 'atr', multiple: 2, fallbackPct: 0.05 } },
      },
    });
    await r.step(100, 100, 100, 100);
    // risk 100 quote over 2 × ATR 2.5 = 5 quote per unit → 20 units
    expect(await r.om.onIntent(r.intent(1, 100), 2.5)).toMatchObject({ status: 'sent', order: { qtyBase: 20 } });
    await r.step(100, 101, 99, 100);
    expect(r.om.position('BTC/USDT')!.stopPriceQuote).toBe(95);
  });
});

describe('OrderManager persistence', () => {
  it('a restart from JSON mid-position continues exactly like an uninterrupted run', async () => {
    const stops = {
      stopLoss: { kind: 'pct' as const, pct: 0.02 },
      takeProfit: { kind: 'pct' as const, pct: 0.1 },
      trailing: { kind: 'pct' as const, pct: 0.03 },
    };
    const path: [number, number, number, number][] = [
      [100, 100, 100, 100],
      [100, 101, 99.5, 100.5],
      [100.5, 104, 100, 103],
      [103, 106, 102.5, 105],
      [105, 105.5, 101, 102],
    ];
    async function run(restartAfter: number | null): Promise<unknown> {
      const r = rig({ om: { stops } });
      let om = r.om;
      for (let i = 0; i < path.length; i++) {
        const [o, h, l, c] = path[i]!;
        const t = T0 + i * H;
        r.clock.set(t + H);
        await stepCandle(r.broker, om, series, { openTimeMs: t, open: o, high: h, low: l, close: c, volume: 1 });
        if (i === 0) await om.onIntent({ intentId: 'i0', series, candleOpenTimeMs: t, referencePriceQuote: c, targetFraction: 0.5, reason: 't', signal: 0 });
        if (i === restartAfter) {
          const json = JSON.parse(JSON.stringify(om)) as ReturnType<OrderManager['toJSON']>;
          om = OrderManager.fromJSON(
            json,
            {
              account: 'test',
              initialCashQuote: 0,
              sizing: { mode: { kind: 'proportional' }, maxFraction: 1, maxNotionalQuote: Number.POSITIVE_INFINITY },
              stops,
            },
            { broker: r.broker, risk: r.risk, clock: r.clock },
          );
        }
      }
      return { state: om.toJSON(), position: om.position('BTC/USDT'), equity: om.equityQuote() };
    }
    const straight = await run(null);
    expect((straight as { position: { realisedPnlQuote: number } }).position.realisedPnlQuote).not.toBe(0); // the trailing stop closed it
    for (const k of [1, 2, 3]) expect(await run(k)).toEqual(straight);
  });
});
