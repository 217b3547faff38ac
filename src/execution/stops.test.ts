import { describe, expect, it } from 'vitest';
import type { Candle } from '../core/index.js';
import type { GuardState } from './stops.js';
import { protectiveLevels, ratchetTrailing, roundStop, roundTakeProfit } from './stops.js';

const c = (open: number, high: number, low: number, close: number): Candle => ({ openTimeMs: 0, open, high, low, close, volume: 1 });

describe('protective levels', () => {
  it('rounds a long stop down and a short stop up (away from the market)', () => {
    expect(roundStop(1, 98.0049, 0.01)).toBe(98);
    expect(roundStop(-1, 102.0051, 0.01)).toBe(102.01);
    expect(roundTakeProfit(1, 104.001, 0.01)).toBe(104.01);
    expect(roundTakeProfit(-1, 95.999, 0.01)).toBe(95.99);
  });

  it('pct stop and take-profit from the entry', () => {
    const long = protectiveLevels({ stopLoss: { kind: 'pct', pct: 0.02 }, takeProfit: { kind: 'pct', pct: 0.04 } }, 1, 100.005, undefined, 0.01);
    expect(long.stopPriceQuote).toBe(98); // 98.0049 down
    expect(long.takeProfitPriceQuote).toBe(104.01); // 104.0052 up
    const short = protectiveLevels({ stopLoss: { kind: 'pct', pct: 0.02 } }, -1, 100.005, undefined, 0.01);
    expect(short.stopPriceQuote).toBe(102.01);
    expect(short.takeProfitPriceQuote).toBeNaN();
  });

  it('ATR stop, with the pct fallback when no ATR is known', () => {
    const cfg = { stopLoss: { kind: 'atr' as const, multiple: 2, fallbackPct: 0.05 } };
    expect(protectiveLevels(cfg, 1, 100, 1.5, 0.01).stopPriceQuote).toBe(97);
    expect(protectiveLevels(cfg, 1, 100, undefined, 0.01).stopPriceQuote).toBe(95);
  });
});

describe('trailing stop', () => {
  const guard = (sign: number, stop: number, best: number): GuardState => ({
    symbol: 'X',
    positionSign: sign,
    stopPriceQuote: stop,
    takeProfitPriceQuote: Number.NaN,
    bestPriceQuote: best,
    atrQuote: undefined,
    native: true,
  });
  const trail = { kind: 'pct' as const, pct: 0.05 };

  it('ratchets a long only upward', () => {
    const g = guard(1, 95, 100);
    expect(ratchetTrailing(g, trail, c(100, 110, 99, 108), 0.01)).toBe(true);
    expect(g.stopPriceQuote).toBe(104.5);
    expect(ratchetTrailing(g, trail, c(108, 109, 90, 91), 0.01)).toBe(false);
    expect(g.stopPriceQuote).toBe(104.5);
    expect(ratchetTrailing(g, trail, c(108, 120, 107, 119), 0.01)).toBe(true);
    expect(g.stopPriceQuote).toBe(114);
  });

  it('ratchets a short only downward', () => {
    const g = guard(-1, 105, 100);
    expect(ratchetTrailing(g, trail, c(100, 101, 90, 91), 0.01)).toBe(true);
    expect(g.stopPriceQuote).toBe(94.5);
    expect(ratchetTrailing(g, trail, c(91, 99, 90.5, 98), 0.01)).toBe(false);
    expect(g.stopPriceQuote).toBe(94.5);
  });

  it('tracks the best price even without a trailing rule, never moving the stop', () => {
    const g = guard(1, 95, 100);
    expect(ratchetTrailing(g, undefined, c(100, 130, 99, 120), 0.01)).toBe(false);
    expect(g.bestPriceQuote).toBe(130);
    expect(g.stopPriceQuote).toBe(95);
  });
});
