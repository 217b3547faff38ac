import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/index.js';
import { startHealthServer, type HealthReport, type HealthServer } from '../../obs/health-server.js';

/** A start-up that cannot complete: one clear message, exit 1, nothing left running. */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly component: string,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

export interface HttpFirst {
  readonly server: HealthServer;
  /** Attaches the daemon's health probe and routes once it is built; until then /health answers 503 (starting). */
  attach(probe: () => Promise<HealthReport>, handler?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>): void;
}

/**
 * Binds WICK_HTTP_HOST:WICK_HTTP_PORT before anything else starts (model, Redis, trader lease,
 * exchange), so a port in use stops start-up before an order can be sent, instead of a daemon that
 * trades with no health server or operator API. The routes are attached when the daemon is built.
 */
export async function bindHttpFirst(options: {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  readonly metrics?: { text(): Promise<string>; readonly contentType: string };
}): Promise<HttpFirst> {
  let probe: (() => Promise<HealthReport>) | null = null;
  let handler: ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) | undefined;
  let server: HealthServer;
  try {
    server = await startHealthServer({
      host: options.host,
      port: options.port,
      logger: options.logger,
      ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
      healthProbe: () => (probe === null ? Promise.reject(new Error('wick is starting')) : probe()),
      extraHandler: (req, res) => (handler === undefined ? Promise.resolve(false) : handler(req, res)),
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why =
      code === 'EADDRINUSE'
        ? 'is already in use (EADDRINUSE): another wick or another program listens there; stop it or set WICK_HTTP_PORT to a free port'
        : code === 'EACCES'
          ? 'may not be bound by this user (EACCES): use a port above 1023'
          : code === 'EADDRNOTAVAIL'
            ? 'names an address this machine does not have (EADDRNOTAVAIL): check WICK_HTTP_HOST'
            : `cannot be bound (${error instanceof Error ? error.message : String(error)})`;
    throw new StartupError(
      `WICK_HTTP_HOST:WICK_HTTP_PORT ${options.host}:${options.port} ${why}. Nothing was started: no trader lease taken, no order sent.`,
      'http',
    );
  }
  return {
    server,
    attach(p, h) {
      probe = p;
      handler = h;
    },
  };
}
