import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { seriesId, type ClosedCandle } from '../src/core/index.js';
import { CANDLES_QUEUE, startPipeline } from '../src/pipeline/index.js';
import { bySeries, closed, pipelineHarness, recorder, REDIS_URL, series, uniquePrefix, waitFor } from './pipeline-helpers.js';

const BTC = series('BTC/USDT');
const ETH = series('ETH/USDT');

const harness = pipelineHarness();
const { start, prefixes } = harness;

function openTimes(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(closed(BTC, i).candle.openTimeMs);
  return out;
}

/** Connection ids of one pipeline instance (its connections are named `${instanceName}.${role}`). */
async function clientIds(instanceName: string): Promise<string[]> {
  const list = String(await harness.admin.call('CLIENT', 'LIST', 'TYPE', 'normal'));
  return list
    .split('\n')
    .filter((line) => line.includes(` name=${instanceName}.`))
    .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
}

const fast = { lockDurationMs: 600, stalledIntervalMs: 300, lockTtlMs: 600, backoffMs: 20 };

describe('pipeline under faults (real Redis)', () => {
  it('a signal worker killed mid-job: another takes over after the locks expire; nothing lost, nothing doubled', async () => {
    const prefix = uniquePrefix('kill');
    prefixes.push(prefix);
    const rec = recorder();
    const ingest = await start({ roles: ['ingest', 'trader'], settings: { prefix, instanceName: `${prefix}-a`, ...fast }, traderStep: rec.traderStep });

    let hung = false;
    const hang = (c: ClosedCandle): Promise<void> => {
      if (c.candle.openTimeMs !== closed(BTC, 3).candle.openTimeMs) return Promise.resolve();
      hung = true;
      return new Promise<void>(() => undefined); // the process "dies" inside the step
    };
    const doomed = await startPipeline({
      redisUrl: REDIS_URL,
      roles: ['signal'],
      // readAhead 1 commits after every candle, which makes the hand-over point exact for the assertion;
      // with larger batches the survivor re-runs the uncommitted part of the batch (at least once at the
      // signal step) while the trader still sees each intent once.
      settings: { prefix, instanceName: `${prefix}-doomed`, readAhead: 1, ...fast },
      signalStep: rec.signalStep('doomed', hang),
    });
    for (let i = 0; i < 8; i++) await ingest.publishCandle(closed(BTC, i));
    await waitFor(() => hung, 'worker stuck in candle 3');
    await doomed.kill(); // no lock renewal, no commit: the job stalls, the series lock expires

    const survivor = await start({
      roles: ['signal'],
      settings: { prefix, instanceName: `${prefix}-survivor`, ...fast },
      signalStep: rec.signalStep('survivor'),
    });
    await waitFor(() => rec.traderCalls.length >= 8, 'eight trader calls');
    const queue = new Queue(CANDLES_QUEUE, { connection: { url: REDIS_URL }, prefix });
    queue.on('error', () => undefined);
    await waitFor(async () => (await queue.getJobCountByTypes('wait', 'active', 'delayed')) === 0, 'candles queue drained');
    await queue.close();

    expect(bySeries(rec.traderCalls).get(seriesId(BTC))).toEqual(openTimes(0, 7));
    const doomedDone = rec.signalCalls.filter((c) => c.worker === 'doomed').map((c) => c.openTimeMs);
    const survivorDone = rec.signalCalls.filter((c) => c.worker === 'survivor').map((c) => c.openTimeMs);
    expect(doomedDone).toEqual(openTimes(0, 2)); // candle 3 never returned from the dead worker
    expect(survivorDone).toEqual(openTimes(3, 7));
    expect(survivor.roles).toEqual(['signal']);
  });

  it('a worker killed in the middle of a read-ahead batch: the batch re-runs elsewhere, the trader still sees each candle once', async () => {
    const prefix = uniquePrefix('kill-batch');
    prefixes.push(prefix);
    const rec = recorder();
    const ingest = await start({ roles: ['ingest', 'trader'], settings: { prefix, instanceName: `${prefix}-a`, ...fast }, traderStep: rec.traderStep });
    let hung = false;
    const hang = (c: ClosedCandle): Promise<void> => {
      if (c.candle.openTimeMs !== closed(BTC, 5).candle.openTimeMs) return Promise.resolve();
      hung = true;
      return new Promise<void>(() => undefined);
    };
    const doomed = await startPipeline({
      redisUrl: REDIS_URL,
      roles: ['signal'],
      settings: { prefix, instanceName: `${prefix}-doomed`, ...fast },
      signalStep: rec.signalStep('doomed', hang),
    });
    await ingest.publishCandles([0, 1, 2, 3, 4, 5, 6, 7].map((i) => closed(BTC, i))); // one job, one batch
    await waitFor(() => hung, 'worker stuck in candle 5');
    await doomed.kill();
    await start({ roles: ['signal'], settings: { prefix, instanceName: `${prefix}-survivor`, ...fast }, signalStep: rec.signalStep('survivor') });
    await waitFor(() => rec.traderCalls.length >= 8, 'eight trader calls');
    expect(bySeries(rec.traderCalls).get(seriesId(BTC))).toEqual(openTimes(0, 7));
    expect(rec.signalCalls.filter((c) => c.worker === 'doomed').map((c) => c.openTimeMs)).toEqual(openTimes(0, 4));
    // Nothing of the batch was committed: the survivor re-runs it from the start (at least once).
    expect(rec.signalCalls.filter((c) => c.worker === 'survivor').map((c) => c.openTimeMs)).toEqual(openTimes(0, 7));
  });

  it('connections cut by Redis (CLIENT KILL): the pipeline reconnects and resumes; the ingest buffers meanwhile', async () => {
    const prefix = uniquePrefix('drop');
    prefixes.push(prefix);
    const rec = recorder();
    const instanceName = `${prefix}-all`;
    const p = await start({
      roles: ['ingest', 'signal', 'trader'],
      settings: { prefix, instanceName, ...fast },
      signalStep: rec.signalStep('s'),
      traderStep: rec.traderStep,
    });
    for (let i = 0; i < 5; i++) await p.publishCandle(closed(BTC, i));
    await waitFor(() => rec.traderCalls.length >= 5, 'five trader calls');

    const ids = await clientIds(instanceName);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    for (const id of ids) await harness.admin.client('KILL', 'ID', id);
    // Published while the connections are down or reconnecting: 'buffered' or 'published', never lost.
    const results = [];
    for (let i = 5; i < 10; i++) results.push(await p.publishCandle(closed(BTC, i)), await p.publishCandle(closed(ETH, i)));
    expect(results.every((r) => r === 'published' || r === 'buffered')).toBe(true);
    await waitFor(() => rec.traderCalls.length >= 15, 'fifteen trader calls', 20_000);
    expect(bySeries(rec.traderCalls).get(seriesId(BTC))).toEqual(openTimes(0, 9));
    expect(bySeries(rec.traderCalls).get(seriesId(ETH))).toEqual(openTimes(5, 9).map((t) => t));
    const health = await p.health([BTC, ETH]);
    expect(health.redisReachable).toBe(true);
    expect(health.series.map((s) => s.lastProcessedOpenTimeMs)).toEqual([closed(BTC, 9).candle.openTimeMs, closed(ETH, 9).candle.openTimeMs]);
  });

  it('a second trader process stands by: one writer at a time, the standby takes over when the first stops', async () => {
    const prefix = uniquePrefix('standby');
    prefixes.push(prefix);
    const first = recorder();
    const second = recorder();
    const signal = recorder();
    const ingest = await start({ roles: ['ingest', 'signal'], settings: { prefix, instanceName: `${prefix}-a`, ...fast }, signalStep: signal.signalStep('s') });
    const trader1 = await startPipeline({
      redisUrl: REDIS_URL,
      roles: ['trader'],
      settings: { prefix, instanceName: `${prefix}-t1`, ...fast },
      traderStep: first.traderStep,
    });
    await waitFor(async () => (await harness.admin.exists(`${prefix}:pipeline:trader:lock`)) === 1, 'first trader holds the lease');
    const trader2 = await start({ roles: ['trader'], settings: { prefix, instanceName: `${prefix}-t2`, ...fast }, traderStep: second.traderStep });
    for (let i = 0; i < 5; i++) await ingest.publishCandle(closed(BTC, i));
    await waitFor(() => first.traderCalls.length >= 5, 'first trader executes');
    expect(second.traderCalls).toEqual([]);
    await trader1.stop(); // releases the lease
    for (let i = 5; i < 10; i++) await ingest.publishCandle(closed(BTC, i));
    await waitFor(() => second.traderCalls.length >= 5, 'standby executes');
    expect(first.traderCalls.map((c) => c.openTimeMs)).toEqual(openTimes(0, 4));
    expect(second.traderCalls.map((c) => c.openTimeMs)).toEqual(openTimes(5, 9));
    expect(trader2.roles).toEqual(['trader']);
  });

  it('stop() waits for the job in flight and closes everything', async () => {
    const prefix = uniquePrefix('stop');
    prefixes.push(prefix);
    const rec = recorder();
    let release: () => void = () => undefined;
    let entered = false;
    const slow = (): Promise<void> => {
      entered = true;
      return new Promise<void>((r) => (release = r));
    };
    const p = await startPipeline({
      redisUrl: REDIS_URL,
      roles: ['ingest', 'signal', 'trader'],
      settings: { prefix, instanceName: `${prefix}-x` },
      signalStep: rec.signalStep('s', slow),
      traderStep: rec.traderStep,
    });
    await p.publishCandle(closed(BTC, 0));
    await waitFor(() => entered, 'step entered');
    const stopping = p.stop();
    setImmediate(() => release());
    await stopping;
    expect(rec.signalCalls).toHaveLength(1);
    expect(await harness.admin.get(`${prefix}:pipeline:last:${seriesId(BTC)}`)).toBe(String(closed(BTC, 0).candle.openTimeMs));
    expect(await clientIds(`${prefix}-x`)).toEqual([]);
  });
});
