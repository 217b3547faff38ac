/**
 * The LiveTrader end to end against the exchange simulator (real ccxt client) and a real Redis:
 * entries get a native STOP_LOSS_LIMIT, exits cancel it, and the state survives a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { expectSafe, liveHarness, recordFigures, SYMBOL, type LiveHarness } from './live-harness.js';

let h: LiveHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('LiveTrader through CcxtBroker (simulator, Redis)', () => {
  it('(a) an entry decision buys and a STOP_LOSS_LIMIT appears; a later exit sells and cancels the stop', async () => {
    const started = Date.now();
    h = await liveHarness();
    const trader = await h.startTrader();
    expect(trader.status).toBe('trading');
    await trader.accept(h.decision(0, 0.2));
    expect(trader.orderManager.position(SYMBOL)?.qtyBase).toBeGreaterThan(0);
    const stops = h.sim.openOrders(SYMBOL).filter((o) => o.type === 'STOP_LOSS_LIMIT');
    expect(stops).toHaveLength(1);
    expect(stops[0]?.side).toBe('SELL');
    expect(h.hasLog(/^order placed$/)).toBe(true);
    await expectSafe(h, trader);

    await trader.accept(h.decision(1, null));
    await trader.accept(h.decision(2, 0));
    expect(trader.orderManager.position(SYMBOL)?.qtyBase ?? 0).toBeCloseTo(0, 9);
    expect(h.sim.openOrders(SYMBOL)).toHaveLength(0);
    const orders = await h.simOrders();
    expect(orders.filter((o) => o.type === 'STOP_LOSS_LIMIT').map((o) => o.status)).toEqual(['canceled']);
    expect(orders.filter((o) => o.type === 'MARKET').map((o) => o.side)).toEqual(['buy', 'sell']);
    const { ordersPlaced } = await expectSafe(h, trader);
    // Saved after every step: the last candle and the closed books are in Redis.
    const saved = JSON.parse((await h.redis.get(`${h.prefix}:account:live-e2e:state`)) ?? '{}') as {
      schemaVersion: number;
      lastCandleOpenTimeMs: Record<string, number>;
    };
    expect(saved.schemaVersion).toBe(2);
    expect(Object.values(saved.lastCandleOpenTimeMs)).toEqual([Date.UTC(2024, 0, 1) + 2 * 3_600_000]);
    recordFigures('live: entry gets a stop, exit cancels it', { ordersPlaced, durationMs: Date.now() - started });
  });
});
