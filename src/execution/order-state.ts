import type { OrderPurpose, OrderStatus } from '../core/index.js';
import { InvariantError, ORDER_STATUSES, TERMINAL_ORDER_STATUSES } from '../core/index.js';

/**
 * Legal order status transitions. Terminal statuses (filled, canceled, rejected, expired) go
 * nowhere. `unknown` (the outcome of a request is ambiguous) is resolved by reconciliation to any
 * status but `new`. Self-transitions are legal only where a repeated report carries news
 * (more fills while partially filled) or is a harmless re-report (open, unknown).
 */
const NON_NEW: readonly OrderStatus[] = ORDER_STATUSES.filter((s) => s !== 'new');

export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, ReadonlySet<OrderStatus>>> = Object.freeze({
  new: new Set<OrderStatus>(['submitted', 'rejected', 'canceled', 'unknown']),
  submitted: new Set<OrderStatus>(['open', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired', 'unknown']),
  open: new Set<OrderStatus>(['open', 'partially_filled', 'filled', 'canceled', 'expired', 'unknown']),
  partially_filled: new Set<OrderStatus>(['partially_filled', 'filled', 'canceled', 'expired', 'unknown']),
  unknown: new Set<OrderStatus>(NON_NEW),
  filled: new Set<OrderStatus>(),
  canceled: new Set<OrderStatus>(),
  rejected: new Set<OrderStatus>(),
  expired: new Set<OrderStatus>(),
});

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].has(to);
}

/** Returns `to`, or throws InvariantError for an illegal transition (a venue or bookkeeping bug). */
export function transition(from: OrderStatus, to: OrderStatus, clientOrderId = '?'): OrderStatus {
  if (!ORDER_TRANSITIONS[from].has(to)) throw new InvariantError(`illegal order transition ${from} -> ${to} (${clientOrderId})`);
  return to;
}

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_ORDER_STATUSES.has(status);
}

/** Still able to fill (or might be: unknown). */
export function isLive(status: OrderStatus): boolean {
  return !TERMINAL_ORDER_STATUSES.has(status);
}

const PURPOSE_CODE: Readonly<Record<OrderPurpose, string>> = Object.freeze({
  entry: 'E',
  exit: 'X',
  stop: 'S',
  take_profit: 'T',
  emergency_exit: 'M',
});

/** Max client order id length (Binance spot and futures). */
export const MAX_CLIENT_ORDER_ID_LENGTH = 36;

/** FNV-1a over UTF-16 code units, two independent 32-bit lanes: a 64-bit-ish, stable, pure hash. */
function hash64(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
    b = (b ^ (b >>> 15)) >>> 0;
  }
  return a.toString(36).padStart(7, '0') + b.toString(36).padStart(7, '0');
}

/**
 * Deterministic client order id from (account, symbol, candle open time, purpose, seq): the same
 * decision always yields the same id, so a retry or a restart cannot double an order. `seq`
 * distinguishes several orders of one purpose on one candle (e.g. a replaced stop).
 * Shape: `w<purpose>_<time base36>_<seq base36>_<hash 14>`, charset [A-Za-z0-9_-], <= 36 chars.
 */
export function clientOrderId(account: string, symbol: string, candleOpenTimeMs: number, purpose: OrderPurpose, seq = 0): string {
  if (!Number.isSafeInteger(candleOpenTimeMs) || candleOpenTimeMs < 0 || !Number.isSafeInteger(seq) || seq < 0) {
    throw new InvariantError(`client order id needs integer time and seq (time ${candleOpenTimeMs}, seq ${seq})`);
  }
  const h = hash64(`${account}|${symbol}|${candleOpenTimeMs}|${purpose}|${seq}`);
  return `w${PURPOSE_CODE[purpose]}_${candleOpenTimeMs.toString(36)}_${seq.toString(36)}_${h}`;
}

const PURPOSES = Object.keys(PURPOSE_CODE) as OrderPurpose[];
const ID_SHAPE = /^w([A-Z])_([0-9a-z]+)_([0-9a-z]+)_[0-9a-z]{14}$/;

/** What a client order id of this account encodes. */
export interface ParsedClientOrderId {
  readonly purpose: OrderPurpose;
  readonly candleOpenTimeMs: number;
  readonly seq: number;
}

/**
 * The inverse of `clientOrderId` for one account and symbol: the purpose, candle time and seq an
 * id encodes, or null when the id was not made by `clientOrderId(account, symbol, …)` (another
 * account's, or an order wick did not place). The hash is checked, not just the shape.
 */
export function parseClientOrderId(id: string, account: string, symbol: string): ParsedClientOrderId | null {
  const m = ID_SHAPE.exec(id);
  if (m === null) return null;
  const purpose = PURPOSES.find((p) => PURPOSE_CODE[p] === m[1]);
  const t = parseInt(m[2] as string, 36);
  const seq = parseInt(m[3] as string, 36);
  if (purpose === undefined || !Number.isSafeInteger(t) || !Number.isSafeInteger(seq)) return null;
  return clientOrderId(account, symbol, t, purpose, seq) === id ? { purpose, candleOpenTimeMs: t, seq } : null;
}
