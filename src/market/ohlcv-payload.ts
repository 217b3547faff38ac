import { z } from 'zod';
import type { Candle, Timeframe } from '../core/candle.js';
import { timeframeMs } from '../core/candle.js';
import type { Logger } from '../core/logger.js';

/**
 * One ccxt OHLCV row: `[openTimeMs, open, high, low, close, volume]`. ccxt types every cell as
 * `number | undefined`; a row with a missing cell (volume included) is rejected rather than
 * repaired: a zero volume would be a lie that volume features learn from, and corrupt data is worse
 * than no data. z.number() already refuses NaN and ±Infinity.
 */
export const ohlcvRowSchema = z.tuple([z.number().int().nonnegative(), z.number(), z.number(), z.number(), z.number(), z.number()]);

export type OhlcvRow = z.infer<typeof ohlcvRowSchema>;

export type OhlcvRowResult = { readonly ok: true; readonly candle: Candle } | { readonly ok: false; readonly reason: string };

/**
 * Why a candle breaks the rules every candle in wick obeys (the same ones the CSV reader applies:
 * finite prices > 0, high >= max(open, close), low <= min(open, close), volume >= 0, open time
 * aligned to the timeframe), or undefined when it is sound. The CSV parser checks these inline and
 * exports no per-candle check, so this is the one for payloads.
 */
export function candleViolation(c: Candle, tfMs: number): string | undefined {
  if (!Number.isSafeInteger(c.openTimeMs) || c.openTimeMs < 0) return `open time ${c.openTimeMs} is not a non-negative integer epoch-ms timestamp`;
  for (const [name, v] of [
    ['open', c.open],
    ['high', c.high],
    ['low', c.low],
    ['close', c.close],
  ] as const) {
    if (!Number.isFinite(v) || !(v > 0)) return `${name} ${v} must be a finite price > 0`;
  }
  if (c.high < c.open || c.high < c.close) return `high ${c.high} is below max(open, close) = ${Math.max(c.open, c.close)}`;
  if (c.low > c.open || c.low > c.close) return `low ${c.low} is above min(open, close) = ${Math.min(c.open, c.close)}`;
  if (!Number.isFinite(c.volume) || c.volume < 0) return `volume ${c.volume} must be finite and >= 0`;
  if (c.openTimeMs % tfMs !== 0) return `open time ${c.openTimeMs} is not aligned to ${tfMs} ms`;
  return undefined;
}

/**
 * Parses one ccxt row into a fresh Candle. The result never aliases the input: ccxt's rows are
 * live references into its cache and are overwritten by later updates.
 */
export function parseOhlcvRow(row: unknown, tfMs: number): OhlcvRowResult {
  const parsed = ohlcvRowSchema.safeParse(row);
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => (i.path.length > 0 ? `[${i.path.join('.')}] ${i.message}` : i.message)).join('; ');
    return { ok: false, reason: `malformed OHLCV row: ${reason}` };
  }
  const [openTimeMs, open, high, low, close, volume] = parsed.data;
  const candle: Candle = { openTimeMs, open, high, low, close, volume };
  const violation = candleViolation(candle, tfMs);
  return violation === undefined ? { ok: true, candle } : { ok: false, reason: violation };
}

export interface OhlcvParseResult {
  /** Valid rows as new objects, in payload order. */
  readonly candles: Candle[];
  /** Rows rejected (each logged once at warn). */
  readonly rejected: number;
}

/**
 * Parses a whole ccxt OHLCV payload (a watchOHLCV resolve or a fetchOHLCV page). Bad rows are
 * logged (object first) and counted, never thrown: one corrupt row must not stop a live feed.
 * A payload that is not an array counts as one rejected row.
 */
export function parseOhlcvPayload(payload: unknown, timeframe: Timeframe, log: Logger): OhlcvParseResult {
  const tfMs = timeframeMs(timeframe);
  if (!Array.isArray(payload)) {
    log.warn({ payloadType: payload === null ? 'null' : typeof payload }, 'OHLCV payload rejected: not an array of rows');
    return { candles: [], rejected: 1 };
  }
  const candles: Candle[] = [];
  let rejected = 0;
  for (let i = 0; i < payload.length; i++) {
    const row: unknown = payload[i];
    const result = parseOhlcvRow(row, tfMs);
    if (result.ok) {
      candles.push(result.candle);
    } else {
      rejected++;
      log.warn({ rowIndex: i, row: describeRow(row), reason: result.reason }, 'OHLCV row rejected');
    }
  }
  return { candles, rejected };
}

/** A loggable copy of a row (ccxt's arrays are live; undefined does not survive JSON). */
function describeRow(row: unknown): unknown {
  if (!Array.isArray(row)) return row === undefined ? 'undefined' : row;
  return row.slice(0, 8).map((v: unknown) => (v === undefined ? 'undefined' : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}
