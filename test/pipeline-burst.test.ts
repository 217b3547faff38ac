import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { seriesId } from '../src/core/index.js';
import { anyDecisionJobSchema, decisionBatchJobSchema, INTENTS_QUEUE } from '../src/pipeline/index.js';
import { bySeries, closed, pipelineHarness, recorder, REDIS_URL, series, uniquePrefix, waitFor } from './pipeline-helpers.js';

const harness = pipelineHarness();
const { start, prefixes } = harness;

function newPrefix(name: string): string {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  return prefix;
}

describe('many markets closing at one boundary (real Redis)', () => {
  it('sends the decisions of series finished together as batch jobs, every series in order, each decision once', async () => {
    const prefix = newPrefix('burst');
    const rec = recorder();
    const markets = Array.from({ length: 60 }, (_, s) => series(`M${s}/USDT`));
    const pipeline = await start({
      roles: ['ingest', 'signal', 'trader'],
      settings: { prefix, instanceName: prefix, signalConcurrency: 32 },
      signalStep: rec.signalStep('w'),
      traderStep: rec.traderStep,
    });
    const boundaries = 3;
    for (let i = 0; i < boundaries; i++) await Promise.all(markets.map((m) => pipeline.publishCandle(closed(m, i))));
    await waitFor(() => rec.traderCalls.length >= markets.length * boundaries, 'every decision at the trader', 30_000);
    const got = bySeries(rec.traderCalls);
    for (const m of markets) expect(got.get(seriesId(m))).toEqual([0, 1, 2].map((i) => closed(m, i).candle.openTimeMs));
    expect(rec.traderCalls.length).toBe(markets.length * boundaries);

    const intents = new Queue(INTENTS_QUEUE, { connection: { url: REDIS_URL }, prefix });
    intents.on('error', () => undefined);
    const done = await intents.getCompleted(0, -1);
    await intents.close();
    // Fewer jobs than series-candles: passes that finished together shared a job.
    expect(done.length).toBeLessThan(markets.length * boundaries);
    const batches = done.filter((j) => decisionBatchJobSchema.safeParse(j.data).success);
    expect(batches.length).toBeGreaterThan(0);
    for (const j of done) expect(anyDecisionJobSchema.safeParse(j.data).success).toBe(true);
  });

  it('runs a batch job group by group and skips what another job already executed', async () => {
    const prefix = newPrefix('burst-dedup');
    const rec = recorder();
    await start({ roles: ['trader'], settings: { prefix, instanceName: prefix }, traderStep: rec.traderStep });
    const intents = new Queue(INTENTS_QUEUE, { connection: { url: REDIS_URL }, prefix });
    intents.on('error', () => undefined);
    const [a, b] = [series('A/USDT'), series('B/USDT')];
    const decision = (s: typeof a, i: number) => ({
      candle: closed(s, i).candle,
      intent: {
        intentId: `${s.symbol}-${i}`,
        series: s,
        candleOpenTimeMs: closed(s, i).candle.openTimeMs,
        referencePriceQuote: 100,
        targetFraction: 0.5,
        reason: 't',
        signal: 0.01,
      },
      ingestedAtMs: Date.now(),
    });
    await intents.add('intents', { v: 2, series: a, decisions: [decision(a, 1)] }, { jobId: 'one' });
    await intents.add(
      'intents',
      {
        v: 3,
        groups: [
          { series: a, decisions: [decision(a, 1), decision(a, 2)] },
          { series: b, decisions: [decision(b, 1)] },
        ],
      },
      { jobId: 'batch' },
    );
    await waitFor(async () => (await intents.getJobState('batch')) === 'completed', 'batch job done');
    expect(rec.traderCalls.map((c) => c.intentId)).toEqual(['A/USDT-1', 'A/USDT-2', 'B/USDT-1']);
    await intents.close();
  });

  it('rejects a batch job of fewer than two groups or with a malformed group', () => {
    const group = { series: series('A/USDT'), decisions: [{ candle: closed(series('A/USDT'), 1).candle, intent: null, ingestedAtMs: 1 }] };
    expect(decisionBatchJobSchema.safeParse({ v: 3, groups: [group] }).success).toBe(false);
    expect(decisionBatchJobSchema.safeParse({ v: 3, groups: [group, { ...group, decisions: [] }] }).success).toBe(false);
    expect(decisionBatchJobSchema.safeParse({ v: 3, groups: [group, group] }).success).toBe(true);
  });
});
