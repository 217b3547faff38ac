import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type Logger } from '../src/core/index.js';
import { createOperatorApi, type OperatorApiOptions, type OperatorPort, type OperatorStatus } from '../src/obs/operator-api.js';
import { AuthFailureBackoff, bearerToken, TokenBucketLimiter, tokenFingerprint, tokenMatches } from '../src/obs/operator-api-auth.js';

const TOKEN = 'test-token-0123456789abcdef';

interface LogLine {
  readonly level: string;
  readonly obj: Record<string, unknown>;
  readonly msg: string | undefined;
}

function recordingLogger(lines: LogLine[]): Logger {
  const make = (bindings: Record<string, unknown>): Logger => {
    const at =
      (level: string) =>
      (a: object | string, b?: string): void => {
        if (typeof a === 'string') lines.push({ level, obj: { ...bindings }, msg: a });
        else lines.push({ level, obj: { ...bindings, ...(a as Record<string, unknown>) }, msg: b });
      };
    return {
      trace: at('trace'),
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      fatal: at('fatal'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make({});
}

/** An in-memory daemon: enough state for every endpoint, and a record of who asked for what. */
function fakePort(): OperatorPort & { calls: string[]; paused: boolean; riskState: string } {
  const port = {
    calls: [] as string[],
    paused: false,
    riskState: 'HALTED',
    status: async (): Promise<OperatorStatus> => ({
      mode: 'paper',
      nowMs: 1_700_000_000_000,
      riskState: port.riskState,
      haltReason: port.riskState === 'HALTED' ? 'drawdown 21% from peak' : null,
      entriesPaused: port.paused,
      equityQuote: 10_250,
      cashQuote: 7_000,
      model: { id: 'lstm-abc', executionProvider: 'cpu' },
      series: [
        {
          id: 'binance.BTC-USDT.1h',
          symbol: 'BTC/USDT',
          timeframe: '1h',
          lastCandle: { openTimeMs: 1_699_996_400_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 },
        },
      ],
    }),
    positions: async () => [
      {
        symbol: 'BTC/USDT',
        side: 'long' as const,
        qtyBase: 0.1,
        avgEntryPriceQuote: 30_000,
        markPriceQuote: 30_500,
        unrealisedPnlQuote: 50,
        realisedPnlQuote: 0,
        feesQuote: 3,
        openedAtMs: 1,
        stopPriceQuote: 29_400,
        takeProfitPriceQuote: null,
      },
    ],
    orders: async () => [],
    trades: async () => [],
    equity: async () =>
      [
        [1, 10_000],
        [2, 10_250],
      ] as [number, number][],
    errors: async () => [{ timeMs: 5, code: 'EXCHANGE_TIMEOUT', message: 'timed out' }],
    pauseEntries: async (by: string) => {
      port.calls.push(`pause ${by}`);
      port.paused = true;
    },
    resumeEntries: async (by: string) => {
      port.calls.push(`resume ${by}`);
      port.paused = false;
    },
    resetKillSwitch: async (by: string) => {
      port.calls.push(`reset ${by}`);
      port.riskState = 'ACTIVE';
    },
    closePosition: async (symbol: string, by: string) => {
      port.calls.push(`close ${symbol} ${by}`);
      return symbol === 'BTC/USDT'
        ? { status: 'sent' as const, message: 'market exit sent', clientOrderId: 'x1' }
        : { status: 'not_found' as const, message: `no open position in ${symbol}` };
    },
  };
  return port;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** The handler mounted the way the health server mounts it: tried first, 404 when it declines. */
async function serve(options: OperatorApiOptions): Promise<string> {
  const handle = createOperatorApi(options);
  const server = createServer((req, res) => {
    void handle(req, res).then((handled) => {
      if (!handled) res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const auth = (token = TOKEN): Record<string, string> => ({ authorization: `Bearer ${token}` });
const post = (body?: unknown, token = TOKEN): RequestInit => ({
  method: 'POST',
  headers: { ...auth(token), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
  ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
});

describe('operator API: authentication', () => {
  it('refuses everything under /api when no token is configured: reads 401, controls 403, naming WICK_API_TOKEN', async () => {
    const url = await serve({ port: fakePort() });
    const read = await fetch(`${url}/api/status`, { headers: auth() });
    expect(read.status).toBe(401);
    expect(await read.json()).toEqual({ error: { code: 'API_TOKEN_NOT_SET', message: expect.stringContaining('WICK_API_TOKEN') } });
    const control = await fetch(`${url}/api/control/pause`, post());
    expect(control.status).toBe(403);
    expect(((await control.json()) as { error: { message: string } }).error.message).toContain('WICK_API_TOKEN must be set');
  });

  it('needs the exact bearer token; a wrong one is 401 with WWW-Authenticate', async () => {
    const url = await serve({ port: fakePort(), token: TOKEN });
    for (const headers of [{}, auth('wrong-token-0123456789abcdef'), auth(`${TOKEN}x`), { authorization: TOKEN }]) {
      const res = await fetch(`${url}/api/positions`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
    const ok = await fetch(`${url}/api/positions`, { headers: auth() });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
  });

  it('compares tokens in constant time on digests and fingerprints them without revealing them', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(TOKEN, 'short')).toBe(false);
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
    expect(tokenFingerprint(TOKEN)).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(tokenFingerprint(TOKEN)).not.toContain(TOKEN.slice(0, 6));
  });
});

describe('operator API: reads', () => {
  it('serves status, positions (with stops), orders, trades, equity and errors as JSON', async () => {
    const url = await serve({ port: fakePort(), token: TOKEN });
    const get = async (path: string): Promise<unknown> => {
      const res = await fetch(`${url}${path}`, { headers: auth() });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      return res.json();
    };
    expect(await get('/api/status')).toMatchObject({ mode: 'paper', riskState: 'HALTED', model: { id: 'lstm-abc' }, series: [{ symbol: 'BTC/USDT' }] });
    expect(await get('/api/positions')).toEqual([expect.objectContaining({ symbol: 'BTC/USDT', stopPriceQuote: 29_400, takeProfitPriceQuote: null })]);
    expect(await get('/api/orders')).toEqual([]);
    expect(await get('/api/trades')).toEqual([]);
    expect(await get('/api/equity')).toEqual([
      [1, 10_000],
      [2, 10_250],
    ]);
    expect(await get('/api/errors')).toEqual([{ timeMs: 5, code: 'EXCHANGE_TIMEOUT', message: 'timed out' }]);
  });

  it('answers JSON errors for unknown routes and wrong methods, and 500 without details when the port throws', async () => {
    const lines: LogLine[] = [];
    const port = fakePort();
    port.trades = () => Promise.reject(new Error('redis said secret-ish things'));
    const url = await serve({ port, token: TOKEN, logger: recordingLogger(lines) });
    const missing = await fetch(`${url}/api/nope`, { headers: auth() });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    const wrongMethod = await fetch(`${url}/api/status`, { method: 'DELETE', headers: auth() });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    expect((await fetch(`${url}/api/control/pause`, { headers: auth() })).status).toBe(405);
    const failed = await fetch(`${url}/api/trades`, { headers: auth() });
    expect(failed.status).toBe(500);
    const body = JSON.stringify(await failed.json());
    expect(body).toContain('INTERNAL');
    expect(body).not.toContain('secret-ish');
    expect(lines.some((l) => l.level === 'error' && l.obj['component'] === 'operator-api')).toBe(true);
  });

  it('publishes an OpenAPI 3 document generated from the zod schemas (behind the token)', async () => {
    const url = await serve({ port: fakePort(), token: TOKEN });
    expect((await fetch(`${url}/api/openapi.json`)).status).toBe(401);
    const doc = (await (await fetch(`${url}/api/openapi.json`, { headers: auth() })).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> }; responses: Record<string, unknown> }>
      >;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/api/control/close-position',
        '/api/control/pause',
        '/api/control/reset-kill-switch',
        '/api/control/resume',
        '/api/equity',
        '/api/errors',
        '/api/orders',
        '/api/positions',
        '/api/status',
        '/api/trades',
      ].sort(),
    );
    const close = doc.paths['/api/control/close-position']?.['post'];
    expect(close?.requestBody?.content['application/json']?.schema.properties).toHaveProperty('symbol');
    expect(Object.keys(close?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '429']));
    expect(doc.paths['/api/positions']?.['get']?.responses).toHaveProperty('200');
  });
});

describe('operator API: controls', () => {
  it('pauses, resumes and resets, telling the port and the audit log who asked (fingerprint, never the token)', async () => {
    const lines: LogLine[] = [];
    const port = fakePort();
    const url = await serve({ port, token: TOKEN, logger: recordingLogger(lines) });
    const pause = await fetch(`${url}/api/control/pause`, post());
    expect(pause.status).toBe(200);
    expect(await pause.json()).toEqual({ ok: true, action: 'pause', riskState: 'HALTED', entriesPaused: true });
    expect((await fetch(`${url}/api/control/resume`, post())).status).toBe(200);
    const reset = await fetch(`${url}/api/control/reset-kill-switch`, post());
    expect(await reset.json()).toMatchObject({ ok: true, action: 'reset-kill-switch', riskState: 'ACTIVE' });
    const fp = tokenFingerprint(TOKEN);
    expect(port.calls).toEqual([`pause 127.0.0.1 ${fp}`, `resume 127.0.0.1 ${fp}`, `reset 127.0.0.1 ${fp}`]);
    const audit = lines.filter((l) => l.obj['audit'] === true);
    expect(audit.map((l) => l.obj['action'])).toEqual(['pause', 'resume', 'reset-kill-switch']);
    expect(audit[0]?.obj['by']).toBe(`127.0.0.1 ${fp}`);
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });

  it('closes a position from a zod-validated body: 400 on a bad body, 415 without JSON, 404 when flat', async () => {
    const port = fakePort();
    const url = await serve({ port, token: TOKEN, controlRateLimit: { capacity: 100, refillPerSecond: 1 } });
    const sent = await fetch(`${url}/api/control/close-position`, post({ symbol: 'BTC/USDT' }));
    expect(sent.status).toBe(200);
    expect(await sent.json()).toEqual({ status: 'sent', message: 'market exit sent', clientOrderId: 'x1' });
    const flat = await fetch(`${url}/api/control/close-position`, post({ symbol: 'ETH/USDT' }));
    expect(flat.status).toBe(404);
    for (const body of [{}, { symbol: 'btc' }, { symbol: 'BTC/USDT', extra: 1 }, []]) {
      const bad = await fetch(`${url}/api/control/close-position`, post(body));
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_BODY');
    }
    const notJson = await fetch(`${url}/api/control/close-position`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'text/plain' },
      body: 'BTC/USDT',
    });
    expect(notJson.status).toBe(415);
    const broken = await fetch(`${url}/api/control/close-position`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: '{"symbol":',
    });
    expect(((await broken.json()) as { error: { code: string } }).error.code).toBe('INVALID_JSON');
    expect(port.calls.filter((c) => c.startsWith('close'))).toHaveLength(2);
  });

  it('a flood of unauthenticated control requests never delays the operator: 30 strangers, then close-position and reset-kill-switch answer 200', async () => {
    const port = fakePort();
    const url = await serve({ port, token: TOKEN });
    for (let i = 0; i < 30; i += 1) {
      const res = await fetch(`${url}/api/control/pause`, i % 2 === 0 ? { method: 'POST' } : post(undefined, 'wrong-token-0123456789abcdef'));
      expect([401, 429]).toContain(res.status);
      expect(((await res.json()) as { error: { code: string } }).error.code).not.toBe('RATE_LIMITED');
    }
    expect(port.calls).toEqual([]);
    expect((await fetch(`${url}/api/control/close-position`, post({ symbol: 'BTC/USDT' }))).status).toBe(200);
    expect((await fetch(`${url}/api/control/reset-kill-switch`, post())).status).toBe(200);
    expect((await fetch(`${url}/api/control/resume`, post())).status).toBe(200);
    expect((await fetch(`${url}/api/status`, { headers: auth() })).status).toBe(200);
  });

  it('a steady trickle of strangers (2 a second for 5 minutes of clock) never holds back an authenticated resume', async () => {
    const clock = new ManualClock(0);
    const port = fakePort();
    const url = await serve({ port, token: TOKEN, clock });
    for (let second = 0; second < 300; second += 30) {
      for (let i = 0; i < 60; i += 1) {
        await fetch(`${url}/api/control/resume`, { method: 'POST' });
        clock.advance(500);
      }
      const res = await fetch(`${url}/api/control/resume`, post());
      expect(res.status, `at ${second} s`).toBe(200);
    }
    expect(port.calls.filter((c) => c.startsWith('resume'))).toHaveLength(10);
  });

  it('failed authentications back off per address (429 AUTH_BACKOFF, doubling Retry-After, one log line), then are forgiven after a quiet spell', async () => {
    const clock = new ManualClock(0);
    const lines: LogLine[] = [];
    const url = await serve({
      port: fakePort(),
      token: TOKEN,
      clock,
      logger: recordingLogger(lines),
      authFailureBackoff: { freeFailures: 3, baseBackoffMs: 2_000, maxBackoffMs: 60_000 },
    });
    const wrong = { headers: auth('wrong-token-0123456789abcdef') };
    for (let i = 0; i < 3; i += 1) expect((await fetch(`${url}/api/status`, wrong)).status).toBe(401);
    const retries: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      const res = await fetch(`${url}/api/status`, wrong);
      expect(res.status).toBe(429);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'AUTH_BACKOFF',
        message: expect.stringContaining('WICK_API_TOKEN'),
      });
      retries.push(res.headers.get('retry-after') ?? '');
    }
    expect(retries).toEqual(['2', '4', '8', '16', '32', '60', '60', '60']);
    expect(lines.filter((l) => String(l.msg).includes('backing off'))).toHaveLength(1);
    expect(lines.filter((l) => String(l.msg).includes('unauthorised request'))).toHaveLength(3);
    expect((await fetch(`${url}/api/status`, { headers: auth() })).status).toBe(200); // the right token always passes
    expect((await fetch(`${url}/api/status`, wrong)).status).toBe(401); // ...and clears the address's record
    clock.advance(60_000);
    expect((await fetch(`${url}/api/status`, wrong)).status).toBe(401);
  });

  it('auth back-off: free failures, doubling to the cap, forgiveness after maxBackoffMs of quiet, bounded memory', () => {
    const clock = new ManualClock(0);
    const backoff = new AuthFailureBackoff({ freeFailures: 1, baseBackoffMs: 1_000, maxBackoffMs: 4_000 }, clock, 2);
    expect(backoff.fail('a')).toEqual({ waitS: 0, first: false });
    expect(backoff.fail('a')).toEqual({ waitS: 1, first: true });
    expect(backoff.fail('a')).toEqual({ waitS: 2, first: false });
    expect(backoff.fail('a')).toEqual({ waitS: 4, first: false });
    expect(backoff.fail('a')).toEqual({ waitS: 4, first: false });
    clock.advance(3_999);
    expect(backoff.fail('a').waitS).toBe(4);
    clock.advance(4_000);
    expect(backoff.fail('a')).toEqual({ waitS: 0, first: false });
    backoff.fail('b');
    backoff.fail('c'); // 'a' is forgotten beyond maxKeys
    expect(backoff.fail('a')).toEqual({ waitS: 0, first: false });
    expect(() => new AuthFailureBackoff({ freeFailures: 0, baseBackoffMs: 0, maxBackoffMs: 1 }, clock)).toThrow(RangeError);
  });

  it('rate-limits control requests per authenticated principal with a token bucket (429 + Retry-After), refilled by the clock', async () => {
    const clock = new ManualClock(0);
    const port = fakePort();
    const url = await serve({ port, token: TOKEN, clock, controlRateLimit: { capacity: 2, refillPerSecond: 0.5 } });
    expect((await fetch(`${url}/api/control/pause`, post())).status).toBe(200);
    expect((await fetch(`${url}/api/control/pause`, post())).status).toBe(200);
    const limited = await fetch(`${url}/api/control/pause`, post());
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    expect((await fetch(`${url}/api/status`, { headers: auth() })).status).toBe(200); // reads are not limited
    clock.advance(2_000);
    expect((await fetch(`${url}/api/control/pause`, post())).status).toBe(200);
    expect(port.calls).toHaveLength(3);
  });

  it('token bucket: refills up to capacity and forgets the least recently used client beyond maxKeys', () => {
    const clock = new ManualClock(0);
    const limiter = new TokenBucketLimiter({ capacity: 1, refillPerSecond: 1 }, clock, 2);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBeCloseTo(1);
    clock.advance(500);
    expect(limiter.take('a')).toBeCloseTo(0.5);
    expect(limiter.take('b')).toBe(0);
    expect(limiter.take('c')).toBe(0); // 'a' is forgotten: a fresh bucket next time
    expect(limiter.take('a')).toBe(0);
    expect(() => new TokenBucketLimiter({ capacity: 0, refillPerSecond: 1 }, clock)).toThrow(RangeError);
  });
});

describe('operator API: dashboard files', () => {
  it('serves the dashboard at / with a strict CSP, its script and styles, and declines other paths', async () => {
    const url = await serve({ port: fakePort(), token: TOKEN });
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('/dashboard/app.js');
    const js = await fetch(`${url}/dashboard/app.js`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    const source = await js.text();
    expect(() => new Function(source)).not.toThrow(); // parses as a script
    expect((await fetch(`${url}/dashboard/app.css`)).status).toBe(200);
    expect((await fetch(`${url}/health`)).status).toBe(404); // left to the health server
    expect((await fetch(`${url}/favicon.ico`)).status).toBe(404);
    const off = await serve({ port: fakePort(), token: TOKEN, dashboard: false });
    expect((await fetch(`${off}/`)).status).toBe(404);
  });
});
