import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { silentLogger, type Clock, type Logger } from '../core/index.js';
import { dashboardAsset } from './dashboard/assets.js';
import {
  AuthFailureBackoff,
  bearerToken,
  TokenBucketLimiter,
  tokenFingerprint,
  tokenMatches,
  type AuthBackoffConfig,
  type TokenBucketConfig,
} from './operator-api-auth.js';
import {
  closePositionBodySchema,
  openApiDocument,
  type ClosePositionResult,
  type ControlResult,
  type OperatorEquityPoint,
  type OperatorErrorEntry,
  type OperatorOrder,
  type OperatorPosition,
  type OperatorStatus,
  type OperatorTrade,
} from './operator-api-schemas.js';

export type * from './operator-api-schemas.js';

/**
 * Everything the operator API needs from the daemon, injected by src/app (src/obs imports only
 * src/core). `by` names who asked, for the daemon's own audit trail: "<address> <token fingerprint>".
 */
export interface OperatorPort {
  status(): Promise<OperatorStatus>;
  positions(): Promise<readonly OperatorPosition[]>;
  /** Open (non-terminal) orders. */
  orders(): Promise<readonly OperatorOrder[]>;
  /** Closed round trips, oldest first. */
  trades(): Promise<readonly OperatorTrade[]>;
  /** `[timestampMs, equityQuote]`, ascending. */
  equity(): Promise<readonly Readonly<OperatorEquityPoint>[]>;
  /** Recent errors, newest first. */
  errors(): Promise<readonly OperatorErrorEntry[]>;
  pauseEntries(by: string): Promise<void>;
  resumeEntries(by: string): Promise<void>;
  resetKillSwitch(by: string): Promise<void>;
  closePosition(symbol: string, by: string): Promise<ClosePositionResult>;
}

export interface OperatorApiOptions {
  readonly port: OperatorPort;
  /** WICK_API_TOKEN; undefined or empty: every /api endpoint is refused. */
  readonly token?: string | undefined;
  readonly logger?: Logger;
  /** Drives the rate limiter (wall clock in the daemon, a ManualClock in tests). */
  readonly clock?: Clock;
  /**
   * Control requests per authenticated principal (token fingerprint), counted only after the token
   * checked out; default a burst of 10, then one every 3 s.
   */
  readonly controlRateLimit?: TokenBucketConfig;
  /**
   * Failed authentications per client address: default 10 free, then 429 with a back-off from 1 s
   * doubling to 15 min. A correct token is never held back by it.
   */
  readonly authFailureBackoff?: AuthBackoffConfig;
  /** Serve the dashboard at / (default true). */
  readonly dashboard?: boolean;
  /** Version shown in the OpenAPI document. */
  readonly version?: string;
}

/** Tries one request: true when it was an operator route (answered), false to let the caller go on (404). */
export type OperatorRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const MAX_BODY_BYTES = 16 * 1024;
const wallClock: Clock = { nowMs: () => Date.now() };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const body = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { error: { code: err.code, message: err.message } }, err.headers);
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'BODY_TOO_LARGE', `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'body is not valid JSON');
  }
}

function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

type Read = (port: OperatorPort) => Promise<unknown>;
const READS: Readonly<Record<string, Read>> = {
  '/api/status': (p) => p.status(),
  '/api/positions': (p) => p.positions(),
  '/api/orders': (p) => p.orders(),
  '/api/trades': (p) => p.trades(),
  '/api/equity': (p) => p.equity(),
  '/api/errors': (p) => p.errors(),
};

type Control = (
  port: OperatorPort,
  by: string,
  req: IncomingMessage,
) => Promise<{ status: number; body: ControlResult | ClosePositionResult; detail: Record<string, unknown> }>;

async function afterControl(port: OperatorPort, action: string): Promise<{ status: number; body: ControlResult; detail: Record<string, unknown> }> {
  const s = await port.status();
  return {
    status: 200,
    body: { ok: true, action, riskState: s.riskState, entriesPaused: s.entriesPaused },
    detail: { riskState: s.riskState, entriesPaused: s.entriesPaused },
  };
}

const CONTROLS: Readonly<Record<string, Control>> = {
  '/api/control/pause': async (p, by) => {
    await p.pauseEntries(by);
    return afterControl(p, 'pause');
  },
  '/api/control/resume': async (p, by) => {
    await p.resumeEntries(by);
    return afterControl(p, 'resume');
  },
  '/api/control/reset-kill-switch': async (p, by) => {
    await p.resetKillSwitch(by);
    return afterControl(p, 'reset-kill-switch');
  },
  '/api/control/close-position': async (p, by, req) => {
    const parsed = closePositionBodySchema.safeParse(await readJsonBody(req));
    if (!parsed.success) throw new HttpError(400, 'INVALID_BODY', z.prettifyError(parsed.error).replace(/\n/g, '; '));
    const result = await p.closePosition(parsed.data.symbol, by);
    const status = result.status === 'not_found' ? 404 : result.status === 'denied' || result.status === 'rejected' ? 409 : 200;
    return { status, body: result, detail: { symbol: parsed.data.symbol, result: result.status } };
  },
};

/**
 * The operator API and dashboard as one request handler, to be tried by the HTTP server before its
 * 404. Routes: GET /api/{status,positions,orders,trades,equity,errors,openapi.json}, POST
 * /api/control/{pause,resume,reset-kill-switch,close-position}, and the dashboard at / and
 * /dashboard/*. Every /api route needs the bearer token; the dashboard's files hold no data.
 */
export function createOperatorApi(options: OperatorApiOptions): OperatorRequestHandler {
  const log = (options.logger ?? silentLogger).child({ component: 'operator-api' });
  const token = options.token !== undefined && options.token !== '' ? options.token : null;
  const clock = options.clock ?? wallClock;
  const controlLimiter = new TokenBucketLimiter(options.controlRateLimit ?? { capacity: 10, refillPerSecond: 1 / 3 }, clock);
  const authBackoff = new AuthFailureBackoff(options.authFailureBackoff ?? { freeFailures: 10, baseBackoffMs: 1_000, maxBackoffMs: 15 * 60_000 }, clock);
  const serveDashboard = options.dashboard ?? true;
  let openApiText: string | null = null;

  /** Authentication comes first, before any limit: returns the principal (token fingerprint). */
  const authenticate = (req: IncomingMessage, control: boolean): string => {
    if (token === null) {
      throw control
        ? new HttpError(
            403,
            'API_TOKEN_NOT_SET',
            'control endpoints are refused: WICK_API_TOKEN must be set (at least 16 characters; restart wick after setting it)',
          )
        : new HttpError(
            401,
            'API_TOKEN_NOT_SET',
            'the operator API is disabled: WICK_API_TOKEN must be set (at least 16 characters; restart wick after setting it)',
          );
    }
    const presented = bearerToken(req.headers.authorization);
    const client = clientAddress(req);
    if (presented === null || !tokenMatches(token, presented)) {
      const { waitS, first } = authBackoff.fail(client);
      if (waitS > 0) {
        if (first) log.warn({ client, path: req.url }, 'operator API: too many failed authentications from this address; backing off');
        const retry = String(Math.ceil(waitS));
        throw new HttpError(
          429,
          'AUTH_BACKOFF',
          `too many requests with a missing or wrong bearer token from this address; retry in ${retry} s with Authorization: Bearer <WICK_API_TOKEN>`,
          { 'retry-after': retry, 'www-authenticate': 'Bearer realm="wick"' },
        );
      }
      log.warn({ client, path: req.url, presented: presented === null ? 'none' : tokenFingerprint(presented) }, 'operator API: unauthorised request');
      throw new HttpError(401, 'UNAUTHORIZED', 'missing or wrong bearer token (Authorization: Bearer <WICK_API_TOKEN>)', {
        'www-authenticate': 'Bearer realm="wick"',
      });
    }
    authBackoff.succeed(client);
    return tokenFingerprint(presented);
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const method = req.method ?? 'GET';
    const read = READS[path];
    const control = CONTROLS[path];
    if (read !== undefined || path === '/api/openapi.json') {
      if (method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes GET`, { allow: 'GET' });
      authenticate(req, false);
      if (read === undefined) {
        openApiText ??= JSON.stringify(openApiDocument(options.version));
        res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(openApiText) });
        res.end(openApiText);
        return;
      }
      sendJson(res, 200, await read(options.port));
      return;
    }
    if (control !== undefined) {
      if (method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes POST`, { allow: 'POST' });
      const principal = authenticate(req, true);
      const waitS = controlLimiter.take(principal);
      if (waitS > 0) {
        log.warn({ client: clientAddress(req), principal, path }, 'operator API: control rate limit hit');
        throw new HttpError(429, 'RATE_LIMITED', `too many control requests for this token; retry in ${Math.ceil(waitS)} s`, {
          'retry-after': String(Math.ceil(waitS)),
        });
      }
      const by = `${clientAddress(req)} ${principal}`;
      const action = path.slice('/api/control/'.length);
      try {
        const outcome = await control(options.port, by, req);
        log.info({ audit: true, action, by, status: outcome.status, ...outcome.detail }, `operator control: ${action}`);
        sendJson(res, outcome.status, outcome.body);
      } catch (err) {
        log.warn({ audit: true, action, by, err }, `operator control failed: ${action}`);
        throw err;
      }
      return;
    }
    throw new HttpError(404, 'NOT_FOUND', `no operator endpoint ${path}`);
  };

  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const isApi = path === '/api' || path.startsWith('/api/');
    if (!isApi) {
      if (!serveDashboard) return false;
      const asset = dashboardAsset(path);
      if (asset === null) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendError(res, new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes GET`, { allow: 'GET, HEAD' }));
        return true;
      }
      res.writeHead(200, { ...SECURITY_HEADERS, ...asset.headers, 'content-type': asset.contentType, 'content-length': asset.body.length });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return true;
    }
    try {
      await handleApi(req, res, path);
    } catch (err) {
      if (err instanceof HttpError) sendError(res, err);
      else {
        log.error({ err, path }, 'operator API request failed');
        if (!res.headersSent) sendError(res, new HttpError(500, 'INTERNAL', 'internal error; see the daemon log'));
        else res.destroy();
      }
    }
    return true;
  };
}
