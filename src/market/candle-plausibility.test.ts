import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Candle } from '../core/candle.js';
import { DataError } from '../core/errors.js';
import { SAMPLE_DATA_DIR, sharedDataDir } from './candle-csv-shared-data.js';
import { CandleCsvParser } from './candle-csv-parser.js';
import { readCandles } from './candle-csv.js';
import { CandlePlausibility, DEFAULT_PLAUSIBILITY } from './candle-plausibility.js';

const H = 3_600_000;
const c = (i: number, open: number, high: number, low: number, close: number): Candle => ({ openTimeMs: i * H, open, high, low, close, volume: 1 });

/** A calm series: closes wander by ±0.2 % a candle, so σ ≈ 0.2 %. */
function calm(n: number, start = 100): Candle[] {
  const out: Candle[] = [];
  let price = start;
  for (let i = 0; i < n; i++) {
    const next = price * (i % 2 === 0 ? 1.002 : 0.998);
    out.push(c(i, price, Math.max(price, next) * 1.0005, Math.min(price, next) * 0.9995, next));
    price = next;
  }
  return out;
}

describe('CandlePlausibility', () => {
  it('refuses a high of 1e308 on the very first candle (range cap), naming the column and the variable', () => {
    const guard = new CandlePlausibility();
    const verdict = guard.judge(c(0, 40_000, 1e308, 39_000, 40_100));
    expect(verdict).toMatchObject({ column: 'high', reason: expect.stringContaining('WICK_PLAUSIBLE_MAX_RATIO') });
  });

  it('refuses a price a decimal point off (10x the previous close), then takes the next sane candle', () => {
    const guard = new CandlePlausibility();
    for (const x of calm(10)) expect(guard.judge(x)).toBeUndefined();
    expect(guard.judge(c(10, 10, 10.1, 10, 10.05))).toMatchObject({ column: 'low', reason: expect.stringContaining('x away from the previous close') });
    // The bad candle's close is the next reference; a candle back at 100 is 10x from it: refused too.
    expect(guard.judge(c(11, 100, 100.5, 99.5, 100))).toMatchObject({ column: 'high' });
    expect(guard.judge(c(12, 100, 100.5, 99.5, 100.2))).toBeUndefined();
  });

  it('volatility rule: in a calm market a 40 % spike is refused, the same spike before minHistory is not, and refused candles never feed σ', () => {
    const guard = new CandlePlausibility();
    const series = calm(60);
    for (const x of series) guard.judge(x);
    const last = series.at(-1)!.close;
    const spike = c(60, last, last * 1.4, last, last);
    expect(guard.check(spike)).toMatchObject({ column: 'high', reason: expect.stringContaining('WICK_PLAUSIBLE_MAX_SIGMAS') });
    expect(guard.judge(spike)).toBeDefined();
    expect(guard.check(spike)).toBeDefined(); // σ unchanged by the refused candle
    const young = new CandlePlausibility();
    for (const x of series.slice(0, 10)) young.judge(x);
    expect(young.check(c(10, series[9]!.close, series[9]!.close * 1.4, series[9]!.close, series[9]!.close))).toBeUndefined();
    // Below the 25 % floor the volatility rule never fires, however calm the market.
    expect(guard.check(c(60, last, last * 1.2, last, last))).toBeUndefined();
  });

  it('property: any series of moves within ±2 % a candle, at any price level, is accepted whole', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -0.02, max: 0.02, noNaN: true }), { minLength: 2, maxLength: 300 }),
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        (moves, start) => {
          const guard = new CandlePlausibility();
          let price = start;
          return moves.every((m, i) => {
            const next = price * Math.exp(m);
            const ok = guard.judge(c(i, price, Math.max(price, next), Math.min(price, next), next)) === undefined;
            price = next;
            return ok;
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects bounds that make no sense', () => {
    expect(() => new CandlePlausibility({ ...DEFAULT_PLAUSIBILITY, maxRatio: 1 })).toThrow(/maxRatio > 1/);
    expect(() => new CandlePlausibility({ ...DEFAULT_PLAUSIBILITY, minHistory: 500 })).toThrow(/minHistory/);
  });
});

describe('plausibility in candle files', () => {
  it('a CSV row with high = 1e308 is refused with file, line and column', () => {
    const p = new CandleCsvParser('absurd.csv', '1h');
    const rows = calm(5).map((x) => `${x.openTimeMs},${x.open},${x.high},${x.low},${x.close},1`);
    rows[3] = `${3 * H},100,1e308,99,100.1,1`;
    let err: unknown;
    try {
      p.feed(['timestamp,open,high,low,close,volume', ...rows].join('\n'), []);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).location).toEqual({ file: 'absurd.csv', line: 5, column: 'high' });
    expect((err as DataError).message).toMatch(/implausible candle: high 1e\+308/);
  });

  it('custom bounds apply: a 30 % candle passes the defaults and is refused at maxRatio 1.2', () => {
    const text = ['timestamp,open,high,low,close,volume', `0,100,130,100,130,1`, `${H},130,131,129,130,1`].join('\n');
    const loose = new CandleCsvParser('a.csv', '1h');
    const out: Candle[] = [];
    loose.feed(text, out);
    loose.end(out);
    expect(out).toHaveLength(2);
    const strict = new CandleCsvParser('a.csv', '1h', { ...DEFAULT_PLAUSIBILITY, maxRatio: 1.2 });
    expect(() => strict.feed(text, [])).toThrow(/line 2, column high: implausible candle/);
  });

  it('the committed sample passes the default bounds', async () => {
    expect((await readCandles(path.join(SAMPLE_DATA_DIR, 'BTC_USDT-1h.csv'))).length).toBeGreaterThan(100);
  });

  const shared = sharedDataDir();
  it.skipIf(shared === undefined)('every real Binance candle in ../shared/data passes the default bounds', async () => {
    for (const name of ['BTC_USDT-1h.csv', 'ETH_USDT-1h.csv', 'SOL_USDT-1h.csv']) {
      expect((await readCandles(path.join(shared!, name), { timeframe: '1h' })).length, name).toBeGreaterThan(20_000);
    }
  });
});
