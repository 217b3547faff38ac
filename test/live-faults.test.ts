/**
 * The live trader's fault matrix against the exchange simulator (real ccxt client) and a real Redis.
 * Every scenario ends with the same checks: no client order id placed twice on the simulator, no
 * open position without a stop, and a log line that says what happened.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountState, Trade } from '../src/execution/index.js';
import { AccountStore } from '../src/pipeline/index.js';
import { ACCOUNT, expectSafe, liveHarness, recordFigures, SYMBOL, type LiveHarness } from './live-harness.js';

let h: LiveHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

/** A store that stops writing: the process "dies" before the state of the step is saved. */
class DyingStore extends AccountStore {
  dead = false;
  override save(state: AccountState, trades?: readonly Trade[]): Promise<void> {
    return this.dead ? Promise.resolve() : super.save(state, trades);
  }
}

const marketOrders = (orders: ReadonlyArray<{ type: string; side: string }>, side: string): number =>
  orders.filter((o) => o.type === 'MARKET' && o.side === side).length;

describe('live trader fault matrix (simulator, Redis)', () => {
  it('(b) crash between send and the state write: the restart finds the order by client id, no second order', async () => {
    const started = Date.now();
    h = await liveHarness();
    const store = new DyingStore(h.redis, h.prefix, ACCOUNT);
    const first = await h.startTrader({ accountStore: store });
    await first.accept(h.decision(0, null));
    store.dead = true;
    const entry = h.decision(1, 0.2);
    await first.accept(entry);
    expect(h.sim.openOrders(SYMBOL).filter((o) => o.type === 'STOP_LOSS_LIMIT')).toHaveLength(1);
    await first.stop(); // discarded: its last step was never saved

    const second = await h.startTrader();
    expect(second.status).toBe('trading');
    expect(h.hasLog(/adopted an (open )?order of ours/)).toBe(true);
    expect(second.orderManager.position(SYMBOL)?.qtyBase).toBeGreaterThan(0);
    // The pipeline redelivers the decision whose step was not saved: nothing new is sent.
    await second.accept(entry);
    const orders = await h.simOrders();
    expect(marketOrders(orders, 'buy')).toBe(1);
    expect(h.sim.openOrders(SYMBOL).filter((o) => o.type === 'STOP_LOSS_LIMIT')).toHaveLength(1);
    const { ordersPlaced } = await expectSafe(h, second);
    recordFigures('live: crash between send and state write', { ordersPlaced, durationMs: Date.now() - started });
  });

  it('(c) exchange times out after accepting the order: one order', async () => {
    const started = Date.now();
    h = await liveHarness();
    const trader = await h.startTrader();
    h.sim.faults.timeoutNextOrders({ mode: 'hang' });
    await trader.accept(h.decision(0, 0.2));
    const orders = await h.simOrders();
    expect(marketOrders(orders, 'buy')).toBe(1);
    expect(trader.orderManager.position(SYMBOL)?.qtyBase).toBeGreaterThan(0);
    const { ordersPlaced } = await expectSafe(h, trader);
    recordFigures('live: timeout after the order was accepted', { ordersPlaced, durationMs: Date.now() - started });
  });

  it('(d) a 429 storm and 5xx answers: one order', async () => {
    const started = Date.now();
    h = await liveHarness();
    const trader = await h.startTrader();
    h.sim.faults.failHttp({ status: 429, count: 3 });
    await trader.accept(h.decision(0, 0.2));
    h.sim.faults.failHttp({ status: 503, count: 2 });
    await trader.accept(h.decision(1, null));
    h.sim.faults.failHttp({ status: 502, count: 1, pathPrefix: '/api/v3/order' });
    await trader.accept(h.decision(2, 0));
    expect(trader.status).toBe('trading');
    const orders = await h.simOrders();
    expect(marketOrders(orders, 'buy')).toBe(1);
    expect(marketOrders(orders, 'sell')).toBe(1);
    expect(trader.orderManager.position(SYMBOL)?.qtyBase ?? 0).toBeCloseTo(0, 9);
    const { ordersPlaced } = await expectSafe(h, trader);
    recordFigures('live: 429 storm and 5xx', { ordersPlaced, durationMs: Date.now() - started });
  });

  it('(e) insufficient funds: denied, logged, no crash', async () => {
    const started = Date.now();
    h = await liveHarness({ balances: { USDT: 50 } });
    const decisions: Array<{ outcome: string; code: string | null }> = [];
    const trader = await h.startTrader({ onEvent: (e) => void (e.type === 'IntentEvaluated' && decisions.push({ outcome: e.outcome, code: e.code })) });
    await trader.accept(h.decision(0, 0.2));
    expect(decisions[0]?.outcome).toBe('rejected');
    expect(decisions[0]?.code).toMatch(/INSUFFICIENT|FUNDS|BALANCE/i);
    expect(trader.status).toBe('trading');
    expect(h.hasLog(/order rejected by broker/)).toBe(true);
    expect(trader.orderManager.position(SYMBOL)?.qtyBase ?? 0).toBe(0);
    await trader.accept(h.decision(1, null)); // still stepping
    const { ordersPlaced } = await expectSafe(h, trader);
    expect(ordersPlaced).toBe(0);
    recordFigures('live: insufficient funds', { ordersPlaced, durationMs: Date.now() - started });
  });

  it('(f) the stop order is rejected: emergency exit, position closed', async () => {
    const started = Date.now();
    h = await liveHarness();
    const trader = await h.startTrader();
    h.sim.faults.rejectNextStopOrder();
    await trader.accept(h.decision(0, 0.2));
    expect(trader.orderManager.emergencyExitCount).toBe(1);
    expect(trader.orderManager.position(SYMBOL)?.qtyBase ?? 0).toBeCloseTo(0, 9);
    expect(h.sim.balances().find((b) => b.asset === 'BTC')?.free ?? 0).toBeCloseTo(0, 9);
    expect(h.hasLog(/emergency exit/)).toBe(true);
    const { ordersPlaced } = await expectSafe(h, trader);
    recordFigures('live: stop rejected -> emergency exit', { ordersPlaced, durationMs: Date.now() - started });
  });

  it('(g) bad credentials: halted, nothing sent', async () => {
    const started = Date.now();
    h = await liveHarness({ sim: { apiKey: 'k', apiSecret: 's' } });
    const trader = await h.startTrader({ apiKey: 'wrong-key', secret: 'wrong-secret' });
    expect(trader.status).toBe('halted');
    expect(trader.statusReason).toMatch(/credentials/);
    await trader.accept(h.decision(0, 0.2));
    expect(h.hasLog(/HALTED/)).toBe(true);
    expect(h.hasLog(/step skipped, nothing sent/)).toBe(true);
    expect(await trader.reconcile()).toBe(false);
    expect(JSON.stringify(h.logs)).not.toContain('wrong-secret');
    const { ordersPlaced } = await expectSafe(h, trader);
    expect(ordersPlaced).toBe(0);
    recordFigures('live: bad credentials -> halt', { ordersPlaced, durationMs: Date.now() - started });
  });

  it('(h) reconciliation fails at start (5xx on openOrders): no orders until it succeeds', async () => {
    const started = Date.now();
    h = await liveHarness();
    h.sim.faults.failHttp({ status: 503, count: 1000, pathPrefix: '/api/v3/openOrders' });
    const trader = await h.startTrader();
    expect(trader.status).toBe('fail-closed');
    expect(trader.statusReason).toMatch(/reconciliation failed/);
    await trader.accept(h.decision(0, 0.2));
    expect(h.hasLog(/fail-closed/)).toBe(true);
    expect(await h.simOrders()).toHaveLength(0); // simOrders() clears the fault
    expect(await trader.reconcile()).toBe(true);
    expect(trader.status).toBe('trading');
    await trader.accept(h.decision(1, 0.2));
    const orders = await h.simOrders();
    expect(marketOrders(orders, 'buy')).toBe(1);
    const { ordersPlaced } = await expectSafe(h, trader);
    recordFigures('live: reconciliation fails at start', { ordersPlaced, durationMs: Date.now() - started });
  });
  it('(i) a position on the exchange that wick does not know: logged loudly, booked and protected with a stop at once', async () => {
    const started = Date.now();
    h = await liveHarness({ balances: { USDT: 10_000, BTC: 2 } });
    const trader = await h.startTrader();
    expect(trader.status).toBe('trading');
    expect(h.hasLog(/POSITION ON THE EXCHANGE THAT WICK DID NOT KNOW/)).toBe(true);
    expect(trader.orderManager.position(SYMBOL)?.qtyBase).toBeCloseTo(2, 9);
    expect(h.sim.openOrders(SYMBOL).filter((o) => o.type === 'STOP_LOSS_LIMIT' && o.side === 'SELL')).toHaveLength(1);
    // A restart finds its books consistent with the account: nothing adopted twice, no second stop.
    await trader.stop();
    const again = await h.startTrader();
    expect(again.orderManager.position(SYMBOL)?.qtyBase).toBeCloseTo(2, 9);
    expect(h.sim.openOrders(SYMBOL)).toHaveLength(1);
    const { ordersPlaced } = await expectSafe(h, again);
    recordFigures('live: unknown position on the exchange', { ordersPlaced, durationMs: Date.now() - started });
  });
});
