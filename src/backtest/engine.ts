import {
  ManualClock,
  barsPerYear,
  silentLogger,
  timeframeMs,
  type Candle,
  type Fill,
  type Logger,
  type MarketRules,
  type OrderIntent,
  type Prediction,
  type SeriesKey,
  type SignalModel,
  type Timeframe,
} from '../core/index.js';
import { FeatureBuilder, createIndicator, type FeatureSpec, type Normalisation } from '../features/index.js';
import {
  OrderManager,
  PaperBroker,
  RiskEngine,
  stepCandle,
  type BrokerUpdate,
  type CandleDrivenBroker,
  type FillModelConfig,
  type OrderManagerConfig,
  type RiskConfig,
} from '../execution/index.js';
import type { Policy } from '../strategy/index.js';
import { buyAndHoldEqualWeight } from './metrics-buy-and-hold.js';
import { computeMetrics, type Metrics } from './metrics.js';
import type { EquityPoint, Trade } from './result.js';
import { TradeJournal } from './trade-journal.js';

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

export interface BacktestRun {
  readonly timeframe: Timeframe;
  readonly equity: readonly EquityPoint[];
  readonly exposed: readonly boolean[];
  readonly trades: readonly Trade[];
  readonly fills: readonly Fill[];
  readonly intents: number;
  readonly deniedByRisk: Readonly<Record<string, number>>;
  readonly feesPaidQuote: number;
  readonly candlesProcessed: number;
  readonly metrics: { readonly strategy: Metrics; readonly buyAndHold: Metrics };
  readonly buyAndHoldEquity: readonly EquityPoint[];
}

const ATR_PERIOD = 14;

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

/** Passes every call to the PaperBroker and keeps the fills of each candle step for the trade journal. */
class FillTap implements CandleDrivenBroker {
  readonly fills: Fill[] = [];
  constructor(private readonly inner: PaperBroker) {}
  get name(): string {
    return this.inner.name;
  }
  private tap(update: BrokerUpdate): BrokerUpdate {
    for (const f of update.fills) this.fills.push(f);
    return update;
  }
  onCandleOpen(series: SeriesKey, candle: Candle): BrokerUpdate {
    return this.tap(this.inner.onCandleOpen(series, candle));
  }
  onCandleRange(series: SeriesKey, candle: Candle): BrokerUpdate {
    return this.tap(this.inner.onCandleRange(series, candle));
  }
  supportsNativeStops(): boolean {
    return this.inner.supportsNativeStops();
  }
  marketRules(symbol: string): MarketRules {
    return this.inner.marketRules(symbol);
  }
  placeOrder(...args: Parameters<PaperBroker['placeOrder']>): ReturnType<PaperBroker['placeOrder']> {
    return this.inner.placeOrder(...args);
  }
  cancelOrder(...args: Parameters<PaperBroker['cancelOrder']>): ReturnType<PaperBroker['cancelOrder']> {
    return this.inner.cancelOrder(...args);
  }
  fetchOrder(...args: Parameters<PaperBroker['fetchOrder']>): ReturnType<PaperBroker['fetchOrder']> {
    return this.inner.fetchOrder(...args);
  }
  fetchOpenOrders(...args: Parameters<PaperBroker['fetchOpenOrders']>): ReturnType<PaperBroker['fetchOpenOrders']> {
    return this.inner.fetchOpenOrders(...args);
  }
  fetchFills(...args: Parameters<PaperBroker['fetchFills']>): ReturnType<PaperBroker['fetchFills']> {
    return this.inner.fetchFills(...args);
  }
  fetchBalance(): ReturnType<PaperBroker['fetchBalance']> {
    return this.inner.fetchBalance();
  }
}

/**
 * Replays one or more series in time order through the same FeatureBuilder, SignalModel, Policy,
 * RiskEngine and OrderManager the daemon uses, with the PaperBroker's fill model: a decision taken
 * at a candle's close fills at the NEXT candle's open. Candles of several series that share an open
 * time are processed in the order the series are given, and one equity point is recorded per time.
 */
export async function runBacktest(setup: BacktestSetup): Promise<BacktestRun> {
  const log = (setup.logger ?? silentLogger).child({ component: 'backtest' });
  const first = setup.series[0];
  if (first === undefined) throw new RangeError('runBacktest: no series given');
  const timeframe = first.key.timeframe;
  if (setup.series.some((s) => s.key.timeframe !== timeframe)) throw new RangeError('runBacktest: every series must share one timeframe');
  const tfMs = timeframeMs(timeframe);
  const fromMs = setup.fromMs ?? Number.NEGATIVE_INFINITY;
  const toMs = setup.toMs ?? Number.POSITIVE_INFINITY;
  const batch = setup.inferenceBatch ?? 512;
  const K = setup.model.info.horizons.length;

  const series = setup.series.map((s) => ({ key: s.key, candles: s.candles.filter((c) => c.openTimeMs < toMs) }));
  const predictions = [];
  for (const s of series) predictions.push(await scoreSeries(s.candles, setup.featureSpec, tfMs, setup.normalisation, setup.model, batch));

  // Merge the series by open time (stable: series order breaks ties).
  const events: { t: number; s: number; i: number }[] = [];
  series.forEach((s, si) => s.candles.forEach((c, i) => events.push({ t: c.openTimeMs, s: si, i })));
  events.sort((a, b) => a.t - b.t || a.s - b.s);

  const clock = new ManualClock();
  const paper = new PaperBroker({ rules: setup.rules, initialQuote: setup.orderManager.initialCashQuote, fillModel: setup.fillModel }, clock);
  const broker = new FillTap(paper);
  const risk = new RiskEngine(setup.risk, clock);
  const om = new OrderManager(setup.orderManager, { broker, risk, clock, logger: setup.logger ?? silentLogger });
  const journal = new TradeJournal();
  const atrs = series.map(() => createIndicator({ id: 'atr', kind: 'atr', params: { period: ATR_PERIOD } }));
  const marks = new Map<string, { priceQuote: number; timeMs: number }>();
  const equity: EquityPoint[] = [];
  const exposed: boolean[] = [];
  const tradedCandles: Candle[][] = series.map(() => []);
  const denied: Record<string, number> = {};
  let intents = 0;
  let processed = 0;
  let journaled = 0;
  let feesPaid = 0;

  for (let e = 0; e < events.length; e++) {
    const ev = events[e] as { t: number; s: number; i: number };
    const s = series[ev.s] as (typeof series)[number];
    const candle = s.candles[ev.i] as Candle;
    const atr = atrs[ev.s] as ReturnType<typeof createIndicator>;
    atr.update(candle);
    if (ev.t < fromMs) continue;
    clock.set(candle.openTimeMs + tfMs);
    await stepCandle(broker, om, s.key, candle);
    processed++;
    tradedCandles[ev.s]?.push(candle);
    marks.set(s.key.symbol, { priceQuote: candle.close, timeMs: candle.openTimeMs + tfMs });
    for (; journaled < broker.fills.length; journaled++) {
      const fill = broker.fills[journaled] as Fill;
      feesPaid += fill.feeQuote;
      journal.record(fill, om.order(fill.clientOrderId)?.purpose ?? 'exit');
    }

    const preds = predictions[ev.s] as Float64Array;
    const v0 = preds[ev.i * K];
    if (v0 !== undefined && !Number.isNaN(v0)) {
      const prediction: Prediction = {
        series: s.key,
        candleOpenTimeMs: candle.openTimeMs,
        kind: setup.model.info.target,
        horizons: setup.model.info.horizons,
        values: Array.from(preds.subarray(ev.i * K, ev.i * K + K)),
        modelId: setup.model.info.modelId,
      };
      const intent: OrderIntent | null = setup.policy.decide(prediction, candle.close);
      if (intent !== null) {
        intents++;
        const atrValue = atr.value();
        const outcome = await om.onIntent(intent, Number.isFinite(atrValue) ? atrValue : undefined);
        if (outcome.status === 'denied') denied[outcome.reason.code] = (denied[outcome.reason.code] ?? 0) + 1;
      }
    }
    const next = events[e + 1];
    if (next === undefined || next.t !== ev.t) {
      equity.push([ev.t, om.equityQuote()]);
      exposed.push(om.openPositionCount() > 0);
    }
  }
  journal.closeAll(marks);
  const trades = journal.trades;

  const bpy = barsPerYear(timeframe);
  const initial = setup.orderManager.initialCashQuote;
  const strategy = equity.length > 0 ? computeMetrics({ equity, trades, exposed, barsPerYear: bpy, feesPaidQuote: feesPaid }) : computeMetrics({ equity: [[fromMs === Number.NEGATIVE_INFINITY ? 0 : fromMs, initial]], trades: [], exposed: [false], barsPerYear: bpy });
  // Benchmark: an equal-weight basket of the same markets over the same bars, paying the same entry costs.
  const bh = buyAndHoldEqualWeight(
    series.map((s, i) => ({ symbol: s.key.symbol, candles: tradedCandles[i] as Candle[] })).filter((m) => m.candles.length > 0),
    { initialEquityQuote: initial, feeBps: setup.fillModel.takerFeeBps, slippageBps: setup.fillModel.slippageBps },
  );
  const buyAndHoldMetrics = computeMetrics({ equity: bh.equity, trades: bh.trades, exposed: bh.exposed, barsPerYear: bpy });
  log.info({ candles: processed, trades: trades.length, intents, denied, finalEquity: equity.at(-1)?.[1] }, 'backtest finished');
  return {
    timeframe,
    equity,
    exposed,
    trades,
    fills: broker.fills,
    intents,
    deniedByRisk: denied,
    feesPaidQuote: feesPaid,
    candlesProcessed: processed,
    metrics: { strategy, buyAndHold: buyAndHoldMetrics },
    buyAndHoldEquity: bh.equity,
  };
}
