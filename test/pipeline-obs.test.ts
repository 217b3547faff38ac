import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { timeframeMs } from '../src/core/index.js';
import { seriesHealth, startHealthServer } from '../src/obs/health-server.js';
import { createMetrics } from '../src/obs/metrics.js';
import { startPipeline, type PipelineMetrics } from '../src/pipeline/index.js';
import { closed, deleteKeys, recorder, REDIS_URL, series, uniquePrefix, waitFor } from './pipeline-helpers.js';

const BTC = series('BTC/USDT');
const admin = new Redis(REDIS_URL);
const prefix = uniquePrefix('obs');
afterAll(async () => {
  await deleteKeys(admin, prefix);
  await admin.quit();
});

describe('pipeline + metrics + health server, wired as src/app would', () => {
  it('counts candles, intents and latency, and reports series freshness from the pipeline', async () => {
    const metrics = createMetrics();
    const port: PipelineMetrics = metrics; // structural: src/pipeline needs no import of src/obs
    const rec = recorder();
    const pipeline = await startPipeline({
      redisUrl: REDIS_URL,
      roles: ['ingest', 'signal', 'trader'],
      settings: { prefix, instanceName: prefix },
      signalStep: rec.signalStep('s'),
      traderStep: rec.traderStep,
      metrics: port,
    });
    const startedAtMs = Date.now();
    let nowMs = closed(BTC, 3).candle.openTimeMs + 2 * timeframeMs('1h');
    const server = await startHealthServer({
      port: 0,
      metrics,
      healthProbe: async () => {
        const h = await pipeline.health([BTC]);
        return {
          mode: 'paper',
          redis: { reachable: h.redisReachable },
          queues: h.queues,
          risk: { state: 'normal', halted: false },
          series: h.series.map((s) =>
            seriesHealth({
              id: s.id,
              timeframeMs: timeframeMs('1h'),
              lastClosedOpenTimeMs: s.lastProcessedOpenTimeMs,
              nowMs,
              startedAtMs,
              staleAfterCandles: 2,
            }),
          ),
        };
      },
    });
    try {
      for (let i = 0; i < 4; i++) await pipeline.publishCandle(closed(BTC, i));
      await waitFor(() => rec.traderCalls.length >= 4, 'four trader calls');
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toContain('wick_candles_received_total{series="binance.BTC-USDT.1h"} 4');
      expect(text).toContain('wick_candles_processed_total{series="binance.BTC-USDT.1h"} 4');
      expect(text).toMatch(/wick_pipeline_latency_seconds_count\{stage="ingest_to_trader"\} 4/);
      expect(text).toMatch(/wick_queue_wait_seconds_count\{queue="candles"\} [1-4]/);
      expect(text).toMatch(/wick_intents_total\{action="(long|flat)"\}/);
      const fresh = await fetch(`${server.url}/health`);
      expect(fresh.status).toBe(200);
      expect(await fresh.json()).toMatchObject({ status: 'ok', series: [{ lastClosedOpenTimeMs: closed(BTC, 3).candle.openTimeMs, stale: false }] });
      nowMs += 5 * timeframeMs('1h');
      expect((await fetch(`${server.url}/health`)).status).toBe(503);
    } finally {
      await server.close();
      await pipeline.stop();
    }
  });
});
