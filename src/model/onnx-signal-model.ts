import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import { ConfigError, ModelMismatchError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SignalModel, SignalModelInfo } from '../core/ports.js';
import { specHash, validateSpec, type FeatureSpec } from '../features/index.js';
import { parseManifest, type ModelManifest } from './manifest.js';

// onnxruntime prints its own error line when the CUDA provider library is absent, which is the
// normal case on a CPU machine with WICK_EXECUTION_PROVIDER=auto; wick reports provider problems
// itself (a warning, or a refusal when strict), so only fatal runtime messages are let through.
ort.env.logLevel = 'fatal';

export type ExecutionProviderChoice = 'auto' | 'cpu' | 'cuda';

export interface OnnxModelOptions {
  readonly executionProvider: ExecutionProviderChoice;
  /** With 'cuda': throw when CUDA cannot be loaded instead of falling back to CPU. */
  readonly cudaStrict: boolean;
  readonly logger: Logger;
  /** CPU intra-op threads; 1 gives the lowest single-window latency on small models. */
  readonly cpuThreads?: number;
  /** The feature spec this build computes; the model's must hash the same. Defaults to the manifest's own spec recomputed by this build. */
  readonly expectedSpec?: FeatureSpec;
}

/** Batch sizes probed by `auto` to find where CUDA starts to beat the CPU. */
const CROSSOVER_PROBE_BATCHES = [1, 8, 32, 128, 512, 1024] as const;

/**
 * The SignalModel adapter for onnxruntime-node. Loads a model folder (model.onnx + manifest.json),
 * refuses one that does not match this build, and runs windows on the CPU or CUDA execution
 * provider. With `auto`, both sessions are created when CUDA loads and the batch size from which
 * CUDA is faster is MEASURED at load time; smaller batches (a live candle) stay on the CPU.
 */
export class OnnxSignalModel implements SignalModel {
  private closed = false;

  private constructor(
    readonly manifest: ModelManifest,
    readonly info: SignalModelInfo,
    private readonly cpu: ort.InferenceSession | null,
    private readonly cuda: ort.InferenceSession | null,
    /** Batches of at least this size go to CUDA (Infinity: never). */
    readonly cudaFromBatch: number,
  ) {}

  static async load(dir: string, options: OnnxModelOptions): Promise<OnnxSignalModel> {
    const folder = resolve(dir);
    const log = options.logger.child({ component: 'model', modelDir: folder });
    const manifest = await readManifest(folder);
    checkSpec(manifest, folder, options.expectedSpec);
    const bytes = await readModelBytes(folder, manifest);

    const cpuOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: options.cpuThreads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    };
    let cpu: ort.InferenceSession | null = null;
    let cuda: ort.InferenceSession | null = null;
    if (options.executionProvider !== 'cpu') {
      cuda = await tryCreateCuda(bytes, log, options);
    }
    if (cuda === null || options.executionProvider === 'auto') {
      cpu = await createSession(bytes, cpuOptions, folder);
    }
    for (const session of [cpu, cuda]) if (session !== null) checkSignature(session, manifest, folder);

    let cudaFromBatch = cuda === null ? Number.POSITIVE_INFINITY : 1;
    if (cpu !== null && cuda !== null) {
      cudaFromBatch = await measureCrossover(cpu, cuda, manifest);
      log.info(
        { cudaFromBatch },
        Number.isFinite(cudaFromBatch) ? `auto: CUDA from batch ${cudaFromBatch}, CPU below` : 'auto: CUDA was not faster at any probed batch size; using CPU',
      );
      if (!Number.isFinite(cudaFromBatch)) {
        await cuda.release();
        cuda = null;
      }
    }
    const provider = cuda === null ? 'cpu' : cpu === null ? 'cuda' : `auto(cpu<${cudaFromBatch}<=cuda)`;
    const info: SignalModelInfo = Object.freeze({
      modelId: manifest.modelId,
      specHash: manifest.specHash,
      windowLength: manifest.windowLength,
      featureCount: manifest.featureCount,
      horizons: Object.freeze([...manifest.horizons]),
      target: manifest.target.kind,
      executionProvider: provider,
    });
    const model = new OnnxSignalModel(manifest, info, cpu, cuda, cudaFromBatch);
    // warm-up: the first run allocates; checks the output shape too
    await model.predict(new Float32Array(manifest.windowLength * manifest.featureCount), 1);
    log.info(
      { modelId: manifest.modelId, executionProvider: provider, window: manifest.windowLength, features: manifest.featureCount, horizons: manifest.horizons },
      'model loaded',
    );
    return model;
  }

  /** Raw network outputs (batch, K), before conversion to ratios. */
  async predictRaw(windows: Float32Array, batch: number): Promise<Float32Array> {
    if (this.closed) throw new ModelMismatchError('the model session is closed');
    const { windowLength: t, featureCount: f } = this.manifest;
    if (windows.length < batch * t * f) {
      throw new RangeError(`predict: ${windows.length} values given for ${batch} windows of ${t}×${f}`);
    }
    const session = batch >= this.cudaFromBatch && this.cuda !== null ? this.cuda : (this.cpu ?? this.cuda);
    if (session === null) throw new ModelMismatchError('no inference session');
    const input = new ort.Tensor('float32', windows.length === batch * t * f ? windows : windows.subarray(0, batch * t * f), [batch, t, f]);
    const results = await session.run({ [this.manifest.onnx.inputName]: input });
    const output = results[this.manifest.onnx.outputName];
    const k = this.manifest.horizons.length;
    if (output === undefined || output.data.length !== batch * k) {
      throw new ModelMismatchError(`model output "${this.manifest.onnx.outputName}" has ${output?.data.length ?? 0} values, expected ${batch}×${k}`);
    }
    return output.data as Float32Array;
  }

  async predict(windows: Float32Array, batch: number): Promise<Float64Array> {
    const raw = await this.predictRaw(windows, batch);
    const out = new Float64Array(raw.length);
    const target = this.manifest.target;
    if (target.kind === 'ratio') {
      const inv = 1 / target.scale;
      for (let i = 0; i < raw.length; i++) out[i] = 1 + (raw[i] as number) * inv;
    } else {
      for (let i = 0; i < raw.length; i++) out[i] = raw[i] as number;
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.cpu?.release(), this.cuda?.release()]);
  }
}

async function readManifest(folder: string): Promise<ModelManifest> {
  const path = join(folder, 'manifest.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ModelMismatchError(
      `no manifest.json in ${folder}: a model folder holds model.onnx and manifest.json. Train one with \`wick train\`, or set WICK_MODEL_DIR to models/default.`,
    );
  }
  const parsed = parseManifest(text, path);
  if (!parsed.ok) throw new ModelMismatchError(`${parsed.message}\nRetrain the model with this version of wick (\`wick train\`).`);
  return parsed.manifest;
}

function checkSpec(manifest: ModelManifest, folder: string, expected: FeatureSpec | undefined): void {
  try {
    validateSpec(manifest.featureSpec);
  } catch (error) {
    throw new ModelMismatchError(
      `model in ${folder} uses features this build does not know: ${(error as Error).message}. Retrain it with this version of wick.`,
    );
  }
  const recomputed = specHash(manifest.featureSpec);
  if (recomputed !== manifest.specHash) {
    throw new ModelMismatchError(
      `model in ${folder} was trained on feature definitions that differ from this build's (manifest specHash ${manifest.specHash.slice(0, 12)}…, this build computes ${recomputed.slice(0, 12)}… for the same spec). Its inputs would be wrong; retrain it with \`wick train\`.`,
    );
  }
  if (expected !== undefined && specHash(expected) !== manifest.specHash) {
    throw new ModelMismatchError(
      `model in ${folder} expects feature spec "${manifest.featureSpec.name}" (${manifest.specHash.slice(0, 12)}…) but this daemon computes "${expected.name}" (${specHash(expected).slice(0, 12)}…). Use a model trained on the same spec.`,
    );
  }
}

async function readModelBytes(folder: string, manifest: ModelManifest): Promise<Uint8Array> {
  const path = join(folder, manifest.onnx.file);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new ModelMismatchError(`no ${manifest.onnx.file} in ${folder}; the folder is incomplete. Copy the whole model folder or retrain.`);
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== manifest.onnx.sha256) {
    throw new ModelMismatchError(
      `${path} does not match its manifest (sha256 ${digest.slice(0, 12)}…, manifest says ${manifest.onnx.sha256.slice(0, 12)}…): the file was changed or truncated. Restore the folder or retrain.`,
    );
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

async function createSession(bytes: Uint8Array, options: ort.InferenceSession.SessionOptions, folder: string): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, options);
  } catch (error) {
    throw new ModelMismatchError(
      `onnxruntime could not load ${folder}/model.onnx: ${(error as Error).message}. The file is not a valid ONNX model for onnxruntime-node ${ort.env.versions.common}; retrain or restore it.`,
    );
  }
}

async function tryCreateCuda(bytes: Uint8Array, log: Logger, options: OnnxModelOptions): Promise<ort.InferenceSession | null> {
  try {
    return await ort.InferenceSession.create(bytes, {
      executionProviders: [{ name: 'cuda', deviceId: 0 }],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 4,
    });
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0] ?? 'unknown error';
    if (options.executionProvider === 'cuda' && options.cudaStrict) {
      throw new ConfigError(
        `WICK_EXECUTION_PROVIDER=cuda with WICK_CUDA_STRICT=true, but the CUDA execution provider could not be loaded: ${reason}. Install the CUDA provider libraries (README "CUDA setup") or set WICK_EXECUTION_PROVIDER=cpu.`,
      );
    }
    const level = options.executionProvider === 'cuda' ? 'warn' : 'info';
    log[level](
      { reason },
      `CUDA execution provider unavailable; using the CPU${options.executionProvider === 'cuda' ? ' (set WICK_CUDA_STRICT=true to refuse instead)' : ''}`,
    );
    return null;
  }
}

function checkSignature(session: ort.InferenceSession, manifest: ModelManifest, folder: string): void {
  if (!session.inputNames.includes(manifest.onnx.inputName) || !session.outputNames.includes(manifest.onnx.outputName)) {
    throw new ModelMismatchError(
      `${folder}/model.onnx has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}], but its manifest names input "${manifest.onnx.inputName}" and output "${manifest.onnx.outputName}". The folder mixes files of different models; retrain.`,
    );
  }
}

/** Smallest probed batch from which CUDA's median latency beats the CPU's at that and every larger probed size. */
async function measureCrossover(cpu: ort.InferenceSession, cuda: ort.InferenceSession, manifest: ModelManifest): Promise<number> {
  const perWindow = manifest.windowLength * manifest.featureCount;
  const faster: boolean[] = [];
  for (const batch of CROSSOVER_PROBE_BATCHES) {
    const input = new ort.Tensor('float32', new Float32Array(batch * perWindow), [batch, manifest.windowLength, manifest.featureCount]);
    const feeds = { [manifest.onnx.inputName]: input };
    const median = async (session: ort.InferenceSession): Promise<number> => {
      await session.run(feeds);
      const times: number[] = [];
      for (let i = 0; i < 7; i++) {
        const start = performance.now();
        await session.run(feeds);
        times.push(performance.now() - start);
      }
      return times.sort((a, b) => a - b)[3] as number;
    };
    faster.push((await median(cuda)) < (await median(cpu)));
  }
  for (let i = 0; i < faster.length; i++) {
    if (faster.slice(i).every(Boolean)) return CROSSOVER_PROBE_BATCHES[i] as number;
  }
  return Number.POSITIVE_INFINITY;
}
