/**
 * A thousand markets at one boundary (`npm run bench -- burst`): 1,000 series of 1m candles whose
 * candles close at the same instant, each published on its own as a live feed does, through one
 * process running every role with the REAL signal step (FeatureBuilder, the default model in
 * onnxruntime-node, the policy) and a trader step that only records decisions.
 * `pipeline.burst1000LastDecisionMs`: first publish → the trader holding all 1,000 decisions
 * (median of WICK_BENCH_BURST_ROUNDS boundaries, default 3, after one untimed boundary that
 * rebuilds every window from the candle store); per-series order is checked.
 * WICK_BENCH_BURST_SERIES changes the 1,000.
 */
import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { seriesId, silentLogger, type Candle, type ClosedCandle, type SeriesKey } from '../../core/index.js';
import { FeatureEngine, getSpec } from '../../features/index.js';
import { normalisationOf } from '../../model/manifest.js';
import { BatchingSignalModel } from '../../model/batching-signal-model.js';
import { OnnxSignalModel } from '../../model/onnx-signal-model.js';
import { deleteKeysWithPrefix, PipelineKeys, startPipeline, type TraderStep } from '../../pipeline/index.js';
import { loadConfig } from '../config/load-config.js';
import { createSignalStep } from '../daemon/signal-step.js';
import { policyFor } from '../trading-setup.js';
import { benchModelDir } from './inference.js';

const MINUTE = 60_000;
const BASE_MS = Date.UTC(2024, 0, 1);

function candleAt(i: number, s: number): Candle {
  const close = 100 + 10 * Math.sin(i / 7 + s) + (s % 13);
  return { openTimeMs: BASE_MS + i * MINUTE, open: close - 0.1, high: close + 0.5, low: close - 0.5, close, volume: 10 + ((i * 7 + s) % 5) };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

export async function benchBurst(): Promise<Record<string, number>> {
  const redisUrl = process.env['WICK_REDIS_URL'] ?? process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const nSeries = Number(process.env['WICK_BENCH_BURST_SERIES'] ?? 1_000);
  const rounds = Number(process.env['WICK_BENCH_BURST_ROUNDS'] ?? 3);
  const { dir, scratch } = await benchModelDir();
  const model = await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger });
  const spec = getSpec(model.manifest.featureSpec.name);
  const history = new FeatureEngine(spec, MINUTE).warmup + model.info.windowLength + 8;
  const series = Array.from({ length: nSeries }, (_, s): SeriesKey => ({ exchange: 'bench', symbol: `S${s}/USDT`, timeframe: '1m' }));
  const prefix = `bench-burst-${process.pid}-${Date.now().toString(36)}`;
  let signalDoneAt = 0;
  let firstSignalAt = 0;
  let inferMs = 0;
  const batching = new BatchingSignalModel(model);
  const realStep = createSignalStep({
    onInference: (sec) => (inferMs += sec * 1000),
    model: batching,
    spec,
    normalisation: normalisationOf(model.manifest),
    policy: policyFor(model.info, loadConfig({})),
    logger: silentLogger,
  });
  const signalStep: typeof realStep = async (c, ctx) => {
    if (firstSignalAt === 0) firstSignalAt = performance.now();
    const r = await realStep(c, ctx);
    signalDoneAt = performance.now();
    return r;
  };
  const lastSeen = new Map<string, number>();
  let disorder = 0;
  let decided = 0;
  let boundaryMs = 0;
  const traderStep: TraderStep = async ({ candle }) => {
    const id = seriesId(candle.series);
    if (candle.candle.openTimeMs <= (lastSeen.get(id) ?? -Infinity)) disorder++;
    lastSeen.set(id, candle.candle.openTimeMs);
    if (candle.candle.openTimeMs === boundaryMs) decided++;
  };
  const pipeline = await startPipeline({
    redisUrl,
    roles: ['ingest', 'signal', 'trader'],
    settings: { prefix, instanceName: prefix, signalConcurrency: Number(process.env['WICK_BENCH_BURST_CONCURRENCY'] ?? 64) },
    signalStep,
    traderStep,
  });
  const admin = new Redis(redisUrl);
  try {
    // History straight into the candle store, marked processed: the first boundary then rebuilds each
    // window from the store (untimed), as a restarted signal process would.
    const keys = new PipelineKeys(prefix);
    for (let s = 0; s < nSeries; s += 100) {
      await Promise.all(
        series.slice(s, s + 100).map(async (key, j) => {
          await pipeline.store.append(
            key,
            Array.from({ length: history }, (_, i) => candleAt(i, s + j)),
            0,
          );
          await admin.set(keys.lastProcessed(seriesId(key)), String(candleAt(history - 1, 0).openTimeMs));
        }),
      );
    }
    const times: number[] = [];
    for (let r = 0; r <= rounds; r++) {
      const i = history + r;
      boundaryMs = BASE_MS + i * MINUTE;
      decided = 0;
      const burst: ClosedCandle[] = series.map((key, s) => ({ series: key, candle: candleAt(i, s) }));
      const started = performance.now();
      firstSignalAt = 0;
      inferMs = 0;
      await Promise.all(burst.map((c) => pipeline.publishCandle(c)));
      const publishedAt = performance.now();
      await new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + 120_000;
        const poll = (): void => {
          if (decided >= nSeries) resolve();
          else if (Date.now() > deadline) reject(new Error(`burst: ${decided} of ${nSeries} decisions after 120 s`));
          else setImmediate(poll);
        };
        poll();
      });
      if (r > 0) times.push(performance.now() - started);
      if (process.env['WICK_BENCH_BURST_TRACE'] === '1')
        process.stderr.write(
          `burst ${r}: published ${(publishedAt - started).toFixed(0)} ms, first signal ${(firstSignalAt - started).toFixed(0)}, last signal ${(signalDoneAt - started).toFixed(0)}, trader ${(performance.now() - started).toFixed(0)}, inference ${inferMs.toFixed(0)} ms, ${batching.batches} batches ${batching.windows} windows\n`,
        );
    }
    if (disorder > 0) throw new Error(`burst: ${disorder} decisions out of order`);
    const ms = median(times);
    return {
      'pipeline.burst1000LastDecisionMs': Math.round(ms),
      'pipeline.burstSeries': nSeries,
      // Capacity of one signal process at a boundary: markets ÷ this = seconds to the last decision.
      'pipeline.burstSeriesPerSec': Math.round(nSeries / (ms / 1000)),
      'pipeline.burstWindowsPerInference': Number((batching.windows / Math.max(1, batching.batches)).toFixed(1)),
    };
  } finally {
    await pipeline.stop();
    await deleteKeysWithPrefix(admin, prefix);
    await admin.quit();
    await model.close();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}
