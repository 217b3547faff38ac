import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/app/config/load-config.js';
import { startDaemon, type Daemon } from '../src/app/daemon/daemon.js';
import { simulatedMarketRules } from '../src/app/trading-setup.js';
import { simulatedTrader } from '../src/app/modes.js';
import { silentLogger, type ClosedCandle, type SeriesKey } from '../src/core/index.js';
import { readCandles } from '../src/market/candle-csv.js';
import { SAMPLE_DATA_DIR } from '../src/market/candle-csv-shared-data.js';
import { randomModelFolder } from './support/random-model.js';

const REDIS_URL = process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const TOKEN = 'test-operator-token-0123456789';
const BTC: SeriesKey = { exchange: 'replay', symbol: 'BTC/USDT', timeframe: '1h' };

let model: string;
let daemon: Daemon;
let receiver: Server;
const received: Record<string, unknown>[] = [];
let processed = 0;
let total = 0;

beforeAll(async () => {
  model = await randomModelFolder({ seed: 5 });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const config = loadConfig({
    WICK_REDIS_URL: REDIS_URL,
    WICK_MODEL_DIR: model,
    WICK_HTTP_PORT: '0',
    WICK_API_TOKEN: TOKEN,
    WICK_EXECUTION_PROVIDER: 'cpu',
    WICK_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
    WICK_NOTIFY_THROTTLE_SECONDS: '0',
  });
  const candles = (await readCandles(`${SAMPLE_DATA_DIR}/BTC_USDT-1h.csv`)).slice(0, 800);
  total = candles.length;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  daemon = await startDaemon({
    config,
    mode: 'replay',
    roles: ['ingest', 'signal', 'trader'],
    series: [BTC],
    logger: silentLogger,
    cwd: process.cwd(),
    prefix: `wicktest-api-${process.pid}`,
    trader: await simulatedTrader({
      mode: 'replay',
      config,
      rules: simulatedMarketRules(['BTC/USDT']),
      timeframe: '1h',
      prefix: `wicktest-api-${process.pid}`,
      logger: silentLogger,
      persist: false,
    }),
    settings: { storeMaxCandles: 5_000 },
    http: true,
    onStep: () => {
      if (++processed === total) done();
    },
  });
  await daemon.pipeline.publishCandles(candles.map((candle): ClosedCandle => ({ series: BTC, candle })));
  await finished;
});

afterAll(async () => {
  await daemon?.stop();
  await new Promise<void>((r) => receiver.close(() => r()));
  await rm(model, { recursive: true, force: true });
});

async function api(path: string, init: RequestInit & { token?: string | null } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token !== null) headers['authorization'] = `Bearer ${init.token ?? TOKEN}`;
  const res = await fetch(`${daemon.http!.url}${path}`, { ...init, headers });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> | null };
}

describe('the daemon serves the operator API over its trading account', () => {
  it('status, equity and trades come from the running session', async () => {
    const status = await api('/api/status');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ mode: 'replay', riskState: 'ACTIVE', entriesPaused: false, quoteCurrency: 'USDT' });
    expect((status.body?.['series'] as { lastCandle: { openTimeMs: number } }[])[0]?.lastCandle.openTimeMs).toBeGreaterThan(0);
    const equity = await api('/api/equity');
    expect((equity.body as unknown as unknown[]).length).toBeGreaterThan(700);
    const trades = await api('/api/trades');
    expect(Array.isArray(trades.body)).toBe(true);
  });

  it('refuses a missing or wrong token', async () => {
    expect((await api('/api/status', { token: null })).status).toBe(401);
    expect((await api('/api/status', { token: 'wrong-token-wrong-token' })).status).toBe(401);
  });

  it('pauses and resumes entries on the live risk engine', async () => {
    expect((await api('/api/control/pause', { method: 'POST', body: '{}' })).status).toBe(200);
    expect(daemon.trader?.riskEngine.paused).toBe(true);
    expect((await api('/api/control/resume', { method: 'POST', body: '{}' })).status).toBe(200);
    expect(daemon.trader?.riskEngine.paused).toBe(false);
  });

  it('close-position flattens an open position through the order manager; reset-kill-switch answers', async () => {
    const position = daemon.trader!.orderManager.position('BTC/USDT');
    const res = await api('/api/control/close-position', { method: 'POST', body: JSON.stringify({ symbol: 'BTC/USDT' }) });
    expect(res.status).toBe(200);
    if (position !== undefined && position.qtyBase !== 0) {
      expect(res.body).toMatchObject({ status: 'sent' });
      const exits = daemon.trader!.orderManager.orders().filter((o) => o.purpose === 'exit' && o.status !== 'filled' && o.status !== 'canceled');
      expect(exits.length).toBeGreaterThan(0);
    } else {
      expect(res.body).toMatchObject({ status: 'not_found' });
    }
    expect((await api('/api/control/close-position', { method: 'POST', body: JSON.stringify({ symbol: 42 }) })).status).toBe(400);
    expect((await api('/api/control/reset-kill-switch', { method: 'POST', body: '{}' })).status).toBe(200);
    expect(daemon.trader!.riskEngine.state).toBe('ACTIVE');
    // Audited: who (address and token fingerprint), when, the equity at reset.
    const audit = (await api('/api/status')).body?.['killSwitchResets'] as { by: string; atMs: number; equityQuote: number }[];
    expect(audit).toHaveLength(1);
    expect(audit[0]?.by).toMatch(/127\.0\.0\.1/);
    expect(audit[0]?.equityQuote).toBeCloseTo(daemon.trader!.orderManager.equityQuote(), 6);
  });

  it('keeps /health and /metrics open', async () => {
    const health = await fetch(`${daemon.http!.url}/health`);
    expect(((await health.json()) as { mode: string }).mode).toBe('replay');
    const metrics = await (await fetch(`${daemon.http!.url}/metrics`)).text();
    expect(metrics).toMatch(/wick_candles_processed_total\{series="replay\.BTC-USDT\.1h"\} 800/);
  });

  it('sent a webhook message for the fills', async () => {
    await daemon.notifier?.flush();
    expect(daemon.trader!.ledger.fillsSoFar().length).toBeGreaterThan(0);
    expect(received.some((m) => JSON.stringify(m).includes('BTC/USDT'))).toBe(true);
  });
});

describe('the dashboard, served by the replaying daemon, in headless Chromium', async () => {
  const { launchBrowser, browserUnavailable, onCi } = await import('./support/browser.js');
  const unavailable = await browserUnavailable();
  it.skipIf(unavailable !== null && !onCi)('shows the session: equity chart and positions', async () => {
    if (unavailable !== null) throw new Error(`${unavailable} It is required when CI is set.`);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${daemon.http!.url}/`);
      await page.waitForSelector('#login', { state: 'visible' });
      await page.fill('#token', TOKEN);
      await page.click('#login-form button[type=submit]');
      await page.waitForSelector('body[data-state=ready]', { timeout: 15_000 });
      expect(Number(await page.getAttribute('#equity-chart', 'data-drawn'))).toBe(daemon.trader!.ledger.equityCurve().length);
      const open = daemon.trader!.orderManager.position('BTC/USDT');
      const rows = (await page.textContent('#positions-body')) ?? '';
      if (open !== undefined && open.qtyBase !== 0) expect(rows).toContain('BTC/USDT');
      else expect(rows).not.toContain('BTC/USDT');
    } finally {
      await browser.close();
    }
  });
});
