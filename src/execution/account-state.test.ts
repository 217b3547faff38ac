import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCOUNT_STATE_VERSION, AccountStateError, EMPTY_LEDGER, parseAccountState, serialiseAccountState, type AccountState } from './account-state.js';

const risk = {
  mode: 'HALTED',
  entriesPaused: true,
  haltReason: 'drawdown 12% from peak',
  peakEquityQuote: 11_000,
  dayIndex: 19_700,
  dayStartEquityQuote: 10_500,
  lastEquityQuote: 9_600,
  orderTimesMs: [1],
  stopOutAtMs: { 'BTC/USDT': 5 },
} as const;
const orderManager = { cashQuote: 9_600, duplicateFills: 0, emergencyExits: 0, seenTradeIds: ['t1'], orders: [], fillTotals: [], positions: [] };

function state(): AccountState {
  return {
    schemaVersion: ACCOUNT_STATE_VERSION,
    account: 'paper',
    savedAtMs: 1,
    kernel: {
      orderManager,
      risk,
      killSwitchResets: [{ by: '127.0.0.1 tok:ab', atMs: 3, equityQuote: 9_000, previousReason: 'x' }],
      volatility: { 'binance.BTC-USDT.1h': [100, 14, 0, 3.5] },
    },
    ledger: { ...EMPTY_LEDGER, equity: [[0, 10_000]], exposed: [false], totalTrades: 0 },
    lastCandleOpenTimeMs: { 'binance.BTC-USDT.1h': 0 },
    fillCursorMs: {},
    venue: { quote: 9_600, base: {}, tradeSeq: 0, orders: [], fills: [] },
  };
}

describe('the account state schema', () => {
  it('round-trips a state (kill switch and its audit trail included)', () => {
    const back = parseAccountState(serialiseAccountState(state()), 'k', 'paper');
    expect(back).toEqual(state());
  });

  it('reads a version-1 live state (books, risk, cursors) and upgrades it', () => {
    const v1 = { schemaVersion: 1, account: 'live-binance', savedAtMs: 2, orderManager, risk, lastCandleOpenTimeMs: {}, fillCursorMs: { 'BTC/USDT': 7 } };
    const back = parseAccountState(JSON.stringify(v1), 'k', 'live-binance');
    expect(back.schemaVersion).toBe(ACCOUNT_STATE_VERSION);
    expect(back.kernel.risk.mode).toBe('HALTED');
    expect(back.kernel.killSwitchResets).toEqual([]);
    expect(back.kernel.volatility).toEqual({});
    expect(back.fillCursorMs).toEqual({ 'BTC/USDT': 7 });
    expect(back.venue).toBeNull();
  });

  it('refuses an unknown version, text that is not JSON, a record that does not validate, another account — saying what to do', () => {
    expect(() => parseAccountState(JSON.stringify({ ...state(), schemaVersion: 99 }), 'wick:account:paper:state', 'paper')).toThrow(
      /schema version 99.*run the wick version that wrote it/,
    );
    expect(() => parseAccountState('{"schemaVersion":2,', 'k', 'paper')).toThrow(/not JSON.*--fresh/);
    expect(() => parseAccountState(JSON.stringify({ ...state(), kernel: { ...state().kernel, risk: { ...risk, mode: 'MAYBE' } } }), 'k', 'paper')).toThrow(
      /does not validate \(kernel\.risk\.mode/,
    );
    expect(() => parseAccountState(serialiseAccountState(state()), 'k', 'live-binance')).toThrow(/belongs to account "paper"/);
    for (const bad of ['{"schemaVersion":99}', 'null', '[]', 'garbage']) expect(() => parseAccountState(bad, 'k', 'paper')).toThrow(AccountStateError);
  });

  it('never accepts a corrupted record silently: any single-character change is refused or parses to a valid state (property)', () => {
    const text = serialiseAccountState(state());
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), fc.constantFrom('x', '"', '{', '9', ' ', ''), (at, ch) => {
        const corrupted = text.slice(0, at) + ch + text.slice(at + 1);
        try {
          const parsed = parseAccountState(corrupted, 'k', 'paper');
          // A change that still validates must still be a well-typed state.
          expect(parsed.schemaVersion).toBe(ACCOUNT_STATE_VERSION);
          expect(Array.isArray(parsed.kernel.orderManager.orders)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(AccountStateError);
        }
      }),
      { numRuns: 400 },
    );
  });
});
