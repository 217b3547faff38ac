/**
 * The OrderManager trading through CcxtBroker, the real ccxt client and the simulator: an entry
 * gets a native STOP_LOSS_LIMIT on the venue; when the venue refuses the stop, the broker's
 * denial makes the manager exit at once (emergency exit), so no position stays unprotected.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Exchange } from 'ccxt';
import { ManualClock, type OrderIntent } from '../src/core/index.js';
import { CcxtBroker } from '../src/execution/brokers/ccxt-broker.js';
import { RateBudget } from '../src/execution/brokers/rate-budget.js';
import { DEFAULT_RISK, OrderManager, RiskEngine } from '../src/execution/index.js';
import { createCcxtExchange } from '../src/market/ccxt-client.js';
import { startExchangeSimulator, type SimulatorHandle } from '../src/simulator/simulator.js';

const SYMBOL = 'BTC/USDT';
const T0 = Date.UTC(2024, 0, 1);
const START = T0 + 10 * 60_000;

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

async function setup(): Promise<{ sim: SimulatorHandle; ex: Exchange; om: OrderManager }> {
  const sim = await startExchangeSimulator({
    markets: [
      {
        symbol: SYMBOL,
        pricePath: [
          { timeMs: T0, price: 100 },
          { timeMs: T0 + 10 * 3_600_000, price: 100 },
        ],
      },
    ],
    balances: { USDT: 10_000 },
    startTimeMs: START,
  });
  const ex = await createCcxtExchange({ exchangeId: 'binance', apiKey: 'k', secret: 's', urls: { rest: sim.restUrl, ws: sim.wsUrl }, timeoutMs: 1000 });
  closers.push(
    () => sim.close(),
    () => ex.close(),
  );
  const clock = new ManualClock(START);
  const broker = await CcxtBroker.create(ex, {
    symbols: [SYMBOL],
    sleep: () => Promise.resolve(),
    rateBudget: new RateBudget({ burst: 1000, perSecond: 1000 }),
    clock,
  });
  const om = new OrderManager({ account: 'live-test', initialCashQuote: 10_000 }, { broker, risk: new RiskEngine(DEFAULT_RISK, clock), clock });
  return { sim, ex, om };
}

function intent(targetFraction: number): OrderIntent {
  return {
    intentId: `i-${targetFraction}`,
    series: { exchange: 'binance', symbol: SYMBOL, timeframe: '1h' },
    candleOpenTimeMs: T0,
    referencePriceQuote: 100,
    targetFraction,
    reason: 'test',
    signal: 0.01,
  };
}

describe('OrderManager through CcxtBroker (real ccxt, simulator)', () => {
  it('an entry is protected by a native STOP_LOSS_LIMIT on the venue', async () => {
    const { sim, om } = await setup();
    const out = await om.onIntent(intent(0.1));
    expect(out.status).toBe('sent');
    expect(om.position(SYMBOL)?.qtyBase).toBeGreaterThan(0);
    const stops = sim.openOrders(SYMBOL).filter((o) => o.type === 'STOP_LOSS_LIMIT');
    expect(stops).toHaveLength(1);
    expect(stops[0]?.side).toBe('SELL');
    expect(om.emergencyExitCount).toBe(0);
  });

  it('a stop the venue refuses → emergency exit: the position is closed at once', async () => {
    const { sim, om } = await setup();
    sim.faults.rejectNextStopOrder();
    await om.onIntent(intent(0.1));
    expect(om.emergencyExitCount).toBe(1);
    expect(om.position(SYMBOL)?.qtyBase ?? 0).toBeCloseTo(0, 9);
    expect(sim.openOrders(SYMBOL)).toHaveLength(0);
    expect(sim.balances().find((b) => b.asset === 'BTC')?.free ?? 0).toBeCloseTo(0, 9);
  });
});
