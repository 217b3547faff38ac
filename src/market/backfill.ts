import type { Candle, Timeframe } from '../core/candle.js';
import { timeframeMs } from '../core/candle.js';
import type { Logger } from '../core/logger.js';
import { parseOhlcvPayload } from './ohlcv-payload.js';

/** The REST half of a ccxt exchange that backfills need (a real ccxt instance fits). */
export interface OhlcvFetcher {
  fetchOHLCV(symbol: string, timeframe: string, since?: number, limit?: number): Promise<readonly unknown[]>;
}

/** Most rows Binance (and ccxt's pagination) gives per klines call. */
export const OHLCV_PAGE_LIMIT = 1000;

export interface ClosedRangeRequest {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  /** First open time wanted (inclusive); aligned down to the timeframe. */
  readonly fromOpenTimeMs: number;
  /** Last open time wanted (inclusive). Absent: up to the last closed candle at `nowMs`. */
  readonly toOpenTimeMs?: number;
  /** Now, for dropping the still-forming candle (open time + timeframe > now). */
  readonly nowMs: number;
  /** Rows per call (default 1000). */
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

export interface ClosedPage {
  /** Closed, valid candles of this page, ascending, open times never seen in an earlier page. */
  readonly candles: Candle[];
  /** Rows of this page rejected by validation (logged). */
  readonly rejected: number;
}

/** Open time of the newest candle that is closed at `nowMs`. */
export function lastClosedOpenTimeMs(nowMs: number, tfMs: number): number {
  return Math.floor(nowMs / tfMs) * tfMs - tfMs;
}

/**
 * Closed candles of a range through `fetchOHLCV`, one page per call (ccxt's rate limiter paces the
 * calls when `enableRateLimit` is on): advances `since` past the newest row of each page, drops
 * the still-forming candle and rows outside the range, dedupes by open time, validates every row.
 * Ends at the end of the range, on an empty page, or when a page brings nothing newer.
 */
export async function* fetchClosedPages(exchange: OhlcvFetcher, req: ClosedRangeRequest, log: Logger): AsyncGenerator<ClosedPage> {
  const tfMs = timeframeMs(req.timeframe);
  const limit = req.limit ?? OHLCV_PAGE_LIMIT;
  const lastClosed = lastClosedOpenTimeMs(req.nowMs, tfMs);
  const end = Math.min(req.toOpenTimeMs ?? Number.POSITIVE_INFINITY, lastClosed);
  let since = Math.floor(req.fromOpenTimeMs / tfMs) * tfMs;
  while (since <= end) {
    req.signal?.throwIfAborted();
    const payload = await exchange.fetchOHLCV(req.symbol, req.timeframe, since, limit);
    const { candles, rejected } = parseOhlcvPayload(payload, req.timeframe, log);
    let newest = Number.NEGATIVE_INFINITY;
    for (const c of candles) if (c.openTimeMs > newest) newest = c.openTimeMs;
    const inRange = dedupeAscending(candles.filter((c) => c.openTimeMs >= since && c.openTimeMs <= end));
    if (inRange.length > 0 || rejected > 0) yield { candles: inRange, rejected };
    if (!(newest >= since)) break;
    since = newest + tfMs;
  }
}

/** All closed candles of a range (see fetchClosedPages), ascending and unique. */
export async function fetchClosedCandles(exchange: OhlcvFetcher, req: ClosedRangeRequest, log: Logger): Promise<{ candles: Candle[]; rejected: number }> {
  const candles: Candle[] = [];
  let rejected = 0;
  for await (const page of fetchClosedPages(exchange, req, log)) {
    candles.push(...page.candles);
    rejected += page.rejected;
  }
  return { candles, rejected };
}

/** Sorted by open time, first occurrence of each open time kept. */
export function dedupeAscending(candles: readonly Candle[]): Candle[] {
  const sorted = [...candles].sort((a, b) => a.openTimeMs - b.openTimeMs);
  const out: Candle[] = [];
  for (const c of sorted) if (out.length === 0 || out[out.length - 1]!.openTimeMs !== c.openTimeMs) out.push(c);
  return out;
}

/**
 * ccxt error classes after which the same call can simply be made again (after a pause): the
 * connection or the venue failed, not the request. Matched by name along the prototype chain, so
 * subclasses count and test doubles only need the right `name`.
 */
const RETRYABLE = new Set([
  'NetworkError',
  'RequestTimeout',
  'ExchangeNotAvailable',
  'DDoSProtection',
  'RateLimitExceeded',
  'InvalidNonce',
  'OperationFailed',
  // Raised into pending watches by exchange.close(): the watchdog closes silent sockets this way.
  'ExchangeClosedByUser',
  'SilentConnectionError',
]);

/** The ccxt class name that made an error retryable, or undefined when it is not retryable. */
export function retryableErrorName(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (RETRYABLE.has(error.name)) return error.name;
  for (let proto: unknown = Object.getPrototypeOf(error); proto !== null && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && RETRYABLE.has(name)) return name;
  }
  return undefined;
}

/** Exponential backoff with "equal jitter": half fixed, half random, capped. `random` in [0, 1). */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Error fields worth a log line (pino serialises `err` too, but fakes and ccxt errors vary). */
export function errorFields(error: unknown): { errorName: string; errorMessage: string } {
  if (error instanceof Error) return { errorName: error.name, errorMessage: error.message };
  return { errorName: typeof error, errorMessage: String(error) };
}
