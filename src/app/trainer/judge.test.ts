import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeChallenger, type Evaluation } from './judge.js';

const ev = (sharpe: number | null, rank = 1, of = 7): Evaluation => ({
  modelId: 'm',
  sharpe,
  totalReturn: 0,
  trades: 10,
  timing: { rank, of, pValue: rank / of },
});

describe('judgeChallenger', () => {
  it('rejects a worse challenger, one inside the margin, and one that fails the timing test, each with its reason', () => {
    expect(judgeChallenger(ev(1.2), ev(0.8), 0.1)).toEqual({
      promote: false,
      reason: expect.stringMatching(/^not better by the margin: challenger Sharpe 0\.800 .* vs champion 1\.200 .* margin 0\.1$/),
    });
    expect(judgeChallenger(ev(1.2), ev(1.25), 0.1).promote).toBe(false);
    expect(judgeChallenger(ev(1.2), ev(2, 3), 0.1)).toEqual({
      promote: false,
      reason: expect.stringMatching(/^fails the timing test: its real timing ranks 3 of 7/),
    });
    expect(judgeChallenger(ev(1.2), { ...ev(2), timing: null }, 0.1).reason).toMatch(/no timing test/);
    expect(judgeChallenger(ev(1.2), ev(null), 0).promote).toBe(false);
  });

  it('promotes a challenger better by the margin that passes the timing test; a champion without a Sharpe counts as 0', () => {
    expect(judgeChallenger(ev(1.2), ev(1.4), 0.1).promote).toBe(true);
    expect(judgeChallenger(ev(null), ev(0.2), 0.1).promote).toBe(true);
  });

  it('promotes exactly when sharpe(challenger) >= sharpe(champion) + margin and the timing rank is 1', () => {
    const sharpe = fc.option(fc.double({ min: -5, max: 5, noNaN: true }), { nil: null });
    fc.assert(
      fc.property(sharpe, sharpe, fc.double({ min: 0, max: 2, noNaN: true }), fc.integer({ min: 1, max: 7 }), (a, b, margin, rank) => {
        const v = judgeChallenger(ev(a), ev(b, rank), margin);
        expect(v.promote).toBe(b !== null && b >= (a ?? 0) + margin && rank === 1);
      }),
      { numRuns: 500, seed: 21 },
    );
  });
});
