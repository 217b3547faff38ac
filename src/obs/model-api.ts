import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { silentLogger, type Logger } from '../core/index.js';
import { bearerToken, tokenFingerprint, tokenMatches } from './operator-api-auth.js';

/**
 * The model registry over HTTP, beside the operator API and behind the same bearer token:
 *   GET  /api/models              registered models (the champion marked), newest last
 *   GET  /api/models/:id          one model: manifest summary, lineage, history
 *   POST /api/models/:id/promote  { "reason"?: string }  → 200 promoted | 409 refused (reason)
 *   POST /api/models/rollback     { "reason"?: string }  → 200 | 409 when there is nothing to roll back to
 * Every control is logged as an audit line with who asked ("<address> <token fingerprint>").
 */
export interface ModelPort {
  list(): Promise<readonly Record<string, unknown>[]>;
  show(id: string): Promise<Record<string, unknown> | null>;
  promote(id: string, by: string, reason: string): Promise<ModelControlResult>;
  rollback(by: string, reason: string): Promise<ModelControlResult>;
}

export type ModelControlResult =
  | { readonly status: 'ok'; readonly champion: string; readonly previous: readonly string[] }
  | { readonly status: 'refused'; readonly code: string; readonly message: string }
  | { readonly status: 'not_found'; readonly message: string };

export const modelControlBodySchema = z.object({ reason: z.string().min(1).max(500).optional() }).strict();

const HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-type': 'application/json; charset=utf-8' } as const;
const MAX_BODY_BYTES = 4 * 1024;

function send(res: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...HEADERS, ...extra, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const fail = (res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): true => {
  send(res, status, { error: { code, message } }, extra);
  return true;
};

async function readBody(req: IncomingMessage): Promise<{ ok: true; reason: string | undefined } | { ok: false; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return { ok: false, message: `body larger than ${MAX_BODY_BYTES} bytes` };
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return { ok: true, reason: undefined };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, message: 'body is not valid JSON' };
  }
  const parsed = modelControlBodySchema.safeParse(raw);
  return parsed.success ? { ok: true, reason: parsed.data.reason } : { ok: false, message: z.prettifyError(parsed.error).replace(/\n/g, '; ') };
}

/** A request handler for the routes above; resolves false for any other path. */
export function createModelApi(options: {
  readonly port: ModelPort;
  readonly token: string | undefined;
  readonly logger?: Logger;
}): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const log = (options.logger ?? silentLogger).child({ component: 'model-api' });
  const token = options.token !== undefined && options.token !== '' ? options.token : null;
  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/api/models' && !path.startsWith('/api/models/')) return false;
    if (token === null) return fail(res, 401, 'API_TOKEN_NOT_SET', 'the model API is disabled: WICK_API_TOKEN must be set');
    const presented = bearerToken(req.headers.authorization);
    if (presented === null || !tokenMatches(token, presented)) {
      log.warn({ client: req.socket.remoteAddress, path }, 'model API: unauthorised request');
      return fail(res, 401, 'UNAUTHORIZED', 'missing or wrong bearer token (Authorization: Bearer <WICK_API_TOKEN>)', {
        'www-authenticate': 'Bearer realm="wick"',
      });
    }
    const by = `${req.socket.remoteAddress ?? 'unknown'} ${tokenFingerprint(presented)}`;
    const parts = path.split('/').slice(3); // ['', 'api', 'models', ...]
    const method = req.method ?? 'GET';
    const control = (parts.length === 1 && parts[0] === 'rollback') || (parts.length === 2 && parts[1] === 'promote');
    if (!control) {
      if (method !== 'GET') return fail(res, 405, 'METHOD_NOT_ALLOWED', `${path} takes GET`, { allow: 'GET' });
      if (parts.length === 0) return (send(res, 200, await options.port.list()), true);
      if (parts.length !== 1) return fail(res, 404, 'NOT_FOUND', `no model endpoint ${path}`);
      const found = await options.port.show(decodeURIComponent(parts[0] as string));
      return found === null ? fail(res, 404, 'MODEL_NOT_FOUND', `no model ${parts[0]} in the registry`) : (send(res, 200, found), true);
    }
    if (method !== 'POST') return fail(res, 405, 'METHOD_NOT_ALLOWED', `${path} takes POST`, { allow: 'POST' });
    const body = await readBody(req);
    if (!body.ok) return fail(res, 400, 'INVALID_BODY', body.message);
    const action = parts[0] === 'rollback' ? 'rollback' : 'promote';
    const reason = body.reason ?? `${action} through the operator API`;
    const result =
      action === 'rollback' ? await options.port.rollback(by, reason) : await options.port.promote(decodeURIComponent(parts[0] as string), by, reason);
    log.info(
      {
        audit: true,
        action: `model-${action}`,
        by,
        result: result.status,
        ...(result.status === 'ok' ? { champion: result.champion } : { message: result.message }),
      },
      `model ${action}`,
    );
    if (result.status === 'not_found') return fail(res, 404, 'MODEL_NOT_FOUND', result.message);
    if (result.status === 'refused') return fail(res, 409, result.code, result.message);
    send(res, 200, result);
    return true;
  };
}

/** Tries each handler in turn (model API, operator API, dashboard); false when none answered. */
export function chainHandlers(
  ...handlers: readonly ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>)[]
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    for (const h of handlers) if (await h(req, res)) return true;
    return false;
  };
}
