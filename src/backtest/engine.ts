import { ManualClock, silentLogger, timeframeMs, type Candle, type Logger, type MarketRules, type OrderIntent, type Prediction, type SeriesKey, type SignalModel } from '../core/index.js';
import { atrGauge, FeatureBuilder, type FeatureSpec, type Normalisation } from '../features/index.js';
import { AccountLedger, PaperBroker, SimulatedVenueFeed, TradingKernel, type FillModelConfig, type OrderManagerConfig, type RiskConfig } from '../execution/index.js';
import type { Policy } from '../strategy/index.js';
import { finishRun, SteppedMarkets, type SessionResult } from './run-result.js';

export interface BacktestSeries {
  readonly key: SeriesKey;
  /** Closed candles in ascending time; those before `fromMs` only warm up the features. */
  readonly candles: readonly Candle[];
}

export interface BacktestSetup {
  readonly series: readonly BacktestSeries[];
  readonly model: SignalModel;
  readonly featureSpec: FeatureSpec;
  readonly normalisation: Normalisation;
  readonly policy: Policy;
  readonly orderManager: OrderManagerConfig;
  readonly risk: RiskConfig;
  readonly rules: Readonly<Record<string, MarketRules>>;
  readonly fillModel: FillModelConfig;
  /** First candle (open time) on which the strategy may trade; earlier candles warm up the features. */
  readonly fromMs?: number;
  /** Candles at or after this open time are not used at all. */
  readonly toMs?: number;
  /** Windows scored per model call; batching cannot change a decision (each window is the past only). */
  readonly inferenceBatch?: number;
  readonly logger?: Logger;
}

export type BacktestRun = SessionResult;
export type { SessionResult } from './run-result.js';


/**
 * Scores every candle's window with the model, in batches. A prediction for candle i uses the
 * FeatureBuilder's window ending at i: the same streaming code the daemon runs, fed candles up to i
 * and no further. Returns (N, K) values, NaN where no full window existed yet.
 */
export async function scoreSeries(
  candles: readonly Candle[],
  spec: FeatureSpec,
  tfMs: number,
  normalisation: Normalisation,
  model: SignalModel,
  batchSize: number,
): Promise<Float64Array> {
  const T = model.info.windowLength;
  const F = model.info.featureCount;
  const K = model.info.horizons.length;
  const out = new Float64Array(candles.length * K).fill(Number.NaN);
  const builder = new FeatureBuilder(spec, tfMs, normalisation, T);
  const buffer = new Float32Array(batchSize * T * F);
  const rows = new Int32Array(batchSize);
  let n = 0;
  const flush = async (): Promise<void> => {
    if (n === 0) return;
    const values = await model.predict(buffer.subarray(0, n * T * F), n);
    for (let b = 0; b < n; b++) out.set(values.subarray(b * K, b * K + K), (rows[b] as number) * K);
    n = 0;
  };
  for (let i = 0; i < candles.length; i++) {
    if (!builder.push(candles[i] as Candle)) continue;
    buffer.set(builder.window(), n * T * F);
    rows[n++] = i;
    if (n === batchSize) await flush();
  }
  await flush();
  return out;
}

/**
 * Replays one or more series in time order through the same FeatureBuilder, SignalModel, Policy,
 * RiskEngine and trading kernel every mode uses, with the PaperBroker's fill model: a decision taken
 * at a candle's close fills at the NEXT candle's open. Candles of several series that share an open
 * time are processed in the order the series are given, and one equity point is recorded per time.
 */
export async function runBacktest(setup: BacktestSetup): Promise<BacktestRun> {
  const first = setup.series[0];
  if (first === undefined) throw new RangeError('runBacktest: no series given');
  const timeframe = first.key.timeframe;
  if (setup.series.some((s) => s.key.timeframe !== timeframe)) throw new RangeError('runBacktest: every series must share one timeframe');
  const tfMs = timeframeMs(timeframe);
  const fromMs = setup.fromMs ?? Number.NEGATIVE_INFINITY;
  const toMs = setup.toMs ?? Number.POSITIVE_INFINITY;
  const batch = setup.inferenceBatch ?? 512;
  const info = setup.model.info;
  const K = info.horizons.length;

  const series = setup.series.map((s) => ({ key: s.key, candles: s.candles.filter((c) => c.openTimeMs < toMs) }));
  const predictions: Float64Array[] = [];
  for (const s of series) predictions.push(await scoreSeries(s.candles, setup.featureSpec, tfMs, setup.normalisation, setup.model, batch));

  // Merge the series by open time (stable: series order breaks ties).
  const events: { t: number; s: number; i: number }[] = [];
  series.forEach((s, si) => s.candles.forEach((c, i) => events.push({ t: c.openTimeMs, s: si, i })));
  events.sort((a, b) => a.t - b.t || a.s - b.s);

  // The in-process adapters: a simulated clock and venue; the kernel is the one every mode runs.
  const clock = new ManualClock();
  const broker = new PaperBroker({ rules: setup.rules, initialQuote: setup.orderManager.initialCashQuote, fillModel: setup.fillModel }, clock);
  const ledger = new AccountLedger(tfMs);
  const kernel = new TradingKernel(
    { orderManager: setup.orderManager, risk: setup.risk },
    { broker, feed: new SimulatedVenueFeed(broker, clock, tfMs), clock, logger: setup.logger ?? silentLogger, newAtr: atrGauge, onEvent: (e) => ledger.on(e) },
  );
  const stepped = new SteppedMarkets();
  for (const ev of events) {
    if (ev.t < fromMs) continue;
    const s = series[ev.s] as (typeof series)[number];
    const candle = s.candles[ev.i] as Candle;
    const preds = predictions[ev.s] as Float64Array;
    let intent: OrderIntent | null = null;
    if (!Number.isNaN(preds[ev.i * K])) {
      const prediction: Prediction = {
        series: s.key,
        candleOpenTimeMs: candle.openTimeMs,
        kind: info.target,
        horizons: info.horizons,
        values: Array.from(preds.subarray(ev.i * K, ev.i * K + K)),
        modelId: info.modelId,
      };
      intent = setup.policy.decide(prediction, candle.close);
    }
    await kernel.step({ series: s.key, candle, intent });
    kernel.drain();
    stepped.add(s.key.symbol, candle);
  }
  const run = finishRun(ledger, { timeframe, initialCashQuote: setup.orderManager.initialCashQuote, fillModel: setup.fillModel, markets: stepped.list() });
  setup.logger?.child({ component: 'backtest' }).info({ candles: run.candlesProcessed, trades: run.trades.length, intents: run.intents, denied: run.deniedByRisk }, 'backtest finished');
  return run;
}
