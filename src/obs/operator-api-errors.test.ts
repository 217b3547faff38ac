import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/index.js';
import { RecentErrors } from './operator-api-errors.js';

describe('RecentErrors', () => {
  it('lists newest first, coalesces repeats of a code within the window, and stays bounded', () => {
    const clock = new ManualClock(0);
    const errors = new RecentErrors(clock, { capacity: 3, coalesceMs: 60_000, scrub: (t) => t.replace('hunter2secret', '[REDACTED]') });
    const timeout = Object.assign(new Error('fetchOrder timed out'), { code: 'EXCHANGE_TIMEOUT' });
    errors.record(timeout, 'broker');
    clock.advance(1_000);
    errors.record(new TypeError('bad payload with hunter2secret'), 'ingest');
    clock.advance(1_000);
    errors.record(timeout, 'broker');
    expect(errors.list()).toEqual([
      { timeMs: 2_000, code: 'EXCHANGE_TIMEOUT', message: 'fetchOrder timed out', component: 'broker', count: 2 },
      { timeMs: 1_000, code: 'TypeError', message: 'bad payload with [REDACTED]', component: 'ingest' },
    ]);
    clock.advance(60_000); // outside the window: a new entry
    errors.record(timeout, 'broker');
    errors.record('plain string');
    expect(errors.list().map((e) => [e.code, e.count ?? 1])).toEqual([
      ['ERROR', 1],
      ['EXCHANGE_TIMEOUT', 1],
      ['EXCHANGE_TIMEOUT', 2],
    ]);
  });
});
