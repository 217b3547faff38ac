import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { seriesId } from '../src/core/index.js';
import { CANDLES_QUEUE, INTENTS_QUEUE } from '../src/pipeline/index.js';
import { bySeries, closed, pipelineHarness, memoryLogger, recorder, REDIS_URL, series, uniquePrefix, waitFor } from './pipeline-helpers.js';

const BTC = series('BTC/USDT');
const ETH = series('ETH/USDT');
const SOL = series('SOL/USDT');

const harness = pipelineHarness();
const { start, prefixes } = harness;

function newPrefix(name: string): string {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  return prefix;
}

/** Each series' calls are exactly `expected` open-time indexes, in order, once each. */
function expectInOrderOnce(calls: readonly { series: string; openTimeMs: number }[], expected: Map<string, number[]>): void {
  const got = bySeries(calls);
  for (const [id, times] of expected) expect(got.get(id), id).toEqual(times);
  expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
}

function times(s: ReturnType<typeof series>, from: number, to: number): [string, number[]] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(closed(s, i).candle.openTimeMs);
  return [seriesId(s), out];
}

describe('pipeline end to end (real Redis, stub steps)', () => {
  it('keeps per-series order with two signal workers and interleaved series, through both queues', async () => {
    const prefix = newPrefix('order');
    const rec = recorder();
    // Slow, jittery signal steps make the two workers (and 4 slots each) overlap on the same series.
    const jitter = async (): Promise<void> => {
      if (Math.random() < 0.3) await new Promise((r) => setTimeout(r, Math.random() * 3));
    };
    const ingest = await start({ roles: ['ingest', 'trader'], settings: { prefix, instanceName: `${prefix}-a` }, traderStep: rec.traderStep });
    await start({
      roles: ['signal'],
      settings: { prefix, signalConcurrency: 4, readAhead: 3, instanceName: `${prefix}-s1` },
      signalStep: rec.signalStep('s1', jitter),
    });
    await start({
      roles: ['signal'],
      settings: { prefix, signalConcurrency: 4, readAhead: 3, instanceName: `${prefix}-s2` },
      signalStep: rec.signalStep('s2', jitter),
    });

    const N = 60;
    for (let i = 0; i < N; i++) {
      // Interleaved, one at a time like a live feed, sometimes two ticks together.
      await Promise.all([ingest.publishCandle(closed(BTC, i)), ingest.publishCandle(closed(ETH, i)), ingest.publishCandle(closed(SOL, i))]);
    }
    await waitFor(() => rec.traderCalls.length >= 3 * N, `${3 * N} trader calls`);
    const expected = new Map([times(BTC, 0, N - 1), times(ETH, 0, N - 1), times(SOL, 0, N - 1)]);
    expectInOrderOnce(rec.signalCalls, expected);
    expectInOrderOnce(rec.traderCalls, expected);
    // Each call saw its predecessor as the previous processed candle, whichever worker ran it.
    for (const [id, list] of bySeries(rec.signalCalls)) {
      const previous = rec.signalCalls.filter((c) => c.series === id).map((c) => c.previous);
      expect(previous).toEqual([null, ...list.slice(0, -1)]);
    }
    expect(new Set(rec.signalCalls.map((c) => c.worker)).size).toBe(2);
    expect(await ingest.lastProcessedOpenTime(BTC)).toBe(closed(BTC, N - 1).candle.openTimeMs);
  });

  it('replays a bulk publish (multi-candle jobs) in order with two signal workers', async () => {
    const prefix = newPrefix('bulk');
    const rec = recorder();
    const ingest = await start({
      roles: ['ingest', 'trader'],
      settings: { prefix, maxCandlesPerJob: 50, instanceName: `${prefix}-a` },
      traderStep: rec.traderStep,
    });
    await start({ roles: ['signal'], settings: { prefix, readAhead: 64, instanceName: `${prefix}-s1` }, signalStep: rec.signalStep('s1') });
    await start({ roles: ['signal'], settings: { prefix, readAhead: 64, instanceName: `${prefix}-s2` }, signalStep: rec.signalStep('s2') });
    const N = 1_000;
    const all = [];
    for (let i = 0; i < N; i++) all.push(closed(BTC, i), closed(ETH, i));
    for (let k = 0; k < all.length; k += 250) await ingest.publishCandles(all.slice(k, k + 250));
    await waitFor(() => rec.traderCalls.length >= 2 * N, `${2 * N} trader calls`);
    const expected = new Map([times(BTC, 0, N - 1), times(ETH, 0, N - 1)]);
    expectInOrderOnce(rec.signalCalls, expected);
    expectInOrderOnce(rec.traderCalls, expected);
  });

  it('drops a duplicate candle, skips a late older one, and fills a gap from the candle store', async () => {
    const prefix = newPrefix('dedup');
    const rec = recorder();
    const log = memoryLogger();
    const p = await start({
      roles: ['ingest', 'signal', 'trader'],
      settings: { prefix, instanceName: prefix },
      signalStep: rec.signalStep('s'),
      traderStep: rec.traderStep,
      logger: log,
    });
    await p.publishCandle(closed(BTC, 0));
    await p.publishCandle(closed(BTC, 0)); // same job id while waiting or retained: dropped by bullmq
    await p.publishCandle(closed(BTC, 1));
    await waitFor(() => rec.traderCalls.length >= 2, 'two trader calls');

    // Gap: candle 2 reaches the store (e.g. by backfill) without a job; candle 3's job processes 2 first.
    await p.store.append(BTC, closed(BTC, 2).candle);
    await p.publishCandle(closed(BTC, 3));
    await waitFor(() => rec.traderCalls.length >= 4, 'four trader calls');

    // Re-delivery after retention (a job id bullmq no longer knows) and a late older candle: both skipped.
    const queue = new Queue(CANDLES_QUEUE, { connection: { url: REDIS_URL }, prefix });
    queue.on('error', () => undefined);
    const c1 = closed(BTC, 1);
    await queue.add('candles', { v: 1, series: BTC, candles: [c1.candle], ingestedAtMs: Date.now() }, { jobId: 'redelivered-1' });
    await p.publishCandle({ series: BTC, candle: { ...closed(BTC, 0).candle, openTimeMs: closed(BTC, 0).candle.openTimeMs - 3_600_000 } });
    await p.publishCandle(closed(BTC, 4));
    await waitFor(() => rec.traderCalls.length >= 5, 'five trader calls');
    await waitFor(async () => (await queue.getJobState('redelivered-1')) === 'completed', 'redelivered job completed');
    await queue.close();

    const expected = new Map([times(BTC, 0, 4)]);
    expectInOrderOnce(rec.signalCalls, expected);
    expectInOrderOnce(rec.traderCalls, expected);
    expect(log.lines.some((l) => l.level === 'warn' && /late candles stored but skipped/.test(l.msg))).toBe(true);
    expect(log.lines.some((l) => l.level === 'debug' && /already processed; job skipped/.test(l.msg))).toBe(true);
  });

  it('fails a malformed job with a log line and keeps going', async () => {
    const prefix = newPrefix('malformed');
    const rec = recorder();
    const log = memoryLogger();
    const p = await start({
      roles: ['ingest', 'signal', 'trader'],
      settings: { prefix, instanceName: prefix },
      signalStep: rec.signalStep('s'),
      traderStep: rec.traderStep,
      logger: log,
    });
    const candles = new Queue(CANDLES_QUEUE, { connection: { url: REDIS_URL }, prefix });
    const intents = new Queue(INTENTS_QUEUE, { connection: { url: REDIS_URL }, prefix });
    candles.on('error', () => undefined);
    intents.on('error', () => undefined);
    await candles.add('candles', { v: 1, series: BTC, candles: [{ openTimeMs: 'soon', close: Number.NaN }] }, { jobId: 'bad-candle' });
    await intents.add('intents', { v: 2, series: BTC, decisions: [] }, { jobId: 'bad-intent' });
    await p.publishCandle(closed(BTC, 0));
    await waitFor(() => rec.traderCalls.length >= 1, 'good candle traded');
    await waitFor(
      async () => (await candles.getJobState('bad-candle')) === 'failed' && (await intents.getJobState('bad-intent')) === 'failed',
      'bad jobs failed',
    );
    const bad = await candles.getJob('bad-candle');
    expect(bad?.attemptsMade).toBe(1); // unrecoverable: not retried
    expect(log.lines.filter((l) => l.level === 'error' && /malformed (candle|decision) job rejected/.test(l.msg))).toHaveLength(2);
    await candles.close();
    await intents.close();
  });

  it("executes a candle's decision once even when it comes back in another job", async () => {
    const prefix = newPrefix('intent-dedup');
    const rec = recorder();
    await start({ roles: ['trader'], settings: { prefix, instanceName: prefix }, traderStep: rec.traderStep });
    const intents = new Queue(INTENTS_QUEUE, { connection: { url: REDIS_URL }, prefix });
    intents.on('error', () => undefined);
    const intent = (i: number) => ({
      intentId: `btc-${i}`,
      series: BTC,
      candleOpenTimeMs: closed(BTC, i).candle.openTimeMs,
      referencePriceQuote: 100,
      targetFraction: 0.5,
      reason: 't',
      signal: 0.01,
    });
    const decision = (i: number) => ({ candle: closed(BTC, i).candle, intent: intent(i), ingestedAtMs: Date.now() });
    await intents.add('intents', { v: 2, series: BTC, decisions: [decision(1)] }, { jobId: 'a' });
    await intents.add('intents', { v: 2, series: BTC, decisions: [decision(1), decision(2)] }, { jobId: 'b' });
    await intents.add('intents', { v: 2, series: BTC, decisions: [decision(0)] }, { jobId: 'c' }); // stale
    await waitFor(async () => (await intents.getJobState('c')) === 'completed', 'all intent jobs done');
    expect(rec.traderCalls.map((c) => c.intentId)).toEqual(['btc-1', 'btc-2']);
    await intents.close();
  });

  it('retries a failing signal step without losing or reordering candles', async () => {
    const prefix = newPrefix('retry');
    const rec = recorder();
    let failures = 0;
    const flaky = async (c: { candle: { openTimeMs: number } }): Promise<void> => {
      if (c.candle.openTimeMs === closed(BTC, 2).candle.openTimeMs && failures < 2) {
        failures++;
        throw new Error('model hiccup');
      }
    };
    const p = await start({
      roles: ['ingest', 'signal', 'trader'],
      settings: { prefix, instanceName: prefix, backoffMs: 20 },
      signalStep: rec.signalStep('s', flaky),
      traderStep: rec.traderStep,
    });
    for (let i = 0; i < 6; i++) await p.publishCandle(closed(BTC, i));
    await waitFor(() => rec.traderCalls.length >= 6, 'six trader calls');
    expect(failures).toBe(2);
    expectInOrderOnce(rec.signalCalls, new Map([times(BTC, 0, 5)]));
    expectInOrderOnce(rec.traderCalls, new Map([times(BTC, 0, 5)]));
  });
});
