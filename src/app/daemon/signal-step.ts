import { performance } from 'node:perf_hooks';
import { seriesId, timeframeMs, type Candle, type ClosedCandle, type Logger, type OrderIntent, type Prediction, type SeriesKey } from '../../core/index.js';
import { FeatureBuilder, FeatureEngine, PredictionDrift, windowDriftScore } from '../../features/index.js';
import type { ActiveModel, ModelSource } from './model-handle.js';
import { fixedModelSource } from './model-handle.js';

/** What the drift guard saw on one decision. */
export interface DriftReading {
  /** Dissimilarity of the window to the training data (RMS z-score); null when the model has no calibration. */
  readonly score: number | null;
  readonly threshold: number | null;
  /** An entry intent was withheld because the score was above the threshold. */
  readonly blocked: boolean;
  /** Prediction-distribution drift per horizon (validation-σ units), when calibrated. */
  readonly predictionDrift: readonly number[] | null;
}

/** What the signal role needs: the model(s) to use per candle, and hooks for observability. */
export type SignalStepDeps = (
  | { readonly models: ModelSource }
  | Pick<ActiveModel, 'model' | 'spec' | 'normalisation' | 'policy'> // one fixed model (tests, backtest-like wiring)
) & {
  readonly logger: Logger;
  /** Input-drift guard on (default): no new entries while the window is unlike the training data. */
  readonly driftGuard?: boolean;
  /** Observes each inference, seconds. */
  readonly onInference?: (seconds: number) => void;
  /** Hears each live prediction and the decision taken on it (dashboard, metrics). */
  readonly onDecision?: (prediction: Prediction, intent: OrderIntent | null, drift: DriftReading) => void;
};

/** The store the pipeline hands the step, to rebuild a series' window after a restart or a takeover. */
export interface CandleHistory {
  range(series: SeriesKey, fromMs: number, toMs: number): Promise<Candle[]>;
}

interface SeriesState {
  readonly active: ActiveModel;
  builder: FeatureBuilder;
  /** Open time of the last candle this process fed to the builder. */
  lastSeenMs: number | null;
  readonly predictionDrift: PredictionDrift | null;
  blocking: boolean;
}

/**
 * An entry is an intent that opens or adds exposure (targetFraction ≠ 0); an exit (0) always passes.
 * The policies re-emit their entry on every candle outside the band, so an entry withheld while the
 * inputs drift is simply taken on the first candle after they come back.
 */
function isEntry(intent: OrderIntent | null): boolean {
  return intent !== null && intent.targetFraction !== 0;
}

/**
 * FeatureBuilder + SignalModel + Policy for one closed candle at a time, per series in open-time
 * order (the pipeline guarantees it). The model comes from a ModelSource per candle, so a promoted
 * model takes over at the candle the source says; the series' window is then rebuilt from the candle
 * store with the new model's feature spec, normalisation and window length (as after a restart).
 * When the pipeline says the previous candle of the series was not the one this process saw last
 * (first candle after a restart, or another worker processed the series meanwhile), the window is
 * rebuilt the same way, and the policy is fed the predictions of the candles it needs to remember
 * (the horizon-averaging policy averages the last K predictions), so the first decision after a
 * restart equals the one without the restart.
 */
export function createSignalStep(deps: SignalStepDeps) {
  const states = new Map<string, SeriesState>();
  const source: ModelSource =
    'models' in deps
      ? deps.models
      : fixedModelSource({
          id: deps.model.info.modelId,
          model: deps.model,
          spec: deps.spec,
          normalisation: deps.normalisation,
          policy: deps.policy,
          drift: null,
        });
  const guard = deps.driftGuard ?? true;

  const predict = async (
    active: ActiveModel,
    series: SeriesKey,
    candle: Candle,
    builder: FeatureBuilder,
  ): Promise<{ prediction: Prediction; window: Float32Array }> => {
    const { model } = active;
    // A copy per call: steps of different series run concurrently, and onnxruntime reads the input
    // after this function has yielded, so a shared buffer could be overwritten by another series.
    const window = new Float32Array(builder.window());
    const started = performance.now();
    const values = await model.predict(window, 1);
    deps.onInference?.((performance.now() - started) / 1000);
    return {
      prediction: {
        series,
        candleOpenTimeMs: candle.openTimeMs,
        kind: model.info.target,
        horizons: model.info.horizons,
        values: Array.from(values),
        modelId: active.id,
      },
      window,
    };
  };

  const fresh = (active: ActiveModel, series: SeriesKey): SeriesState => ({
    active,
    builder: new FeatureBuilder(active.spec, timeframeMs(series.timeframe), active.normalisation, active.model.info.windowLength),
    lastSeenMs: null,
    predictionDrift: active.drift === null ? null : new PredictionDrift(active.drift.predictionMean, active.drift.predictionStd),
    blocking: false,
  });

  const rebuild = async (active: ActiveModel, series: SeriesKey, candle: Candle, history: CandleHistory): Promise<SeriesState> => {
    const T = active.model.info.windowLength;
    const K = active.model.info.horizons.length;
    // Everything the store holds: the streaming indicators (EMA, Wilder averages) then start where
    // they started before the restart, so the rebuilt window equals the one without the restart.
    // The store keeps at least warm-up + window candles (WorkerSettings.storeMaxCandles).
    const past = await history.range(series, 0, candle.openTimeMs - 1);
    const state = fresh(active, series);
    for (let i = 0; i < past.length; i++) {
      const c = past[i] as Candle;
      // Only the last K-1 decisions matter to the policy's memory; they are replayed and discarded.
      if (state.builder.push(c) && i >= past.length - (K - 1)) active.policy.decide((await predict(active, series, c, state.builder)).prediction, c.close);
    }
    const warmup = new FeatureEngine(active.spec, timeframeMs(series.timeframe)).warmup;
    if (past.length < warmup + T)
      deps.logger.warn(
        { series: seriesId(series), modelId: active.id, candles: past.length, needed: warmup + T },
        'the candle store holds too little history to rebuild the feature window; predictions resume once it refills',
      );
    deps.logger.info(
      { series: seriesId(series), modelId: active.id, candles: past.length, ready: state.builder.isReady },
      'feature window rebuilt from the candle store',
    );
    state.lastSeenMs = past.at(-1)?.openTimeMs ?? null;
    return state;
  };

  return async (closed: ClosedCandle, context: { readonly previousOpenTimeMs: number | null; readonly store: CandleHistory }): Promise<OrderIntent | null> => {
    const { series, candle } = closed;
    const id = seriesId(series);
    const active = await source.modelFor(series, candle.openTimeMs);
    let state = states.get(id);
    if (state !== undefined && state.active.id !== active.id) {
      deps.logger.info({ series: id, openTimeMs: candle.openTimeMs, from: state.active.id, to: active.id }, 'switching model at this candle');
      state = undefined;
    }
    if (state === undefined || state.lastSeenMs !== context.previousOpenTimeMs) {
      state = context.previousOpenTimeMs === null ? fresh(active, series) : await rebuild(active, series, candle, context.store);
      states.set(id, state);
    }
    state.lastSeenMs = candle.openTimeMs;
    if (!state.builder.push(candle)) {
      deps.logger.debug({ series: id, openTimeMs: candle.openTimeMs }, 'candle closed; features warming up');
      return null;
    }
    const { prediction, window } = await predict(active, series, candle, state.builder);
    const decided = active.policy.decide(prediction, candle.close);
    const score = active.drift === null ? null : windowDriftScore(window);
    const blocked = guard && score !== null && active.drift !== null && score > active.drift.threshold && isEntry(decided);
    const intent = decided === null || blocked ? null : { ...decided, modelId: active.id };
    const drifting = score !== null && active.drift !== null && score > active.drift.threshold;
    if (drifting !== state.blocking) {
      state.blocking = drifting;
      deps.logger[drifting ? 'warn' : 'info'](
        { series: id, openTimeMs: candle.openTimeMs, modelId: active.id, driftScore: score, threshold: active.drift?.threshold, guard },
        drifting
          ? `input drift: this window is unlike the training data; ${guard ? 'no new entries until it passes (exits and stops still run)' : 'the guard is off (WICK_DRIFT_GUARD=false)'}`
          : 'input drift cleared; entries allowed again',
      );
    }
    const reading: DriftReading = {
      score,
      threshold: active.drift?.threshold ?? null,
      blocked,
      predictionDrift: state.predictionDrift?.update(prediction.values) ?? null,
    };
    deps.onDecision?.(prediction, intent, reading);
    deps.logger.info(
      {
        series: id,
        openTimeMs: candle.openTimeMs,
        close: candle.close,
        modelId: active.id,
        prediction: prediction.values,
        driftScore: score,
        intentId: intent?.intentId,
        targetFraction: intent?.targetFraction,
        reason: blocked ? `${decided?.reason ?? ''} withheld: input drift` : intent?.reason,
      },
      blocked
        ? 'candle closed: entry withheld (input drift)'
        : intent === null
          ? 'candle closed: prediction, no new intent'
          : 'candle closed: prediction and intent',
    );
    return intent;
  };
}
