import { basename, resolve } from 'node:path';
import type { Candle, SeriesKey, Timeframe } from '../core/index.js';
import { DataError } from '../core/index.js';
import { readCandleFile } from '../market/candle-csv.js';
import type { PlausibilityBounds } from '../market/candle-plausibility.js';
import { resample } from '../market/resample.js';

export interface SeriesFile {
  readonly path: string;
  readonly key: SeriesKey;
  readonly candles: readonly Candle[];
  /** Timeframe of the file before any resampling. */
  readonly fileTimeframe: Timeframe;
}

/** BTC_USDT-1h.csv → BTC/USDT; any other name is used as the symbol as it stands (without .csv). */
export function symbolFromFileName(path: string): string {
  const name = basename(path).replace(/\.csv$/i, '');
  const m = /^([A-Za-z0-9]+)[_-]([A-Za-z0-9]+)(?:-.*)?$/.exec(name);
  return m ? `${(m[1] as string).toUpperCase()}/${(m[2] as string).toUpperCase()}` : name;
}

/**
 * Reads candle files (validated), checks they share one timeframe, and optionally resamples them
 * (1h → 1d). Each file is one series; its symbol comes from the file name.
 */
export async function loadSeriesFiles(
  paths: readonly string[],
  options: {
    readonly cwd: string;
    readonly exchange: string;
    readonly timeframe?: Timeframe | undefined;
    readonly resample?: Timeframe | undefined;
    readonly plausibility?: PlausibilityBounds | undefined;
  },
): Promise<SeriesFile[]> {
  const out: SeriesFile[] = [];
  let timeframe = options.timeframe;
  for (const path of paths) {
    const file = await readCandleFile(resolve(options.cwd, path), {
      displayName: path,
      ...(options.plausibility ? { plausibility: options.plausibility } : {}),
      ...(options.timeframe ? { timeframe: options.timeframe } : {}),
    });
    if (file.timeframe === undefined) throw new DataError('too few rows to infer the timeframe; pass --timeframe', { file: path });
    if (timeframe !== undefined && file.timeframe !== timeframe)
      throw new DataError(`timeframe ${file.timeframe} differs from the other files' ${timeframe}`, { file: path });
    timeframe = file.timeframe;
    const tf = options.resample ?? file.timeframe;
    const candles = options.resample ? resample(file.candles, file.timeframe, options.resample) : file.candles;
    const symbol = symbolFromFileName(path);
    if (out.some((s) => s.key.symbol === symbol)) throw new DataError(`two files hold ${symbol}; give each market once`, { file: path });
    out.push({ path, key: { exchange: options.exchange, symbol, timeframe: tf }, candles, fileTimeframe: file.timeframe });
  }
  return out;
}
