/**
 * Feature benchmark. Reads the real BTC/USDT hourly file (../shared/data or $WICK_TEST_DATA_DIR;
 * the committed synthetic sample when absent) once, timing the validating CSV reader, then times
 * several passes of the streaming FeatureEngine (full default spec) over it. Single core.
 */
import path from 'node:path';
import { FeatureEngine } from '../../features/engine.js';
import { DEFAULT_SPEC } from '../../features/spec.js';
import { readCandles } from '../../market/candle-csv.js';
import { SAMPLE_DATA_DIR, sharedDataDir } from '../../market/candle-csv-shared-data.js';

export async function benchFeatures(): Promise<Record<string, number>> {
  const file = path.join(sharedDataDir() ?? SAMPLE_DATA_DIR, 'BTC_USDT-1h.csv');

  const t0 = performance.now();
  const candles = await readCandles(file, { timeframe: '1h' });
  const csvSeconds = (performance.now() - t0) / 1000;

  const engine = new FeatureEngine(DEFAULT_SPEC, 3_600_000);
  const passes = 10;
  let checksum = 0;
  // One untimed pass so the timed ones measure optimised code, as in a long-running daemon.
  for (const c of candles) engine.update(c);
  engine.reset();
  const t1 = performance.now();
  for (let p = 0; p < passes; p++) {
    for (let i = 0; i < candles.length; i++) {
      if (engine.update(candles[i]!)) checksum += engine.values()[0]!;
    }
    engine.reset();
  }
  const featureSeconds = (performance.now() - t1) / 1000;
  if (!Number.isFinite(checksum)) throw new Error('benchmark produced non-finite features');

  return {
    'features.candlesPerSec': Math.round((passes * candles.length) / featureSeconds),
    'features.csvRowsPerSec': Math.round(candles.length / csvSeconds),
  };
}
