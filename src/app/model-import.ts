import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import ort from 'onnxruntime-node';
import { timeframeMs, type Timeframe } from '../core/candle.js';
import { DataError, ModelMismatchError } from '../core/errors.js';
import {
  calibrateDrift,
  computeFeatures,
  fitNormalisation,
  getSpec,
  specHash,
  writeWindow,
  type ComputedFeatures,
  type Normalisation,
} from '../features/index.js';
import type { ModelManifest } from '../model/manifest.js';
import { ModelProto } from '../train/onnx-proto.js';
import { writeModelFiles } from './model-folder.js';
import type { SeriesFile } from './series-files.js';

/** onnxruntime-node runs opsets from 7 on; older graphs predate the operators an LSTM export uses. */
const MIN_OPSET = 7;
const ONNX_FLOAT = 1;

export interface ImportOptions {
  readonly onnxPath: string;
  readonly spec: string;
  readonly window: number;
  readonly horizons: readonly number[];
  /** ratio: outputs are (close ratio − 1) × scale per horizon; probability: P(up) in [0, 1], one horizon. */
  readonly target: { readonly kind: 'ratio'; readonly scale: number } | { readonly kind: 'probability' };
  /** Candle files for normalisation (rows before trainToMs) and validation/drift calibration (rows after). */
  readonly series: readonly SeriesFile[];
  readonly timeframe: Timeframe;
  readonly fromMs: number | undefined;
  readonly trainToMs: number;
  readonly inputName: string | undefined;
  readonly outputName: string | undefined;
  readonly drift: { readonly quantile?: number; readonly margin?: number };
}

/** What the ONNX file says about itself, before onnxruntime is asked. */
export interface OnnxSignature {
  readonly opset: number;
  readonly inputName: string;
  readonly outputName: string;
  readonly inputDims: readonly (number | string)[];
  readonly outputDims: readonly (number | string)[];
  readonly operators: readonly string[];
  readonly producer: string;
}

type Dim = { dimValue?: number | { toNumber(): number } | null; dimParam?: string | null };
type ValueInfo = { name: string; type?: { tensorType?: { elemType?: number; shape?: { dim?: Dim[] } } } };
type Decoded = {
  opsetImport?: { domain?: string; version?: number | { toNumber(): number } }[];
  producerName?: string;
  producerVersion?: string;
  graph?: { node?: { opType?: string }[]; input?: ValueInfo[]; output?: ValueInfo[]; initializer?: { name?: string }[] };
};

const num = (v: number | { toNumber(): number } | null | undefined): number | undefined =>
  v === null || v === undefined ? undefined : typeof v === 'number' ? v : v.toNumber();
/** A dimension as a number, or its symbolic name ('?' when unnamed): symbolic = dynamic. */
const dimOf = (d: Dim): number | string => {
  const v = num(d.dimValue);
  return v !== undefined && v > 0 ? v : d.dimParam !== undefined && d.dimParam !== null && d.dimParam !== '' ? d.dimParam : '?';
};

function pick(kind: 'input' | 'output', list: readonly ValueInfo[], wanted: string | undefined): ValueInfo {
  if (wanted !== undefined) {
    const found = list.find((v) => v.name === wanted);
    if (found === undefined) throw new ModelMismatchError(`the graph has no ${kind} "${wanted}"; its ${kind}s are [${list.map((v) => v.name).join(', ')}]`);
    return found;
  }
  if (list.length !== 1)
    throw new ModelMismatchError(`the graph has ${list.length} ${kind}s [${list.map((v) => v.name).join(', ')}]; name the one to use with --${kind} NAME`);
  return list[0] as ValueInfo;
}

/**
 * Reads the signature of an ONNX file and checks it against what wick will feed it: one float input
 * (batch, window, features) with a dynamic batch, one float output (batch, horizons), a default-domain
 * opset wick's onnxruntime runs. Throws ModelMismatchError naming what is wrong and how to export it right.
 */
export function inspectOnnx(
  bytes: Uint8Array,
  expect: {
    readonly window: number;
    readonly features: number;
    readonly outputs: number;
    readonly inputName?: string | undefined;
    readonly outputName?: string | undefined;
  },
): OnnxSignature {
  let model: Decoded;
  try {
    model = ModelProto.toObject(ModelProto.decode(bytes), { defaults: false }) as Decoded;
  } catch (error) {
    throw new ModelMismatchError(
      `not an ONNX model (protobuf decoding failed: ${(error as Error).message}); pass the .onnx file written by torch.onnx.export or tf2onnx`,
    );
  }
  const graph = model.graph;
  if (graph === undefined || (graph.node ?? []).length === 0)
    throw new ModelMismatchError('the ONNX file holds no graph; pass the .onnx file written by torch.onnx.export or tf2onnx');
  const opsetEntry = (model.opsetImport ?? []).find((o) => o.domain === undefined || o.domain === '' || o.domain === 'ai.onnx');
  const opset = num(opsetEntry?.version);
  if (opset === undefined) throw new ModelMismatchError('the ONNX file imports no default-domain opset; re-export it with an explicit opset_version (e.g. 17)');
  if (opset < MIN_OPSET) throw new ModelMismatchError(`opset ${opset} is older than ${MIN_OPSET}; re-export with opset_version=17`);

  const initialisers = new Set((graph.initializer ?? []).map((t) => t.name));
  const input = pick(
    'input',
    (graph.input ?? []).filter((v) => !initialisers.has(v.name)),
    expect.inputName,
  );
  const output = pick('output', graph.output ?? [], expect.outputName);
  const shape = (v: ValueInfo, kind: string): (number | string)[] => {
    const t = v.type?.tensorType;
    if (t === undefined) throw new ModelMismatchError(`${kind} "${v.name}" is not a tensor`);
    if (t.elemType !== ONNX_FLOAT)
      throw new ModelMismatchError(
        `${kind} "${v.name}" has element type ${t.elemType ?? '?'}; wick feeds and reads float32 tensors (export the model in float32)`,
      );
    return (t.shape?.dim ?? []).map(dimOf);
  };
  const inputDims = shape(input, 'input');
  const outputDims = shape(output, 'output');
  const inShape = `[${inputDims.join(', ')}]`;
  if (inputDims.length !== 3)
    throw new ModelMismatchError(
      `input "${input.name}" has shape ${inShape}; wick feeds (batch, window, features), batch first. Export with batch_first=True and a 3-d input`,
    );
  if (typeof inputDims[0] === 'number')
    throw new ModelMismatchError(
      `input "${input.name}" has a fixed batch of ${inputDims[0]} (${inShape}); export with a dynamic batch: dynamic_axes={"${input.name}": {0: "batch"}, "${output.name}": {0: "batch"}}`,
    );
  if (typeof inputDims[1] === 'number' && inputDims[1] !== expect.window)
    throw new ModelMismatchError(`input "${input.name}" has a fixed window of ${inputDims[1]} candles (${inShape}) but --window is ${expect.window}`);
  if (typeof inputDims[2] === 'number' && inputDims[2] !== expect.features)
    throw new ModelMismatchError(
      `input "${input.name}" takes ${inputDims[2]} features (${inShape}) but the spec computes ${expect.features}; use the --spec the model was trained on`,
    );
  const outShape = `[${outputDims.join(', ')}]`;
  if (outputDims.length !== 2) throw new ModelMismatchError(`output "${output.name}" has shape ${outShape}; wick reads (batch, horizons)`);
  if (typeof outputDims[0] === 'number')
    throw new ModelMismatchError(
      `output "${output.name}" has a fixed batch of ${outputDims[0]} (${outShape}); export with a dynamic batch axis on the output too`,
    );
  if (typeof outputDims[1] === 'number' && outputDims[1] !== expect.outputs)
    throw new ModelMismatchError(`output "${output.name}" has ${outputDims[1]} values per window (${outShape}) but --horizons gives ${expect.outputs}`);
  const operators = [...new Set((graph.node ?? []).map((n) => n.opType ?? '?'))].sort();
  const producer = [model.producerName, model.producerVersion].filter((s) => s !== undefined && s !== '').join(' ');
  return { opset, inputName: input.name, outputName: output.name, inputDims, outputDims, operators, producer };
}

interface Windows {
  readonly x: Float32Array;
  readonly n: number;
  /** (n) realised next-candle log return of each window (for the validation direction figure). */
  readonly nextReturn: Float64Array;
}

/** Every valid (n, T, F) window ending at a row in [fromMs, toMs) of each series. */
function windowsIn(features: readonly { f: ComputedFeatures; series: SeriesFile }[], T: number, norm: Normalisation, fromMs: number, toMs: number): Windows {
  const ends: { f: ComputedFeatures; row: number; next: number }[] = [];
  for (const { f, series } of features) {
    const c = series.candles;
    for (let r = T - 1; r < c.length - 1; r++) {
      const t = c[r]!.openTimeMs;
      if (t < fromMs || t >= toMs || f.readyRun[r]! < T) continue;
      ends.push({ f, row: r, next: Math.log(c[r + 1]!.close / c[r]!.close) });
    }
  }
  const F = features[0]?.f.featureCount ?? 0;
  const x = new Float32Array(ends.length * T * F);
  ends.forEach((e, i) => writeWindow(x, i * T * F, e.f, e.row, T, norm));
  return { x, n: ends.length, nextReturn: Float64Array.from(ends, (e) => e.next) };
}

async function run(session: ort.InferenceSession, sig: OnnxSignature, x: Float32Array, n: number, T: number, F: number, K: number): Promise<Float32Array> {
  const out = await session.run({ [sig.inputName]: new ort.Tensor('float32', x.subarray(0, n * T * F), [n, T, F]) });
  const y = out[sig.outputName];
  if (y === undefined || y.data.length !== n * K)
    throw new ModelMismatchError(
      `for a batch of ${n} windows the model returned ${y?.data.length ?? 0} values in "${sig.outputName}" (dims [${y?.dims.join(', ') ?? ''}]); expected ${n}×${K}`,
    );
  return y.data as Float32Array;
}

/**
 * Validates an external ONNX model against a feature spec and candle data, then writes a wick
 * model folder for it: normalisation fitted on the candles before trainToMs, drift guard and
 * validation figures from the candles after it. Nothing is written unless every check passes.
 */
export async function importOnnxModel(options: ImportOptions, outDir: string, now?: Date): Promise<ModelManifest> {
  const spec = getSpec(options.spec);
  const T = options.window;
  const F = spec.features.length;
  const K = options.horizons.length;
  if (options.target.kind === 'probability' && K !== 1) throw new ModelMismatchError(`a probability model predicts one horizon; --horizons gives ${K}`);
  let bytes: Buffer;
  try {
    bytes = await readFile(options.onnxPath);
  } catch (error) {
    throw new DataError(`cannot read the ONNX file: ${(error as Error).message}`, { file: options.onnxPath });
  }
  const sig = inspectOnnx(bytes, { window: T, features: F, outputs: K, inputName: options.inputName, outputName: options.outputName });

  const features = options.series.map((series) => ({ series, f: computeFeatures(series.candles, spec, timeframeMs(options.timeframe)) }));
  const fromMs = options.fromMs ?? Number.NEGATIVE_INFINITY;
  // Normalisation from the ready rows of the training range, pooled over the files.
  const trainRows: number[] = [];
  const pooled: number[] = [];
  for (const { f, series } of features) {
    series.candles.forEach((c, r) => {
      if (c.openTimeMs >= fromMs && c.openTimeMs < options.trainToMs && f.ready[r] === 1) {
        trainRows.push(r);
        for (let k = 0; k < F; k++) pooled.push(f.raw[r * F + k]!);
      }
    });
  }
  if (trainRows.length < T)
    throw new DataError(
      `only ${trainRows.length} candles with ready features before --train-to; the normalisation needs more history (at least the window, ${T})`,
      { file: options.series.map((s) => s.path).join(', ') },
    );
  const norm = fitNormalisation(Float64Array.from(pooled), new Uint8Array(trainRows.length).fill(1), F, 0, trainRows.length);
  const purgeMs = (T + Math.max(...options.horizons)) * timeframeMs(options.timeframe);
  const validation = windowsIn(features, T, norm, options.trainToMs + purgeMs, Number.POSITIVE_INFINITY);
  if (validation.n < 3)
    throw new DataError(
      `only ${validation.n} full windows after --train-to (plus a ${T + Math.max(...options.horizons)}-candle purge gap); give data that extends past the training range for validation and drift calibration`,
      { file: options.series.map((s) => s.path).join(', ') },
    );

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  } catch (error) {
    throw new ModelMismatchError(`onnxruntime-node ${ort.env.versions.common} cannot load the model: ${(error as Error).message}`);
  }
  let predictions: Float32Array;
  try {
    // Dynamic batch, checked by running: three windows at once must give what each gives alone.
    const three = await run(session, sig, validation.x, 3, T, F, K);
    for (let i = 0; i < 3; i++) {
      const one = await run(session, sig, validation.x.subarray(i * T * F), 1, T, F, K);
      for (let k = 0; k < K; k++) {
        const a = one[k]!;
        const b = three[i * K + k]!;
        if (!Number.isFinite(a) || !Number.isFinite(b))
          throw new ModelMismatchError(`the model gives a non-finite output (${a}) on a sample window; check its export and the feature spec`);
        if (Math.abs(a - b) > 1e-4 * Math.max(1, Math.abs(a)))
          throw new ModelMismatchError(
            `window ${i} gives ${a} alone but ${b} in a batch of 3: the batch axis mixes windows (export with batch_first=True and a dynamic batch axis)`,
          );
      }
    }
    predictions = new Float32Array(validation.n * K);
    const chunk = 512;
    for (let i = 0; i < validation.n; i += chunk) {
      const n = Math.min(chunk, validation.n - i);
      predictions.set(await run(session, sig, validation.x.subarray(i * T * F), n, T, F, K), i * K);
    }
  } finally {
    await session.release();
  }
  const bad = predictions.findIndex((v) => !Number.isFinite(v) || (options.target.kind === 'probability' && (v < 0 || v > 1)));
  if (bad >= 0)
    throw new ModelMismatchError(
      `validation window ${Math.floor(bad / K)} gives ${predictions[bad]}${options.target.kind === 'probability' ? ' (a probability model must output values in [0, 1]: put the sigmoid in the graph)' : ''}`,
    );

  let hits = 0;
  for (let i = 0; i < validation.n; i++) {
    const p = predictions[i * K]!;
    const up = options.target.kind === 'probability' ? p > 0.5 : p > 0;
    if (up === validation.nextReturn[i]! > 0) hits++;
  }
  const hash = createHash('sha256').update(bytes).digest('hex');
  const lastMs = Math.max(...options.series.map((s) => s.candles.at(-1)?.openTimeMs ?? 0));
  const scale = options.target.kind === 'ratio' ? options.target.scale : 1;
  const target: ModelManifest['target'] =
    options.target.kind === 'ratio' ? { kind: 'ratio', scale: options.target.scale } : { kind: 'probability', horizon: options.horizons[0] as number };
  return writeModelFiles(
    outDir,
    bytes,
    {
      timeframe: options.timeframe,
      featureSpec: { name: spec.name, features: spec.features.map((f) => ({ id: f.id, kind: f.kind, params: { ...f.params } })) },
      specHash: specHash(spec),
      windowLength: T,
      featureCount: F,
      horizons: [...options.horizons],
      target,
      normalisation: { mean: [...norm.mean], std: [...norm.std], clipSigma: norm.clip ?? null },
      architecture: { kind: 'external', outputs: K, operators: [...sig.operators] },
      training: {
        data: options.series.map((s) => ({
          file: basename(s.path),
          fromMs: s.candles[0]?.openTimeMs ?? 0,
          toMs: s.candles.at(-1)?.openTimeMs ?? 0,
          rows: s.candles.length,
        })),
        splits: {
          trainToMs: options.trainToMs,
          validationFromMs: options.trainToMs + purgeMs,
          validationToMs: lastMs,
          testFromMs: null,
          testToMs: null,
          purgeCandles: T + Math.max(...options.horizons),
        },
        hyperParameters: {
          importedFrom: basename(options.onnxPath),
          sourceSha256: hash,
          inputDims: sig.inputDims.join('x'),
          outputDims: sig.outputDims.join('x'),
        },
        seed: 0,
        epochsRun: 0,
        bestEpoch: 0,
      },
      metrics: { validation: { windows: validation.n, directionalAccuracy: hits / validation.n }, test: null },
      origin: { kind: 'imported', sourceFile: basename(options.onnxPath), ...(sig.producer !== '' ? { producer: sig.producer } : {}) },
      // Prediction statistics in the units the daemon sees (close ratios, or probabilities).
      drift: calibrateDrift(
        validation.x,
        validation.n,
        T * F,
        options.target.kind === 'ratio' ? Float64Array.from(predictions, (v) => 1 + v / scale) : predictions,
        K,
        options.drift,
      ),
      onnx: { inputName: sig.inputName, outputName: sig.outputName, opset: sig.opset },
    },
    { idPrefix: 'import', ...(now !== undefined ? { now } : {}) },
  );
}
