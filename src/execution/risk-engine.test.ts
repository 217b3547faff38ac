import { describe, expect, it } from 'vitest';
import type { OrderPurpose, OrderSide } from '../core/index.js';
import { InvariantError, ManualClock } from '../core/index.js';
import type { RiskCheckContext, RiskConfig, RiskDecision } from './risk-engine.js';
import { DEFAULT_RISK, RISK_REASON_CODES, RiskEngine } from './risk-engine.js';

const DAY = 86_400_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % DAY) + 3_600_000; // 01:00 UTC

function engine(overrides: Partial<RiskConfig> = {}, equity = 10_000): { risk: RiskEngine; clock: ManualClock } {
  const clock = new ManualClock(T0);
  const risk = new RiskEngine({ ...DEFAULT_RISK, ...overrides }, clock);
  risk.onEquity(equity);
  return { risk, clock };
}

function ctx(over: Partial<RiskCheckContext> = {}): RiskCheckContext {
  return {
    symbol: 'BTC/USDT',
    side: 'buy',
    purpose: 'entry',
    qtyBase: 1,
    priceQuote: 100,
    positionQtyBase: 0,
    totalExposureQuote: 0,
    openPositions: 0,
    ...over,
  };
}

const code = (d: RiskDecision): string => (d.status === 'denied' ? d.reason.code : 'approved');
const exitCtx = (purpose: OrderPurpose = 'exit', side: OrderSide = 'sell'): RiskCheckContext => ctx({ side, purpose, positionQtyBase: 1 });

describe('RiskEngine', () => {
  it('exports a stable list of reason codes', () => {
    expect(RISK_REASON_CODES).toEqual([
      'KILL_SWITCH',
      'ENTRIES_PAUSED',
      'DAILY_LOSS_LIMIT',
      'COOLDOWN_AFTER_STOP',
      'ORDER_RATE_EXCEEDED',
      'NOTIONAL_ABOVE_MAX',
      'EXPOSURE_ABOVE_MAX',
      'TOO_MANY_POSITIONS',
    ]);
  });

  it('approves within limits', () => {
    expect(engine().risk.check(ctx())).toEqual({ status: 'approved' });
  });

  it('NOTIONAL_ABOVE_MAX: per-symbol notional after the order', () => {
    const { risk } = engine({ maxNotionalPerSymbolQuote: 1_000 });
    expect(code(risk.check(ctx({ qtyBase: 10 })))).toBe('approved');
    const d = risk.check(ctx({ qtyBase: 5, positionQtyBase: 6 }));
    expect(d).toMatchObject({ status: 'denied', reason: { code: 'NOTIONAL_ABOVE_MAX', notionalQuote: 1_100, maxNotionalQuote: 1_000 } });
  });

  it('EXPOSURE_ABOVE_MAX: total exposure after the order', () => {
    const { risk } = engine({ maxTotalExposureQuote: 2_000 });
    expect(code(risk.check(ctx({ qtyBase: 5, totalExposureQuote: 1_500 })))).toBe('approved');
    expect(code(risk.check(ctx({ qtyBase: 6, totalExposureQuote: 1_500 })))).toBe('EXPOSURE_ABOVE_MAX');
  });

  it('TOO_MANY_POSITIONS: only for a new position', () => {
    const { risk } = engine({ maxOpenPositions: 2 });
    expect(code(risk.check(ctx({ openPositions: 2 })))).toBe('TOO_MANY_POSITIONS');
    expect(code(risk.check(ctx({ openPositions: 2, positionQtyBase: 1 })))).toBe('approved');
    expect(code(risk.check(ctx({ openPositions: 1 })))).toBe('approved');
  });

  it('ORDER_RATE_EXCEEDED: rolling minute by Clock; protective orders never denied', () => {
    const { risk, clock } = engine({ maxOrdersPerMinute: 3 });
    for (let i = 0; i < 3; i++) {
      expect(code(risk.check(ctx()))).toBe('approved');
      clock.advance(10_000);
    }
    expect(code(risk.check(ctx()))).toBe('ORDER_RATE_EXCEEDED');
    expect(code(risk.check(exitCtx('exit')))).toBe('ORDER_RATE_EXCEEDED');
    expect(code(risk.check(exitCtx('stop')))).toBe('approved');
    expect(code(risk.check(exitCtx('emergency_exit')))).toBe('approved');
    clock.set(T0 + 60_000); // first order leaves the window (4 in window: 10s, 20s, stop, emergency)
    expect(code(risk.check(ctx()))).toBe('ORDER_RATE_EXCEEDED');
    clock.set(T0 + 90_001);
    expect(code(risk.check(ctx()))).toBe('approved');
  });

  it('DAILY_LOSS_LIMIT: blocks entries, allows exits and stops, resets at the UTC day start', () => {
    const { risk, clock } = engine({ dailyLossLimitFraction: 0.05 });
    risk.onEquity(9_600);
    expect(risk.state).toBe('ACTIVE');
    risk.onEquity(9_500);
    expect(risk.state).toBe('REDUCING');
    expect(code(risk.check(ctx()))).toBe('DAILY_LOSS_LIMIT');
    expect(code(risk.check(exitCtx('exit')))).toBe('approved');
    expect(code(risk.check(exitCtx('stop')))).toBe('approved');
    // adding to a position is not reducing
    expect(code(risk.check(ctx({ positionQtyBase: 1 })))).toBe('DAILY_LOSS_LIMIT');
    // a sell that flips a long into a short is not reducing either
    expect(code(risk.check(ctx({ side: 'sell', qtyBase: 3, positionQtyBase: 1 })))).toBe('DAILY_LOSS_LIMIT');
    clock.set(T0 - 3_600_000 + DAY - 1); // 23:59:59.999 same day
    expect(code(risk.check(ctx()))).toBe('DAILY_LOSS_LIMIT');
    clock.set(T0 - 3_600_000 + DAY); // 00:00 next day
    expect(code(risk.check(ctx()))).toBe('approved');
    expect(risk.state).toBe('ACTIVE');
    // the new day measures from the equity at its start
    risk.onEquity(9_100);
    expect(risk.state).toBe('ACTIVE');
    risk.onEquity(9_025);
    expect(risk.state).toBe('REDUCING');
  });

  it('KILL_SWITCH: drawdown from the peak halts entries until reset(); exits still allowed', () => {
    const { risk } = engine({ maxDrawdownFraction: 0.2 });
    risk.onEquity(12_000);
    risk.onEquity(9_700);
    expect(risk.state).toBe('ACTIVE');
    risk.onEquity(9_600);
    expect(risk.state).toBe('HALTED');
    expect(code(risk.check(ctx()))).toBe('KILL_SWITCH');
    expect(code(risk.check(exitCtx('exit')))).toBe('approved');
    expect(code(risk.check(exitCtx('emergency_exit')))).toBe('approved');
    risk.onEquity(13_000); // recovering does not lift the halt
    expect(risk.state).toBe('HALTED');
    risk.reset();
    expect(risk.state).toBe('ACTIVE');
    expect(code(risk.check(ctx()))).toBe('approved');
  });

  it('COOLDOWN_AFTER_STOP: per symbol, for the configured time', () => {
    const { risk, clock } = engine({ cooldownAfterStopMs: 3_600_000 });
    risk.recordStopOut('BTC/USDT');
    expect(code(risk.check(ctx()))).toBe('COOLDOWN_AFTER_STOP');
    expect(code(risk.check(ctx({ symbol: 'ETH/USDT' })))).toBe('approved');
    clock.advance(3_599_999);
    expect(code(risk.check(ctx()))).toBe('COOLDOWN_AFTER_STOP');
    clock.advance(1);
    expect(code(risk.check(ctx()))).toBe('approved');
  });

  it('ENTRIES_PAUSED: operator pause and resume', () => {
    const { risk } = engine();
    risk.pauseEntries();
    expect(code(risk.check(ctx()))).toBe('ENTRIES_PAUSED');
    expect(code(risk.check(exitCtx()))).toBe('approved');
    risk.resumeEntries();
    expect(code(risk.check(ctx()))).toBe('approved');
  });

  it('serialises through JSON and resumes identically', () => {
    const { risk, clock } = engine({ maxDrawdownFraction: 0.1, maxOrdersPerMinute: 2, cooldownAfterStopMs: 1_000 });
    risk.check(ctx());
    risk.recordStopOut('ETH/USDT');
    risk.pauseEntries();
    risk.onEquity(8_000);
    const json = JSON.parse(JSON.stringify(risk)) as ReturnType<RiskEngine['toJSON']>;
    const back = RiskEngine.fromJSON(json, risk.config, clock);
    expect(back.toJSON()).toEqual(risk.toJSON());
    expect(back.state).toBe('HALTED');
    expect(back.paused).toBe(true);
    expect(code(back.check(ctx()))).toBe('KILL_SWITCH');
    // a fresh engine (NaN fields) survives the trip too
    const fresh = new RiskEngine(DEFAULT_RISK, clock);
    const freshBack = RiskEngine.fromJSON(JSON.parse(JSON.stringify(fresh)) as ReturnType<RiskEngine['toJSON']>, DEFAULT_RISK, clock);
    expect(code(freshBack.check(ctx()))).toBe('approved');
  });

  it('throws on broken inputs (invariants, not outcomes)', () => {
    const { risk } = engine();
    expect(() => risk.check(ctx({ qtyBase: Number.NaN }))).toThrow(InvariantError);
    expect(() => risk.onEquity(Number.NaN)).toThrow(InvariantError);
  });
});

describe('RiskEngine precedence', () => {
  it('a halted engine says KILL_SWITCH even when the rate is also exceeded', () => {
    const { risk } = engine({ maxOrdersPerMinute: 1, maxDrawdownFraction: 0.1 });
    risk.check(ctx());
    risk.onEquity(8_000);
    expect(code(risk.check(ctx()))).toBe('KILL_SWITCH');
    expect(code(risk.check(exitCtx()))).toBe('ORDER_RATE_EXCEEDED');
  });
});
