/**
 * Every indicator against an independent implementation, on real candles (and on the committed
 * synthetic sample, so a plain clone still runs them).
 *
 * Oracles, and where definitions differ:
 * - SMA: trading-signals SMA and technicalindicators SMA.
 * - EMA and MACD: technicalindicators (EMA seeded with the SMA of the first `period` values, as
 *   ours; MACD with SimpleMAOscillator/SimpleMASignal = false). trading-signals seeds its EMA with the
 *   first price, so it is not used for these.
 * - RSI: trading-signals RSI (Wilder RMA, SMA-seeded: same definition). technicalindicators rounds
 *   RSI to 2 decimals, so it is not used.
 * - ATR: trading-signals ATR (first true range = high - low, Wilder RMA). technicalindicators skips
 *   the first candle's true range, so it starts one candle later.
 * - Bollinger %B and width: trading-signals BollingerBands (population σ), %B and width derived from
 *   its bands; technicalindicators' `pb` as a second opinion for %B.
 * - ratio, logret, vol (sample σ of log returns), volz (population σ), vwap_dev: no library defines
 *   them the same way; straightforward reference loops below (window recomputed from scratch).
 *
 * Tolerance: |ours - oracle| <= 1e-9 · max(|oracle|, scale). scale is 1 for dimensionless features
 * and the close price for price-unit ones (MACD, ATR), whose values cross zero where a relative
 * error means nothing.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';
import type { Candle } from '../core/candle.js';
import { SAMPLE_DATA_DIR, sharedDataDir } from '../market/candle-csv-shared-data.js';
import { readCandles } from '../market/candle-csv.js';
import { createIndicator } from './registry.js';

const TOL = 1e-9;
const MACD = { fast: 12, slow: 26, signal: 9 };

function ours(candles: readonly Candle[], kind: string, params: Record<string, number>): Float64Array {
  const ind = createIndicator({ id: kind, kind, params });
  return Float64Array.from(candles, (c) => {
    ind.update(c);
    return ind.value();
  });
}

/** Library output arrays are shorter than the input: right-align them, NaN before. */
function aligned(n: number, values: readonly (number | undefined)[]): Float64Array {
  const out = new Float64Array(n).fill(Number.NaN);
  const offset = n - values.length;
  values.forEach((v, j) => {
    out[offset + j] = v ?? Number.NaN;
  });
  return out;
}

function streamed(candles: readonly Candle[], step: (c: Candle) => number | null | undefined): Float64Array {
  return Float64Array.from(candles, (c) => step(c) ?? Number.NaN);
}

function expectClose(name: string, got: Float64Array, want: Float64Array, scale: ArrayLike<number> | number): void {
  expect(got.length).toBe(want.length);
  let compared = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) || Number.isNaN(g)) {
      // Warm-up must agree too: both undefined at exactly the same candles.
      if (Number.isNaN(w) !== Number.isNaN(g)) expect.fail(`${name}: candle ${i}: ours ${g}, oracle ${w}`);
      continue;
    }
    const s = typeof scale === 'number' ? scale : scale[i]!;
    if (!(Math.abs(g - w) <= TOL * Math.max(Math.abs(w), s))) expect.fail(`${name}: candle ${i}: ours ${g}, oracle ${w}`);
    compared++;
  }
  expect(compared, `${name}: values compared`).toBeGreaterThan(got.length * 0.9);
}

/** Reference: population or sample σ of xs[from, to), two passes. */
function std(xs: readonly number[], from: number, to: number, sample: boolean): [number, number] {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i]!;
  const m = s / (to - from);
  let v = 0;
  for (let i = from; i < to; i++) v += (xs[i]! - m) ** 2;
  return [m, Math.sqrt(v / (to - from - (sample ? 1 : 0)))];
}

function runOracles(label: string, load: () => Promise<Candle[]>): void {
  describe(label, () => {
    let candles: Candle[] = [];
    let closes: number[] = [];
    it('loads', async () => {
      candles = await load();
      closes = candles.map((c) => c.close);
      expect(candles.length).toBeGreaterThan(1000);
    });

    it('ratio and logret match a reference loop', () => {
      const ratio = closes.map((c, i) => (i === 0 ? Number.NaN : c / closes[i - 1]!));
      expectClose('ratio', ours(candles, 'ratio', {}), Float64Array.from(ratio), 1);
      expectClose('logret', ours(candles, 'logret', {}), Float64Array.from(ratio, Math.log), 1);
    });

    it('SMA matches trading-signals and technicalindicators', () => {
      const sma = new ts.SMA(20);
      expectClose(
        'sma ts',
        ours(candles, 'sma', { period: 20 }),
        streamed(candles, (c) => sma.update(c.close, false)),
        1,
      );
      expectClose('sma ti', ours(candles, 'sma', { period: 20 }), aligned(candles.length, ti.SMA.calculate({ period: 20, values: closes })), 1);
    });

    it('EMA matches technicalindicators', () => {
      for (const period of [9, 26]) {
        expectClose(`ema ${period}`, ours(candles, 'ema', { period }), aligned(candles.length, ti.EMA.calculate({ period, values: closes })), 1);
      }
    });

    it('RSI (Wilder) matches trading-signals', () => {
      const rsi = new ts.RSI(14);
      const want = streamed(candles, (c) => {
        rsi.update(c.close, false);
        return rsi.isStable ? rsi.getResultOrThrow() : null;
      });
      expectClose('rsi_14', ours(candles, 'rsi', { period: 14 }), want, 1);
    });

    it('MACD line, signal and histogram match technicalindicators', () => {
      const out = ti.MACD.calculate({ values: closes, fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: false });
      const n = candles.length;
      expectClose(
        'macd',
        ours(candles, 'macd', MACD),
        aligned(
          n,
          out.map((o) => o.MACD),
        ),
        closes,
      );
      expectClose(
        'macd_signal',
        ours(candles, 'macd_signal', MACD),
        aligned(
          n,
          out.map((o) => o.signal),
        ),
        closes,
      );
      expectClose(
        'macd_hist',
        ours(candles, 'macd_hist', MACD),
        aligned(
          n,
          out.map((o) => o.histogram),
        ),
        closes,
      );
      const rel = ours(candles, 'macd_rel', MACD);
      expectClose(
        'macd_rel',
        rel,
        aligned(
          n,
          out.map((o) => o.MACD),
        ).map((v, i) => v / closes[i]!),
        1,
      );
    });

    it('ATR (Wilder) matches trading-signals', () => {
      const atr = new ts.ATR(14);
      const want = streamed(candles, (c) => {
        atr.update({ high: c.high, low: c.low, close: c.close }, false);
        return atr.isStable ? atr.getResultOrThrow() : null;
      });
      expectClose('atr_14', ours(candles, 'atr', { period: 14 }), want, closes);
      expectClose(
        'atr_rel_14',
        ours(candles, 'atr_rel', { period: 14 }),
        want.map((v, i) => v / closes[i]!),
        1,
      );
    });

    it('Bollinger %B and width match trading-signals bands and technicalindicators %B', () => {
      const bb = new ts.BollingerBands(20, 2);
      const pctb: number[] = [];
      const width: number[] = [];
      for (const c of candles) {
        const r = bb.update(c.close, false);
        pctb.push(r ? (c.close - r.lower) / (r.upper - r.lower) : Number.NaN);
        width.push(r ? (r.upper - r.lower) / r.middle : Number.NaN);
      }
      expectClose('bb_pctb_20', ours(candles, 'bb_pctb', { period: 20, k: 2 }), Float64Array.from(pctb), 1);
      expectClose('bb_width_20', ours(candles, 'bb_width', { period: 20, k: 2 }), Float64Array.from(width), 1);
      const tiOut = ti.BollingerBands.calculate({ period: 20, stdDev: 2, values: closes });
      expectClose(
        'bb_pctb_20 ti',
        ours(candles, 'bb_pctb', { period: 20, k: 2 }),
        aligned(
          candles.length,
          tiOut.map((o) => o.pb),
        ),
        1,
      );
    });

    it('vol (sample σ of log returns), volz (population σ) and vwap_dev match reference loops', () => {
      const n = candles.length;
      const lr = closes.map((c, i) => (i === 0 ? Number.NaN : Math.log(c / closes[i - 1]!)));
      const vol = new Float64Array(n).fill(Number.NaN);
      const volz = new Float64Array(n).fill(Number.NaN);
      const vwap = new Float64Array(n).fill(Number.NaN);
      const volumes = candles.map((c) => c.volume);
      for (let i = 0; i < n; i++) {
        if (i >= 20) vol[i] = std(lr, i - 19, i + 1, true)[1];
        if (i >= 19) {
          const [m, sd] = std(volumes, i - 19, i + 1, false);
          volz[i] = sd > 0 ? (volumes[i]! - m) / sd : 0;
        }
        if (i >= 23) {
          let pv = 0;
          let v = 0;
          for (let j = i - 23; j <= i; j++) {
            const c = candles[j]!;
            pv += ((c.high + c.low + c.close) / 3) * c.volume;
            v += c.volume;
          }
          vwap[i] = v > 0 ? closes[i]! / (pv / v) - 1 : 0;
        }
      }
      expectClose('vol_20', ours(candles, 'vol', { period: 20 }), vol, 1);
      expectClose('volz_20', ours(candles, 'volz', { period: 20 }), volz, 1);
      expectClose('vwap_dev_24', ours(candles, 'vwap_dev', { period: 24 }), vwap, 1);
    });
  });
}

runOracles('oracles on the committed synthetic sample (BTC)', () => readCandles(path.join(SAMPLE_DATA_DIR, 'BTC_USDT-1h.csv')));

const shared = sharedDataDir();
describe.skipIf(shared === undefined)('real data (skipped: ../shared/data or $WICK_TEST_DATA_DIR not found)', () => {
  // 2017-2018 BTC: thin early market, crashes, many gaps in the neighbourhood; and ETH 2020-2021,
  // which includes the March 2020 crash. 6,000 candles each keeps the slow oracles fast.
  runOracles('BTC 2017-08 onwards, 6,000 candles', async () => (await readCandles(path.join(shared!, 'BTC_USDT-1h.csv'))).slice(0, 6000));
  runOracles('ETH from 2020-03-01, 6,000 candles', async () => {
    const eth = await readCandles(path.join(shared!, 'ETH_USDT-1h.csv'));
    const from = eth.findIndex((c) => c.openTimeMs >= Date.UTC(2020, 2, 1));
    return eth.slice(from, from + 6000);
  });
});
