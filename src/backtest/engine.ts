import {
  ManualClock,
  silentLogger,
  timeframeMs,
  type Candle,
  type Logger,
  type MarketRules,
  type OrderIntent,
  type Prediction,
  type SeriesKey,
  type SignalModel,
  type SignalModelInfo,
  type Timeframe,
} from '../core/index.js';
import { atrGauge, FeatureBuilder, type FeatureSpec, type Normalisation } from '../features/index.js';
import {
  AccountLedger,
  PaperBroker,
  SimulatedVenueFeed,
  TradingKernel,
  type FillModelConfig,
  type OrderManagerConfig,
  type RiskConfig,
} from '../execution/index.js';
import type { Policy } from '../strategy/index.js';
import { finishRun, SteppedMarkets, type SessionResult } from './run-result.js';

export type { SessionResult } from './run-result.js';

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

/** The policy's decision value per candle of one series (what the report's prediction pane draws). */
export interface SeriesSignal {
  readonly symbol: string;
  /** `[candleOpenTimeMs, value]`, ascending. */
  readonly points: readonly (readonly [number, number])[];
}

export type BacktestRun = SessionResult & {
  readonly signals?: readonly SeriesSignal[];
  /** The levels the signal is compared with (enter above, exit below); absent when the policy has none. */
  readonly signalLevels?: { readonly enter: number; readonly exit: number };
};

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
  // Two buffers: while the model scores one batch (on other threads, for a threaded model), the
  // next batch's windows are built in the other.
  const buffers = [new Float32Array(batchSize * T * F), new Float32Array(batchSize * T * F)];
  const rowsOf = [new Int32Array(batchSize), new Int32Array(batchSize)];
  let cur = 0;
  let n = 0;
  let inFlight: Promise<void> | null = null;
  const flush = async (): Promise<void> => {
    if (n > 0) {
      const rows = rowsOf[cur]!;
      const count = n;
      const scored = model.predict(buffers[cur]!.subarray(0, count * T * F), count).then((values) => {
        for (let b = 0; b < count; b++) out.set(values.subarray(b * K, b * K + K), rows[b]! * K);
      });
      // Awaited at the next flush; until then a failure must not count as unhandled.
      scored.catch(() => undefined);
      cur ^= 1;
      n = 0;
      // The buffer filled next was handed to the model two flushes ago: wait for that one first.
      if (inFlight !== null) await inFlight;
      inFlight = scored;
    }
  };
  for (let i = 0; i < candles.length; i++) {
    if (!builder.push(candles[i] as Candle)) continue;
    buffers[cur]!.set(builder.window(), n * T * F);
    rowsOf[cur]![n++] = i;
    if (n === batchSize) await flush();
  }
  await flush();
  if (inFlight !== null) await inFlight;
  return out;
}

/** One series after the score phase: its candles (those before `toMs`) and the model's (N, K) predictions. */
export interface ScoredSeries {
  readonly key: SeriesKey;
  readonly candles: readonly Candle[];
  /** (N, K) row-major, NaN where no full window existed yet. */
  readonly predictions: Float64Array;
}

/** Everything the trade phase needs: the backtest setup minus the model and its features. */
export interface TradeSetup {
  /** What the predictions are and which model made them (copied onto every Prediction). */
  readonly model: Pick<SignalModelInfo, 'modelId' | 'target' | 'horizons'>;
  /** A fresh policy: policies keep per-series state, so each trade-phase run needs its own. */
  readonly policy: Policy;
  readonly orderManager: OrderManagerConfig;
  readonly risk: RiskConfig;
  readonly rules: Readonly<Record<string, MarketRules>>;
  readonly fillModel: FillModelConfig;
  /** First candle (open time) on which the strategy may trade. */
  readonly fromMs?: number;
  readonly logger?: Logger;
}

function seriesTimeframe(series: readonly { readonly key: SeriesKey }[], caller: string): Timeframe {
  const first = series[0];
  if (first === undefined) throw new RangeError(`${caller}: no series given`);
  const timeframe = first.key.timeframe;
  if (series.some((s) => s.key.timeframe !== timeframe)) throw new RangeError(`${caller}: every series must share one timeframe`);
  return timeframe;
}

/**
 * Score phase: drops candles at or after `toMs` and scores every remaining candle's window with the
 * model (see scoreSeries). The result can be traded as is or altered first (e.g. shifted in time).
 */
export async function scoreBacktestSeries(
  setup: Pick<BacktestSetup, 'series' | 'model' | 'featureSpec' | 'normalisation' | 'toMs' | 'inferenceBatch'>,
): Promise<ScoredSeries[]> {
  const tfMs = timeframeMs(seriesTimeframe(setup.series, 'runBacktest'));
  const toMs = setup.toMs ?? Number.POSITIVE_INFINITY;
  const batch = setup.inferenceBatch ?? 512;
  const scored: ScoredSeries[] = [];
  for (const s of setup.series) {
    const candles = s.candles.filter((c) => c.openTimeMs < toMs);
    scored.push({ key: s.key, candles, predictions: await scoreSeries(candles, setup.featureSpec, tfMs, setup.normalisation, setup.model, batch) });
  }
  return scored;
}

/**
 * Trade phase: replays scored series in time order through the Policy and the trading kernel every
 * mode uses, with the PaperBroker's fill model: a decision taken at a candle's close fills at
 * the NEXT candle's open. Candles of several series that share an open time are processed in the
 * order the series are given, and one equity point is recorded per time.
 */
export async function tradeScoredSeries(setup: TradeSetup, series: readonly ScoredSeries[]): Promise<BacktestRun> {
  const timeframe = seriesTimeframe(series, 'tradeScoredSeries');
  const fromMs = setup.fromMs ?? Number.NEGATIVE_INFINITY;
  const info = setup.model;
  const K = info.horizons.length;
  for (const s of series) {
    if (s.predictions.length !== s.candles.length * K) {
      throw new RangeError(`tradeScoredSeries: ${s.key.symbol} has ${s.predictions.length} prediction values for ${s.candles.length} candles x ${K} horizons`);
    }
  }

  // Merge the series by open time (stable: series order breaks ties).
  const events: { t: number; s: number; i: number }[] = [];
  series.forEach((s, si) => s.candles.forEach((c, i) => events.push({ t: c.openTimeMs, s: si, i })));
  events.sort((a, b) => a.t - b.t || a.s - b.s);

  // The in-process adapters: a simulated clock and venue; the kernel is the one every mode runs.
  const tfMs = timeframeMs(timeframe);
  const clock = new ManualClock();
  const broker = new PaperBroker({ rules: setup.rules, initialQuote: setup.orderManager.initialCashQuote, fillModel: setup.fillModel }, clock);
  const ledger = new AccountLedger(tfMs);
  const kernel = new TradingKernel(
    { orderManager: setup.orderManager, risk: setup.risk },
    { broker, feed: new SimulatedVenueFeed(broker, clock, tfMs), clock, logger: setup.logger ?? silentLogger, newAtr: atrGauge, onEvent: (e) => ledger.on(e) },
  );
  const stepped = new SteppedMarkets();
  const signals = series.map(() => [] as [number, number][]);
  for (const ev of events) {
    if (ev.t < fromMs) continue;
    const s = series[ev.s] as ScoredSeries;
    const candle = s.candles[ev.i] as Candle;
    const preds = s.predictions;
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
      const signal = setup.policy.lastSignal;
      if (signal !== undefined && Number.isFinite(signal)) (signals[ev.s] as [number, number][]).push([candle.openTimeMs, signal]);
    }
    await kernel.step({ series: s.key, candle, intent });
    kernel.drain();
    stepped.add(s.key.symbol, candle);
  }
  const finished = finishRun(ledger, { timeframe, initialCashQuote: setup.orderManager.initialCashQuote, fillModel: setup.fillModel, markets: stepped.list() });
  const levels = setup.policy.signalLevels;
  const run: BacktestRun = {
    ...finished,
    signals: series.map((s, i) => ({ symbol: s.key.symbol, points: signals[i] as [number, number][] })),
    ...(levels !== undefined ? { signalLevels: levels } : {}),
  };
  setup.logger
    ?.child({ component: 'backtest' })
    .info({ candles: run.candlesProcessed, trades: run.trades.length, intents: run.intents, denied: run.deniedByRisk }, 'backtest finished');
  return run;
}

/**
 * Replays one or more series through the same FeatureBuilder, SignalModel, Policy, RiskEngine and
 * OrderManager the daemon uses: the score phase, then the trade phase.
 */
export async function runBacktest(setup: BacktestSetup): Promise<BacktestRun> {
  const scored = await scoreBacktestSeries(setup);
  return tradeScoredSeries({ ...setup, model: setup.model.info }, scored);
}
