import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { OrderPurpose, OrderStatus } from '../core/index.js';
import { InvariantError, ORDER_STATUSES } from '../core/index.js';
import { MAX_CLIENT_ORDER_ID_LENGTH, canTransition, clientOrderId, isTerminal, parseClientOrderId, transition } from './order-state.js';

/** The specification, written independently of the implementation's table. */
const LEGAL: Record<OrderStatus, OrderStatus[]> = {
  new: ['submitted', 'rejected', 'canceled', 'unknown'],
  submitted: ['open', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired', 'unknown'],
  open: ['open', 'partially_filled', 'filled', 'canceled', 'expired', 'unknown'],
  partially_filled: ['partially_filled', 'filled', 'canceled', 'expired', 'unknown'],
  unknown: ['submitted', 'open', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired', 'unknown'],
  filled: [],
  canceled: [],
  rejected: [],
  expired: [],
};

const pairs = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to, LEGAL[from].includes(to)] as const));

describe('order state machine', () => {
  it.each(pairs.filter(([, , legal]) => legal))('%s -> %s is legal', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(transition(from, to)).toBe(to);
  });

  it.each(pairs.filter(([, , legal]) => !legal))('%s -> %s throws InvariantError', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => transition(from, to, 'cid')).toThrow(InvariantError);
  });

  it('terminal statuses are exactly filled, canceled, rejected, expired', () => {
    expect(ORDER_STATUSES.filter(isTerminal)).toEqual(['filled', 'canceled', 'rejected', 'expired']);
    expect(pairs.length).toBe(81);
  });
});

describe('clientOrderId', () => {
  const t = 1_700_000_000_000;

  it('is stable (same inputs, same id, across releases)', () => {
    const id = clientOrderId('main', 'BTC/USDT', t, 'entry');
    expect(id).toBe(clientOrderId('main', 'BTC/USDT', t, 'entry'));
    expect(id).toMatchInlineSnapshot(`"wE_loyw3v28_0_1m2bnl8169z5cp"`);
  });

  it('fits Binance: <= 36 chars of [A-Za-z0-9_-], even at extreme times and seqs', () => {
    for (const [time, seq] of [
      [0, 0],
      [t, 0],
      [Number.MAX_SAFE_INTEGER, 0],
      [Number.MAX_SAFE_INTEGER, 46655],
    ] as const) {
      const id = clientOrderId('an-account-with-a-very-long-name', 'SOMELONGCOIN/USDT:USDT', time, 'emergency_exit', seq);
      expect(id.length).toBeLessThanOrEqual(MAX_CLIENT_ORDER_ID_LENGTH);
      expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });

  it('differs for every account, symbol, candle, purpose and seq', () => {
    const ids = new Set<string>();
    const purposes: OrderPurpose[] = ['entry', 'exit', 'stop', 'take_profit', 'emergency_exit'];
    let n = 0;
    for (const account of ['main', 'alt'])
      for (const symbol of ['BTC/USDT', 'ETH/USDT', 'BTC/USDC'])
        for (let i = 0; i < 200; i++)
          for (const purpose of purposes)
            for (const seq of [0, 1]) {
              ids.add(clientOrderId(account, symbol, t + i * 3_600_000, purpose, seq));
              n++;
            }
    expect(ids.size).toBe(n);
  });

  it('rejects non-integer times', () => {
    expect(() => clientOrderId('a', 'B', 1.5, 'entry')).toThrow(InvariantError);
  });
});

describe('parseClientOrderId', () => {
  const purposes = ['entry', 'exit', 'stop', 'take_profit', 'emergency_exit'] as const;
  it('inverts clientOrderId for its own account and symbol (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.constantFrom('BTC/USDT', 'ETH/USDT'),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.constantFrom(...purposes),
        fc.integer({ min: 0, max: 1_000 }),
        (account, symbol, t, purpose, seq) => {
          const id = clientOrderId(account, symbol, t, purpose, seq);
          expect(parseClientOrderId(id, account, symbol)).toEqual({ purpose, candleOpenTimeMs: t, seq });
          // Another account's id of the same shape is not ours; nor is the id for another symbol.
          expect(parseClientOrderId(id, `${account}x`, symbol)).toBeNull();
          expect(parseClientOrderId(id, account, symbol === 'BTC/USDT' ? 'ETH/USDT' : 'BTC/USDT')).toBeNull();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses anything else: foreign ids, a tampered hash, garbage (property)', () => {
    expect(parseClientOrderId('x-manual-order-1', 'a', 'BTC/USDT')).toBeNull();
    const id = clientOrderId('a', 'BTC/USDT', 1_700_000_000_000, 'stop', 2);
    expect(parseClientOrderId(`${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`, 'a', 'BTC/USDT')).toBeNull();
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        expect(parseClientOrderId(s, 'a', 'BTC/USDT')).toBeNull();
      }),
      { numRuns: 1_000 },
    );
  });
});
