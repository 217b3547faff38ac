import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Candle } from '../core/candle.js';
import { writeCsvAtomic } from './candle-csv-atomic.js';
import { writeCandlesCsv } from './candle-csv-writer.js';
import { readCandles } from './candle-csv.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wick-csvw-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const candles: Candle[] = [
  { openTimeMs: 1_700_000_000_000 - (1_700_000_000_000 % 3_600_000), open: 0.1 + 0.2, high: 0.31, low: 0.29, close: 0.3, volume: 0 },
  {
    openTimeMs: 1_700_000_000_000 - (1_700_000_000_000 % 3_600_000) + 3_600_000,
    open: 0.3,
    high: 0.32,
    low: 0.2999,
    close: 0.30000000000000004,
    volume: 1234.56789,
  },
];

describe('writeCandlesCsv', () => {
  it('round-trips through readCandles exactly (shortest round-trip numbers)', async () => {
    const p = path.join(dir, 'c.csv');
    await writeCandlesCsv(p, candles);
    expect(await readCandles(p, { timeframe: '1h' })).toEqual(candles);
    expect((await readFile(p, 'utf8')).split('\n')[0]).toBe('timestamp,open,high,low,close,volume');
  });
});

describe('writeCsvAtomic', () => {
  it('writes empty cells for NaN and quotes text that needs it', async () => {
    const p = path.join(dir, 'cells.csv');
    await writeCsvAtomic(
      p,
      ['a', 'b,c'],
      [
        [1, Number.NaN],
        ['say "hi"', 2.5],
      ],
    );
    expect(await readFile(p, 'utf8')).toBe('a,"b,c"\n1,\n"say ""hi""",2.5\n');
  });

  it('leaves neither output nor temp file when the rows fail midway, and keeps an existing file', async () => {
    const p = path.join(dir, 'fail.csv');
    function* rows(): Generator<number[]> {
      for (let i = 0; i < 100_000; i++) yield [i, i * 2]; // > 1 MiB: part of it has been flushed
      throw new Error('boom');
    }
    await expect(writeCsvAtomic(p, ['i', 'j'], rows())).rejects.toThrow('boom');
    expect((await readdir(dir)).filter((f) => f.startsWith('fail.csv'))).toEqual([]);

    await writeFile(p, 'old\n');
    await expect(writeCsvAtomic(p, ['i', 'j'], rows())).rejects.toThrow('boom');
    expect(await readFile(p, 'utf8')).toBe('old\n');
    expect((await readdir(dir)).filter((f) => f.startsWith('fail.csv'))).toEqual(['fail.csv']);
  });

  it('fails without leftovers when the folder does not exist', async () => {
    await expect(writeCsvAtomic(path.join(dir, 'nope', 'x.csv'), ['a'], [[1]])).rejects.toThrow(/ENOENT/);
  });
});
