import { createReadStream } from 'node:fs';
import type { Candle, Timeframe } from '../core/candle.js';
import { DataError } from '../core/errors.js';
import { CandleCsvParser } from './candle-csv-parser.js';
import type { PlausibilityBounds } from './candle-plausibility.js';

export { CANDLE_CSV_COLUMNS, CANDLE_CSV_HEADER } from './candle-csv-parser.js';

export interface CandleCsvReadOptions {
  /** Expected timeframe; rows must be aligned to it. Absent: inferred from the first 32 rows. */
  readonly timeframe?: Timeframe;
  /** How error messages name the file (default: the path as given), e.g. the path a user typed. */
  readonly displayName?: string;
  /** Plausibility bounds every row must meet (default DEFAULT_PLAUSIBILITY). */
  readonly plausibility?: PlausibilityBounds;
}

export interface CandleFile {
  readonly candles: Candle[];
  /** Given or inferred; undefined only for a file with fewer than 2 rows and no timeframe given. */
  readonly timeframe: Timeframe | undefined;
}

/** Chunks of 1 MiB: few syscalls, and the parser never holds the whole file as one string. */
const CHUNK_BYTES = 1 << 20;

async function* chunks(path: string, displayName: string): AsyncGenerator<string> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: CHUNK_BYTES });
  try {
    for await (const chunk of stream) yield chunk as string;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') throw new DataError(`cannot read the file (${code})`, { file: displayName });
    throw err;
  } finally {
    stream.destroy();
  }
}

/**
 * Candles of a CSV file (`timestamp,open,high,low,close,volume`), one by one, validated as they
 * stream in (see CandleCsvParser). Throws DataError at the first violation.
 */
export async function* streamCandles(path: string, opts: CandleCsvReadOptions = {}): AsyncGenerator<Candle> {
  const name = opts.displayName ?? path;
  const parser = new CandleCsvParser(name, opts.timeframe, opts.plausibility);
  const batch: Candle[] = [];
  for await (const chunk of chunks(path, name)) {
    parser.feed(chunk, batch);
    for (const c of batch) yield c;
    batch.length = 0;
  }
  parser.end(batch);
  for (const c of batch) yield c;
}

/** All candles of a CSV file plus its timeframe: the fast path (no per-candle await). */
export async function readCandleFile(path: string, opts: CandleCsvReadOptions = {}): Promise<CandleFile> {
  const name = opts.displayName ?? path;
  const parser = new CandleCsvParser(name, opts.timeframe, opts.plausibility);
  const candles: Candle[] = [];
  for await (const chunk of chunks(path, name)) parser.feed(chunk, candles);
  parser.end(candles);
  return { candles, timeframe: parser.timeframe };
}

/** All candles of a CSV file, validated. */
export async function readCandles(path: string, opts: CandleCsvReadOptions = {}): Promise<Candle[]> {
  return (await readCandleFile(path, opts)).candles;
}
