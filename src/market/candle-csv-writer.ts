import type { Candle } from '../core/candle.js';
import { writeCsvAtomic } from './candle-csv-atomic.js';
import { CANDLE_CSV_COLUMNS } from './candle-csv-parser.js';

/** Writes candles in the format readCandles reads, atomically (see writeCsvAtomic). */
export async function writeCandlesCsv(path: string, candles: Iterable<Candle> | AsyncIterable<Candle>): Promise<void> {
  await writeCsvAtomic(path, CANDLE_CSV_COLUMNS, rowsOf(candles));
}

async function* rowsOf(candles: Iterable<Candle> | AsyncIterable<Candle>): AsyncGenerator<readonly number[]> {
  for await (const c of candles) yield [c.openTimeMs, c.open, c.high, c.low, c.close, c.volume];
}
