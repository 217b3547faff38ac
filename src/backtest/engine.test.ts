import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomModelFolder } from '../../test/support/random-model.js';
import type { Candle, MarketRules, SeriesKey } from '../core/index.js';
import { silentLogger } from '../core/logger.js';
import { SCALE_FREE_SPEC, computeFeatures, fitNormalisation, type Normalisation } from '../features/index.js';
import { readCandles } from '../market/candle-csv.js';
import { SAMPLE_DATA_DIR } from '../market/candle-csv-shared-data.js';
import { OnnxSignalModel } from '../model/onnx-signal-model.js';
import { HorizonAveragingPolicy } from '../strategy/index.js';
import { DEFAULT_RISK } from '../execution/index.js';
import { runBacktest, scoreBacktestSeries, tradeScoredSeries, type BacktestSetup } from './engine.js';

const H = 3_600_000;
const BTC: SeriesKey = { exchange: 'sim', symbol: 'BTC/USDT', timeframe: '1h' };
const ETH: SeriesKey = { exchange: 'sim', symbol: 'ETH/USDT', timeframe: '1h' };
const RULES: MarketRules = { symbol: '', tickSize: 0.01, stepSize: 0.00001, minQtyBase: 0.00001, minNotionalQuote: 5 };

let btc: Candle[];
let eth: Candle[];
let dir: string;
let model: OnnxSignalModel;
let norm: Normalisation;

beforeAll(async () => {
  btc = (await readCandles(`${SAMPLE_DATA_DIR}/BTC_USDT-1h.csv`)).slice(0, 1200);
  eth = (await readCandles(`${SAMPLE_DATA_DIR}/ETH_USDT-1h.csv`)).slice(0, 1200);
  const f = computeFeatures(btc.slice(0, 400), SCALE_FREE_SPEC, H);
  norm = fitNormalisation(f.raw, f.ready, f.featureCount, 0, 400);
  dir = await randomModelFolder({ seed: 3, normalisation: { mean: [...norm.mean], std: [...norm.std] } });
  model = await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger });
});
afterAll(async () => {
  await model.close();
  await rm(dir, { recursive: true, force: true });
});

function setup(series: { key: SeriesKey; candles: Candle[] }[], extra: Partial<BacktestSetup> = {}): BacktestSetup {
  return {
    series,
    model,
    featureSpec: SCALE_FREE_SPEC,
    normalisation: { ...norm, clip: 5 },
    policy: new HorizonAveragingPolicy({ threshold: 0.002, scale: 0.01, cap: 0.5 }),
    orderManager: { account: 'bt', initialCashQuote: 10_000, rebalanceBandFraction: 0.05 },
    risk: DEFAULT_RISK,
    rules: { 'BTC/USDT': { ...RULES, symbol: 'BTC/USDT' }, 'ETH/USDT': { ...RULES, symbol: 'ETH/USDT' } },
    fillModel: { slippageBps: 5, takerFeeBps: 10, makerFeeBps: 10 },
    fromMs: btc[200]!.openTimeMs,
    ...extra,
  };
}

describe('runBacktest', () => {
  it('trades, fills market orders at the NEXT candle open plus slippage, and marks one equity point per bar', async () => {
    const run = await runBacktest(setup([{ key: BTC, candles: btc }]));
    expect(run.trades.length).toBeGreaterThan(3);
    expect(run.equity.length).toBe(btc.length - 200);
    const byOpen = new Map(btc.map((c) => [c.openTimeMs, c]));
    expect(run.fills.length).toBeGreaterThan(6);
    for (const f of run.fills) {
      // a fill is stamped with the open time of the candle it happened in; its price lies within that candle
      const candle = byOpen.get(f.timeMs);
      expect(candle).toBeDefined();
      expect(f.priceQuote).toBeGreaterThanOrEqual(candle!.low * (1 - 0.0005) - 1e-9);
      expect(f.priceQuote).toBeLessThanOrEqual(candle!.high * (1 + 0.0005) + 1e-9);
    }
    const firstEntry = run.fills.find((f) => f.side === 'buy')!;
    const fillCandle = byOpen.get(firstEntry.timeMs)!;
    expect(firstEntry.priceQuote).toBeCloseTo(fillCandle.open * 1.0005, 6);
    expect(run.metrics.strategy.trades).toBe(run.trades.length);
    expect(run.metrics.buyAndHold.bars).toBe(run.equity.length);
  });

  it('no look-ahead: decisions before T are identical whether or not data after T exists', async () => {
    const full = await runBacktest(setup([{ key: BTC, candles: btc }]));
    const cut = btc[800]!.openTimeMs;
    const truncated = await runBacktest(setup([{ key: BTC, candles: btc.slice(0, 800) }]));
    const before = (fills: typeof full.fills) => fills.filter((f) => f.timeMs < cut);
    expect(before(truncated.fills).length).toBeGreaterThan(0);
    expect(before(truncated.fills)).toEqual(before(full.fills));
    expect(truncated.equity).toEqual(full.equity.slice(0, truncated.equity.length));
  });

  it('no look-ahead: altering a future candle changes no past decision', async () => {
    const base = await runBacktest(setup([{ key: BTC, candles: btc }]));
    const k = 900;
    const altered = btc.map((c, i) => (i === k ? { ...c, high: c.high * 1.5, close: c.close * 1.4, volume: c.volume * 100 } : c));
    const changed = await runBacktest(setup([{ key: BTC, candles: altered }]));
    const cut = btc[k]!.openTimeMs;
    expect(changed.fills.filter((f) => f.timeMs <= cut)).toEqual(base.fills.filter((f) => f.timeMs <= cut));
    expect(changed.fills).not.toEqual(base.fills);
  });

  it('batching inference does not change a single decision', async () => {
    const one = await runBacktest(setup([{ key: BTC, candles: btc }], { inferenceBatch: 1 }));
    const many = await runBacktest(setup([{ key: BTC, candles: btc }], { inferenceBatch: 333 }));
    expect(many.fills).toEqual(one.fills);
    expect(many.equity).toEqual(one.equity);
  });

  it('runs several series on one account in time order, against an equal-weight buy-and-hold', async () => {
    const run = await runBacktest(
      setup([
        { key: BTC, candles: btc },
        { key: ETH, candles: eth },
      ]),
    );
    const symbols = new Set(run.trades.map((t) => t.symbol));
    expect(symbols).toEqual(new Set(['BTC/USDT', 'ETH/USDT']));
    for (let i = 1; i < run.equity.length; i++) expect(run.equity[i]![0]).toBeGreaterThan(run.equity[i - 1]![0]);
    expect(run.buyAndHoldEquity[0]![1]).toBeCloseTo(10_000, 6);
  });

  it('score then trade phases reproduce runBacktest; the trade phase replays altered predictions through the same policy', async () => {
    const s = setup([{ key: BTC, candles: btc }]);
    const whole = await runBacktest(s);
    const scored = await scoreBacktestSeries(s);
    const fresh = () => ({ ...s, model: model.info, policy: new HorizonAveragingPolicy({ threshold: 0.002, scale: 0.01, cap: 0.5 }) });
    const split = await tradeScoredSeries(fresh(), scored);
    expect(split.fills).toEqual(whole.fills);
    expect(split.equity).toEqual(whole.equity);
    const first = scored[0]!;
    const K = model.info.horizons.length;
    // the same predictions, one bar later: a different set of decisions over the same candles
    const shifted = new Float64Array(first.predictions.length).fill(Number.NaN);
    shifted.set(first.predictions.subarray(0, first.predictions.length - K), K);
    const late = await tradeScoredSeries(fresh(), [{ ...first, predictions: shifted }]);
    expect(late.equity.length).toBe(whole.equity.length);
    expect(late.fills).not.toEqual(whole.fills);
    await expect(tradeScoredSeries(fresh(), [{ ...first, predictions: shifted.subarray(K) }])).rejects.toThrow(/prediction values for/);
  });
});
