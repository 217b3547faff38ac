/**
 * The fuzz campaign: generated malformed inputs (fast-check) at every edge where wick parses what
 * it did not write: candle CSV files, exchange websocket/REST payloads (parsed, and sent to the
 * simulator), queue job data, operator API bodies and headers, and configuration. Every input must
 * get a clear, typed rejection (or be accepted as valid); none may crash (an unexpected exception
 * type, a 500, a process fault) and none may leave a partial file. Bounded: fixed run counts, a
 * fixed seed per property (reproducible), a few seconds in all. The counts go to test:faults.
 */
import { appendFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/core/index.js';
import { ConfigError, DataError } from '../src/core/errors.js';
import { loadConfig } from '../src/app/config/load-config.js';
import { ccxtOrderSchema, ccxtTradeSchema } from '../src/execution/brokers/ccxt-payloads.js';
import { CandleCsvParser } from '../src/market/candle-csv-parser.js';
import { writeCsvAtomic } from '../src/market/candle-csv-atomic.js';
import { readCandles } from '../src/market/candle-csv.js';
import { parseOhlcvPayload } from '../src/market/ohlcv-payload.js';
import { createOperatorApi, type OperatorPort } from '../src/obs/operator-api.js';
import { anyDecisionJobSchema, candleJobSchema } from '../src/pipeline/jobs.js';
import { startExchangeSimulator, type SimulatorHandle } from '../src/simulator/simulator.js';
import { silentLogger } from '../src/core/index.js';

const HEADER = 'timestamp,open,high,low,close,volume';
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const TOKEN = 'fuzz-token-0123456789abcdef';
const tally = { cases: 0, crashes: 0 };
let dir: string;

function record(name: string, cases: number, crashes: number): void {
  tally.cases += cases;
  tally.crashes += crashes;
  const file = process.env['WICK_TEST_FAULT_FIGURES'];
  if (file !== undefined && file !== '') appendFileSync(file, `${JSON.stringify({ fuzz: name, fuzzCases: cases, crashes })}\n`);
}

/** Runs a property over `runs` generated inputs and counts them; a crash fails the property. */
function campaign<T>(name: string, arb: fc.Arbitrary<T>, runs: number, seed: number, check: (input: T) => boolean | void): void {
  let cases = 0;
  let crashes = 0;
  try {
    fc.assert(
      fc.property(arb, (input) => {
        cases++;
        const ok = check(input);
        if (ok === false) crashes++;
        return ok !== false;
      }),
      { numRuns: runs, seed, endOnFailure: true },
    );
  } finally {
    record(name, cases, crashes);
  }
}

async function asyncCampaign<T>(name: string, arb: fc.Arbitrary<T>, runs: number, seed: number, check: (input: T) => Promise<boolean>): Promise<void> {
  let cases = 0;
  let crashes = 0;
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (input) => {
        cases++;
        const ok = await check(input);
        if (!ok) crashes++;
        return ok;
      }),
      { numRuns: runs, seed, endOnFailure: true },
    );
  } finally {
    record(name, cases, crashes);
  }
}

/** A valid row, then mutated: a cell replaced, dropped, doubled, or garbage appended. */
const cellGarbage = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', 'NaN', 'Infinity', '-1', '1e308', '0x1A', '1_000', ' 5', '5 ', '"5"', '1e400', '-0', '.', '1.2.3'),
  fc.double().map(String),
);
const mutatedCsv = fc
  .record({
    rows: fc.integer({ min: 0, max: 40 }),
    mutations: fc.array(
      fc.record({ row: fc.nat(40), col: fc.nat(7), kind: fc.constantFrom('replace', 'drop', 'extra', 'swap', 'blank', 'header'), value: cellGarbage }),
      { maxLength: 4 },
    ),
    crlf: fc.boolean(),
  })
  .map(({ rows, mutations, crlf }) => {
    let price = 100;
    const lines: string[][] = [];
    for (let i = 0; i < rows; i++) {
      const next = price * (i % 3 === 0 ? 1.01 : 0.995);
      lines.push([
        String(T0 + i * H),
        String(price),
        String(Math.max(price, next) * 1.001),
        String(Math.min(price, next) * 0.999),
        String(next),
        String(10 + i),
      ]);
      price = next;
    }
    let header = HEADER;
    for (const m of mutations) {
      const line = lines[m.row % Math.max(1, lines.length)];
      if (m.kind === 'header') header = m.value;
      else if (line === undefined) continue;
      else if (m.kind === 'replace') line[m.col % line.length] = m.value;
      else if (m.kind === 'drop') line.splice(m.col % line.length, 1);
      else if (m.kind === 'extra') line.push(m.value);
      else if (m.kind === 'swap') lines.splice(m.row % lines.length, 0, [...line]);
      else line.length = 0;
    }
    return [header, ...lines.map((l) => l.join(','))].join(crlf ? '\r\n' : '\n');
  });

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const ohlcvRow = fc.oneof(
  fc.tuple(fc.integer({ min: -5, max: 2 ** 53 }), fc.double(), fc.double(), fc.double(), fc.double(), fc.double()).map((t) => [...t] as unknown),
  fc.array(fc.oneof(fc.double(), fc.constant(null), fc.string({ maxLength: 4 })), { maxLength: 8 }),
  jsonValue,
);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wick-fuzz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  const file = process.env['WICK_TEST_FAULT_FIGURES'];
  if (file !== undefined && file !== '') appendFileSync(file, `${JSON.stringify({ fuzzTotal: true, fuzzCases: tally.cases, crashes: tally.crashes })}\n`);
});

describe('fuzz campaign (fast-check, bounded)', () => {
  it('candle CSV text: 3,000 mutated files parse or are refused with a DataError naming the line; accepted candles are sound', () => {
    campaign('candle CSV', mutatedCsv, 3_000, 101, (text) => {
      const out: { open: number; high: number; low: number; close: number; volume: number }[] = [];
      try {
        const p = new CandleCsvParser('fuzz.csv', '1h');
        p.feed(text, out as never[]);
        p.end(out as never[]);
      } catch (error) {
        return error instanceof DataError && /^fuzz\.csv(: |, line \d+)/.test(error.message);
      }
      return out.every(
        (c) => c.open > 0 && c.low > 0 && c.high >= Math.max(c.open, c.close) && c.low <= Math.min(c.open, c.close) && c.volume >= 0 && Number.isFinite(c.high),
      );
    });
  });

  it('candle files on disk: 300 mutated files read or are refused (DataError); writing never leaves a partial or temp file', async () => {
    let n = 0;
    await asyncCampaign('candle files and atomic writes', fc.tuple(mutatedCsv, fc.nat(60)), 300, 102, async ([text, failAt]) => {
      const file = path.join(dir, `in-${n}.csv`);
      const outFile = path.join(dir, `out-${n++}.csv`);
      await writeFile(file, text);
      try {
        await readCandles(file, { timeframe: '1h' });
      } catch (error) {
        if (!(error instanceof DataError)) return false;
      }
      function* rows(): Generator<number[]> {
        for (let i = 0; i < 50; i++) {
          if (i === failAt) throw new Error('generator failed');
          yield [i, i * 1.5];
        }
      }
      const wrote = await writeCsvAtomic(outFile, ['a', 'b'], rows()).then(
        () => true,
        () => false,
      );
      const left = (await readdir(dir)).filter((f) => f.startsWith(path.basename(outFile)));
      // Written whole, or not at all: never a partial output, never a temp file left behind.
      return wrote ? left.length === 1 && left[0] === path.basename(outFile) : left.length === 0;
    });
  });

  it('exchange OHLCV payloads (websocket resolves and REST pages): 2,000 malformed payloads are parsed without throwing; only sound candles come out', () => {
    campaign('OHLCV payloads', fc.oneof(fc.array(ohlcvRow, { maxLength: 12 }), jsonValue), 2_000, 103, (payload) => {
      const { candles, rejected } = parseOhlcvPayload(payload, '1h', silentLogger);
      const rows = Array.isArray(payload) ? payload.length : 1;
      return (
        candles.length + rejected === rows &&
        candles.every((c) => c.open > 0 && c.low > 0 && c.high >= Math.max(c.open, c.close, c.low) && c.openTimeMs % H === 0)
      );
    });
  });

  it('ccxt order and trade payloads: 1,000 malformed shapes are accepted or refused by the schemas, never thrown', () => {
    const orderish = fc.record(
      {
        id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        symbol: fc.oneof(fc.string(), fc.integer()),
        side: fc.oneof(fc.constantFrom('buy', 'sell', 'BUY', ''), jsonValue),
        timestamp: fc.oneof(fc.double(), fc.constant(-1), fc.constant(null)),
        amount: fc.oneof(fc.double(), fc.string()),
        price: fc.oneof(fc.double(), fc.constant(null)),
        trades: fc.oneof(fc.array(jsonValue, { maxLength: 3 }), jsonValue),
      },
      { requiredKeys: [] },
    );
    campaign('ccxt order/trade payloads', fc.oneof(orderish, jsonValue), 1_000, 104, (payload) => {
      const order = ccxtOrderSchema.safeParse(payload);
      const trade = ccxtTradeSchema.safeParse(payload);
      // A time that is not positive is missing, never kept.
      return (
        (!order.success || order.data.timestamp === undefined || order.data.timestamp > 0) &&
        (!trade.success || trade.data.timestamp === undefined || trade.data.timestamp > 0)
      );
    });
  });

  describe('through the simulator', () => {
    let sim: SimulatorHandle;
    beforeAll(async () => {
      sim = await startExchangeSimulator({
        markets: [
          {
            symbol: 'BTC/USDT',
            pricePath: [
              { timeMs: T0, price: 100 },
              { timeMs: T0 + 100 * H, price: 120 },
            ],
          },
        ],
        startTimeMs: T0 + 50 * H,
      });
    });
    afterAll(async () => {
      await sim.close();
    });
    it('REST requests with malformed parameters: 500 answered with a Binance error body, never a 5xx', async () => {
      const param = fc.tuple(
        fc.constantFrom(
          'symbol',
          'interval',
          'startTime',
          'endTime',
          'limit',
          'orderId',
          'side',
          'type',
          'quantity',
          'price',
          'timestamp',
          'signature',
          'recvWindow',
        ),
        fc.oneof(fc.string({ maxLength: 16 }), fc.constantFrom('BTCUSDT', '1h', '-1', '1e309', 'NaN', '99999999999999999999')),
      );
      const route = fc.constantFrom(
        'GET /api/v3/klines',
        'GET /api/v3/ticker/price',
        'GET /api/v3/avgPrice',
        'GET /api/v3/exchangeInfo',
        'POST /api/v3/order',
        'GET /api/v3/order',
        'DELETE /api/v3/order',
        'GET /api/v3/account',
        'GET /api/v3/nope',
      );
      await asyncCampaign('simulator REST requests', fc.tuple(route, fc.array(param, { maxLength: 6 })), 500, 105, async ([r, params]) => {
        const [method, p] = r.split(' ') as [string, string];
        const qs = new URLSearchParams(params).toString();
        const res = await fetch(`${sim.restUrl}${p}?${qs}`, { method, headers: { 'x-mbx-apikey': 'fuzz-key' } });
        const text = await res.text();
        // An unknown path is a plain 404, as on Binance; every other refusal is a Binance error body.
        if (res.status === 404 && p === '/api/v3/nope') return text === 'Not Found';
        const body = (() => {
          try {
            return JSON.parse(text) as { code?: unknown } | unknown[];
          } catch {
            return null;
          }
        })();
        return res.status < 500 && body !== null && (res.status === 200 || typeof (body as { code?: unknown }).code === 'number');
      });
    });
  });

  it('queue job data: 1,500 malformed candle and decision jobs are refused by their schemas with the reason; accepted candle jobs hold sound candles', () => {
    const candleish = fc.record(
      { openTimeMs: fc.oneof(fc.integer(), fc.double()), open: fc.double(), high: fc.double(), low: fc.double(), close: fc.double(), volume: fc.double() },
      { requiredKeys: [] },
    );
    const job = fc.record(
      {
        v: fc.constantFrom(1, 2, 3, '1'),
        series: fc.oneof(fc.record({ exchange: fc.string(), symbol: fc.string(), timeframe: fc.constantFrom('1h', '7m', '') }), jsonValue),
        candles: fc.oneof(fc.array(candleish, { maxLength: 4 }), jsonValue),
        decisions: jsonValue,
        ingestedAtMs: fc.double(),
      },
      { requiredKeys: [] },
    );
    campaign('queue job data', fc.oneof(job, jsonValue), 1_500, 106, (data) => {
      const candles = candleJobSchema.safeParse(data);
      const decisions = anyDecisionJobSchema.safeParse(data);
      if (!candles.success && candles.error.issues.length === 0) return false;
      if (!decisions.success && decisions.error.issues.length === 0) return false;
      return !candles.success || candles.data.candles.every((c) => c.low > 0 && c.high >= Math.max(c.open, c.close) && c.low <= Math.min(c.open, c.close));
    });
  });

  describe('operator API', () => {
    let server: Server;
    let url = '';
    let calls = 0;
    beforeAll(async () => {
      const port: OperatorPort = {
        status: async () => ({
          mode: 'paper',
          nowMs: 0,
          riskState: 'ACTIVE',
          haltReason: null,
          entriesPaused: false,
          equityQuote: 1,
          cashQuote: 1,
          model: null,
          series: [],
        }),
        positions: async () => [],
        orders: async () => [],
        trades: async () => [],
        equity: async () => [],
        errors: async () => [],
        pauseEntries: async () => void calls++,
        resumeEntries: async () => void calls++,
        resetKillSwitch: async () => void calls++,
        closePosition: async (symbol) => ({ status: 'not_found' as const, message: `no open position in ${symbol}` }),
      };
      const handle = createOperatorApi({
        port,
        token: TOKEN,
        clock: new ManualClock(0),
        controlRateLimit: { capacity: 1e9, refillPerSecond: 1 },
        authFailureBackoff: { freeFailures: 1e9, baseBackoffMs: 1, maxBackoffMs: 1 },
      });
      server = createServer((req, res) => {
        void handle(req, res).then((handled) => {
          if (!handled) res.writeHead(404).end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      await new Promise((r) => server.close(r));
    });

    it('1,000 requests with malformed headers and bodies: each answered with a JSON error or success, never a 500; a control runs only with the token', async () => {
      const authHeader = fc.oneof(
        fc.constant(`Bearer ${TOKEN}`),
        fc.constant(undefined),
        fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
        fc.constantFrom(`bearer ${TOKEN}`, `Bearer  ${TOKEN} `, `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, 'Bearer'),
      );
      const body = fc.oneof(
        fc.constant(undefined),
        jsonValue.map((v) => JSON.stringify(v)),
        fc.string({ maxLength: 64 }),
        fc.constant('{"symbol":"BTC/USDT"}'),
        fc.constant('x'.repeat(20_000)),
      );
      const pathArb = fc.constantFrom(
        '/api/status',
        '/api/positions',
        '/api/control/pause',
        '/api/control/close-position',
        '/api/control/reset-kill-switch',
        '/api/openapi.json',
        '/api/../api/status',
        '/api/nope',
        '/api',
      );
      const method = fc.constantFrom('GET', 'POST', 'DELETE', 'PUT');
      const contentType = fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/json; charset=utf-8', 'multipart/form-data');
      await asyncCampaign('operator API requests', fc.tuple(pathArb, method, authHeader, body, contentType), 1_000, 107, async ([p, m, a, b, ct]) => {
        const before = calls;
        const headers: Record<string, string> = {};
        if (a !== undefined) headers['authorization'] = a;
        if (ct !== undefined) headers['content-type'] = ct;
        const res = await fetch(`${url}${p}`, { method: m, headers, ...(b !== undefined && m !== 'GET' ? { body: b } : {}) });
        const text = await res.text();
        const json = text === '' ? null : (JSON.parse(text) as unknown);
        const authorised = a !== undefined && /^Bearer[ \t]+\S+[ \t]*$/i.test(a) && a.trim().split(/[ \t]+/)[1] === TOKEN;
        const controlRan = calls > before;
        // Refusals carry { error: { code } }; close-position's own outcomes carry { status } (404 when flat).
        const refusal =
          typeof (json as { error?: { code?: unknown } } | null)?.error?.code === 'string' || typeof (json as { status?: unknown } | null)?.status === 'string';
        return res.status < 500 && json !== null && (!controlRan || authorised) && (res.status < 400 || refusal);
      });
    });
  });

  it('configuration: 1,500 generated environments load or are refused with a ConfigError that lists each problem and never shows a secret', () => {
    const names = fc.constantFrom(
      'WICK_MODE',
      'WICK_TIMEFRAME',
      'WICK_SYMBOLS',
      'WICK_HTTP_PORT',
      'WICK_LIVE_CONFIRM',
      'WICK_REDIS_URL',
      'WICK_RISK_PER_TRADE',
      'WICK_PLAUSIBLE_MAX_RATIO',
      'WICK_SHUTDOWN_TIMEOUT_SECONDS',
      'WICK_TYPO',
      'WICK_EXCHANGE_REST_URL',
      'WICK_MAX_DRAWDOWN',
    );
    const value = fc.oneof(
      fc.string({ maxLength: 24 }),
      fc.constantFrom(
        'live',
        'paper',
        '1h',
        '7m',
        'BTC/USDT',
        'btc',
        '-1',
        '65536',
        '0',
        'NaN',
        'secret-value-ABCDEFGH1234',
        'I-UNDERSTAND-THIS-TRADES-REAL-MONEY',
        'http://x',
        '',
      ),
    );
    // Secrets get their own recognisable values, so a leak cannot be confused with the message's own words.
    const secrets = fc.dictionary(
      fc.constantFrom('WICK_API_TOKEN', 'WICK_API_KEY', 'WICK_API_SECRET', 'WICK_TELEGRAM_BOT_TOKEN'),
      fc.string({ minLength: 0, maxLength: 20 }).map((x) => `S3cr3t-${x.replace(/\s/g, '')}`),
      { maxKeys: 3 },
    );
    const envs = fc.tuple(fc.dictionary(names, value, { maxKeys: 8 }), secrets).map(([plain, secret]) => ({ ...plain, ...secret }));
    campaign('configuration', envs, 1_500, 108, (env) => {
      try {
        loadConfig(env);
        return true;
      } catch (error) {
        if (!(error instanceof ConfigError) || error.issues.length === 0) return false;
        for (const name of ['WICK_API_TOKEN', 'WICK_API_KEY', 'WICK_API_SECRET', 'WICK_TELEGRAM_BOT_TOKEN']) {
          const secret = (env as Record<string, string | undefined>)[name];
          if (secret !== undefined && error.message.includes(secret)) return false;
        }
        return true;
      }
    });
  });

  it('the campaign tried at least 10,000 generated inputs, with no crash', () => {
    expect(tally.cases).toBeGreaterThanOrEqual(10_000);
    expect(tally.crashes).toBe(0);
  });
});
