import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import { classifyExchangeError, errorClassChain, scrubSecrets, type ExchangeCallPhase } from './classify-exchange-error.js';

const cases: ReadonlyArray<[string, Error, ExchangeCallPhase, string, string]> = [
  ['429', new ccxt.DDoSProtection('binance 429'), 'after-send', 'retry', 'RATE_LIMITED'],
  ['rate limit', new ccxt.RateLimitExceeded('x'), 'after-send', 'retry', 'RATE_LIMITED'],
  ['timeout after send', new ccxt.RequestTimeout('x'), 'after-send', 'reconcile', 'TIMEOUT'],
  ['timeout on a read', new ccxt.RequestTimeout('x'), 'read', 'retry', 'TIMEOUT'],
  ['network before send', new ccxt.NetworkError('x'), 'before-send', 'retry', 'NETWORK_ERROR'],
  ['5xx after send', new ccxt.ExchangeNotAvailable('x'), 'after-send', 'reconcile', 'EXCHANGE_UNAVAILABLE'],
  ['nonce', new ccxt.InvalidNonce('x'), 'after-send', 'retry', 'CLOCK_SKEW'],
  [
    'recvWindow as BadRequest',
    new ccxt.BadRequest('binance {"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}'),
    'read',
    'retry',
    'CLOCK_SKEW',
  ],
  ['duplicate', new ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}'), 'after-send', 'reconcile', 'DUPLICATE_ORDER'],
  ['funds', new ccxt.InsufficientFunds('x'), 'after-send', 'deny', 'INSUFFICIENT_FUNDS'],
  [
    'funds as -2010',
    new ccxt.InvalidOrder('binance {"code":-2010,"msg":"Account has insufficient balance for requested action."}'),
    'after-send',
    'deny',
    'INSUFFICIENT_FUNDS',
  ],
  ['stop would trigger', new ccxt.OrderImmediatelyFillable('x'), 'after-send', 'deny', 'STOP_WOULD_TRIGGER'],
  ['notional', new ccxt.BadRequest('binance {"code":-1013,"msg":"Filter failure: NOTIONAL"}'), 'after-send', 'deny', 'BELOW_MIN_NOTIONAL'],
  ['invalid order', new ccxt.InvalidOrder('x'), 'after-send', 'deny', 'INVALID_ORDER'],
  ['not found', new ccxt.OrderNotFound('x'), 'read', 'deny', 'ORDER_NOT_FOUND'],
  ['auth', new ccxt.AuthenticationError('x'), 'read', 'stop', 'AUTHENTICATION_FAILED'],
  ['permission', new ccxt.PermissionDenied('x'), 'after-send', 'stop', 'PERMISSION_DENIED'],
  ['bug after send', new TypeError('x'), 'after-send', 'reconcile', 'UNEXPECTED_ERROR'],
  ['bug on a read', new TypeError('x'), 'read', 'stop', 'UNEXPECTED_ERROR'],
];

describe('classifyExchangeError', () => {
  it.each(cases)('%s → %s', (_name, err, phase, action, code) => {
    expect(classifyExchangeError(err, phase)).toMatchObject({ action, code });
  });

  it('walks the prototype chain (subclasses of ccxt classes classify as their parents)', () => {
    class VenueTimeout extends ccxt.RequestTimeout {}
    expect(errorClassChain(new VenueTimeout('x')).slice(0, 4)).toEqual(['VenueTimeout', 'RequestTimeout', 'NetworkError', 'OperationFailed']);
    expect(classifyExchangeError(new VenueTimeout('x'), 'after-send')).toMatchObject({ action: 'reconcile', errorClass: 'RequestTimeout' });
  });

  it('scrubs key, secret and signatures from messages', () => {
    const err = new ccxt.AuthenticationError('GET http://x/api?apiKey=KEY12345&signature=0123456789abcdef0123456789abcdef secret=SEC%2F123');
    const v = classifyExchangeError(err, 'read', ['KEY12345', 'SEC/123']);
    expect(v.message).not.toContain('KEY12345');
    expect(v.message).not.toContain('SEC%2F123');
    expect(v.message).not.toContain('0123456789abcdef0123');
    expect(scrubSecrets('a', [undefined, ''])).toBe('a');
  });
});
