import { describe, expect, it } from 'vitest';
import type { Candle, OrderIntent, SeriesKey } from '../core/index.js';
import { ManualClock, Rng } from '../core/index.js';
import { SimulatedVenueFeed } from './kernel/broker-feed.js';
import { OrderManager } from './order-manager.js';
import { PaperBroker } from './paper-broker.js';
import { DEFAULT_RISK, RiskEngine } from './risk-engine.js';

const H = 3_600_000;

/** What the kernel does per candle before the decision: the simulated venue's reports, then the manager's candle work. The test drives its own clock. */
async function stepCandle(broker: PaperBroker, om: OrderManager, s: SeriesKey, candle: Candle): Promise<void> {
  await new SimulatedVenueFeed(broker, new ManualClock(), 0).sync(s, candle, om);
  await om.onCandleClosed(s, candle);
}
const series: SeriesKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };

function candles(n: number, seed: number): Candle[] {
  const rng = new Rng(seed);
  const out: Candle[] = [];
  let px = 30_000;
  for (let i = 0; i < n; i++) {
    const open = px * (1 + rng.normal() * 0.001); // small gaps between candles
    const close = open * (1 + rng.normal() * 0.01);
    const high = Math.max(open, close) * (1 + Math.abs(rng.normal()) * 0.004);
    const low = Math.min(open, close) * (1 - Math.abs(rng.normal()) * 0.004);
    out.push({ openTimeMs: 1_600_000_000_000 - (1_600_000_000_000 % H) + i * H, open, high, low, close, volume: 1 });
    px = close;
  }
  return out;
}

describe('backtest-style loop over PaperBroker + OrderManager', () => {
  it.each([true, false])('keeps books equal to the venue and every position stopped (native stops: %s)', async (nativeStops) => {
    const data = candles(20_000, nativeStops ? 7 : 8);
    const clock = new ManualClock(0);
    const broker = new PaperBroker(
      {
        rules: { 'BTC/USDT': { symbol: 'BTC/USDT', tickSize: 0.01, stepSize: 0.00001, minQtyBase: 0.00001, minNotionalQuote: 5 } },
        initialQuote: 10_000,
        nativeStops,
      },
      clock,
    );
    const risk = new RiskEngine({ ...DEFAULT_RISK, cooldownAfterStopMs: 3 * H }, clock);
    const om = new OrderManager(
      {
        account: 'bt',
        initialCashQuote: 10_000,
        stops: { stopLoss: { kind: 'pct', pct: 0.015 }, takeProfit: { kind: 'pct', pct: 0.03 }, trailing: { kind: 'pct', pct: 0.02 } },
      },
      { broker, risk, clock },
    );
    const rng = new Rng(99);
    let sent = 0;
    const started = performance.now();
    for (const c of data) {
      clock.set(c.openTimeMs + H);
      await stepCandle(broker, om, series, c);
      const u = rng.next();
      if (u < 0.1 || u > 0.9) {
        const intent: OrderIntent = {
          intentId: `i${c.openTimeMs}`,
          series,
          candleOpenTimeMs: c.openTimeMs,
          referencePriceQuote: c.close,
          targetFraction: u < 0.1 ? 0 : 0.5,
          reason: 'rand',
          signal: 0,
        };
        if ((await om.onIntent(intent)).status === 'sent') sent++;
      }
      const pos = om.position('BTC/USDT');
      if (pos !== undefined && pos.qtyBase !== 0) {
        const g = om.guard('BTC/USDT');
        expect(g).not.toBeNull();
        if (g!.native && om.orders().length > 0) {
          const pendingExit = (await broker.fetchOpenOrders('BTC/USDT')).some((o) => o.type === 'market' && o.purpose !== 'entry');
          const stops = (await broker.fetchOpenOrders('BTC/USDT')).filter((o) => o.purpose === 'stop');
          if (!pendingExit) expect(stops.map((o) => o.qtyBase)).toEqual([pos.qtyBase]);
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;
    expect(sent).toBeGreaterThan(500);
    expect(om.position('BTC/USDT')!.qtyBase).toBe(broker.positionQtyBase('BTC/USDT'));
    expect(om.cashQuote).toBeCloseTo((await broker.fetchBalance()).freeQuote, 6);
    expect(om.duplicateFills).toBe(0);
    // loose floor (the invariant checks above dominate the cost); catches pathological slow-downs only
    expect(data.length / seconds).toBeGreaterThan(1_000);
  });
});
