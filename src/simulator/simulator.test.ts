import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/index.js';
import { startExchangeSimulator, type ExchangeSimulatorOptions, type SimulatorHandle } from './simulator.js';
import { HOUR_MS, syntheticHourlyCandles } from './testing.js';

const T0 = Date.UTC(2024, 0, 1);
const START = T0 + 10 * HOUR_MS;
let sims: SimulatorHandle[] = [];

async function start(extra: Partial<ExchangeSimulatorOptions> = {}): Promise<SimulatorHandle> {
  const sim = await startExchangeSimulator({
    markets: [{ symbol: 'BTC/USDT', candles: syntheticHourlyCandles(T0, 24), timeframe: '1h' }],
    startTimeMs: START,
    ...extra,
  });
  sims.push(sim);
  return sim;
}

afterEach(async () => {
  for (const s of sims) await s.close();
  sims = [];
});

async function post(sim: SimulatorHandle, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${sim.restUrl}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('startExchangeSimulator', () => {
  it('binds to loopback on an ephemeral port and serves Binance JSON errors', async () => {
    const sim = await start();
    expect(sim.restUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.wsUrl).toBe(`ws://127.0.0.1:${sim.port}/stream`);
    const time = (await (await fetch(`${sim.restUrl}/api/v3/time`)).json()) as { serverTime: number };
    expect(time.serverTime).toBe(START);
    const res = await fetch(`${sim.restUrl}/api/v3/klines?symbol=NOPE&interval=1h`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: -1121, msg: 'Invalid symbol.' });
    const unsigned = await fetch(`${sim.restUrl}/api/v3/account`);
    expect(await unsigned.json()).toMatchObject({ code: -2014 });
  });

  it('takes faults and clock moves over HTTP for out-of-process use', async () => {
    const sim = await start();
    const f = await post(sim, '/__sim/faults', { httpErrors: { status: 503, count: 1 } });
    expect(f.status).toBe(200);
    expect((await fetch(`${sim.restUrl}/api/v3/ping`)).status).toBe(503);
    expect((await fetch(`${sim.restUrl}/api/v3/ping`)).status).toBe(200);
    const c = await post(sim, '/__sim/clock', { step: 60_000 });
    expect(c.json['nowMs']).toBe(START + 60_000);
    expect(sim.nowMs()).toBe(START + 60_000);
    const bad = await post(sim, '/__sim/faults', { nonsense: true });
    expect(bad.status).toBe(400);
    const cleared = await post(sim, '/__sim/faults', { clockSkewMs: 5000, clear: true });
    expect(cleared.status).toBe(200);
    expect(sim.requests.every((r) => !r.path.startsWith('/__sim'))).toBe(true);
  });

  it('can switch the control API off', async () => {
    const sim = await start({ controlApi: false });
    expect((await post(sim, '/__sim/clock', { step: 1 }).catch(() => ({ status: 404 }))).status).toBe(404);
  });

  it('plays back in real time at a speed factor', async () => {
    const sim = await start();
    sim.play(3600, 20); // one simulated hour per wall second
    await new Promise((r) => setTimeout(r, 250));
    sim.pause();
    const moved = sim.nowMs() - START;
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(0.5 * HOUR_MS);
    const frozen = sim.nowMs();
    await new Promise((r) => setTimeout(r, 60));
    expect(sim.nowMs()).toBe(frozen);
  });

  it('refuses markets it cannot run', async () => {
    await expect(startExchangeSimulator({ markets: [] })).rejects.toThrow(ConfigError);
    await expect(startExchangeSimulator({ markets: [{ symbol: 'BTCUSDT', candles: syntheticHourlyCandles(T0, 2) }] })).rejects.toThrow(/BTC\/USDT/);
    await expect(startExchangeSimulator({ markets: [{ symbol: 'BTC/USDT' }] })).rejects.toThrow(/candles or a price path/);
  });
});
