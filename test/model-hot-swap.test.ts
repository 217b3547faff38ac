import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/app/config/load-config.js';
import { loadSignalModels, type SignalModels } from '../src/app/daemon/signal-models.js';
import { createSignalStep } from '../src/app/daemon/signal-step.js';
import { seriesId, silentLogger, type Candle, type SeriesKey } from '../src/core/index.js';
import { readCandles } from '../src/market/candle-csv.js';
import { SAMPLE_DATA_DIR } from '../src/market/candle-csv-shared-data.js';
import { loadingVerifier, ModelRegistry } from '../src/model/registry.js';
import { ModelSwitchBoard, type TraderStep } from '../src/pipeline/index.js';
import { memoryLogger, pipelineHarness, REDIS_URL, uniquePrefix, waitFor } from './pipeline-helpers.js';
import { randomModelFolder } from './support/random-model.js';

const BTC: SeriesKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const ETH: SeriesKey = { exchange: 'binance', symbol: 'ETH/USDT', timeframe: '1h' };
const N = 240;
const harness = pipelineHarness();

let root: string;
let folders: string[];
let candles: Map<string, Candle[]>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'wick-hot-swap-'));
  folders = await Promise.all([11, 12].map((seed) => randomModelFolder({ seed })));
  candles = new Map([
    [seriesId(BTC), (await readCandles(join(SAMPLE_DATA_DIR, 'BTC_USDT-1h.csv'))).slice(0, N)],
    [seriesId(ETH), (await readCandles(join(SAMPLE_DATA_DIR, 'ETH_USDT-1h.csv'))).slice(0, N)],
  ]);
});
afterAll(async () => {
  for (const d of [root, ...folders]) await rm(d, { recursive: true, force: true });
});

describe('hot swap through Redis', () => {
  it('two signal processes switch to a promoted model at the same candle, mid-run, with no candle lost or decided twice', async () => {
    const prefix = uniquePrefix('hotswap');
    harness.prefixes.push(prefix);
    const registry = new ModelRegistry(join(root, 'registry'), { nowMs: () => Date.now(), verify: loadingVerifier(silentLogger) });
    const a = await registry.add(folders[0]!, { parent: null, source: 'train', by: 'test' });
    const b = await registry.add(folders[1]!, { parent: a.id, source: 'trainer', by: 'test' });
    await registry.promote(a.id, 'test', 'start');

    const config = loadConfig({ WICK_MODEL_REGISTRY: registry.root, WICK_REDIS_URL: REDIS_URL, WICK_SYMBOLS: 'BTC/USDT,ETH/USDT' });
    const decisions: { process: string; series: string; t: number; modelId: string }[] = [];
    const traded: { series: string; t: number; modelId: string | null }[] = [];
    const logs = memoryLogger();
    const processes: SignalModels[] = [];
    const startProcess = async (name: string, roles: ('ingest' | 'signal' | 'trader')[]) => {
      const models = await loadSignalModels({
        config,
        cwd: root,
        series: [BTC, ETH],
        prefix,
        settings: { instanceName: name },
        logger: logs,
        notifier: null,
        watchEveryMs: 0,
      });
      processes.push(models);
      const signalStep = createSignalStep({
        models: models.source,
        logger: logs.child({ process: name }),
        onDecision: (p) => decisions.push({ process: name, series: seriesId(p.series), t: p.candleOpenTimeMs, modelId: p.modelId }),
      });
      const traderStep: TraderStep = async ({ candle, intent }) => {
        traded.push({ series: seriesId(candle.series), t: candle.candle.openTimeMs, modelId: intent?.modelId ?? null });
      };
      return harness.start({
        roles,
        settings: { prefix, instanceName: name, signalConcurrency: 2, readAhead: 8, maxCandlesPerJob: 4 },
        signalStep,
        ...(roles.includes('trader') ? { traderStep } : {}),
        logger: silentLogger,
      });
    };
    try {
      const p1 = await startProcess('p1', ['ingest', 'signal', 'trader']);
      await startProcess('p2', ['signal']);

      // Publish everything; promote while candles are in flight.
      const publishing = (async () => {
        for (let i = 0; i < N; i++) for (const s of [BTC, ETH]) await p1.publishCandle({ series: s, candle: candles.get(seriesId(s))![i]! });
      })();
      await waitFor(() => traded.length >= 2 * 120, 'half the candles traded', 60_000);
      await registry.promote(b.id, 'test', 'challenger won');
      // Either process may notice the promotion; the second finds it scheduled already.
      await Promise.all(processes.map((m) => m.checkChampion()));
      await publishing;
      await waitFor(() => traded.length >= 2 * N, 'every candle traded', 60_000);

      const schedule = await new ModelSwitchBoard(harness.admin, prefix, { lockTtlMs: 1000, waitMs: 1000, nowMs: () => 0 }).read();
      expect(schedule.map((s) => s.id)).toEqual([a.id, b.id]);
      const switchAt = schedule[1]!.fromMs;
      const times = candles.get(seriesId(BTC))!.map((c) => c.openTimeMs);
      const switchIndex = times.indexOf(switchAt);
      expect(switchIndex).toBeGreaterThan(60); // after the features warmed up and decisions began
      expect(switchIndex).toBeLessThan(N); // mid-run

      for (const s of [BTC, ETH]) {
        const id = seriesId(s);
        // The trader saw every candle once, in order: none lost, none doubled.
        expect(traded.filter((x) => x.series === id).map((x) => x.t)).toEqual(candles.get(id)!.map((c) => c.openTimeMs));
        // Every candle with a prediction was decided once, by the model in force at its time.
        const mine = decisions.filter((d) => d.series === id);
        expect(new Set(mine.map((d) => d.t)).size).toBe(mine.length);
        expect(mine.length).toBeGreaterThan(N - 80);
        expect(mine.at(-1)!.t).toBe(times.at(-1));
        for (const d of mine) expect(d.modelId, `${id} @ ${d.t}`).toBe(d.t < switchAt ? a.id : b.id);
        // Intents carry the model id to the trader.
        for (const x of traded.filter((y) => y.series === id && y.modelId !== null)) expect(x.modelId).toBe(x.t < switchAt ? a.id : b.id);
      }
      // Both processes decided candles (the swap is shared, not one process's view).
      expect(new Set(decisions.map((d) => d.process))).toEqual(new Set(['p1', 'p2']));
      expect(logs.lines.some((l) => l.msg === 'switching model at this candle' && l.obj['to'] === b.id)).toBe(true);
    } finally {
      for (const m of processes) await m.close();
    }
  });
});
