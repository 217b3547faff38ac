import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { manifestSchema, MANIFEST_FORMAT_VERSION, type ModelManifest } from '../model/manifest.js';
import type { LstmModel } from '../train/lstm-model.js';
import { exportOnnx, ONNX_INPUT, ONNX_OUTPUT } from '../train/onnx-export.js';
import { version } from './version.js';

/** Everything of a manifest that the trainer decides; the rest (ids, hashes, ONNX facts) is filled in here. */
export type ManifestInput = Omit<ModelManifest, 'format' | 'formatVersion' | 'modelId' | 'wickVersion' | 'createdAt' | 'onnx' | 'architecture'>;

const OPSET = 14;

/**
 * Writes a model folder: model.onnx (exported from the TypeScript LSTM) and manifest.json.
 * Both files are written to temporaries and renamed, manifest last, so a crash never leaves a
 * folder whose manifest describes a different model.onnx.
 */
export async function writeModelFolder(dir: string, model: LstmModel, input: ManifestInput, now: Date = new Date()): Promise<ModelManifest> {
  const bytes = exportOnnx(model, { windowLength: input.windowLength, metadata: { specHash: input.specHash }, producerVersion: version() });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const manifest: ModelManifest = manifestSchema.parse({
    format: 'wick-model',
    formatVersion: MANIFEST_FORMAT_VERSION,
    modelId: `wick-${sha256.slice(0, 12)}`,
    wickVersion: version(),
    createdAt: now.toISOString(),
    ...input,
    architecture: { layers: model.config.numLayers, hidden: model.config.hiddenSize, outputs: model.config.outputSize },
    onnx: { file: 'model.onnx', sha256, inputName: ONNX_INPUT, outputName: ONNX_OUTPUT, opset: OPSET },
  });
  await mkdir(dir, { recursive: true });
  const suffix = `.tmp-${process.pid}`;
  const onnxPath = join(dir, 'model.onnx');
  const manifestPath = join(dir, 'manifest.json');
  try {
    await writeFile(onnxPath + suffix, bytes);
    await writeFile(manifestPath + suffix, `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(onnxPath + suffix, onnxPath);
    await rename(manifestPath + suffix, manifestPath);
  } finally {
    await rm(onnxPath + suffix, { force: true });
    await rm(manifestPath + suffix, { force: true });
  }
  return manifest;
}

/** Rewrites a model folder's manifest.json (validated, atomically); model.onnx is untouched. */
export async function updateManifest(dir: string, manifest: ModelManifest): Promise<ModelManifest> {
  const parsed = manifestSchema.parse(manifest);
  const path = join(dir, 'manifest.json');
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, `${JSON.stringify(parsed, null, 2)}\n`);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  return parsed;
}
