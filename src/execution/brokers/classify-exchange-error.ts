import type { ExchangeErrorAction } from '../../core/index.js';

/**
 * Where a failing call stood: `before-send` (nothing reached the venue), `after-send` (an order
 * request may have been executed), `read` (a query: repeating it is harmless).
 */
export type ExchangeCallPhase = 'before-send' | 'after-send' | 'read';

export interface ExchangeErrorVerdict {
  readonly action: ExchangeErrorAction;
  /** Stable code for logs, metrics and denial reasons. */
  readonly code: string;
  /** The error's text with every secret replaced by `***`. */
  readonly message: string;
  /** The ccxt class that decided (e.g. 'RequestTimeout'), or the error's own name. */
  readonly errorClass: string;
}

/** Class names along the prototype chain, most specific first (ccxt errors: RequestTimeout → NetworkError → OperationFailed → BaseError → Error). */
export function errorClassChain(err: unknown): readonly string[] {
  const names: string[] = [];
  if (typeof err !== 'object' || err === null) return names;
  let proto: unknown = Object.getPrototypeOf(err);
  while (proto !== null && proto !== Object.prototype && typeof proto === 'object') {
    const ctor = (proto as { constructor?: unknown }).constructor;
    if (typeof ctor === 'function' && ctor.name !== '' && !names.includes(ctor.name)) names.push(ctor.name);
    proto = Object.getPrototypeOf(proto);
  }
  return names;
}

/** Replaces each non-trivial secret (and its URL-encoded form) by `***`. */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (s === undefined || s.length < 4) continue;
    for (const form of new Set([s, encodeURIComponent(s)])) out = out.split(form).join('***');
  }
  // ccxt may print a signed query string: the signature is derived from the secret, drop it too.
  return out.replace(/(signature=)[0-9a-fA-F]{16,}/g, '$1***');
}

/** Which ccxt classes ask for which treatment, most specific first. `unknownOutcome` = the request may have executed. */
type Rule = { readonly cls: string; readonly code: string; readonly kind: 'rate' | 'nonce' | 'unknownOutcome' | 'deny' | 'stop' };
const RULES: readonly Rule[] = [
  { cls: 'DDoSProtection', code: 'RATE_LIMITED', kind: 'rate' },
  { cls: 'RateLimitExceeded', code: 'RATE_LIMITED', kind: 'rate' },
  { cls: 'InvalidNonce', code: 'CLOCK_SKEW', kind: 'nonce' },
  { cls: 'RequestTimeout', code: 'TIMEOUT', kind: 'unknownOutcome' },
  { cls: 'ExchangeNotAvailable', code: 'EXCHANGE_UNAVAILABLE', kind: 'unknownOutcome' },
  { cls: 'OnMaintenance', code: 'EXCHANGE_UNAVAILABLE', kind: 'unknownOutcome' },
  { cls: 'NetworkError', code: 'NETWORK_ERROR', kind: 'unknownOutcome' },
  { cls: 'OperationFailed', code: 'OPERATION_FAILED', kind: 'unknownOutcome' },
  { cls: 'AccountSuspended', code: 'ACCOUNT_SUSPENDED', kind: 'stop' },
  { cls: 'PermissionDenied', code: 'PERMISSION_DENIED', kind: 'stop' },
  { cls: 'AuthenticationError', code: 'AUTHENTICATION_FAILED', kind: 'stop' },
  { cls: 'InsufficientFunds', code: 'INSUFFICIENT_FUNDS', kind: 'deny' },
  { cls: 'OrderImmediatelyFillable', code: 'STOP_WOULD_TRIGGER', kind: 'deny' },
  { cls: 'OrderNotFound', code: 'ORDER_NOT_FOUND', kind: 'deny' },
  { cls: 'InvalidOrder', code: 'INVALID_ORDER', kind: 'deny' },
  { cls: 'BadSymbol', code: 'BAD_SYMBOL', kind: 'deny' },
  { cls: 'BadRequest', code: 'BAD_REQUEST', kind: 'deny' },
  { cls: 'ArgumentsRequired', code: 'BAD_REQUEST', kind: 'deny' },
  { cls: 'NotSupported', code: 'NOT_SUPPORTED', kind: 'deny' },
  { cls: 'OperationRejected', code: 'REJECTED', kind: 'deny' },
  { cls: 'ExchangeError', code: 'EXCHANGE_ERROR', kind: 'deny' },
];

/** Venue texts that say more than the class ccxt picked (Binance reuses -2010 and -1013 for several causes). */
const MESSAGE_RULES: ReadonlyArray<{ readonly re: RegExp; readonly code: string; readonly kind: Rule['kind'] | 'duplicate' }> = [
  { re: /Duplicate order sent/i, code: 'DUPLICATE_ORDER', kind: 'duplicate' },
  { re: /insufficient balance/i, code: 'INSUFFICIENT_FUNDS', kind: 'deny' },
  { re: /Filter failure: (MIN_)?NOTIONAL/i, code: 'BELOW_MIN_NOTIONAL', kind: 'deny' },
  { re: /Filter failure: LOT_SIZE/i, code: 'BELOW_MIN_QTY', kind: 'deny' },
  { re: /Filter failure: MARKET_LOT_SIZE/i, code: 'ABOVE_MAX_QTY', kind: 'deny' },
  { re: /Filter failure: PERCENT_PRICE/i, code: 'PRICE_OUT_OF_BAND', kind: 'deny' },
  { re: /Filter failure: MAX_NUM_(ALGO_)?ORDERS/i, code: 'TOO_MANY_OPEN_ORDERS', kind: 'deny' },
  { re: /Timestamp for this request|outside of the recvWindow/i, code: 'CLOCK_SKEW', kind: 'nonce' },
];

function actionFor(kind: Rule['kind'] | 'duplicate', phase: ExchangeCallPhase): ExchangeErrorAction {
  switch (kind) {
    case 'rate':
    case 'nonce':
      return 'retry';
    case 'unknownOutcome':
      return phase === 'after-send' ? 'reconcile' : 'retry';
    case 'duplicate':
      // The venue already holds an order under this client id: find it, never send another.
      return phase === 'after-send' ? 'reconcile' : 'deny';
    case 'deny':
      return 'deny';
    case 'stop':
      return 'stop';
  }
}

/**
 * THE classification of exchange failures (DESIGN "Conventions"), by ccxt class walking the
 * prototype chain, refined by the venue's text where Binance overloads one code:
 * rate limits → retry (same client id, after backoff); network failures → retry before send or
 * on a read, reconcile after send (the order may exist); a duplicate client id after send →
 * reconcile; insufficient funds / invalid order / bad request → deny; authentication and
 * permission → stop; a clock-skew nonce → retry (once, after re-syncing the clock: the caller's
 * job). Anything that is not a ccxt error is a bug: reconcile after send (the order may exist),
 * otherwise stop.
 */
export function classifyExchangeError(err: unknown, phase: ExchangeCallPhase, secrets: readonly (string | undefined)[] = []): ExchangeErrorVerdict {
  const chain = errorClassChain(err);
  const raw = err instanceof Error ? err.message : String(err);
  const message = scrubSecrets(raw, secrets).slice(0, 500);
  const isCcxt = chain.includes('BaseError');
  if (isCcxt) {
    const rule = RULES.find((r) => chain.includes(r.cls));
    const errorClass = rule?.cls ?? chain[0] ?? 'BaseError';
    // Text refinements only narrow exchange answers, never network failures (a timeout message could echo a body).
    if (rule === undefined || rule.kind === 'deny') {
      const byText = MESSAGE_RULES.find((m) => m.re.test(raw));
      if (byText !== undefined) return { action: actionFor(byText.kind, phase), code: byText.code, message, errorClass };
    }
    if (rule !== undefined) return { action: actionFor(rule.kind, phase), code: rule.code, message, errorClass };
    return { action: phase === 'after-send' ? 'reconcile' : 'deny', code: 'EXCHANGE_ERROR', message, errorClass };
  }
  const errorClass = chain[0] ?? typeof err;
  return { action: phase === 'after-send' ? 'reconcile' : 'stop', code: 'UNEXPECTED_ERROR', message, errorClass };
}
