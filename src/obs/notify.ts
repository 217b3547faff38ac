import { silentLogger, type Clock, type Fill, type Logger } from '../core/index.js';
import { makeLineScrubber } from './redact.js';

/**
 * Operator notifications (webhook, Telegram) for what a human must know about: fills, stop-outs,
 * the kill switch, reconciliation failures, stale data, errors. Built so that it can never hurt
 * trading: notify() is synchronous, never throws and never waits on the network; sending happens
 * in the background (or on flush()), a failing sink is logged and forgotten, the queue is bounded.
 *
 * Throttling: the first event of a key is sent; repeats of the key within the throttle window are
 * counted, and when the window ends one summary says how many there were ("… (×37 in the last
 * 5 min)"). Repeats that arrive while the first is still queued merge into it, so an error storm
 * costs one message per window.
 */
export const NOTIFY_EVENT_KINDS = ['fill', 'stop_out', 'kill_switch', 'reconciliation_failed', 'stale_data', 'error', 'input_drift', 'model'] as const;
export type NotifyEventKind = (typeof NOTIFY_EVENT_KINDS)[number];
export type NotifySeverity = 'info' | 'warning' | 'critical';

const DEFAULT_SEVERITY: Readonly<Record<NotifyEventKind, NotifySeverity>> = {
  fill: 'info',
  stop_out: 'warning',
  kill_switch: 'critical',
  reconciliation_failed: 'critical',
  stale_data: 'warning',
  error: 'warning',
  input_drift: 'warning',
  model: 'info',
};

export interface NotifyEvent {
  readonly kind: NotifyEventKind;
  /** One line, e.g. "Kill switch: trading halted". */
  readonly title: string;
  readonly text?: string;
  /** Events with one key are throttled together; default `${kind}:${title}`. */
  readonly key?: string;
  readonly severity?: NotifySeverity;
  readonly fields?: Readonly<Record<string, string | number | boolean | null>>;
}

/** What a sink sends: the event, scrubbed of secrets, with how often it happened. */
export interface NotifyMessage {
  readonly kind: NotifyEventKind;
  readonly severity: NotifySeverity;
  readonly key: string;
  /** Title with the repeat count when there were several ("… (×37 in the last 5 min)"). */
  readonly title: string;
  readonly text: string;
  readonly count: number;
  readonly firstAtMs: number;
  readonly lastAtMs: number;
  readonly fields: Readonly<Record<string, string | number | boolean | null>>;
}

export interface NotifySink {
  readonly name: string;
  /** Values this sink holds that must never appear in a log line (bot token, webhook URL). */
  readonly secrets?: readonly string[];
  /** Resolves when delivered; rejects with a message that may be logged (after scrubbing). */
  send(message: NotifyMessage, signal: AbortSignal): Promise<void>;
}

export interface NotifierOptions {
  readonly sinks: readonly NotifySink[];
  readonly clock?: Clock;
  /** The same key within this window sends once (WICK_NOTIFY_THROTTLE_SECONDS); default 5 min. */
  readonly throttleMs?: number;
  /** Messages waiting to be sent at most; beyond it new non-critical events are dropped. Default 100. */
  readonly maxQueue?: number;
  readonly sendTimeoutMs?: number;
  readonly logger?: Logger;
  /** Secret values to scrub from every message and log line (API keys, tokens). */
  readonly secrets?: readonly (string | undefined)[];
  /** Send in the background after notify() (default true); false: only on flush() (tests). */
  readonly autoFlush?: boolean;
}

export interface NotifierStats {
  readonly sent: number;
  readonly failed: number;
  readonly dropped: number;
  readonly suppressed: number;
}

interface Pending {
  kind: NotifyEventKind;
  severity: NotifySeverity;
  key: string;
  title: string;
  text: string;
  fields: Readonly<Record<string, string | number | boolean | null>>;
  count: number;
  firstAtMs: number;
  lastAtMs: number;
  /** A window's summary of repeats (sent even when it counts one). */
  summary: boolean;
}

interface Window {
  openedAtMs: number;
  suppressed: number;
  firstSuppressedAtMs: number;
  last: NotifyEvent | null;
}

const MAX_WINDOWS = 1_000;
const wallClock: Clock = { nowMs: () => Date.now() };

/** "5 min", "30 s", "2 h". */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.max(1, Math.round(ms / 1000))} s`;
}

export class Notifier {
  private readonly sinks: readonly NotifySink[];
  private readonly clock: Clock;
  private readonly throttleMs: number;
  private readonly maxQueue: number;
  private readonly sendTimeoutMs: number;
  private readonly log: Logger;
  private readonly scrub: (text: string) => string;
  private readonly autoFlush: boolean;
  private readonly queue: Pending[] = [];
  private readonly windows = new Map<string, Window>();
  private draining: Promise<void> | null = null;
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private counters = { sent: 0, failed: 0, dropped: 0, suppressed: 0 };

  constructor(options: NotifierOptions) {
    this.sinks = options.sinks;
    this.clock = options.clock ?? wallClock;
    this.throttleMs = options.throttleMs ?? 300_000;
    this.maxQueue = options.maxQueue ?? 100;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 10_000;
    this.log = (options.logger ?? silentLogger).child({ component: 'notify' });
    this.scrub = makeLineScrubber([...(options.secrets ?? []), ...options.sinks.flatMap((s) => s.secrets ?? [])]);
    this.autoFlush = options.autoFlush ?? true;
    if (!(this.throttleMs >= 0) || !(this.maxQueue >= 1)) throw new RangeError(`notifier needs throttleMs >= 0 and maxQueue >= 1`);
  }

  get stats(): NotifierStats {
    return { ...this.counters };
  }

  /** Queues an event (never throws, never waits). */
  notify(event: NotifyEvent): void {
    try {
      if (this.sinks.length === 0) return;
      const now = this.clock.nowMs();
      this.expireWindows(now, false);
      const key = event.key ?? `${event.kind}:${event.title}`;
      const queued = this.queue.find((p) => p.key === key && !p.summary);
      if (queued !== undefined) {
        queued.count++;
        queued.lastAtMs = now;
        queued.text = this.scrub(event.text ?? '');
        queued.fields = event.fields ?? queued.fields;
      } else {
        const window = this.windows.get(key);
        if (window !== undefined) {
          if (window.suppressed === 0) window.firstSuppressedAtMs = now;
          window.suppressed++;
          window.last = event;
          this.counters.suppressed++;
        } else {
          this.enqueue(this.pending(event, key, 1, now, now, false));
          this.windows.set(key, { openedAtMs: now, suppressed: 0, firstSuppressedAtMs: now, last: null });
          this.boundWindows();
        }
      }
      if (this.autoFlush && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.flush();
        });
      }
    } catch (err) {
      this.log.warn({ err: this.scrubError(err) }, 'notify failed');
    }
  }

  /** Queues the summaries of windows that have ended and sends everything queued. Never rejects. */
  async flush(): Promise<void> {
    this.expireWindows(this.clock.nowMs(), false);
    await this.drain();
  }

  /**
   * Flushes every `intervalMs` in the background, so the summary of a storm that went quiet is
   * sent when its window ends even if nothing else is notified. The timer never keeps the process alive.
   */
  start(intervalMs = 15_000): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Shutdown: stops the timer, sends every pending summary (windows cut short) and the queue. */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.expireWindows(this.clock.nowMs(), true);
    await this.drain();
  }

  private pending(event: NotifyEvent, key: string, count: number, firstAtMs: number, lastAtMs: number, summary: boolean): Pending {
    return {
      kind: event.kind,
      severity: event.severity ?? DEFAULT_SEVERITY[event.kind],
      key,
      title: this.scrub(event.title),
      text: this.scrub(event.text ?? ''),
      fields: event.fields ?? {},
      count,
      firstAtMs,
      lastAtMs,
      summary,
    };
  }

  private enqueue(p: Pending): void {
    if (this.queue.length >= this.maxQueue) {
      // a critical event pushes out the oldest non-critical one; anything else is dropped
      const victim = p.severity === 'critical' ? this.queue.findIndex((q) => q.severity !== 'critical') : -1;
      if (victim < 0) {
        this.counters.dropped++;
        this.log.warn({ key: p.key, dropped: this.counters.dropped }, 'notification queue full: dropped one');
        return;
      }
      const [gone] = this.queue.splice(victim, 1);
      this.counters.dropped++;
      this.log.warn({ key: gone?.key, dropped: this.counters.dropped }, 'notification queue full: dropped one for a critical event');
    }
    this.queue.push(p);
  }

  private expireWindows(now: number, all: boolean): void {
    for (const [key, w] of this.windows) {
      if (!all && now - w.openedAtMs < this.throttleMs) continue;
      if (w.suppressed > 0 && w.last !== null) {
        this.enqueue(this.pending(w.last, key, w.suppressed, w.firstSuppressedAtMs, now, true));
        // the summary counts as this key's message for a new window: a storm sends one per window
        if (!all) {
          this.windows.set(key, { openedAtMs: now, suppressed: 0, firstSuppressedAtMs: now, last: null });
          continue;
        }
      }
      this.windows.delete(key);
    }
  }

  private boundWindows(): void {
    if (this.windows.size <= MAX_WINDOWS) return;
    const oldest = this.windows.keys().next().value;
    if (oldest !== undefined) this.windows.delete(oldest);
  }

  /** One sender at a time, in queue order; a flush during a drain waits for it to finish. */
  private drain(): Promise<void> {
    if (this.draining !== null) return this.draining;
    if (this.queue.length === 0) return Promise.resolve();
    const run = async (): Promise<void> => {
      for (let p = this.queue.shift(); p !== undefined; p = this.queue.shift()) await this.deliver(p);
    };
    const running = run().finally(() => {
      this.draining = null;
    });
    this.draining = running;
    return running;
  }

  private async deliver(p: Pending): Promise<void> {
    // every repeat counted here happened within one throttle window
    const title = p.count > 1 || p.summary ? `${p.title} (×${p.count} in the last ${formatDuration(Math.max(this.throttleMs, 1000))})` : p.title;
    const message: NotifyMessage = {
      kind: p.kind,
      severity: p.severity,
      key: p.key,
      title,
      text: p.text,
      count: p.count,
      firstAtMs: p.firstAtMs,
      lastAtMs: p.lastAtMs,
      fields: p.fields,
    };
    await Promise.all(
      this.sinks.map(async (sink) => {
        try {
          await sink.send(message, AbortSignal.timeout(this.sendTimeoutMs));
          this.counters.sent++;
        } catch (err) {
          this.counters.failed++;
          this.log.warn({ sink: sink.name, key: p.key, error: this.scrubError(err) }, 'notification not delivered');
        }
      }),
    );
  }

  private scrubError(err: unknown): string {
    const parts: string[] = [];
    for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
      parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      e = e instanceof Error ? e.cause : undefined;
    }
    return this.scrub(parts.join(' <- '));
  }
}

// ---------------------------------------------------------------- sinks

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

async function postJson(
  fetchFn: FetchLike,
  url: string,
  body: unknown,
  signal: AbortSignal,
  what: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<string> {
  let res: Awaited<ReturnType<FetchLike>>;
  try {
    res = await fetchFn(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal });
  } catch (err) {
    // never pass the fetch error on whole: its message or cause may carry the URL (and a token in it)
    const reason =
      err instanceof Error
        ? err.name === 'TimeoutError' || err.name === 'AbortError'
          ? 'timed out'
          : err.cause instanceof Error
            ? ((err.cause as NodeJS.ErrnoException).code ?? err.cause.name)
            : err.name
        : 'failed';
    throw new Error(`${what}: request failed (${reason})`);
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status}${text ? ` ${text.slice(0, 200)}` : ''}`);
  return text;
}

export interface WebhookSinkOptions {
  readonly url: string;
  /** Extra headers (an auth header for the receiver). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: FetchLike;
}

/** POSTs each message as JSON: `{ app: 'wick', kind, severity, key, title, text, count, firstAtMs, lastAtMs, fields }`. */
export function webhookSink(options: WebhookSinkOptions): NotifySink {
  const fetchFn = options.fetch ?? (fetch as unknown as FetchLike);
  return {
    name: 'webhook',
    secrets: [options.url, ...Object.values(options.headers ?? {})],
    send: async (m, signal) => {
      await postJson(fetchFn, options.url, { app: 'wick', ...m }, signal, 'webhook', options.headers);
    },
  };
}

export interface TelegramSinkOptions {
  readonly botToken: string;
  readonly chatId: string;
  /** Default https://api.telegram.org; a local receiver in tests. */
  readonly baseUrl?: string;
  readonly fetch?: FetchLike;
}

const SEVERITY_MARK: Readonly<Record<NotifySeverity, string>> = { info: '🟢', warning: '🟠', critical: '🔴' };
const TELEGRAM_MAX_CHARS = 4096;

/** Telegram Bot API sendMessage, plain text (no parse mode: nothing to escape, nothing to inject). */
export function telegramSink(options: TelegramSinkOptions): NotifySink {
  const fetchFn = options.fetch ?? (fetch as unknown as FetchLike);
  const base = (options.baseUrl ?? 'https://api.telegram.org').replace(/\/+$/, '');
  const url = `${base}/bot${options.botToken}/sendMessage`;
  return {
    name: 'telegram',
    secrets: [options.botToken],
    send: async (m, signal) => {
      const lines = [`${SEVERITY_MARK[m.severity]} wick · ${m.title}`];
      if (m.text !== '') lines.push(m.text);
      const fields = Object.entries(m.fields);
      if (fields.length > 0) lines.push(fields.map(([k, v]) => `${k}: ${String(v)}`).join('\n'));
      let text = lines.join('\n');
      if (text.length > TELEGRAM_MAX_CHARS) text = `${text.slice(0, TELEGRAM_MAX_CHARS - 1)}…`;
      await postJson(fetchFn, url, { chat_id: options.chatId, text, disable_web_page_preview: true }, signal, 'telegram');
    },
  };
}

// ---------------------------------------------------------------- events

/** Builders for the events the daemon reports, so keys and wording stay the same everywhere. */
export const notifyEvents = {
  fill: (fill: Fill, purpose?: string): NotifyEvent => ({
    kind: 'fill',
    key: `fill:${fill.tradeId}`,
    title: `${fill.side === 'buy' ? 'Bought' : 'Sold'} ${fill.qtyBase} ${fill.symbol} at ${fill.priceQuote}`,
    fields: {
      symbol: fill.symbol,
      side: fill.side,
      qtyBase: fill.qtyBase,
      priceQuote: fill.priceQuote,
      feeQuote: fill.feeQuote,
      ...(purpose !== undefined ? { purpose } : {}),
      clientOrderId: fill.clientOrderId,
    },
  }),
  stopOut: (symbol: string, priceQuote: number, pnlQuote?: number): NotifyEvent => ({
    kind: 'stop_out',
    key: `stop_out:${symbol}`,
    title: `Stopped out of ${symbol} at ${priceQuote}`,
    fields: { symbol, priceQuote, ...(pnlQuote !== undefined ? { pnlQuote: Math.round(pnlQuote * 100) / 100 } : {}) },
  }),
  killSwitch: (reason: string): NotifyEvent => ({
    kind: 'kill_switch',
    key: 'kill_switch',
    title: 'Kill switch: trading halted',
    text: `${reason}. Reset it with POST /api/control/reset-kill-switch once understood.`,
  }),
  reconciliationFailed: (detail: string, symbol?: string): NotifyEvent => ({
    kind: 'reconciliation_failed',
    key: `reconciliation_failed:${symbol ?? '*'}`,
    title: `Reconciliation failed${symbol !== undefined ? ` for ${symbol}` : ''}`,
    text: detail,
  }),
  inputDrift: (seriesId: string, score: number, threshold: number, modelId: string): NotifyEvent => ({
    kind: 'input_drift',
    key: `input_drift:${seriesId}`,
    title: `Input drift on ${seriesId}: no new entries`,
    text: `the latest feature window scores ${score.toFixed(2)} against the training data (threshold ${threshold.toFixed(2)}, model ${modelId}); exits and stops still run. Entries resume when it falls back below the threshold.`,
  }),
  modelSwitch: (modelId: string, fromMs: number, detail: string): NotifyEvent => ({
    kind: 'model',
    key: `model:${modelId}`,
    title: `Model ${modelId} takes over`,
    text: `from the candle opening ${new Date(fromMs).toISOString()}; ${detail}`,
  }),
  modelRefused: (modelId: string, reason: string): NotifyEvent => ({
    kind: 'error',
    key: `model_refused:${modelId}`,
    title: `Model ${modelId} not switched to`,
    text: `${reason}; the current model keeps trading.`,
  }),
  staleData: (seriesId: string, ageMs: number): NotifyEvent => ({
    kind: 'stale_data',
    key: `stale_data:${seriesId}`,
    title: `Stale data: ${seriesId}`,
    text: `no closed candle for ${formatDuration(ageMs)}`,
  }),
  error: (err: unknown, component?: string): NotifyEvent => {
    const code =
      typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
        ? (err as { code: string }).code
        : err instanceof Error
          ? err.name
          : 'ERROR';
    const message = err instanceof Error ? err.message : String(err);
    return {
      kind: 'error',
      key: `error:${component ?? ''}:${code}`,
      title: `Error ${code}${component !== undefined ? ` in ${component}` : ''}`,
      text: message,
    };
  },
} as const;
