import { describe, expect, it } from 'vitest';
import { RateBudget } from './rate-budget.js';

describe('RateBudget', () => {
  it('lets a burst through, then paces callers at the sustained rate, in arrival order', async () => {
    let now = 0;
    const waits: number[] = [];
    const budget = new RateBudget(
      { burst: 2, perSecond: 4 },
      () => now,
      (ms) => {
        waits.push(ms);
        now += ms;
        return Promise.resolve();
      },
    );
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((i) => budget.run(() => Promise.resolve(order.push(i)))));
    expect(order).toEqual([1, 2, 3, 4]);
    expect(waits).toEqual([250, 250]);
    expect(now).toBe(500);
    now += 10_000;
    expect(budget.available()).toBe(2);
  });

  it('one budget shared by two callers spends one pool', async () => {
    let now = 0;
    const budget = new RateBudget(
      { burst: 3, perSecond: 1 },
      () => now,
      (ms) => {
        now += ms;
        return Promise.resolve();
      },
    );
    await budget.take();
    await budget.take();
    expect(budget.available()).toBe(1);
    await budget.take();
    await budget.take();
    expect(now).toBe(1000);
  });

  it('rejects a nonsensical configuration', () => {
    expect(() => new RateBudget({ burst: 0, perSecond: 1 })).toThrow(RangeError);
  });
});
