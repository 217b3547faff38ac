/**
 * Feature benchmark: `npx tsx scripts/bench-features.ts` prints one JSON line.
 * Reads ../shared/data/BTC_USDT-1h.csv (or $WICK_SHARED_DATA) once, timing the validating CSV
 * reader, then times several passes of the streaming FeatureEngine (full default spec) over it.
 * Single core, no workers.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FeatureEngine } from '../src/features/engine.js';
import { DEFAULT_SPEC } from '../src/features/spec.js';
import { readCandles } from '../src/market/candle-csv.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function benchFeatures(): Promise<Record<string, number>> {
  const dataDir = process.env.WICK_SHARED_DATA ?? path.resolve(repoRoot, '..', 'shared', 'data');
  const file = path.join(dataDir, 'BTC_USDT-1h.csv');

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

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchFeatures()));
}
