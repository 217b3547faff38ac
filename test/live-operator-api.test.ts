/**
 * Live gets the same operator API as every mode: the live composition's trader (CcxtBroker against
 * the exchange simulator, real ccxt client, account in a real Redis) behind the bearer token —
 * status, positions, orders, close a position through the risk engine, pause/resume, an audited
 * kill-switch reset — and controls without the token or with a malformed body change nothing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { accountOperatorPort, SeriesActivity } from '../src/app/daemon/operator-port.js';
import type { AccountTrader } from '../src/app/daemon/account-trader.js';
import { createOperatorApi } from '../src/obs/operator-api.js';
import { RecentErrors } from '../src/obs/operator-api-errors.js';
import { expectSafe, liveHarness, SERIES, SYMBOL, type LiveHarness } from './live-harness.js';

const TOKEN = 'live-operator-token-0123456789';
let h: LiveHarness | null = null;
let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((r) => (server === null ? r() : server.close(() => r())));
  server = null;
  await h?.close();
  h = null;
});

async function serve(trader: AccountTrader, clock: { nowMs(): number }): Promise<string> {
  const port = accountOperatorPort({
    mode: 'live',
    trader,
    series: [SERIES],
    activity: new SeriesActivity(),
    errors: new RecentErrors(clock),
    clock,
    startedAtMs: clock.nowMs(),
    initialEquityQuote: 10_000,
    model: null,
    health: () => Promise.resolve({ status: 'ok', reasons: [] }),
  });
  const handle = createOperatorApi({ port, token: TOKEN });
  server = createServer((req, res) => void handle(req, res).then((done) => (done ? undefined : res.writeHead(404).end())));
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server?.address() as AddressInfo).port}`;
}

async function call(base: string, path: string, init: { method?: string; body?: string; token?: string | null } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token !== null) headers['authorization'] = `Bearer ${init.token ?? TOKEN}`;
  const res = await fetch(`${base}${path}`, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: init.body } : {}) });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> & unknown[] };
}

describe('live operator API (simulator, Redis)', () => {
  it('reads the live account; refuses unauthenticated or malformed controls without changing anything; closes a position through the risk engine; resets the kill switch with an audit record', async () => {
    h = await liveHarness();
    const trader = await h.startTrader();
    const base = await serve(trader, { nowMs: () => h!.sim.nowMs() });
    await trader.accept(h.decision(0, 0.3));
    const held = trader.orderManager.position(SYMBOL)?.qtyBase ?? 0;
    expect(held).toBeGreaterThan(0);

    const status = await call(base, '/api/status');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ mode: 'live', account: 'live-e2e', traderStatus: 'trading', riskState: 'ACTIVE' });
    const positions = await call(base, '/api/positions');
    expect(positions.body).toHaveLength(1);
    expect(positions.body[0]).toMatchObject({ symbol: SYMBOL, side: 'long', stopNative: true });
    const orders = (await call(base, '/api/orders')).body as unknown as { purpose: string }[];
    expect(orders.map((o) => o.purpose)).toEqual(['stop']);

    // No token, a wrong token, a malformed body: refused, and nothing moved.
    const before = JSON.stringify(trader.kernel.view());
    const simOrdersBefore = (await h.simOrders()).length;
    expect((await call(base, '/api/control/close-position', { method: 'POST', body: JSON.stringify({ symbol: SYMBOL }), token: null })).status).toBe(401);
    expect((await call(base, '/api/control/reset-kill-switch', { method: 'POST', body: '{}', token: 'not-the-token-not-the-token' })).status).toBe(401);
    expect((await call(base, '/api/control/pause', { method: 'POST', body: '{}', token: null })).status).toBe(401);
    const malformed = await call(base, '/api/control/close-position', { method: 'POST', body: '{"symbol": 42}' });
    expect(malformed.status).toBe(400);
    expect((await call(base, '/api/control/close-position', { method: 'POST', body: '{not json' })).status).toBe(400);
    expect(JSON.stringify(trader.kernel.view())).toBe(before);
    expect((await h.simOrders()).length).toBe(simOrdersBefore);

    // Pause: entries denied by the risk engine; resume.
    expect((await call(base, '/api/control/pause', { method: 'POST', body: '{}' })).body).toMatchObject({ ok: true, entriesPaused: true });
    expect(trader.riskEngine.paused).toBe(true);
    expect((await call(base, '/api/control/resume', { method: 'POST', body: '{}' })).body).toMatchObject({ entriesPaused: false });

    // Close the position: the stop is cancelled, a market exit fills on the exchange, the account is flat.
    const closed = await call(base, '/api/control/close-position', { method: 'POST', body: JSON.stringify({ symbol: SYMBOL }) });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'sent' });
    expect(trader.orderManager.position(SYMBOL)?.qtyBase ?? 0).toBeCloseTo(0, 9);
    expect(h.sim.openOrders(SYMBOL)).toHaveLength(0);
    const simOrders = await h.simOrders();
    expect(simOrders.filter((o) => o.type === 'MARKET').map((o) => o.side)).toEqual(['buy', 'sell']);
    expect((await call(base, '/api/control/close-position', { method: 'POST', body: JSON.stringify({ symbol: SYMBOL }) })).body).toMatchObject({
      status: 'not_found',
    });
    await expectSafe(h, trader);

    // Reset the kill switch: audited (who, when, the equity at reset), saved with the account.
    const reset = await call(base, '/api/control/reset-kill-switch', { method: 'POST', body: '{}' });
    expect(reset.status).toBe(200);
    const audit = (await call(base, '/api/status')).body['killSwitchResets'] as { by: string; atMs: number; equityQuote: number }[];
    expect(audit).toHaveLength(1);
    expect(audit[0]?.by).toMatch(/127\.0\.0\.1/);
    expect(audit[0]?.atMs).toBe(h.sim.nowMs());
    expect(audit[0]?.equityQuote).toBeCloseTo(trader.orderManager.equityQuote(), 6);
    const saved = JSON.parse((await h.redis.get(`${h.prefix}:account:live-e2e:state`)) ?? '{}') as { kernel: { killSwitchResets: unknown[] } };
    expect(saved.kernel.killSwitchResets).toEqual(audit);
  });
});
