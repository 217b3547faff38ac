import { afterEach, describe, expect, it } from 'vitest';
import { assessHealth, seriesHealth, startHealthServer, type HealthReport, type HealthServer } from './health-server.js';
import { createMetrics } from './metrics.js';

const H = 3_600_000;
const NOW = Date.UTC(2026, 0, 2, 12);

function report(lastOpen: number | null, overrides: Partial<HealthReport> = {}): HealthReport {
  return {
    mode: 'paper',
    redis: { reachable: true },
    series: [
      seriesHealth({ id: 'binance.BTC-USDT.1h', timeframeMs: H, lastClosedOpenTimeMs: lastOpen, nowMs: NOW, startedAtMs: NOW - 60_000, staleAfterCandles: 2 }),
    ],
    queues: { candles: 0, intents: 0 },
    risk: { state: 'normal', halted: false },
    ...overrides,
  };
}

let servers: HealthServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function serve(probe: () => Promise<HealthReport>): Promise<HealthServer> {
  const metrics = createMetrics();
  metrics.candlesReceived.inc({ series: 'binance.BTC-USDT.1h' });
  metrics.pipelineLatencySeconds.observe({ stage: 'ingest_to_trader' }, 0.002);
  const server = await startHealthServer({ port: 0, healthProbe: probe, metrics, probeTimeoutMs: 200 });
  servers.push(server);
  return server;
}

describe('seriesHealth / assessHealth', () => {
  it('counts age from the close of the last candle and flags staleness', () => {
    const fresh = seriesHealth({ id: 'x', timeframeMs: H, lastClosedOpenTimeMs: NOW - 2 * H, nowMs: NOW, startedAtMs: 0, staleAfterCandles: 2 });
    expect(fresh).toEqual({ id: 'x', lastClosedOpenTimeMs: NOW - 2 * H, ageMs: H, stale: false });
    expect(seriesHealth({ id: 'x', timeframeMs: H, lastClosedOpenTimeMs: NOW - 4 * H, nowMs: NOW, startedAtMs: 0, staleAfterCandles: 2 }).stale).toBe(true);
    expect(seriesHealth({ id: 'x', timeframeMs: H, lastClosedOpenTimeMs: null, nowMs: NOW, startedAtMs: NOW - 1000, staleAfterCandles: 2 }).stale).toBe(false);
  });
  it('grades ok, degraded and unhealthy', () => {
    expect(assessHealth(report(NOW - 2 * H)).status).toBe('ok');
    expect(assessHealth(report(NOW - 2 * H, { risk: { state: 'kill_switch', halted: true } }))).toMatchObject({ status: 'degraded', httpStatus: 200 });
    expect(assessHealth(report(NOW - 10 * H))).toMatchObject({ status: 'degraded', httpStatus: 503 });
    expect(assessHealth(report(NOW - 2 * H, { queues: { candles: 5000, intents: 0 } }), 1000)).toMatchObject({ status: 'degraded', httpStatus: 200 });
    expect(assessHealth(report(NOW - 2 * H, { redis: { reachable: false } }))).toMatchObject({ status: 'unhealthy', httpStatus: 503 });
  });
});

describe('health server', () => {
  it('GET /health: 200 when fresh, 503 when stale; binds loopback', async () => {
    let last = NOW - 2 * H;
    const server = await serve(async () => report(last));
    expect(server.host).toBe('127.0.0.1');
    const ok = await fetch(`${server.url}/health`);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', mode: 'paper', redis: { reachable: true }, queues: { candles: 0, intents: 0 }, risk: { state: 'normal' } });
    expect(body['series']).toEqual([{ id: 'binance.BTC-USDT.1h', lastClosedOpenTimeMs: NOW - 2 * H, ageMs: H, stale: false }]);
    last = NOW - 10 * H;
    const stale = await fetch(`${server.url}/health`);
    expect(stale.status).toBe(503);
    expect(await stale.json()).toMatchObject({ status: 'degraded', reasons: ['stale series: binance.BTC-USDT.1h'] });
  });

  it('answers 503 unhealthy when the probe fails or hangs', async () => {
    const failing = await serve(async () => {
      throw new Error('redis down');
    });
    const r1 = await fetch(`${failing.url}/health`);
    expect(r1.status).toBe(503);
    expect(await r1.json()).toMatchObject({ status: 'unhealthy' });
    const hanging = await serve(() => new Promise<HealthReport>(() => undefined));
    const r2 = await fetch(`${hanging.url}/health`);
    expect(r2.status).toBe(503);
    expect(((await r2.json()) as { reasons: string[] }).reasons[0]).toMatch(/longer than 200 ms/);
  });

  it('GET /metrics serves the Prometheus text with wick metric names; unknown paths 404 JSON', async () => {
    const server = await serve(async () => report(NOW - H));
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    for (const name of [
      'wick_candles_received_total',
      'wick_candles_processed_total',
      'wick_candles_rejected_total',
      'wick_queue_wait_seconds',
      'wick_inference_latency_seconds',
      'wick_intents_total',
      'wick_orders_total',
      'wick_position_qty_base',
      'wick_equity_quote',
      'wick_errors_total',
      'wick_pipeline_latency_seconds',
      'wick_process_cpu_user_seconds_total',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toContain('wick_candles_received_total{series="binance.BTC-USDT.1h"} 1');
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not found', path: '/nope' });
    const post = await fetch(`${server.url}/health`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('liveness and readiness are split: /livez stays 200 while /readyz (= /health) says 503, and a halted risk engine is ready-but-degraded', async () => {
    let current = report(NOW - H);
    const server = await serve(async () => current);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    current = report(NOW - H, { redis: { reachable: false } });
    for (const path of ['/readyz', '/health']) {
      const r = await fetch(`${server.url}${path}`);
      expect(r.status).toBe(503);
      expect(await r.json()).toMatchObject({ status: 'unhealthy', reasons: ['redis unreachable'] });
    }
    const live = await fetch(`${server.url}/livez`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'alive' });
    // A tripped kill switch halts trading: readiness reports it, liveness (the container healthcheck) does not restart the bot.
    current = report(NOW - H, { risk: { state: 'HALTED', halted: true } });
    const halted = await fetch(`${server.url}/readyz`);
    expect(halted.status).toBe(200);
    expect(await halted.json()).toMatchObject({ status: 'degraded', reasons: ['risk HALTED'] });
    // A probe that hangs makes readiness fail; liveness does not wait for it.
    const hanging = await serve(() => new Promise<HealthReport>(() => undefined));
    expect((await fetch(`${hanging.url}/livez`)).status).toBe(200);
    expect((await fetch(`${hanging.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${server.url}/livez`, { method: 'POST' })).status).toBe(405);
  });
});
