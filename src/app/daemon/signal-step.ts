import { performance } from 'node:perf_hooks';
import { seriesId, timeframeMs, type Candle, type ClosedCandle, type Logger, type OrderIntent, type Prediction, type SeriesKey, type SignalModel } from '../../core/index.js';
import { FeatureBuilder, FeatureEngine, type FeatureSpec, type Normalisation } from '../../features/index.js';
import type { Policy } from '../../strategy/index.js';

/** What the signal role needs: the model and the policy, and how to normalise the features. */
export interface SignalStepDeps {
  readonly model: SignalModel;
  readonly spec: FeatureSpec;
  readonly normalisation: Normalisation;
  readonly policy: Policy;
  readonly logger: Logger;
  /** Observes each inference, seconds. */
  readonly onInference?: (seconds: number) => void;
  /** Hears each live prediction and the decision taken on it (dashboard, metrics). */
  readonly onDecision?: (prediction: Prediction, intent: OrderIntent | null) => void;
}

/** The store the pipeline hands the step, to rebuild a series' window after a restart or a takeover. */
export interface CandleHistory {
  range(series: SeriesKey, fromMs: number, toMs: number): Promise<Candle[]>;
}

interface SeriesState {
  builder: FeatureBuilder;
  /** Open time of the last candle this process fed to the builder. */
  lastSeenMs: number | null;
}

/**
 * FeatureBuilder + SignalModel + Policy for one closed candle at a time, per series in open-time
 * order (the pipeline guarantees it). When the pipeline says the previous candle of the series was
 * not the one this process saw last (first candle after a restart, or another worker processed the
 * series meanwhile), the window is rebuilt from the candle store first, and the policy is fed the
 * predictions of the candles it needs to remember (the horizon-averaging policy averages the last
 * K predictions), so the first decision after a restart equals the one without the restart.
 */
export function createSignalStep(deps: SignalStepDeps) {
  const states = new Map<string, SeriesState>();
  const { model, spec, normalisation, policy } = deps;
  const T = model.info.windowLength;
  const K = model.info.horizons.length;
  const warmup = new FeatureEngine(spec, 3_600_000).warmup;

  const predict = async (series: SeriesKey, candle: Candle, builder: FeatureBuilder): Promise<Prediction> => {
    // A copy per call: steps of different series run concurrently, and onnxruntime reads the input
    // after this function has yielded, so a shared buffer could be overwritten by another series.
    const window = new Float32Array(builder.window());
    const started = performance.now();
    const values = await model.predict(window, 1);
    deps.onInference?.((performance.now() - started) / 1000);
    return { series, candleOpenTimeMs: candle.openTimeMs, kind: model.info.target, horizons: model.info.horizons, values: Array.from(values), modelId: model.info.modelId };
  };

  const rebuild = async (series: SeriesKey, candle: Candle, history: CandleHistory): Promise<SeriesState> => {
    const tfMs = timeframeMs(series.timeframe);
    // Everything the store holds: the streaming indicators (EMA, Wilder averages) then start where
    // they started before the restart, so the rebuilt window equals the one without the restart.
    // The store keeps at least warm-up + window candles (WorkerSettings.storeMaxCandles).
    const past = await history.range(series, 0, candle.openTimeMs - 1);
    const builder = new FeatureBuilder(spec, tfMs, normalisation, T);
    for (let i = 0; i < past.length; i++) {
      const c = past[i] as Candle;
      // Only the last K-1 decisions matter to the policy's memory; they are replayed and discarded.
      if (builder.push(c) && i >= past.length - (K - 1)) policy.decide(await predict(series, c, builder), c.close);
    }
    if (past.length < warmup + T) deps.logger.warn({ series: seriesId(series), candles: past.length, needed: warmup + T }, 'the candle store holds too little history to rebuild the feature window; predictions resume once it refills');
    deps.logger.info({ series: seriesId(series), candles: past.length, ready: builder.isReady }, 'feature window rebuilt from the candle store');
    return { builder, lastSeenMs: past.at(-1)?.openTimeMs ?? null };
  };

  return async (closed: ClosedCandle, context: { readonly previousOpenTimeMs: number | null; readonly store: CandleHistory }): Promise<OrderIntent | null> => {
    const { series, candle } = closed;
    const id = seriesId(series);
    let state = states.get(id);
    if (state === undefined || state.lastSeenMs !== context.previousOpenTimeMs) {
      state = context.previousOpenTimeMs === null ? { builder: new FeatureBuilder(spec, timeframeMs(series.timeframe), normalisation, T), lastSeenMs: null } : await rebuild(series, candle, context.store);
      states.set(id, state);
    }
    state.lastSeenMs = candle.openTimeMs;
    if (!state.builder.push(candle)) {
      deps.logger.debug({ series: id, openTimeMs: candle.openTimeMs }, 'candle closed; features warming up');
      return null;
    }
    const prediction = await predict(series, candle, state.builder);
    const intent = policy.decide(prediction, candle.close);
    deps.onDecision?.(prediction, intent);
    deps.logger.info(
      { series: id, openTimeMs: candle.openTimeMs, close: candle.close, prediction: prediction.values, intentId: intent?.intentId, targetFraction: intent?.targetFraction, reason: intent?.reason },
      intent === null ? 'candle closed: prediction, no new intent' : 'candle closed: prediction and intent',
    );
    return intent;
  };
}
