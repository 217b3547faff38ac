/**
 * Generates the committed SYNTHETIC hourly sample (test/fixtures/sample/{BTC,ETH}_USDT-1h.csv):
 * the real Binance files may not be redistributed, but demos and plain-clone tests need data.
 * `npx tsx scripts/make-sample.ts` rewrites them, bit for bit the same (seeded Rng).
 *
 * Model: geometric Brownian motion whose drift and volatility switch between three regimes
 * (calm, trending, turbulent) as a Markov chain; intrabar highs/lows from a few sub-steps;
 * log-normal volume that rises with |return|. One deliberate 3-hour gap at row 2,000.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Candle } from '../src/core/candle.js';
import { Rng } from '../src/core/rng.js';
import { writeCandlesCsv } from '../src/market/candle-csv-writer.js';

const HOUR_MS = 3_600_000;
const ROWS = 3_000;
const GAP_AFTER_ROW = 2_000;
const GAP_HOURS = 3;
const START_MS = Date.UTC(2022, 0, 1);

interface Regime {
  readonly driftPerHour: number;
  readonly volPerHour: number;
  /** Probability of leaving this regime after each hour. */
  readonly leave: number;
}

const REGIMES: readonly Regime[] = [
  { driftPerHour: 0, volPerHour: 0.004, leave: 0.01 },
  { driftPerHour: 0.0006, volPerHour: 0.007, leave: 0.02 },
  { driftPerHour: -0.0008, volPerHour: 0.015, leave: 0.05 },
];

const round = (x: number, decimals: number): number => Number(x.toFixed(decimals));

export function makeSample(seed: number, startPrice: number, baseVolume: number): Candle[] {
  const rng = new Rng(seed);
  const out: Candle[] = [];
  let regime = 0;
  let price = startPrice;
  let t = START_MS;
  for (let i = 0; i < ROWS; i++) {
    if (i === GAP_AFTER_ROW) t += GAP_HOURS * HOUR_MS;
    if (rng.next() < REGIMES[regime]!.leave) regime = (regime + 1 + rng.int(REGIMES.length - 1)) % REGIMES.length;
    const { driftPerHour, volPerHour } = REGIMES[regime]!;
    const open = round(price, 2);
    let p = price;
    let hi = price;
    let lo = price;
    const subSteps = 6;
    for (let s = 0; s < subSteps; s++) {
      const sd = volPerHour / Math.sqrt(subSteps);
      p *= Math.exp(driftPerHour / subSteps - (sd * sd) / 2 + sd * rng.normal());
      if (p > hi) hi = p;
      if (p < lo) lo = p;
    }
    const close = round(p, 2);
    const high = Math.max(round(hi, 2), open, close);
    const low = Math.min(round(lo, 2), open, close);
    const move = Math.abs(Math.log(p / price)) / volPerHour;
    const volume = round(baseVolume * Math.exp(0.4 * rng.normal() + 0.3 * move), 5);
    out.push({ openTimeMs: t, open, high, low, close, volume });
    price = p;
    t += HOUR_MS;
  }
  return out;
}

const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'sample');
await writeCandlesCsv(path.join(outDir, 'BTC_USDT-1h.csv'), makeSample(20_240_101, 46_000, 1_500));
await writeCandlesCsv(path.join(outDir, 'ETH_USDT-1h.csv'), makeSample(20_240_102, 3_700, 12_000));
console.log(`wrote ${ROWS} synthetic hourly candles per pair to ${outDir}`);
