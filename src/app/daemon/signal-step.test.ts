import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomModelFolder } from '../../../test/support/random-model.js';
import { silentLogger, type Candle, type OrderIntent, type SeriesKey } from '../../core/index.js';
import { getSpec } from '../../features/index.js';
import { readCandles } from '../../market/candle-csv.js';
import { SAMPLE_DATA_DIR } from '../../market/candle-csv-shared-data.js';
import { OnnxSignalModel } from '../../model/onnx-signal-model.js';
import { HorizonAveragingPolicy } from '../../strategy/index.js';
import { createSignalStep } from './signal-step.js';

const BTC: SeriesKey = { exchange: 'x', symbol: 'BTC/USDT', timeframe: '1h' };
let dir: string;
let model: OnnxSignalModel;
let candles: Candle[];

beforeAll(async () => {
  dir = await randomModelFolder({ seed: 4 });
  model = await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger });
  candles = (await readCandles(`${SAMPLE_DATA_DIR}/BTC_USDT-1h.csv`)).slice(0, 700);
});
afterAll(async () => {
  await model.close();
  await rm(dir, { recursive: true, force: true });
});

function step(predictions: number[][]) {
  return createSignalStep({
    model,
    spec: getSpec(model.manifest.featureSpec.name),
    normalisation: { mean: model.manifest.normalisation.mean, std: model.manifest.normalisation.std, clip: 5 },
    policy: new HorizonAveragingPolicy({ threshold: 0.002, scale: 0.01, cap: 0.5 }),
    logger: silentLogger,
    onDecision: (p) => predictions.push([...p.values]),
  });
}

const store = (upTo: number) => ({
  range: (_s: SeriesKey, from: number, to: number) => Promise.resolve(candles.slice(0, upTo).filter((c) => c.openTimeMs >= from && c.openTimeMs <= to)),
});

describe('signal step', () => {
  it('after a restart, rebuilds from the candle store and decides exactly as without the restart', async () => {
    const plainPredictions: number[][] = [];
    const plain = step(plainPredictions);
    const plainIntents: (OrderIntent | null)[] = [];
    for (let i = 0; i < candles.length; i++) {
      plainIntents.push(
        await plain({ series: BTC, candle: candles[i]! }, { previousOpenTimeMs: i === 0 ? null : candles[i - 1]!.openTimeMs, store: store(i) }),
      );
    }
    const restartAt = 500;
    const restartedPredictions: number[][] = [];
    const restarted = step(restartedPredictions);
    const after: (OrderIntent | null)[] = [];
    for (let i = restartAt; i < candles.length; i++) {
      after.push(await restarted({ series: BTC, candle: candles[i]! }, { previousOpenTimeMs: candles[i - 1]!.openTimeMs, store: store(i) }));
    }
    expect(after).toEqual(plainIntents.slice(restartAt));
    expect(after.some((x) => x !== null)).toBe(true);
    // The live predictions after the restart are bit-identical (the rebuild's own replays come first).
    expect(restartedPredictions.slice(-after.length)).toEqual(plainPredictions.slice(-after.length));
  });
});
