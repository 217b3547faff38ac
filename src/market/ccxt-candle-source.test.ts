import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClosedCandle, SeriesKey } from '../core/candle.js';
import { seriesId } from '../core/candle.js';
import { FakeOhlcvExchange, HOUR, T0, ccxtError, formingOf, loadBtcUsdt1h, recordingLogger } from '../../test/fixtures/ccxt/fake-exchange.js';
import { CcxtCandleSource, type CcxtCandleSourceOptions, type QuarantinedCandle } from './ccxt-candle-source.js';

const BTC: SeriesKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const MIN = 60_000;
const ROWS = loadBtcUsdt1h();

function candleOf(i: number) {
  const [openTimeMs, open, high, low, close, volume] = ROWS[i]!;
  return { openTimeMs, open, high, low, close, volume };
}
const index = (c: ClosedCandle): number => (c.candle.openTimeMs - T0) / HOUR;

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(0);
}

function harness(startMs: number, opts: Partial<CcxtCandleSourceOptions> = {}) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
  vi.setSystemTime(startMs);
  const fake = new FakeOhlcvExchange(
    ROWS.map((r) => [...r]),
    () => Date.now(),
  );
  const log = recordingLogger();
  const source = new CcxtCandleSource({
    exchange: fake,
    series: [BTC],
    clock: { nowMs: () => Date.now() },
    logger: log,
    random: () => 0.5,
    ...opts,
  });
  const got: ClosedCandle[] = [];
  let failure: unknown;
  const done = (async () => {
    try {
      for await (const c of source.closedCandles()) got.push(c);
    } catch (error) {
      failure = error;
    }
  })();
  let lastIndex = -1;
  /** The exchange streams the forming kline every `stepMs`, final + new at each boundary. */
  async function live(untilMs: number, stepMs = MIN): Promise<void> {
    while (Date.now() < untilMs) {
      await vi.advanceTimersByTimeAsync(Math.min(stepMs, untilMs - Date.now()));
      const now = Date.now();
      const i = Math.floor((now - T0) / HOUR);
      const forming = formingOf(ROWS[i]!, (now - T0 - i * HOUR) / HOUR);
      if (lastIndex >= 0 && i > lastIndex) fake.push([...ROWS[i - 1]!], forming);
      else fake.push(forming);
      lastIndex = i;
      await flush();
    }
  }
  return { fake, log, source, got, done, live, failure: () => failure };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('CcxtCandleSource', () => {
  it('seeds the last N closed candles, then emits live closes at each boundary', async () => {
    const h = harness(T0 + 10 * HOUR + 30 * MIN, { seedCount: 3 });
    await flush();
    expect(h.got.map(index)).toEqual([7, 8, 9]);
    expect(h.fake.fetchCalls[0]).toMatchObject({ symbol: 'BTC/USDT', timeframe: '1h', since: T0 + 7 * HOUR, limit: 1000 });
    await h.live(T0 + 12 * HOUR + 10 * MIN);
    expect(h.got.map(index)).toEqual([7, 8, 9, 10, 11]);
    expect(h.got.map((c) => c.candle)).toEqual([7, 8, 9, 10, 11].map(candleOf));
    expect(h.got.every((c) => c.series === BTC)).toBe(true);
    await h.source.close();
    await h.done;
  });

  it('after a NetworkError backs off, redials, backfills the missed candles over REST: no gap, no duplicate, in order', async () => {
    const h = harness(T0 + 10 * HOUR + 30 * MIN, { seedCount: 3 });
    await h.live(T0 + 11 * HOUR + 10 * MIN);
    expect(h.got.map(index)).toEqual([7, 8, 9, 10]);
    // The socket drops and stays down (redials and REST fail) for three hours.
    h.fake.offline = true;
    h.fake.drop();
    await vi.advanceTimersByTimeAsync(3 * HOUR + 10 * MIN);
    const watchesWhileDown = h.fake.watchCalls;
    expect(h.got.map(index)).toEqual([7, 8, 9, 10]);
    h.fake.offline = false;
    await vi.advanceTimersByTimeAsync(60_000); // backoff is capped at 60 s
    await flush();
    expect(h.got.map(index)).toEqual([7, 8, 9, 10, 11, 12, 13]);
    expect(h.fake.fetchCalls.at(-1)?.since).toBe(T0 + 11 * HOUR);
    expect(h.fake.watchCalls).toBeGreaterThan(watchesWhileDown);
    await h.live(T0 + 15 * HOUR + 10 * MIN);
    expect(h.got.map(index)).toEqual([7, 8, 9, 10, 11, 12, 13, 14]);
    expect(h.got.map((c) => c.candle)).toEqual([7, 8, 9, 10, 11, 12, 13, 14].map(candleOf));
    const warns = h.log.records.filter((r) => r.level === 'warn' && r.msg?.includes('reconnecting'));
    expect(warns.length).toBeGreaterThan(3);
    expect(warns[0]?.obj).toMatchObject({ series: seriesId(BTC), errorName: 'NetworkError', errorClass: 'NetworkError', attempt: 1, delayMs: 750 });
    // Exponential backoff, capped.
    const delays = warns.map((r) => r.obj.delayMs as number);
    expect(delays.slice(0, 4)).toEqual([750, 1500, 3000, 6000]);
    expect(Math.max(...delays)).toBe(45_000);
    expect(h.source.stats.reconnects).toBe(warns.length);
    await h.source.close();
    await h.done;
  });

  it('forces a reconnect when the socket goes silent (watchdog), via exchange.close()', async () => {
    const h = harness(T0 + 10 * HOUR + 30 * MIN, { silenceMs: 3 * MIN, resumeAfterOpenTimeMs: { [seriesId(BTC)]: T0 + 9 * HOUR } });
    await h.live(T0 + 10 * HOUR + 32 * MIN);
    expect(h.fake.watchCalls).toBe(3);
    // Silence: the socket stays open but nothing arrives.
    await vi.advanceTimersByTimeAsync(3 * MIN - 1);
    expect(h.fake.closeCalls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(h.fake.closeCalls).toBe(1);
    expect(h.source.stats.watchdogTrips).toBe(1);
    expect(h.log.records.some((r) => r.level === 'warn' && r.obj.silentForMs === 3 * MIN && r.obj.series === seriesId(BTC))).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000); // backoff, then a fresh watch
    expect(h.fake.watchCalls).toBe(4);
    expect(h.fake.watching).toBe(true);
    await h.live(T0 + 11 * HOUR + 5 * MIN);
    expect(h.got.map(index)).toEqual([10]);
    await h.source.close();
    await h.done;
  });

  it('closes the last candle by timer when no later update comes (grace), with its final values from REST', async () => {
    const h = harness(T0 + 10 * HOUR + 50 * MIN, { graceMs: 5_000, silenceMs: HOUR, resumeAfterOpenTimeMs: { [seriesId(BTC)]: T0 + 9 * HOUR } });
    // The last update seen is from 50 minutes in: not the final candle.
    h.fake.push(formingOf(ROWS[10]!, 50 / 60));
    await flush();
    expect(h.got).toEqual([]);
    await vi.advanceTimersByTimeAsync(10 * MIN + 5_000 - 1);
    expect(h.got).toEqual([]);
    expect(h.fake.fetchCalls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(h.got.map((c) => c.candle)).toEqual([candleOf(10)]);
    expect(h.fake.fetchCalls.at(-1)).toMatchObject({ since: T0 + 10 * HOUR });
    // The exchange's late final update and the next candle: 10 is not emitted again.
    h.fake.push([...ROWS[10]!], formingOf(ROWS[11]!, 0));
    await flush();
    expect(h.got.map(index)).toEqual([10]);
    expect(h.source.stats.ignoredRows).toBe(1);
    await h.source.close();
    await h.done;
  });

  it("never emits an unconfirmed copy: holds a grace-closed candle REST has not published yet, then emits the exchange's", async () => {
    const h = harness(T0 + 10 * HOUR + 59 * MIN, { graceMs: 5_000, silenceMs: 10 * HOUR, resumeAfterOpenTimeMs: { [seriesId(BTC)]: T0 + 9 * HOUR } });
    const [row10] = h.fake.history.splice(10, 1);
    h.fake.push(formingOf(ROWS[10]!, 59 / 60));
    await vi.advanceTimersByTimeAsync(MIN + 5_000);
    await flush();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(h.got).toEqual([]);
    expect(h.source.stats.confirmWaits).toBeGreaterThanOrEqual(2);
    expect(h.log.records.some((r) => r.level === 'warn' && r.msg?.includes('never emitted unconfirmed'))).toBe(true);
    h.fake.history.splice(10, 0, row10!);
    await vi.advanceTimersByTimeAsync(60_000);
    await flush();
    expect(h.got.map((c) => c.candle)).toEqual([candleOf(10)]);
    await h.source.close();
    await h.done;
  });

  it("a candle closed by its successor goes out as the exchange's closed candle, never the stale websocket copy (final kline lost)", async () => {
    const h = harness(T0 + 10 * HOUR + 1 * MIN, { silenceMs: 10 * HOUR, resumeAfterOpenTimeMs: { [seriesId(BTC)]: T0 + 9 * HOUR } });
    await flush();
    // The only update of 10 is its first one (open = high = low = close, volume 0); the final is lost.
    h.fake.push([T0 + 10 * HOUR, ROWS[10]![1]!, ROWS[10]![1]!, ROWS[10]![1]!, ROWS[10]![1]!, 0]);
    await flush();
    await vi.advanceTimersByTimeAsync(HOUR);
    h.fake.push(formingOf(ROWS[11]!, 0.01));
    await flush();
    expect(h.got.map((c) => c.candle)).toEqual([candleOf(10)]);
    expect(h.source.stats.corrected).toBe(1);
    await h.source.close();
    await h.done;
  });

  it('a confirmation that fails (network) loses nothing: the candle is reopened and the reconnect backfill delivers it once', async () => {
    const h = harness(T0 + 10 * HOUR + 30 * MIN, { graceMs: 10 * MIN, silenceMs: 10 * HOUR, resumeAfterOpenTimeMs: { [seriesId(BTC)]: T0 + 9 * HOUR } });
    await flush();
    h.fake.push(formingOf(ROWS[10]!, 0.5));
    await flush();
    await vi.advanceTimersByTimeAsync(31 * MIN);
    const fetch = h.fake.fetchOHLCV.bind(h.fake);
    let failures = 1;
    h.fake.fetchOHLCV = (...args) => (failures-- > 0 ? Promise.reject(ccxtError('RequestTimeout', 'timed out')) : fetch(...args));
    h.fake.push(formingOf(ROWS[11]!, 0.01));
    await flush();
    expect(h.got).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    await flush();
    expect(h.got.map((c) => c.candle)).toEqual([candleOf(10)]);
    expect(h.source.stats.reconnects).toBe(1);
    await h.source.close();
    await h.done;
  });

  it('quarantines an implausible closed candle the exchange sent (high = 1e308): logged, reported, never emitted; the next one flows', async () => {
    const quarantined: QuarantinedCandle[] = [];
    const h = harness(T0 + 10 * HOUR + 1 * MIN, {
      silenceMs: 10 * HOUR,
      resumeAfterOpenTimeMs: { [seriesId(BTC)]: T0 + 9 * HOUR },
      onQuarantine: (q) => quarantined.push(q),
    });
    h.fake.history[10] = [T0 + 10 * HOUR, ROWS[10]![1]!, 1e308, ROWS[10]![3]!, ROWS[10]![4]!, ROWS[10]![5]!];
    await h.live(T0 + 12 * HOUR + 1 * MIN);
    expect(h.got.map(index)).toEqual([11]);
    expect(h.source.stats.quarantined).toBe(1);
    expect(quarantined).toEqual([
      { series: BTC, candle: expect.objectContaining({ openTimeMs: T0 + 10 * HOUR, high: 1e308 }), reason: expect.stringContaining('implausible candle') },
    ]);
    expect(h.log.records.some((r) => r.level === 'error' && r.msg?.includes('quarantined'))).toBe(true);
    await h.source.close();
    await h.done;
  });

  it('backfills a hole seen in the live rows before emitting what follows it', async () => {
    const h = harness(T0 + 11 * HOUR + 30 * MIN, { silenceMs: 4 * HOUR, resumeAfterOpenTimeMs: { [seriesId(BTC)]: T0 + 10 * HOUR } });
    await flush();
    expect(h.fake.fetchCalls).toEqual([]); // 11 is still forming: nothing to backfill yet
    await vi.advanceTimersByTimeAsync(HOUR + 40 * MIN);
    // Updates for 11 and 12 never arrived; the next resolve holds 13 only.
    h.fake.push(formingOf(ROWS[13]!, 0.2));
    await flush();
    expect(h.got.map(index)).toEqual([11, 12]);
    expect(h.fake.fetchCalls[0]?.since).toBe(T0 + 11 * HOUR);
    await h.live(T0 + 14 * HOUR + 10 * MIN);
    expect(h.got.map((c) => c.candle)).toEqual([11, 12, 13].map(candleOf));
    await h.source.close();
    await h.done;
  });

  it('rejects malformed live rows with a log line and keeps going', async () => {
    const h = harness(T0 + 10 * HOUR + 30 * MIN, { resumeAfterOpenTimeMs: { [seriesId(BTC)]: T0 + 9 * HOUR } });
    h.fake.push([T0 + 10 * HOUR, 61000, 60000, 61500, 61200, 10] /* high < low */);
    await flush();
    expect(h.source.stats.rejectedRows).toBe(1);
    const line = h.log.records.find((r) => r.msg === 'OHLCV row rejected');
    expect(line).toMatchObject({ level: 'warn', obj: { series: seriesId(BTC) } });
    await h.live(T0 + 11 * HOUR + 1 * MIN);
    expect(h.got.map(index)).toEqual([10]);
    await h.source.close();
    await h.done;
  });

  it('stops with the error on a non-retryable failure', async () => {
    const h = harness(T0 + 10 * HOUR + 30 * MIN);
    await flush();
    h.fake.drop(ccxtError('BadSymbol', 'binance does not have market symbol BTC/USDX'));
    await flush();
    await h.done;
    expect((h.failure() as Error).name).toBe('BadSymbol');
    expect(h.fake.closeCalls).toBe(1);
    expect(h.log.records.some((r) => r.level === 'error' && r.obj.errorName === 'BadSymbol')).toBe(true);
  });

  it('close() ends the iterable and leaves no timers or pending work behind', async () => {
    const h = harness(T0 + 10 * HOUR + 30 * MIN, { seedCount: 2 });
    await h.live(T0 + 10 * HOUR + 35 * MIN);
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    await h.source.close();
    await h.done;
    expect(vi.getTimerCount()).toBe(0);
    expect(h.fake.closeCalls).toBe(1);
    expect(h.got.map(index)).toEqual([8, 9]);
    await h.source.close(); // idempotent
  });

  it('runs one watch loop per series', async () => {
    const eth: SeriesKey = { exchange: 'binance', symbol: 'ETH/USDT', timeframe: '1h' };
    const h = harness(T0 + 10 * HOUR + 30 * MIN, { series: [BTC, eth], seedCount: 1 });
    await flush();
    expect(h.fake.watchCalls).toBe(2);
    expect(h.got.map((c) => `${c.series.symbol}@${index(c)}`).sort()).toEqual(['BTC/USDT@9', 'ETH/USDT@9']);
    await h.source.close();
    await h.done;
  });
});
