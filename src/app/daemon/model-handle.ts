import { resolve } from 'node:path';
import { timeframeMs, type Logger, type SeriesKey, type SignalModel } from '../../core/index.js';
import { FeatureEngine, getSpec, type FeatureSpec, type Normalisation } from '../../features/index.js';
import { normalisationOf, type DriftCalibration, type ModelManifest } from '../../model/manifest.js';
import { BatchingSignalModel } from '../../model/batching-signal-model.js';
import { OnnxSignalModel } from '../../model/onnx-signal-model.js';
import type { ModelRegistry } from '../../model/registry.js';
import { modelAt, type ModelSwitch } from '../../pipeline/index.js';
import type { Policy } from '../../strategy/index.js';
import type { Config } from '../config/load-config.js';
import { policyFor } from '../trading-setup.js';

/** One loaded model with everything a signal step needs to decide with it. */
export interface ActiveModel {
  /** Recorded on every decision: the registry id, or the manifest's modelId outside a registry. */
  readonly id: string;
  readonly model: SignalModel;
  readonly spec: FeatureSpec;
  readonly normalisation: Normalisation;
  /** A policy of the model's own: its memory (last K predictions) belongs to this model's outputs. */
  readonly policy: Policy;
  readonly drift: DriftCalibration | null;
}

/** Which model decides a candle. The signal step asks once per candle. */
export interface ModelSource {
  modelFor(series: SeriesKey, candleOpenTimeMs: number): Promise<ActiveModel>;
}

export function fixedModelSource(active: ActiveModel): ModelSource {
  return { modelFor: () => Promise.resolve(active) };
}

/**
 * Builds the ActiveModel of a loaded ONNX model (spec, normalisation and drift from its manifest,
 * policy from the config). Series closing together share one onnxruntime call (BatchingSignalModel).
 */
export function activeModelOf(id: string, model: OnnxSignalModel, config: Config): ActiveModel {
  return {
    id,
    model: new BatchingSignalModel(model),
    spec: getSpec(model.manifest.featureSpec.name),
    normalisation: normalisationOf(model.manifest),
    policy: policyFor(model.info, config, model.manifest.policyCalibration),
    drift: model.manifest.drift ?? null,
  };
}

/**
 * Why the daemon cannot trade this model, or null: another timeframe than its series, or a feature
 * window longer than the candle store keeps (the window could not be rebuilt at a switch).
 */
export function unservableReason(manifest: ModelManifest, series: readonly SeriesKey[], storeMaxCandles: number): string | null {
  const tf = series[0]?.timeframe;
  if (tf !== undefined && manifest.timeframe !== tf) return `the model was trained on ${manifest.timeframe} candles but the daemon trades ${tf}`;
  const needed = new FeatureEngine(getSpec(manifest.featureSpec.name), timeframeMs(manifest.timeframe)).warmup + manifest.windowLength;
  if (needed > storeMaxCandles)
    return `the model needs ${needed} candles of history (feature warm-up + window ${manifest.windowLength}) but the candle store keeps ${storeMaxCandles}`;
  return null;
}

/** Reads the shared switch schedule (Redis in the daemon). */
export interface SwitchSchedule {
  read(): Promise<readonly ModelSwitch[]>;
}

/**
 * The model of each candle from the shared switch schedule; models are loaded from the registry
 * on first use and released when they leave the schedule. Every signal process runs one; because
 * the schedule is shared and is changed only while no candle is being decided, they all switch at
 * the same candle.
 */
export class ScheduledModelSource implements ModelSource {
  private readonly loaded = new Map<string, Promise<ActiveModel & { close(): Promise<void> }>>();

  constructor(
    private readonly deps: {
      readonly schedule: SwitchSchedule;
      readonly registry: Pick<ModelRegistry, 'dirOf'>;
      readonly config: Config;
      readonly logger: Logger;
      /** Loads a registered model (default: OnnxSignalModel from the registry folder). */
      readonly load?: (id: string) => Promise<ActiveModel & { close(): Promise<void> }>;
    },
  ) {}

  private load(id: string): Promise<ActiveModel & { close(): Promise<void> }> {
    let pending = this.loaded.get(id);
    if (pending === undefined) {
      const { config, logger } = this.deps;
      pending =
        this.deps.load?.(id) ??
        OnnxSignalModel.load(resolve(this.deps.registry.dirOf(id)), {
          executionProvider: config.model.executionProvider,
          cudaStrict: config.model.cudaStrict,
          logger,
        }).then((m) => ({ ...activeModelOf(id, m, config), close: () => m.close() }));
      // A failed load is not cached: the candle's job fails and is retried.
      pending.catch(() => this.loaded.delete(id));
      this.loaded.set(id, pending);
    }
    return pending;
  }

  async modelFor(_series: SeriesKey, candleOpenTimeMs: number): Promise<ActiveModel> {
    const schedule = await this.deps.schedule.read();
    const entry = modelAt(schedule, candleOpenTimeMs);
    if (entry === null)
      throw new Error('no model is scheduled: the daemon schedules the registry champion at start-up; promote a model with `wick model promote ID`');
    const active = await this.load(entry.id);
    for (const [id, model] of this.loaded) {
      if (!schedule.some((s) => s.id === id)) {
        this.loaded.delete(id);
        void model.then(
          (m) => m.close(),
          () => undefined,
        );
      }
    }
    return active;
  }

  /** Ids of the models this process holds (for /health and tests). */
  loadedIds(): string[] {
    return [...this.loaded.keys()];
  }

  async close(): Promise<void> {
    const all = [...this.loaded.values()];
    this.loaded.clear();
    await Promise.all(
      all.map((p) =>
        p.then(
          (m) => m.close(),
          () => undefined,
        ),
      ),
    );
  }
}
