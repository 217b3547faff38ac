import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Candle } from '../core/candle.js';
import { DataError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { CandleCsvParser } from './candle-csv-parser.js';
import { sharedDataDir } from './candle-csv-shared-data.js';
import { readCandleFile, readCandles, streamCandles } from './candle-csv.js';

const HEADER = 'timestamp,open,high,low,close,volume';
const H = 3_600_000;
const T0 = 1_502_942_400_000; // 2017-08-17 04:00 UTC, a whole hour
const row = (i: number, close = 100 + i): string => `${T0 + i * H},${close},${close + 1},${close - 1},${close},${5 + i}`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wick-csv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileWith(name: string, text: string): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, text);
  return p;
}

async function errorOf(text: string, opts: { timeframe?: '1h' } = {}): Promise<DataError> {
  const p = await fileWith('bad.csv', text);
  try {
    await readCandles(p, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error('expected a DataError');
}

describe('readCandles', () => {
  it('reads valid rows into candles and infers the timeframe', async () => {
    const p = await fileWith('ok.csv', [HEADER, row(0), row(1), row(3)].join('\n') + '\n');
    const { candles, timeframe } = await readCandleFile(p);
    expect(timeframe).toBe('1h');
    expect(candles).toEqual([
      { openTimeMs: T0, open: 100, high: 101, low: 99, close: 100, volume: 5 },
      { openTimeMs: T0 + H, open: 101, high: 102, low: 100, close: 101, volume: 6 },
      { openTimeMs: T0 + 3 * H, open: 103, high: 104, low: 102, close: 103, volume: 8 },
    ]);
  });

  it('accepts CRLF line ends, a BOM, no final newline and trailing blank lines', async () => {
    const crlf = await fileWith('crlf.csv', '\ufeff' + [HEADER, row(0), row(1)].join('\r\n'));
    expect(await readCandles(crlf)).toHaveLength(2);
    const trailing = await fileWith('trailing.csv', [HEADER, row(0), row(1), '', ''].join('\n'));
    expect(await readCandles(trailing)).toHaveLength(2);
  });

  it.each([
    ['wrong header', 'time,open,high,low,close,volume\n' + row(0), 1, undefined, 'expected the header'],
    ['empty file', '', 1, undefined, 'empty file'],
    ['truncated row', [HEADER, row(0), '1502946000000,101,102'].join('\n'), 3, 'low', 'missing (expected 6 fields, got 3'],
    ['extra field', [HEADER, row(0) + ',1'].join('\n'), 2, undefined, 'expected 6 fields, got 7'],
    ['text in a number', [HEADER, row(0), `${T0 + H},101,102,100,abc,6`].join('\n'), 3, 'close', '"abc" is not a number'],
    ['NaN', [HEADER, `${T0},NaN,101,99,100,5`].join('\n'), 2, 'open', '"NaN" is not a number'],
    ['Infinity', [HEADER, `${T0},100,Infinity,99,100,5`].join('\n'), 2, 'high', '"Infinity" is not a number'],
    ['overflowing number', [HEADER, `${T0},100,1e400,99,100,5`].join('\n'), 2, 'high', 'is not a finite number'],
    ['hex', [HEADER, `${T0},100,101,99,100,0x10`].join('\n'), 2, 'volume', '"0x10" is not a number'],
    ['empty value', [HEADER, `${T0},100,101,,100,5`].join('\n'), 2, 'low', 'empty value'],
    ['spaces', [HEADER, `${T0},100, 101,99,100,5`].join('\n'), 2, 'high', 'is not a number'],
    ['fractional timestamp', [HEADER, `${T0}.5,100,101,99,100,5`].join('\n'), 2, 'timestamp', 'is not an integer epoch-ms timestamp'],
    ['zero price', [HEADER, `${T0},0,101,99,100,5`].join('\n'), 2, 'open', 'must be > 0'],
    ['negative price', [HEADER, row(0), `${T0 + H},100,101,99,-100,5`].join('\n'), 3, 'close', 'must be > 0'],
    ['high below close', [HEADER, `${T0},100,101,99,102,5`].join('\n'), 2, 'high', 'high 101 is below max(open, close) = 102'],
    ['low above open', [HEADER, `${T0},98,101,99,100,5`].join('\n'), 2, 'low', 'low 99 is above min(open, close) = 98'],
    ['negative volume', [HEADER, `${T0},100,101,99,100,-1`].join('\n'), 2, 'volume', 'must be >= 0'],
    ['rows out of order', [HEADER, row(0), row(2), row(1)].join('\n'), 4, 'timestamp', 'is before the previous row'],
    ['duplicate row', [HEADER, row(0), row(1), row(1)].join('\n'), 4, 'timestamp', 'duplicate timestamp'],
    ['blank line inside', [HEADER, row(0), '', row(1)].join('\n'), 3, undefined, 'empty line'],
    ['misaligned timestamp', [HEADER, row(0), row(1), `${T0 + 2 * H + 60_000},100,101,99,100,5`].join('\n'), 4, 'timestamp', 'not aligned to the 1h timeframe'],
  ])('rejects %s with file, line, column and reason', async (_name, text, line, column, reason) => {
    const err = await errorOf(text);
    expect(err.location.file).toMatch(/bad\.csv$/);
    expect(err.location.line).toBe(line);
    expect(err.location.column).toBe(column);
    expect(err.reason).toContain(reason);
    expect(err.message).toContain(`line ${line}`);
    if (column !== undefined) expect(err.message).toContain(`column ${column}: `);
  });

  it('formats the message as "file, line N, column C: reason"', async () => {
    const p = await fileWith('data.csv', [HEADER, row(0), `${T0 + H},101,102,100,abc,6`].join('\n'));
    await expect(readCandles(p, { displayName: 'data.csv' })).rejects.toThrow('data.csv, line 3, column close: "abc" is not a number');
  });

  it('checks alignment against a given timeframe from the first row', async () => {
    const err = await errorOf([HEADER, `${T0 + 1},100,101,99,100,5`].join('\n'), { timeframe: '1h' });
    expect(err.location).toMatchObject({ line: 2, column: 'timestamp' });
    const p = await fileWith('4h.csv', [HEADER, row(0), row(4)].join('\n'));
    // T0 is 04:00 UTC: aligned to 4h, so a 4h file is fine while inference says 4h too.
    expect((await readCandleFile(p)).timeframe).toBe('4h');
  });

  it('reports a read failure as a DataError naming the file', async () => {
    await expect(readCandles(path.join(dir, 'missing.csv'))).rejects.toThrow(/missing\.csv: cannot read the file \(ENOENT\)/);
  });
});

describe('CandleCsvParser', () => {
  it('parses numbers bit-identically to Number(), fast path and fallback alike', () => {
    const rng = new Rng(7);
    const fields: string[] = [
      '0',
      '-0',
      '0.0',
      '5.',
      '.5',
      '-.25',
      '1e3',
      '2.5E-3',
      '1e+2',
      '0.1',
      '0.30000000000000004',
      '123456789012345',
      '1234567890123456789',
      '9007199254740993',
      '0.' + '1'.repeat(25),
      '42283.58',
      '47.181009',
    ];
    for (let i = 0; i < 2000; i++) {
      const intDigits = rng.int(12);
      const fracDigits = rng.int(14);
      let f = '';
      for (let d = 0; d < intDigits; d++) f += String(rng.int(10));
      if (fracDigits > 0 || f === '') f += '.' + Array.from({ length: Math.max(1, fracDigits) }, () => rng.int(10)).join('');
      fields.push(f);
    }
    const lines = fields.map((f, i) => `${T0 + i * H},1,1,1,1,${f.startsWith('-') ? f.slice(1) : f}`);
    const out: Candle[] = [];
    const p = new CandleCsvParser('n.csv', '1h');
    p.feed([HEADER, ...lines].join('\n'), out);
    p.end(out);
    out.forEach((c, i) => {
      const f = fields[i]!;
      expect(Object.is(c.volume, Number(f.startsWith('-') ? f.slice(1) : f)), f).toBe(true);
    });
    const neg = new CandleCsvParser('neg.csv', '1h');
    const negOut: Candle[] = [];
    neg.feed([HEADER, `${T0},1,1,1,1,-0`].join('\n'), negOut);
    neg.end(negOut);
    expect(Object.is(negOut[0]!.volume, -0)).toBe(true);
  });

  it('gives the same candles whatever the chunk boundaries', () => {
    const text = [HEADER, ...Array.from({ length: 50 }, (_, i) => row(i))].join('\r\n') + '\r\n';
    const whole: Candle[] = [];
    const p0 = new CandleCsvParser('x.csv');
    p0.feed(text, whole);
    p0.end(whole);
    expect(whole).toHaveLength(50);
    for (const size of [1, 2, 3, 7, 64]) {
      const parts: Candle[] = [];
      const p = new CandleCsvParser('x.csv');
      for (let i = 0; i < text.length; i += size) p.feed(text.slice(i, i + size), parts);
      p.end(parts);
      expect(parts).toEqual(whole);
    }
  });
});

const shared = sharedDataDir();
describe.skipIf(shared === undefined)('real Binance data (skipped: ../shared/data or $WICK_TEST_DATA_DIR not found)', () => {
  it('reads the BTC file completely and as documented', async () => {
    const file = path.join(shared!, 'BTC_USDT-1h.csv');
    const { candles, timeframe } = await readCandleFile(file);
    expect(timeframe).toBe('1h');
    expect(candles).toHaveLength(55_740);
    expect(candles[0]).toEqual({ openTimeMs: Date.UTC(2017, 7, 17, 4), open: 4261.48, high: 4313.62, low: 4261.32, close: 4308.83, volume: 47.181009 });
    expect(candles.at(-1)).toMatchObject({ openTimeMs: Date.UTC(2023, 11, 31, 23), close: 42283.58 });
    const ath = candles.find((c) => c.openTimeMs === Date.UTC(2021, 10, 10, 14));
    expect(ath?.high).toBe(69000);
  });

  it('streams the same candles as it reads', async () => {
    const file = path.join(shared!, 'SOL_USDT-1h.csv');
    const read = await readCandles(file, { timeframe: '1h' });
    const streamed: Candle[] = [];
    for await (const c of streamCandles(file, { timeframe: '1h' })) streamed.push(c);
    expect(streamed).toHaveLength(29_686);
    expect(streamed).toEqual(read);
  });

  it('parses every ETH field exactly as Number() does', async () => {
    const file = path.join(shared!, 'ETH_USDT-1h.csv');
    const candles = await readCandles(file);
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n').slice(1);
    expect(lines).toHaveLength(candles.length);
    lines.forEach((line, i) => {
      const c = candles[i]!;
      const got = [c.openTimeMs, c.open, c.high, c.low, c.close, c.volume];
      const want = line.split(',').map(Number);
      if (!got.every((v, k) => v === want[k])) expect.fail(`line ${i + 2}: ${got.join(',')} vs ${line}`);
    });
  });
});

describe('streamCandles', () => {
  it('yields rows before a later corrupt row throws', async () => {
    const p = await fileWith('late.csv', [HEADER, row(0), row(1), `${T0 + 2 * H},1,1,1,x,1`].join('\n'));
    const seen: number[] = [];
    await expect(async () => {
      for await (const c of streamCandles(p, { timeframe: '1h' })) seen.push(c.openTimeMs);
    }).rejects.toThrow('line 4, column close');
    expect(seen).toEqual([T0, T0 + H]);
  });
});
