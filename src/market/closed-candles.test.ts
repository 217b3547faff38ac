import { describe, expect, it } from 'vitest';
import type { Candle } from '../core/candle.js';
import { ClosedCandleDetector } from './closed-candles.js';

const H = 3_600_000;
const T = 1709251200000;
const GRACE = 5_000;

function c(i: number, close = 100 + i): Candle {
  return { openTimeMs: T + i * H, open: 100, high: Math.max(100, close) + 1, low: Math.min(100, close) - 1, close, volume: 1 };
}
const times = (cs: readonly Candle[]): number[] => cs.map((x) => (x.openTimeMs - T) / H);

describe('ClosedCandleDetector', () => {
  it.each([
    {
      name: 'repeated forming updates emit nothing',
      steps: [[c(0, 101)], [c(0, 102)], [c(0, 103)]],
      now: T + 30 * 60_000,
      emitted: [[], [], []],
    },
    {
      name: 'a boundary (final + new) closes the previous candle with its final values',
      steps: [[c(0, 101)], [c(0, 104), c(1, 100)]],
      now: T + H + 500,
      emitted: [[], [0]],
    },
    {
      name: 'several at once after a slow consumer close all but the newest',
      steps: [[c(0), c(1), c(2), c(3)]],
      now: T + 3 * H + 10,
      emitted: [[0, 1, 2]],
    },
    {
      name: 'duplicate and old rows after a close are ignored',
      steps: [[c(0), c(1)], [c(0, 999)], [c(1), c(0)], [c(2)]],
      now: T + 2 * H + 1,
      emitted: [[0], [], [], [1]],
    },
    {
      name: 'rows out of order inside one resolve are emitted in order',
      steps: [[c(2), c(0), c(1)]],
      now: T + 2 * H + 1,
      emitted: [[0, 1]],
    },
  ])('$name', ({ steps, now, emitted }) => {
    const d = new ClosedCandleDetector('1h', { graceMs: GRACE });
    const got = steps.map((rows) => times(d.push(rows, now).closed));
    expect(got).toEqual(emitted);
  });

  it('keeps the latest update of the forming candle', () => {
    const d = new ClosedCandleDetector('1h', { graceMs: GRACE });
    d.push([c(0, 101)], T + 10);
    d.push([c(0, 107)], T + 20);
    expect(d.push([c(1)], T + H + 1).closed[0]?.close).toBe(107);
  });

  it('marks the newest candle due once open + timeframe + grace has passed; committed by fill, never twice', () => {
    const d = new ClosedCandleDetector('1h', { graceMs: GRACE });
    d.push([c(0, 101)], T + 59 * 60_000);
    expect(d.nextCloseAtMs()).toBe(T + H + GRACE);
    expect(d.flush(T + H + GRACE - 1).due).toBeUndefined();
    const step = d.flush(T + H + GRACE);
    expect(step.closed).toEqual([]);
    expect(step.due).toEqual(c(0, 101));
    // Not committed until confirmed: still due on the next tick.
    expect(d.flush(T + H + GRACE + 1).due).toEqual(c(0, 101));
    // The caller confirmed it (e.g. the REST version) and commits that.
    expect(times(d.fill([c(0, 102)]))).toEqual([0]);
    expect(d.nextCloseAtMs()).toBeUndefined();
    expect(d.flush(T + H + GRACE + 2).due).toBeUndefined();
    // The final update arrives late with the next candle: 0 is not emitted again.
    const late = d.push([c(0, 150), c(1)], T + H + GRACE + 10);
    expect(times(late.closed)).toEqual([]);
    expect(late.ignored).toBe(1);
    expect(d.lastEmittedOpenTimeMs).toBe(T);
  });

  it('a push long after the close time marks the newest row due, the older ones closed', () => {
    const d = new ClosedCandleDetector('1h', { graceMs: GRACE });
    const step = d.push([c(0), c(1)], T + 5 * H);
    expect(times(step.closed)).toEqual([0]);
    expect(step.due?.openTimeMs).toBe(T + H);
  });

  it('reports a hole after the last emitted candle and holds what follows until it is filled', () => {
    const d = new ClosedCandleDetector('1h', { graceMs: GRACE, lastEmittedOpenTimeMs: T });
    const step = d.push([c(3), c(4)], T + 4 * H + 10);
    expect(step.closed).toEqual([]);
    expect(step.gap).toEqual({ fromOpenTimeMs: T + H, toOpenTimeMs: T + 2 * H, missingCount: 2 });
    expect(times(d.fill([c(2), c(1), c(1)]))).toEqual([1, 2]);
    expect(times(d.flush(T + 4 * H + 10).closed)).toEqual([3]);
  });

  it('reports a hole even while the candle after it is still forming', () => {
    const d = new ClosedCandleDetector('1h', { graceMs: GRACE, lastEmittedOpenTimeMs: T });
    expect(d.push([c(2)], T + 2 * H + 10).gap).toEqual({ fromOpenTimeMs: T + H, toOpenTimeMs: T + H, missingCount: 1 });
  });

  it('skips a hole the exchange cannot fill', () => {
    const d = new ClosedCandleDetector('1h', { graceMs: GRACE, lastEmittedOpenTimeMs: T });
    d.push([c(3), c(4)], T + 4 * H + 10);
    expect(d.fill([])).toEqual([]);
    const step = d.skipGaps(T + 4 * H + 10);
    expect(times(step.closed)).toEqual([3]);
    expect(step.gap).toBeUndefined();
  });

  it('lets backfilled (final) candles replace pending websocket copies', () => {
    const d = new ClosedCandleDetector('1h', { graceMs: GRACE });
    d.push([c(0, 101)], T + 10);
    expect(d.fill([{ ...c(0, 105) }]).map((x) => x.close)).toEqual([105]);
    expect(d.pendingCount).toBe(0);
    expect(times(d.push([c(0, 101), c(1)], T + H + 1).closed)).toEqual([]);
  });

  it('ignores everything up to a resume point', () => {
    const d = new ClosedCandleDetector('1h', { graceMs: GRACE, lastEmittedOpenTimeMs: T + 2 * H });
    const step = d.push([c(1), c(2), c(3), c(4)], T + 4 * H + 1);
    expect(times(step.closed)).toEqual([3]);
    expect(step.ignored).toBe(2);
  });

  it('reopen takes back released candles: pending again, resume point moved before them, newer copies kept', () => {
    const d = new ClosedCandleDetector('1h', { graceMs: 0, lastEmittedOpenTimeMs: 0 });
    const c = (t: number, close: number) => ({ openTimeMs: t * 3_600_000, open: 1, high: 2, low: 0.5, close, volume: 1 });
    const step = d.push([c(1, 1), c(2, 1), c(3, 1)], 3 * 3_600_000 + 1);
    expect(step.closed.map((x) => x.openTimeMs / 3_600_000)).toEqual([1, 2]);
    d.push([c(2, 9)], 3 * 3_600_000 + 1); // ignored: already released
    d.reopen(step.closed);
    expect(d.lastEmittedOpenTimeMs).toBe(0);
    expect(d.pendingCount).toBe(3);
    expect(d.fill([c(1, 5), c(2, 5)]).map((x) => x.close)).toEqual([5, 5]);
    expect(d.lastEmittedOpenTimeMs).toBe(2 * 3_600_000);
  });
});
