import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BinanceApiError, binanceErrors } from './binance-error.js';
import { INTERVAL_MS, cancelOrderJson, fmt, fmtPrice, klineRow, newOrderJson, queryOrderJson, selectKlines, symbolInfo, tradeJson } from './binance-format.js';
import { AVG_PRICE_MINS, type ExchangeEngine, type OrderLookup, type PlaceOrderParams } from './exchange-engine.js';
import type { FaultState } from './faults.js';

export interface RestContext {
  readonly engine: ExchangeEngine;
  readonly faults: FaultState;
  /** When set, private requests must carry this key in X-MBX-APIKEY. */
  readonly apiKey: string | undefined;
  /** When set, private requests must be HMAC-SHA256 signed with it. */
  readonly apiSecret: string | undefined;
  /** Wall clock for the recvWindow check (the simulated clock drives markets, not request freshness). */
  readonly wallNowMs: () => number;
  /** Handles `/__sim/...` control requests; undefined disables them. */
  readonly control: ((method: string, path: string, body: unknown) => Promise<unknown>) | undefined;
  /** Open responses held by a 'hang' order-timeout fault; destroyed on close. */
  readonly held: Set<ServerResponse>;
}

type Params = Record<string, string>;

const PRIVATE = new Set(['/api/v3/account', '/api/v3/order', '/api/v3/order/test', '/api/v3/openOrders', '/api/v3/allOrders', '/api/v3/myTrades']);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function num(params: Params, key: string): number | undefined {
  const raw = params[key];
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?[0-9]+(\.[0-9]+)?(e-?[0-9]+)?$/i.test(raw)) throw binanceErrors.illegalValue(key);
  return Number(raw);
}

function int(params: Params, key: string): number | undefined {
  const n = num(params, key);
  if (n !== undefined && !Number.isInteger(n)) throw binanceErrors.illegalValue(key);
  return n;
}

function required(params: Params, key: string): string {
  const v = params[key];
  if (v === undefined || v === '') throw binanceErrors.mandatory(key);
  return v;
}

function lookup(params: Params): OrderLookup {
  const orderId = int(params, 'orderId');
  const orig = params['origClientOrderId'];
  return {
    ...(orderId !== undefined ? { orderId } : {}),
    ...(orig !== undefined && orig !== '' ? { origClientOrderId: orig } : {}),
  };
}

/** Strips `signature=` from the raw parameter text, as Binance signs "query string + body". */
function signedPayload(rawQuery: string, rawBody: string): string {
  return (rawQuery + rawBody).replace(/&?signature=[^&]*/, '');
}

function defaultStormBody(status: number): { json: unknown } | { text: string } {
  if (status === 429)
    return {
      json: {
        code: -1003,
        msg: 'Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. Please use WebSocket Streams for live updates to avoid polling the API.',
      },
    };
  if (status === 418)
    return {
      json: {
        code: -1003,
        msg: 'Way too much request weight used; IP banned until 1700000000000. Please use WebSocket Streams for live updates to avoid bans.',
      },
    };
  return { text: status === 502 ? 'Bad Gateway' : status === 504 ? 'Gateway Time-out' : 'Service Unavailable' };
}

/** The Binance spot REST subset ccxt uses, over node:http. */
export function createRestHandler(ctx: RestContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((err: unknown) => {
      if (err instanceof BinanceApiError) sendJson(res, err.httpStatus, err.toBody());
      else sendJson(res, 500, { code: -1000, msg: 'An unknown error occurred while processing the request.' });
    });
  };
}

async function handle(ctx: RestContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://simulator');
  const path = url.pathname;
  const rawQuery = url.search.startsWith('?') ? url.search.slice(1) : url.search;
  const rawBody = await readBody(req);

  if (path.startsWith('/__sim/')) {
    if (ctx.control === undefined) {
      sendText(res, 404, 'Not Found');
      return;
    }
    let body: unknown = {};
    if (rawBody.trim() !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch {
        sendJson(res, 400, { error: 'body must be JSON' });
        return;
      }
    }
    try {
      sendJson(res, 200, (await ctx.control(method, path, body)) ?? {});
    } catch (err) {
      sendJson(res, 400, { error: err instanceof Error ? err.message : String(err) });
    }
    return;
  }

  const f = ctx.faults;
  if (f.latencyMs > 0 && (f.latencyPathPrefix === undefined || path.startsWith(f.latencyPathPrefix))) await sleep(f.latencyMs);
  const storm = f.takeHttpError(path);
  if (storm !== undefined) {
    const headers: Record<string, string> = storm.status === 429 || storm.status === 418 ? { 'Retry-After': '1' } : {};
    if (storm.body !== undefined) sendText(res, storm.status, storm.body, headers);
    else {
      const b = defaultStormBody(storm.status);
      if ('json' in b) sendJson(res, storm.status, b.json, headers);
      else sendText(res, storm.status, b.text, headers);
    }
    return;
  }

  const params: Params = {};
  for (const [k, v] of new URLSearchParams(rawQuery)) params[k] = v;
  for (const [k, v] of new URLSearchParams(rawBody)) params[k] = v;

  if (PRIVATE.has(path)) authenticate(ctx, req, params, rawQuery, rawBody);
  const route = `${method} ${path}`;
  const engine = ctx.engine;
  // serverTime is the simulated market clock (plus skew), consistent with klines, order and trade
  // times: callers use it to tell closed candles from forming ones. The recvWindow check uses the
  // wall clock plus skew instead (ccxt signs with wall time), so ccxt's adjustForTimeDifference only
  // helps when the simulated clock runs at wall time.
  const serverTime = engine.nowMs + f.clockSkewMs;
  switch (route) {
    case 'GET /api/v3/ping':
      sendJson(res, 200, {});
      return;
    case 'GET /api/v3/time':
      sendJson(res, 200, { serverTime });
      return;
    case 'GET /api/v3/exchangeInfo': {
      const wanted = wantedSymbols(params);
      const symbols = engine.marketList().filter((m) => wanted === undefined || wanted.includes(m.id));
      if (wanted !== undefined && symbols.length === 0) throw binanceErrors.invalidSymbol();
      sendJson(res, 200, {
        timezone: 'UTC',
        serverTime,
        rateLimits: [
          { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
          { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
        ],
        exchangeFilters: [],
        symbols: symbols.map(symbolInfo),
      });
      return;
    }
    case 'GET /api/v3/klines': {
      const market = engine.market(required(params, 'symbol'));
      const intervalMs = INTERVAL_MS[required(params, 'interval')];
      if (intervalMs === undefined) throw binanceErrors.invalidInterval();
      const limit = Math.max(1, Math.min(int(params, 'limit') ?? 500, 1000));
      const startTime = int(params, 'startTime');
      const endTime = int(params, 'endTime');
      const rows = selectKlines(market.path, {
        intervalMs,
        nowMs: engine.nowMs,
        limit,
        ...(startTime !== undefined ? { startTime } : {}),
        ...(endTime !== undefined ? { endTime } : {}),
      });
      sendJson(
        res,
        200,
        rows.map((k) => klineRow(k, market.tickSize)),
      );
      return;
    }
    case 'GET /api/v3/avgPrice': {
      const symbol = params['symbol'];
      if (symbol === undefined) throw binanceErrors.mandatory('symbol');
      const market = engine.market(symbol);
      sendJson(res, 200, { mins: AVG_PRICE_MINS, price: fmtPrice(engine.avgPriceOf(market.id), market.tickSize), closeTime: engine.nowMs });
      return;
    }
    case 'GET /api/v3/ticker/price': {
      const wanted = wantedSymbols(params);
      const rows = engine
        .marketList()
        .filter((m) => wanted === undefined || wanted.includes(m.id))
        .map((m) => ({ symbol: m.id, price: fmtPrice(engine.priceOf(m.id), m.tickSize) }));
      if (wanted !== undefined && rows.length === 0) throw binanceErrors.invalidSymbol();
      sendJson(res, 200, params['symbol'] !== undefined ? rows[0] : rows);
      return;
    }
    case 'GET /api/v3/account':
      sendJson(res, 200, {
        makerCommission: Math.round(engine.fee * 10_000),
        takerCommission: Math.round(engine.fee * 10_000),
        buyerCommission: 0,
        sellerCommission: 0,
        commissionRates: { maker: fmt(engine.fee), taker: fmt(engine.fee), buyer: fmt(0), seller: fmt(0) },
        canTrade: true,
        canWithdraw: true,
        canDeposit: true,
        brokered: false,
        requireSelfTradePrevention: false,
        preventSor: false,
        updateTime: engine.nowMs,
        accountType: 'SPOT',
        balances: engine.balances().map((b) => ({ asset: b.asset, free: fmt(b.free), locked: fmt(b.locked) })),
        permissions: ['SPOT'],
        uid: 1,
      });
      return;
    case 'POST /api/v3/order/test':
      sendJson(res, 200, {});
      return;
    case 'POST /api/v3/order':
      await placeOrder(ctx, res, params);
      return;
    case 'GET /api/v3/order': {
      const symbol = required(params, 'symbol');
      const o = engine.getOrder(symbol, lookup(params));
      sendJson(res, 200, queryOrderJson(o, engine.market(symbol).tickSize));
      return;
    }
    case 'DELETE /api/v3/order': {
      const symbol = required(params, 'symbol');
      const o = engine.cancelOrder(symbol, lookup(params));
      sendJson(res, 200, cancelOrderJson(o, params['newClientOrderId'] ?? `sim-cancel-${o.orderId}`, engine.nowMs, engine.market(symbol).tickSize));
      return;
    }
    case 'GET /api/v3/openOrders': {
      const symbol = params['symbol'];
      const rows = engine.openOrders(symbol).map((o) => queryOrderJson(o, engine.market(o.symbol).tickSize));
      sendJson(res, 200, rows);
      return;
    }
    case 'DELETE /api/v3/openOrders': {
      const symbol = required(params, 'symbol');
      const tick = engine.market(symbol).tickSize;
      const rows = engine
        .openOrders(symbol)
        .map((o) => cancelOrderJson(engine.cancelOrder(symbol, { orderId: o.orderId }), `sim-cancel-${o.orderId}`, engine.nowMs, tick));
      sendJson(res, 200, rows);
      return;
    }
    case 'GET /api/v3/allOrders': {
      const symbol = required(params, 'symbol');
      const tick = engine.market(symbol).tickSize;
      const limit = Math.min(int(params, 'limit') ?? 500, 1000);
      sendJson(
        res,
        200,
        engine
          .allOrders(symbol)
          .slice(-limit)
          .map((o) => queryOrderJson(o, tick)),
      );
      return;
    }
    case 'GET /api/v3/myTrades': {
      const symbol = required(params, 'symbol');
      const tick = engine.market(symbol).tickSize;
      const q: { orderId?: number; startTime?: number; endTime?: number; fromId?: number; limit?: number } = {};
      for (const key of ['orderId', 'startTime', 'endTime', 'fromId', 'limit'] as const) {
        const v = int(params, key);
        if (v !== undefined) q[key] = v;
      }
      sendJson(
        res,
        200,
        engine.myTrades(symbol, q).map((t) => tradeJson(t, tick)),
      );
      return;
    }
    default:
      sendText(res, 404, 'Not Found');
  }
}

function wantedSymbols(params: Params): string[] | undefined {
  const one = params['symbol'];
  if (one !== undefined) return [one];
  const many = params['symbols'];
  if (many === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(many);
    if (Array.isArray(parsed)) return parsed.filter((s): s is string => typeof s === 'string');
  } catch {
    // fall through
  }
  throw binanceErrors.illegalValue('symbols');
}

function authenticate(ctx: RestContext, req: IncomingMessage, params: Params, rawQuery: string, rawBody: string): void {
  const key = req.headers['x-mbx-apikey'];
  if (typeof key !== 'string' || key === '') throw binanceErrors.apiKeyFormat();
  if (ctx.apiKey !== undefined && key !== ctx.apiKey) throw binanceErrors.apiKeyInvalid();
  const timestamp = int(params, 'timestamp');
  if (timestamp === undefined) throw binanceErrors.mandatory('timestamp');
  const recvWindow = int(params, 'recvWindow') ?? 5000;
  if (recvWindow > 60_000) throw binanceErrors.recvWindowTooLarge();
  const serverWall = ctx.wallNowMs() + ctx.faults.clockSkewMs;
  if (timestamp >= serverWall + 1000) throw binanceErrors.timestampAhead();
  if (serverWall - timestamp > recvWindow) throw binanceErrors.timestampOutside();
  if (ctx.apiSecret !== undefined) {
    const given = params['signature'] ?? '';
    const expected = createHmac('sha256', ctx.apiSecret).update(signedPayload(rawQuery, rawBody)).digest('hex');
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw binanceErrors.badSignature();
  }
}

async function placeOrder(ctx: RestContext, res: ServerResponse, params: Params): Promise<void> {
  const engine = ctx.engine;
  const type = required(params, 'type').toUpperCase();
  if (type.startsWith('STOP_LOSS') || type.startsWith('TAKE_PROFIT')) {
    const reject = ctx.faults.takeStopReject();
    if (reject !== undefined) throw new BinanceApiError(400, reject.code, reject.msg);
  }
  const p: { -readonly [K in keyof PlaceOrderParams]: PlaceOrderParams[K] } = {
    symbol: required(params, 'symbol'),
    side: required(params, 'side'),
    type,
  };
  const quantity = num(params, 'quantity');
  const quoteOrderQty = num(params, 'quoteOrderQty');
  const price = num(params, 'price');
  const stopPrice = num(params, 'stopPrice');
  if (quantity !== undefined) p.quantity = quantity;
  if (quoteOrderQty !== undefined) p.quoteOrderQty = quoteOrderQty;
  if (price !== undefined) p.price = price;
  if (stopPrice !== undefined) p.stopPrice = stopPrice;
  if (params['timeInForce'] !== undefined) p.timeInForce = params['timeInForce'];
  if (params['newClientOrderId'] !== undefined) p.newClientOrderId = params['newClientOrderId'];
  const respRaw = (params['newOrderRespType'] ?? (type === 'MARKET' || type === 'LIMIT' ? 'FULL' : 'ACK')).toUpperCase();
  const respType = respRaw === 'ACK' || respRaw === 'RESULT' ? respRaw : 'FULL';

  const { order, fills } = engine.placeOrder(p);
  const body = newOrderJson(order, fills, respType, engine.market(order.symbol).tickSize);
  const timeout = ctx.faults.takeOrderTimeout();
  if (timeout === undefined) {
    sendJson(res, 200, body);
  } else if (timeout.mode === 'drop') {
    res.socket?.destroy();
  } else if (timeout.mode === 'hang') {
    ctx.held.add(res);
    res.on('close', () => ctx.held.delete(res));
  } else {
    await sleep(timeout.delayMs);
    sendJson(res, 200, body);
  }
}
