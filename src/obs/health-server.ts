import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '../core/index.js';

export type HealthStatus = 'ok' | 'degraded' | 'unhealthy';

export interface SeriesHealth {
  readonly id: string;
  /** Open time of the last closed candle the pipeline processed; null before the first. */
  readonly lastClosedOpenTimeMs: number | null;
  /** Time since that candle closed (or since start-up, before the first). */
  readonly ageMs: number;
  readonly stale: boolean;
}

/** What src/app's probe gathers (pipeline health, risk engine state); the server adds the verdict. */
export interface HealthReport {
  readonly mode: string;
  readonly redis: { readonly reachable: boolean };
  readonly series: readonly SeriesHealth[];
  /** Unfinished jobs per queue; null when unknown. */
  readonly queues: { readonly candles: number | null; readonly intents: number | null };
  /** The risk engine's state; `halted` (kill switch, daily loss) makes the bot degraded, not unhealthy. */
  readonly risk: { readonly state: string; readonly halted: boolean };
}

/**
 * Staleness of one series: its last candle closed at open + timeframe; it is stale once that is more
 * than `staleAfterCandles` timeframes ago (WICK_STALE_AFTER_CANDLES). Before the first candle the age
 * counts from start-up, so a fresh process is not stale at once.
 */
export function seriesHealth(input: {
  readonly id: string;
  readonly timeframeMs: number;
  readonly lastClosedOpenTimeMs: number | null;
  readonly nowMs: number;
  readonly startedAtMs: number;
  readonly staleAfterCandles: number;
}): SeriesHealth {
  const since = input.lastClosedOpenTimeMs === null ? input.startedAtMs : input.lastClosedOpenTimeMs + input.timeframeMs;
  const ageMs = Math.max(0, input.nowMs - since);
  return { id: input.id, lastClosedOpenTimeMs: input.lastClosedOpenTimeMs, ageMs, stale: ageMs > input.staleAfterCandles * input.timeframeMs };
}

/** unhealthy: Redis unreachable. degraded: a stale series, a halted risk engine, a queue backlog. 503 when unhealthy or stale. */
export function assessHealth(report: HealthReport, maxQueueDepth = Infinity): { status: HealthStatus; httpStatus: number; reasons: string[] } {
  const reasons: string[] = [];
  if (!report.redis.reachable) reasons.push('redis unreachable');
  const stale = report.series.filter((s) => s.stale).map((s) => s.id);
  if (stale.length > 0) reasons.push(`stale series: ${stale.join(', ')}`);
  if (report.risk.halted) reasons.push(`risk ${report.risk.state}`);
  for (const [queue, depth] of Object.entries(report.queues)) if (depth !== null && depth > maxQueueDepth) reasons.push(`${queue} queue backlog ${depth}`);
  const status: HealthStatus = !report.redis.reachable ? 'unhealthy' : reasons.length > 0 ? 'degraded' : 'ok';
  return { status, httpStatus: status === 'unhealthy' || stale.length > 0 ? 503 : 200, reasons };
}

export interface HealthServerOptions {
  /** Loopback unless said otherwise (WICK_HTTP_HOST). */
  readonly host?: string;
  /** 0 picks a free port (WICK_HTTP_PORT). */
  readonly port: number;
  readonly healthProbe: () => Promise<HealthReport>;
  /** Prometheus exposition (src/obs/metrics.ts `WickMetrics` fits). */
  readonly metrics?: { text(): Promise<string>; readonly contentType: string };
  readonly logger?: Logger;
  /** A probe slower than this answers unhealthy. */
  readonly probeTimeoutMs?: number;
  /** Unfinished jobs above which a queue counts as a backlog (degraded). */
  readonly maxQueueDepth?: number;
  /** Tried for every other path before the 404 (the operator API and dashboard); resolves true when it answered. */
  readonly extraHandler?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

export interface HealthServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, contentType = 'application/json; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const OWN_PATHS = new Set(['/livez', '/readyz', '/health', '/metrics']);

/**
 * GET /livez (the process answers: the container healthcheck), GET /readyz and its older name /health
 * (the trading verdict: 503 when Redis is unreachable or data is stale), GET /metrics (Prometheus
 * text); anything else goes to the extra handler, then 404/405 JSON.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = (options.logger ?? silentLogger).child({ component: 'health-server' });
  const probeTimeoutMs = options.probeTimeoutMs ?? 2_000;

  const health = async (res: ServerResponse): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const report = await Promise.race([
        options.healthProbe(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`health probe took longer than ${probeTimeoutMs} ms`)), probeTimeoutMs))),
      ]);
      const verdict = assessHealth(report, options.maxQueueDepth);
      send(res, verdict.httpStatus, JSON.stringify({ status: verdict.status, reasons: verdict.reasons, ...report }));
    } catch (err) {
      logger.warn({ err }, 'health probe failed');
      send(res, 503, JSON.stringify({ status: 'unhealthy', reasons: [`probe failed: ${err instanceof Error ? err.message : String(err)}`] }));
    } finally {
      clearTimeout(timer);
    }
  };

  const startedAt = process.hrtime.bigint();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const own = OWN_PATHS.has(path);
    if (!own && options.extraHandler !== undefined && (await options.extraHandler(req, res))) return;
    if (!own) return send(res, 404, JSON.stringify({ error: 'not found', path }));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, JSON.stringify({ error: 'method not allowed' }));
    }
    // Liveness: this process answers. Nothing it depends on is probed, so a halted bot or a Redis
    // outage never gets the container restarted (a restart would not fix either).
    if (path === '/livez')
      return send(res, 200, JSON.stringify({ status: 'alive', uptimeSeconds: Math.round(Number(process.hrtime.bigint() - startedAt) / 1e9) }));
    if (path === '/health' || path === '/readyz') return health(res);
    if (options.metrics === undefined) return send(res, 404, JSON.stringify({ error: 'metrics not enabled' }));
    send(res, 200, await options.metrics.text(), options.metrics.contentType);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'health server request failed');
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: 'internal error' }));
      else res.destroy();
    });
  });
  server.on('error', (err) => logger.error({ err }, 'health server error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ host, port }, 'health server listening');
  return {
    host,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
