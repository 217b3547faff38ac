import { resolve } from 'node:path';
import type { Logger } from '../core/logger.js';
import { loadingVerifier, ModelRegistry, RegistryError, type RegistryEntry } from '../model/registry.js';
import { createModelApi, type ModelControlResult, type ModelPort } from '../obs/model-api.js';
import type { Config } from './config/load-config.js';

/** What `wick model list/show` and GET /api/models show of a registered model. */
export function modelSummary(e: RegistryEntry): Record<string, unknown> {
  const m = e.manifest;
  return {
    id: e.id,
    champion: e.champion,
    modelId: m.modelId,
    origin: m.origin?.kind ?? 'trained',
    timeframe: m.timeframe,
    spec: m.featureSpec.name,
    window: m.windowLength,
    horizons: m.horizons,
    target: m.target.kind,
    parent: e.lineage.parent,
    source: e.lineage.source,
    addedAt: e.lineage.addedAt,
    addedBy: e.lineage.addedBy,
    data: { fromMs: e.lineage.dataFromMs, toMs: e.lineage.dataToMs },
    driftGuard: m.drift === undefined ? null : { threshold: m.drift.threshold, quantile: m.drift.quantile },
    validation: m.metrics.validation,
  };
}

/** One model with the promotions, rollbacks and refusals that involve it. */
export async function modelDetail(registry: ModelRegistry, idOrPrefix: string): Promise<Record<string, unknown> | null> {
  const entry = await registry.find(idOrPrefix);
  if (entry === null) return null;
  return { ...modelSummary(entry), history: (await registry.history()).filter((h) => h.id === entry.id || h.from === entry.id) };
}

async function control(run: () => Promise<{ id: string; previous: string[] }>): Promise<ModelControlResult> {
  try {
    const p = await run();
    return { status: 'ok', champion: p.id, previous: p.previous };
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    return error.code === 'NOT_FOUND' ? { status: 'not_found', message: error.message } : { status: 'refused', code: error.code, message: error.message };
  }
}

/** The operator API's model port over a registry. */
export function registryModelPort(registry: ModelRegistry): ModelPort {
  return {
    list: async () => (await registry.list()).map((r) => (r.ok ? modelSummary(r.entry) : { id: r.id, unreadable: r.error })),
    show: (id) => modelDetail(registry, id),
    promote: (id, by, reason) => control(() => registry.promote(id, by, reason)),
    rollback: (by, reason) => control(() => registry.rollback(by, reason)),
  };
}

/** GET/POST /api/models when WICK_MODEL_REGISTRY is set; undefined otherwise. */
export function modelApiFor(config: Config, cwd: string, logger: Logger): ReturnType<typeof createModelApi> | undefined {
  if (config.model.registry === undefined) return undefined;
  const registry = new ModelRegistry(resolve(cwd, config.model.registry), {
    nowMs: () => Date.now(),
    verify: loadingVerifier(logger.child({ component: 'model-registry' })),
  });
  return createModelApi({ port: registryModelPort(registry), token: config.http.apiToken, logger });
}
