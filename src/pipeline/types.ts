import type { ClosedCandle, Candle, OrderIntent, SeriesKey } from '../core/index.js';

/** Read side of the candle store, handed to a SignalStep so it can rebuild its window. */
export interface CandleStoreReader {
  /** Candles with fromMs <= openTimeMs <= toMs, ascending. */
  range(series: SeriesKey, fromMs: number, toMs: number): Promise<Candle[]>;
  /** The last n candles, ascending. */
  last(series: SeriesKey, n: number): Promise<Candle[]>;
  lastOpenTime(series: SeriesKey): Promise<number | null>;
}

/** What the pipeline tells a SignalStep besides the candle. */
export interface SignalContext {
  /**
   * Open time of the candle of this series processed just before this one (by any worker, any process),
   * or null for the first. When it is not the candle the step itself saw last (another process took the
   * series over, or this process restarted), the step must rebuild its window from `store` first.
   */
  readonly previousOpenTimeMs: number | null;
  readonly store: CandleStoreReader;
}

/**
 * FeatureBuilder + SignalModel + Policy, wired by src/app. Called strictly in open-time order per
 * series, never twice at once for one series; different series run concurrently (signalConcurrency).
 * At least once: after a crash the uncommitted part of a batch runs again (in another process), so
 * the returned intent must be deterministic (intentId from series and candle).
 */
export type SignalStep = (candle: ClosedCandle, context: SignalContext) => Promise<OrderIntent | null>;

/** One processed candle of a series and the intent decided on it (null: no new intent, hold). */
export interface SignalDecision {
  readonly candle: ClosedCandle;
  readonly intent: OrderIntent | null;
}

/**
 * RiskEngine + OrderManager + Broker, wired by src/app. Called by a single writer for EVERY processed
 * candle, in open-time order per series, at least once: a crash between the call and the pipeline's
 * "done" mark re-runs it, so it must itself be idempotent by candle (deterministic client order ids).
 */
export type TraderStep = (decision: SignalDecision) => Promise<void>;

export type PipelineRole = 'ingest' | 'signal' | 'trader';

type Labels<L extends string> = Partial<Record<L, string | number>>;
/** Structural subsets of prom-client's Counter and Histogram, so src/obs metrics plug in without an import. */
export interface CounterPort<L extends string> {
  inc(labels: Labels<L>, value?: number): void;
}
export interface HistogramPort<L extends string> {
  observe(labels: Labels<L>, value: number): void;
}

/** The metrics the pipeline writes; src/obs `createMetrics()` returns an object that satisfies this. */
export interface PipelineMetrics {
  readonly candlesReceived: CounterPort<'series'>;
  readonly candlesProcessed: CounterPort<'series'>;
  readonly candlesRejected: CounterPort<'series' | 'reason'>;
  readonly queueWaitSeconds: HistogramPort<'queue'>;
  readonly intentsTotal: CounterPort<'action'>;
  readonly pipelineLatencySeconds: HistogramPort<'stage'>;
  readonly stepSeconds: HistogramPort<'step'>;
  readonly errorsTotal: CounterPort<'code'>;
}

const noopCounter = { inc: () => undefined };
const noopHistogram = { observe: () => undefined };
export const noopPipelineMetrics: PipelineMetrics = Object.freeze({
  candlesReceived: noopCounter,
  candlesProcessed: noopCounter,
  candlesRejected: noopCounter,
  queueWaitSeconds: noopHistogram,
  intentsTotal: noopCounter,
  pipelineLatencySeconds: noopHistogram,
  stepSeconds: noopHistogram,
  errorsTotal: noopCounter,
});

/** 'long' | 'short' | 'flat', the label of the intents counter. */
export function intentAction(intent: OrderIntent): 'long' | 'short' | 'flat' {
  return intent.targetFraction > 0 ? 'long' : intent.targetFraction < 0 ? 'short' : 'flat';
}
