import { describe, expect, it } from 'vitest';
import { ManualClock, type Candle, type KernelEvent, type MarketRules, type OrderIntent, type SeriesKey } from '../../core/index.js';
import { atrGauge } from '../../features/index.js';
import { PaperBroker } from '../paper-broker.js';
import { DEFAULT_RISK, type RiskConfig } from '../risk-engine.js';
import type { StopConfig } from '../stops.js';
import { SimulatedVenueFeed } from './broker-feed.js';
import { TradingKernel, type TradingKernelState } from './trading-kernel.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const series: SeriesKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const rules: MarketRules = { symbol: 'BTC/USDT', tickSize: 0.01, stepSize: 0.001, minQtyBase: 0.001, minNotionalQuote: 5 };

function kernel(opts: { risk?: Partial<RiskConfig>; stops?: StopConfig; nativeStops?: boolean; state?: TradingKernelState } = {}) {
  const clock = new ManualClock(T0);
  const broker = new PaperBroker(
    {
      rules: { 'BTC/USDT': rules },
      initialQuote: 10_000,
      fillModel: { slippageBps: 0, takerFeeBps: 10, makerFeeBps: 10 },
      nativeStops: opts.nativeStops ?? true,
    },
    clock,
  );
  const heard: KernelEvent[] = [];
  const k = new TradingKernel(
    {
      orderManager: {
        account: 'k',
        initialCashQuote: 10_000,
        sizing: { mode: { kind: 'proportional' }, maxFraction: 1, maxNotionalQuote: Number.POSITIVE_INFINITY },
        stops: opts.stops ?? { stopLoss: { kind: 'pct', pct: 0.05 } },
      },
      risk: { ...DEFAULT_RISK, ...opts.risk },
    },
    { broker, feed: new SimulatedVenueFeed(broker, clock, H), clock, newAtr: atrGauge, onEvent: (e) => heard.push(e) },
    opts.state,
  );
  return { k, clock, broker, heard };
}

const candle = (i: number, o: number, h: number, l: number, c: number): Candle => ({ openTimeMs: T0 + i * H, open: o, high: h, low: l, close: c, volume: 1 });
const intent = (i: number, fraction: number, ref: number): OrderIntent => ({
  intentId: `i-${i}`,
  series,
  candleOpenTimeMs: T0 + i * H,
  referencePriceQuote: ref,
  targetFraction: fraction,
  reason: 'test',
  signal: 0,
});
const types = (events: readonly KernelEvent[]): string[] => events.map((e) => e.type);

describe('TradingKernel', () => {
  it('an entry: IntentEvaluated + OrderSubmitted on the decision; OrderFilled and a stop OrderSubmitted at the next open; events equal what listeners heard', async () => {
    const { k, heard } = kernel();
    const first = await k.step({ series, candle: candle(0, 100, 101, 99, 100), intent: intent(0, 0.5, 100) });
    expect(types(first)).toEqual(['OrderSubmitted', 'IntentEvaluated', 'CandleStepped']);
    const evaluated = first.find((e) => e.type === 'IntentEvaluated');
    expect(evaluated).toMatchObject({ outcome: 'sent', code: null });
    const second = await k.step({ series, candle: candle(1, 100, 102, 99, 101), intent: null });
    expect(types(second)).toEqual(['OrderFilled', 'OrderSubmitted', 'CandleStepped']);
    const fill = second[0] as Extract<KernelEvent, { type: 'OrderFilled' }>;
    expect(fill.purpose).toBe('entry');
    expect(fill.fill.priceQuote).toBe(100); // next candle's open, no slippage
    expect(fill.positionQtyBase).toBeCloseTo(50, 9); // 0.5 × 10 000 / 100
    const stop = second[1] as Extract<KernelEvent, { type: 'OrderSubmitted' }>;
    expect(stop.order).toMatchObject({ purpose: 'stop', type: 'stop_market', triggerPriceQuote: 95 });
    expect(heard).toEqual([...first, ...second]);
  });

  it('a native stop that fills: StopTriggered (native) and PositionClosed; a client-side guard: StopTriggered (not native) and its exit', async () => {
    for (const nativeStops of [true, false]) {
      const { k } = kernel({ nativeStops });
      await k.step({ series, candle: candle(0, 100, 101, 99, 100), intent: intent(0, 0.5, 100) });
      await k.step({ series, candle: candle(1, 100, 101, 99, 100), intent: null });
      const hit = await k.step({ series, candle: candle(2, 98, 99, 90, 92), intent: null });
      const triggered = hit.find((e) => e.type === 'StopTriggered');
      expect(triggered).toMatchObject({ symbol: 'BTC/USDT', purpose: 'stop', levelQuote: 95, native: nativeStops });
      if (nativeStops) expect(types(hit)).toContain('PositionClosed');
      else expect(hit.some((e) => e.type === 'OrderSubmitted' && e.order.purpose === 'stop' && e.order.type === 'market')).toBe(true);
    }
  });

  it('a denied entry is a RiskDenied with the intent id and an IntentEvaluated "denied" with the reason code; nothing is sent', async () => {
    const { k, broker } = kernel({ risk: { maxNotionalPerSymbolQuote: 1_000 } });
    const events = await k.step({ series, candle: candle(0, 100, 101, 99, 100), intent: intent(0, 0.5, 100) });
    expect(events.find((e) => e.type === 'RiskDenied')).toMatchObject({ intentId: 'i-0', purpose: 'entry', reason: { code: 'NOTIONAL_ABOVE_MAX' } });
    expect(events.find((e) => e.type === 'IntentEvaluated')).toMatchObject({ outcome: 'denied', code: 'NOTIONAL_ABOVE_MAX' });
    expect(await broker.fetchOpenOrders()).toEqual([]);
  });

  it('the drawdown kill switch: KillSwitchTripped once; entries denied; an audited reset (who, when, equity) lets them through again', async () => {
    const { k, clock } = kernel({ risk: { maxDrawdownFraction: 0.1 }, stops: { stopLoss: { kind: 'pct', pct: 0.4 } } });
    await k.step({ series, candle: candle(0, 100, 101, 99, 100), intent: intent(0, 0.9, 100) });
    await k.step({ series, candle: candle(1, 100, 101, 99, 100), intent: null });
    const crash = await k.step({ series, candle: candle(2, 100, 100, 80, 80), intent: null });
    const tripped = crash.filter((e) => e.type === 'KillSwitchTripped');
    expect(tripped).toHaveLength(1);
    expect(k.view().riskState).toBe('HALTED');
    const later = await k.step({ series, candle: candle(3, 80, 81, 79, 80), intent: intent(3, 1, 80) });
    expect(later.filter((e) => e.type === 'KillSwitchTripped')).toHaveLength(0);
    // Still long: a bigger target is an entry, denied by the kill switch.
    expect(later.find((e) => e.type === 'IntentEvaluated')).toMatchObject({ outcome: 'denied', code: 'KILL_SWITCH' });
    const equityAtReset = k.om.equityQuote();
    const reset = k.resetKillSwitch('127.0.0.1 tok:abcd');
    expect(reset).toEqual([
      {
        type: 'KillSwitchReset',
        by: '127.0.0.1 tok:abcd',
        atMs: clock.nowMs(),
        equityQuote: equityAtReset,
        previousReason: expect.stringMatching(/drawdown/) as unknown as string,
      },
    ]);
    expect(k.view().riskState).toBe('ACTIVE');
    expect(k.view().killSwitchResets).toEqual([
      { by: '127.0.0.1 tok:abcd', atMs: clock.nowMs(), equityQuote: equityAtReset, previousReason: expect.stringMatching(/drawdown/) as unknown as string },
    ]);
    // The audit trail survives the state round trip.
    const restored = kernel({ state: JSON.parse(JSON.stringify(k.toJSON())) as TradingKernelState });
    expect(restored.k.view().killSwitchResets).toEqual(k.view().killSwitchResets);
  });

  it('closePosition goes through the risk engine; flat answers NO_CHANGE; a second close on one candle sends no second exit', async () => {
    const { k, broker } = kernel();
    expect((await k.closePosition('BTC/USDT', T0)).outcome).toMatchObject({ status: 'skipped', reason: { code: 'NO_CHANGE' } });
    await k.step({ series, candle: candle(0, 100, 101, 99, 100), intent: intent(0, 0.5, 100) });
    await k.step({ series, candle: candle(1, 100, 101, 99, 100), intent: null });
    const first = await k.closePosition('BTC/USDT', T0 + H);
    expect(first.outcome.status).toBe('sent');
    expect(first.events.some((e) => e.type === 'OrderCanceled')).toBe(true); // the stop, cancelled before the exit
    const second = await k.closePosition('BTC/USDT', T0 + H);
    expect(second.outcome).toMatchObject({ status: 'skipped', reason: { code: 'ORDER_PENDING' } });
    expect((await broker.fetchOpenOrders()).filter((o) => o.purpose === 'exit')).toHaveLength(1);
  });

  it('pause and resume are events that name who asked', () => {
    const { k } = kernel();
    expect(k.pauseEntries('ops')).toMatchObject([{ type: 'EntriesPaused', by: 'ops' }]);
    expect(k.view().entriesPaused).toBe(true);
    expect(k.resumeEntries('ops')).toMatchObject([{ type: 'EntriesResumed', by: 'ops' }]);
    expect(k.view().entriesPaused).toBe(false);
  });
});
