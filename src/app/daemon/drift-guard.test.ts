import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Candle, type OrderIntent, type Prediction, type SeriesKey } from '../../core/index.js';
import { Rng } from '../../core/rng.js';
import { calibrateDrift, windowDriftScore } from '../../features/index.js';
import { readCandles } from '../../market/candle-csv.js';
import { OnnxSignalModel } from '../../model/onnx-signal-model.js';
import type { Policy } from '../../strategy/index.js';
import { importOnnxModel } from '../model-import.js';
import { activeModelOf } from './model-handle.js';
import { createSignalStep, type DriftReading } from './signal-step.js';
import { loadConfig } from '../config/load-config.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
const BTC: SeriesKey = { exchange: 'x', symbol: 'BTC/USDT', timeframe: '1h' };
const HOUR = 3_600_000;

/** Wants a half position on every candle (an entry), or flat (an exit) when `exit` says so. */
function constantPolicy(exit: (t: number) => boolean): Policy {
  return {
    decide: (p: Prediction, price: number): OrderIntent => ({
      intentId: `x-${p.candleOpenTimeMs}`,
      series: p.series,
      candleOpenTimeMs: p.candleOpenTimeMs,
      referencePriceQuote: price,
      targetFraction: exit(p.candleOpenTimeMs) ? 0 : 0.5,
      reason: 'test',
      signal: 0,
    }),
  };
}

/** A crash regime after `last`: hourly moves ten times as large, volume twenty times, drifting down. */
function crash(last: Candle, n: number, seed: number): Candle[] {
  const rng = new Rng(seed);
  const out: Candle[] = [];
  let close = last.close;
  for (let i = 1; i <= n; i++) {
    const open = close;
    close = open * Math.exp(-0.01 + 0.06 * rng.normal());
    const high = Math.max(open, close) * (1 + 0.03 * Math.abs(rng.normal()));
    const low = Math.min(open, close) * (1 - 0.03 * Math.abs(rng.normal()));
    out.push({ openTimeMs: last.openTimeMs + i * HOUR, open, high, low, close, volume: last.volume * 20 * (1 + Math.abs(rng.normal())) });
  }
  return out;
}

let dir: string;
let model: OnnxSignalModel;
let candles: Candle[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wick-drift-'));
  candles = await readCandles(join(fixtures, 'sample', 'BTC_USDT-1h.csv'));
  // Normalisation on the first 1600 candles, drift calibrated on the next ~800; the last 600 stay unseen.
  await importOnnxModel(
    {
      onnxPath: join(fixtures, 'foreign-onnx', 'foreign-lstm.onnx'),
      spec: 'scale-free',
      window: 32,
      horizons: [1, 2, 3],
      target: { kind: 'ratio', scale: 100 },
      series: [{ path: 'BTC_USDT-1h.csv', key: BTC, candles: candles.slice(0, 2400), fileTimeframe: '1h' }],
      timeframe: '1h',
      fromMs: undefined,
      trainToMs: candles[1600]!.openTimeMs,
      inputName: undefined,
      outputName: undefined,
      drift: {},
    },
    dir,
  );
  model = await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger });
});
afterAll(async () => {
  await model.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(data: readonly Candle[], policy: Policy, guard = true): Promise<{ t: number; intent: OrderIntent | null; reading: DriftReading }[]> {
  const active = { ...activeModelOf('m1', model, loadConfig({})), policy };
  const seen: { t: number; intent: OrderIntent | null; reading: DriftReading }[] = [];
  const step = createSignalStep({
    models: { modelFor: () => Promise.resolve(active) },
    logger: silentLogger,
    driftGuard: guard,
    onDecision: (p, intent, reading) => seen.push({ t: p.candleOpenTimeMs, intent, reading }),
  });
  for (let i = 0; i < data.length; i++)
    await step(
      { series: BTC, candle: data[i]! },
      { previousOpenTimeMs: i === 0 ? null : data[i - 1]!.openTimeMs, store: { range: () => Promise.resolve([]) } },
    );
  return seen;
}

describe('drift score and calibration', () => {
  it('scores a window by the root mean square of its z-scores (oracle) and calibrates at the quantile times the margin', () => {
    expect(windowDriftScore([3, 4])).toBeCloseTo(Math.sqrt(12.5), 12);
    expect(windowDriftScore(new Float32Array(64).fill(-2))).toBeCloseTo(2, 6);
    // Windows of size 1 with scores 1..100: the 0.99 quantile is 99.01 by linear interpolation.
    const windows = Float32Array.from({ length: 100 }, (_, i) => i + 1);
    const c = calibrateDrift(
      windows,
      100,
      1,
      new Float32Array(100).map((_, i) => i % 2),
      1,
      { quantile: 0.99, margin: 2 },
    );
    expect(c.threshold).toBeCloseTo(99.01 * 2, 9);
    expect(c.predictionMean[0]).toBeCloseTo(0.5, 12);
    expect(c.predictionStd[0]).toBeCloseTo(0.5, 12);
  });
});

describe('input-drift guard', () => {
  it('lets entries through on unseen in-distribution candles', async () => {
    const seen = await run(
      candles.slice(2000),
      constantPolicy(() => false),
    );
    const live = seen.filter((s) => s.t >= candles[2400]!.openTimeMs);
    expect(live.length).toBeGreaterThan(500);
    const blocked = live.filter((s) => s.reading.blocked).length;
    expect(blocked / live.length).toBeLessThan(0.02);
    expect(live.every((s) => s.reading.threshold === model.manifest.drift?.threshold && s.reading.score !== null)).toBe(true);
  });

  it('withholds entries in a synthetic crash regime, still lets exits through, and allows entries again after it', async () => {
    const shock = crash(candles.at(-1)!, 120, 3);
    const calm = candles.slice(-200).map((c, i) => ({ ...c, openTimeMs: shock.at(-1)!.openTimeMs + (i + 1) * HOUR, open: c.open, close: c.close }));
    const shockFrom = shock[0]!.openTimeMs;
    const shockTo = shock.at(-1)!.openTimeMs;
    const exitAt = shockFrom + 60 * HOUR;
    const seen = await run(
      [...candles.slice(-400), ...shock, ...calm],
      constantPolicy((t) => t === exitAt),
    );
    // Once the window lies wholly in the crash (32 candles in), nearly every entry is withheld.
    const deep = seen.filter((s) => s.t >= shockFrom + 32 * HOUR && s.t <= shockTo && s.t !== exitAt);
    expect(deep.filter((s) => s.reading.blocked && s.intent === null).length / deep.length).toBeGreaterThan(0.9);
    // The exit decided during the crash goes out.
    expect(seen.find((s) => s.t === exitAt)).toMatchObject({ intent: { targetFraction: 0, modelId: 'm1' }, reading: { blocked: false } });
    // Long after the crash has left the window (and the indicators' memory), entries pass again.
    const after = seen.filter((s) => s.t > shockTo + 100 * HOUR);
    expect(after.filter((s) => s.reading.blocked).length / after.length).toBeLessThan(0.05);
    // Prediction drift is measured on every decision.
    expect(seen.every((s) => s.reading.predictionDrift?.length === 3)).toBe(true);
  });

  it('with WICK_DRIFT_GUARD=false, measures but does not block', async () => {
    const shock = crash(candles.at(-1)!, 80, 4);
    const seen = await run(
      [...candles.slice(-300), ...shock],
      constantPolicy(() => false),
      false,
    );
    const deep = seen.filter((s) => s.t >= shock[40]!.openTimeMs);
    expect(deep.some((s) => s.reading.score! > s.reading.threshold!)).toBe(true);
    expect(deep.every((s) => !s.reading.blocked && s.intent !== null)).toBe(true);
  });
});
