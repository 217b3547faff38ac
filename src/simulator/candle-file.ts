import { readFile } from 'node:fs/promises';
import { DataError, type Candle } from '../core/index.js';

/**
 * A minimal reader for wick's candle CSV (`timestamp,open,high,low,close,volume`, epoch ms,
 * ascending). The validated reader lives in src/market, which the simulator may not import; this
 * one checks only what the simulator needs to run: numbers, finite, strictly ascending.
 */
export function parseCandleCsv(text: string, file = '<csv>'): Candle[] {
  const out: Candle[] = [];
  const lines = text.split(/\r?\n/);
  let prev = -Infinity;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    const cells = line.split(',');
    if (i === 0 && !/^[0-9]/.test(cells[0] ?? '')) continue; // header
    if (cells.length < 6) throw new DataError(`expected 6 columns, got ${cells.length}`, { file, line: i + 1 });
    const [t, o, h, l, c, v] = cells.slice(0, 6).map(Number) as [number, number, number, number, number, number];
    if (![t, o, h, l, c, v].every(Number.isFinite)) throw new DataError('non-numeric value', { file, line: i + 1 });
    if (t <= prev) throw new DataError(`timestamp ${t} not after ${prev}`, { file, line: i + 1, column: 'timestamp' });
    prev = t;
    out.push({ openTimeMs: t, open: o, high: h, low: l, close: c, volume: v });
  }
  if (out.length === 0) throw new DataError('no candles', { file });
  return out;
}

export async function readCandleCsv(path: string): Promise<Candle[]> {
  return parseCandleCsv(await readFile(path, 'utf8'), path);
}
