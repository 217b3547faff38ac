import { z } from 'zod';
import { TIMEFRAMES } from '../core/candle.js';
import { ModelMismatchError } from '../core/errors.js';
import type { Normalisation } from '../features/index.js';

/**
 * manifest.json of a model folder (beside model.onnx). Parsed with zod at load time: the daemon
 * trusts nothing in it until it passes, and refuses a model whose feature spec differs from the
 * code's. Bump MANIFEST_FORMAT_VERSION when the shape changes incompatibly.
 */
export const MANIFEST_FORMAT_VERSION = 1;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const metricsSchema = z.record(z.string(), z.number().nullable());

export const featureSpecSchema = z.object({
  name: z.string().min(1),
  features: z.array(z.object({ id: z.string().min(1), kind: z.string().min(1), params: z.record(z.string(), finite) })).min(1),
});

/**
 * Input-drift guard calibration. The score of a window is the root mean square of all its
 * normalised (clipped) features: how far, in training-σ units, the window lies from the training
 * distribution's centre; `threshold` is the `quantile` of that score over the
 * validation windows, times `margin`. Prediction statistics of the validation split let the
 * daemon measure prediction-distribution drift.
 */
export const driftSchema = z.object({
  method: z.literal('window-z-rms'),
  quantile: z.number().gt(0).lte(1),
  margin: finite.refine((v) => v >= 1, 'must be >= 1'),
  threshold: finite.refine((v) => v > 0, 'must be > 0'),
  validationWindows: z.number().int().min(1),
  predictionMean: z.array(finite),
  predictionStd: z.array(finite.refine((v) => v >= 0, 'must be >= 0')),
});

export type DriftCalibration = z.infer<typeof driftSchema>;

export const manifestSchema = z
  .object({
    format: z.literal('wick-model'),
    formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
    modelId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
    wickVersion: z.string(),
    createdAt: z.string(),
    timeframe: z.enum(TIMEFRAMES),
    featureSpec: featureSpecSchema,
    specHash: z.string().regex(/^[0-9a-f]{64}$/),
    windowLength: z.number().int().min(1).max(4096),
    featureCount: z.number().int().min(1).max(1024),
    horizons: z.array(z.number().int().min(1)).min(1),
    /**
     * ratio: the network predicts (close ratio − 1) × scale for each horizon step; the model adapter
     * returns ratios. probability: the network's output is already a probability (sigmoid in graph).
     */
    target: z.discriminatedUnion('kind', [
      z.object({
        kind: z.literal('ratio'),
        scale: finite.refine((v) => v > 0, 'must be > 0'),
        loss: z.enum(['mse', 'huber']).optional().describe('training loss; absent for imported models'),
      }),
      z.object({ kind: z.literal('probability'), horizon: z.number().int().min(1) }),
    ]),
    normalisation: z.object({ mean: z.array(finite), std: z.array(finite.refine((v) => v > 0, 'must be > 0')), clipSigma: finite.nullable() }),
    /** wick's LSTM (absent `kind`), or a network wick did not build and cannot retrain (imported). */
    architecture: z.union([
      z.object({ layers: z.number().int().min(1).max(2), hidden: z.number().int().min(1).max(1024), outputs: z.number().int().min(1) }).strict(),
      z
        .object({
          kind: z.literal('external'),
          outputs: z.number().int().min(1),
          operators: z.array(z.string()).describe('distinct ONNX operator types of the graph'),
        })
        .strict(),
    ]),
    onnx: z.object({
      file: z.literal('model.onnx'),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      inputName: z.string(),
      outputName: z.string(),
      opset: z.number().int(),
    }),
    training: z.object({
      data: z.array(z.object({ file: z.string(), fromMs: z.number(), toMs: z.number(), rows: z.number().int() })),
      splits: z.object({
        trainToMs: z.number(),
        validationFromMs: z.number(),
        validationToMs: z.number(),
        testFromMs: z.number().nullable(),
        testToMs: z.number().nullable(),
        purgeCandles: z.number().int(),
      }),
      hyperParameters: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
      seed: z.number().int(),
      epochsRun: z.number().int(),
      bestEpoch: z.number().int(),
    }),
    metrics: z.object({ validation: metricsSchema, test: metricsSchema.nullable() }),
    /**
     * Optional: the policy statistic (the horizon-averaged next-candle ratio for ratio models, the
     * probability for probability models) on the validation split, so thresholds can be set as
     * quantiles whatever the output scale. quantiles[j] = the (j + 1)% quantile (type 7), j = 0..98;
     * deciles: the statistic's deciles (lowest value `from`) with the mean forward return over
     * `forwardBars` bars after the decision.
     */
    policyCalibration: z
      .object({
        statistic: z.enum(['horizon_average', 'probability']),
        fromMs: z.number(),
        toMs: z.number(),
        n: z.number().int().min(1),
        quantiles: z.array(finite).length(99),
        forwardBars: z.number().int().min(1),
        deciles: z.array(z.object({ from: finite, n: z.number().int().nonnegative(), meanForwardReturn: finite.nullable() })).length(10),
      })
      .optional(),
    /** Where the network came from. Absent: trained by `wick train`. */
    origin: z
      .object({
        kind: z.enum(['trained', 'imported']),
        /** Imported: the file name given to `wick model import` and the sha256 of its bytes. */
        sourceFile: z.string().optional(),
        producer: z.string().optional().describe('producer_name/producer_version recorded in the ONNX file'),
      })
      .optional(),
    drift: driftSchema.optional().describe('input-drift guard calibration (validation split); absent: no guard'),
  })
  .superRefine((m, ctx) => {
    if (m.featureSpec.features.length !== m.featureCount)
      ctx.addIssue({ code: 'custom', path: ['featureCount'], message: `is ${m.featureCount} but featureSpec has ${m.featureSpec.features.length} features` });
    if (m.normalisation.mean.length !== m.featureCount || m.normalisation.std.length !== m.featureCount)
      ctx.addIssue({ code: 'custom', path: ['normalisation'], message: `mean/std must have featureCount (${m.featureCount}) entries` });
    if (m.drift !== undefined && (m.drift.predictionMean.length !== m.horizons.length || m.drift.predictionStd.length !== m.horizons.length))
      ctx.addIssue({ code: 'custom', path: ['drift'], message: `predictionMean/predictionStd must have one entry per horizon (${m.horizons.length})` });
    if (m.architecture.outputs !== m.horizons.length)
      ctx.addIssue({ code: 'custom', path: ['architecture', 'outputs'], message: `is ${m.architecture.outputs} but there are ${m.horizons.length} horizons` });
  });

export type ModelManifest = z.infer<typeof manifestSchema>;

/** Parses manifest JSON text; the error lists each wrong field with its path. */
export function parseManifest(text: string, where: string): { ok: true; manifest: ModelManifest } | { ok: false; message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `${where}: not valid JSON (${(error as Error).message})` };
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return { ok: false, message: `${where}: not a valid wick model manifest:\n  - ${issues.join('\n  - ')}` };
  }
  return { ok: true, manifest: parsed.data };
}

/** The feature normalisation a model was trained with, in the form the FeatureBuilder takes. */
export function normalisationOf(manifest: Pick<ModelManifest, 'normalisation'>): Normalisation {
  const n = manifest.normalisation;
  return { mean: n.mean, std: n.std, ...(n.clipSigma !== null ? { clip: n.clipSigma } : {}) };
}

export interface LstmArchitecture {
  readonly layers: number;
  readonly hidden: number;
  readonly outputs: number;
}

/** The LSTM a model was trained with; throws for an imported network, which wick cannot retrain. */
export function lstmArchitectureOf(manifest: Pick<ModelManifest, 'architecture' | 'modelId'>): LstmArchitecture {
  const a = manifest.architecture;
  if ('kind' in a)
    throw new ModelMismatchError(
      `model ${manifest.modelId} is an imported network (${a.operators.join(', ')}); wick can run it but not retrain it. Use a model trained by \`wick train\`.`,
    );
  return a;
}
