import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { INTERVAL_MS, alignDown, klineEvent } from './binance-format.js';
import type { ExchangeEngine } from './exchange-engine.js';
import { WS_OPEN, createWsServer, type WsServer, type WsSocket } from './ws-module.js';

/** Most final klines pushed per stream in one clock advance (a long jump would otherwise flood). */
const MAX_FINALS_PER_ADVANCE = 1000;

interface Subscription {
  readonly symbolId: string;
  readonly interval: string;
  readonly intervalMs: number;
  /** Open time of the last kline pushed on this stream, if any. */
  lastOpenMs: number | undefined;
}

interface Session {
  readonly socket: WsSocket;
  readonly subs: Map<string, Subscription>;
}

/**
 * Binance's market-stream websocket, kline streams only: `SUBSCRIBE` / `UNSUBSCRIBE` /
 * `LIST_SUBSCRIPTIONS` by JSON message on any path under `/stream` or `/ws`, raw kline events pushed
 * as the simulated clock advances (every crossed boundary's final kline with x=true, then the forming one).
 */
export class MarketStream {
  private readonly server: WsServer = createWsServer();
  private readonly sessions = new Set<Session>();
  private readonly waiters: Array<{ stream: string; resolve: () => void }> = [];
  private stalled = false;
  private answerPings = true;

  constructor(
    private readonly engine: ExchangeEngine,
    private readonly pushOnSubscribe: boolean,
  ) {}

  /** Handles an HTTP upgrade; returns false when the path is not a stream path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (!path.startsWith('/stream') && !path.startsWith('/ws')) return false;
    this.server.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    return true;
  }

  /** Number of open sockets subscribed to a stream name such as `btcusdt@kline_1h`. */
  subscriberCount(stream: string): number {
    let n = 0;
    for (const s of this.sessions) if (s.subs.has(stream)) n++;
    return n;
  }

  get socketCount(): number {
    return this.sessions.size;
  }

  /** Resolves once some socket subscribes to `stream` (immediately if one already has). */
  waitForSubscription(stream: string): Promise<void> {
    if (this.subscriberCount(stream) > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ stream, resolve }));
  }

  /** Push kline updates for everything that changed up to the engine's current time. */
  publish(): void {
    for (const session of this.sessions) {
      for (const sub of session.subs.values()) this.pushStream(session, sub);
    }
  }

  drop(): void {
    for (const s of this.sessions) s.socket.terminate();
    this.sessions.clear();
  }

  stall(answerPings: boolean): void {
    this.stalled = true;
    this.answerPings = answerPings;
  }

  resume(): void {
    this.stalled = false;
    this.answerPings = true;
  }

  close(): Promise<void> {
    this.drop();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: WsSocket): void {
    const session: Session = { socket, subs: new Map() };
    this.sessions.add(session);
    socket.on('ping', (data) => {
      if (this.answerPings && socket.readyState === WS_OPEN) socket.pong(data);
    });
    socket.on('close', () => this.sessions.delete(session));
    socket.on('error', () => this.sessions.delete(session));
    socket.on('message', (data) => this.onMessage(session, data));
  }

  private onMessage(session: Session, data: Buffer | ArrayBuffer | Buffer[]): void {
    if (this.stalled) return;
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.send(session, { error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' }, id: null });
      return;
    }
    const m = (typeof msg === 'object' && msg !== null ? msg : {}) as { method?: unknown; params?: unknown; id?: unknown };
    const id = typeof m.id === 'number' || typeof m.id === 'string' ? m.id : null;
    const params = Array.isArray(m.params) ? m.params.filter((p): p is string => typeof p === 'string') : [];
    if (m.method === 'SUBSCRIBE') {
      const parsed = params.map((p) => ({ name: p, sub: this.parseStream(p) }));
      const bad = parsed.find((p) => p.sub === undefined);
      if (bad !== undefined) {
        this.send(session, { error: { code: 2, msg: `Invalid request: unknown stream '${bad.name}'` }, id });
        return;
      }
      for (const p of parsed) if (p.sub !== undefined && !session.subs.has(p.name)) session.subs.set(p.name, p.sub);
      this.send(session, { result: null, id });
      for (const p of parsed) this.notifyWaiters(p.name);
      if (this.pushOnSubscribe) {
        for (const p of parsed) {
          const sub = session.subs.get(p.name);
          if (sub !== undefined && sub.lastOpenMs === undefined) this.pushStream(session, sub);
        }
      }
    } else if (m.method === 'UNSUBSCRIBE') {
      for (const p of params) session.subs.delete(p);
      this.send(session, { result: null, id });
    } else if (m.method === 'LIST_SUBSCRIPTIONS') {
      this.send(session, { result: [...session.subs.keys()], id });
    } else {
      this.send(session, { error: { code: 2, msg: 'Invalid request: unknown method' }, id });
    }
  }

  private parseStream(name: string): Subscription | undefined {
    const match = /^([a-z0-9]+)@kline_([0-9]+[mhd])$/.exec(name);
    if (match === null) return undefined;
    const symbolId = (match[1] ?? '').toUpperCase();
    const interval = match[2] ?? '';
    const intervalMs = INTERVAL_MS[interval];
    if (intervalMs === undefined || !this.engine.marketList().some((mk) => mk.id === symbolId)) return undefined;
    return { symbolId, interval, intervalMs, lastOpenMs: undefined };
  }

  private pushStream(session: Session, sub: Subscription): void {
    const market = this.engine.market(sub.symbolId);
    const now = this.engine.nowMs;
    if (now < market.path.startMs) return;
    const currentOpen = alignDown(now, sub.intervalMs);
    if (sub.lastOpenMs !== undefined && sub.lastOpenMs < currentOpen) {
      const firstOpen = Math.max(sub.lastOpenMs, currentOpen - MAX_FINALS_PER_ADVANCE * sub.intervalMs);
      for (let t = firstOpen; t < currentOpen; t += sub.intervalMs) {
        const k = market.path.kline(t, sub.intervalMs, now);
        if (k !== undefined) this.send(session, klineEvent(sub.symbolId, sub.interval, k, now, market.tickSize));
      }
    }
    const forming = market.path.kline(currentOpen, sub.intervalMs, now);
    if (forming !== undefined) this.send(session, klineEvent(sub.symbolId, sub.interval, forming, now, market.tickSize));
    sub.lastOpenMs = currentOpen;
  }

  private send(session: Session, payload: unknown): void {
    if (this.stalled || session.socket.readyState !== WS_OPEN) return;
    session.socket.send(JSON.stringify(payload));
  }

  private notifyWaiters(stream: string): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w !== undefined && w.stream === stream) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}
