import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { manifestSchema, MANIFEST_FORMAT_VERSION, type ModelManifest } from '../model/manifest.js';
import type { LstmModel } from '../train/lstm-model.js';
import { exportOnnx, ONNX_INPUT, ONNX_OUTPUT } from '../train/onnx-export.js';
import { version } from './version.js';

/** Everything of a manifest that the trainer decides; the rest (ids, hashes, ONNX facts) is filled in here. */
export type ManifestInput = Omit<ModelManifest, 'format' | 'formatVersion' | 'modelId' | 'wickVersion' | 'createdAt' | 'onnx' | 'architecture'>;

/** A manifest without what writeModelFiles derives from the bytes (ids, hash, format). */
export type ManifestFields = Omit<ModelManifest, 'format' | 'formatVersion' | 'modelId' | 'wickVersion' | 'createdAt' | 'onnx'> & {
  readonly onnx: Omit<ModelManifest['onnx'], 'file' | 'sha256'>;
};

const OPSET = 14;

/** Writes a model folder for wick's own LSTM: model.onnx (exported from the TypeScript LSTM) and manifest.json. */
export async function writeModelFolder(dir: string, model: LstmModel, input: ManifestInput, now: Date = new Date()): Promise<ModelManifest> {
  const bytes = exportOnnx(model, { windowLength: input.windowLength, metadata: { specHash: input.specHash }, producerVersion: version() });
  return writeModelFiles(
    dir,
    bytes,
    {
      ...input,
      architecture: { layers: model.config.numLayers, hidden: model.config.hiddenSize, outputs: model.config.outputSize },
      onnx: { inputName: ONNX_INPUT, outputName: ONNX_OUTPUT, opset: OPSET },
    },
    { idPrefix: 'wick', now },
  );
}

/**
 * Writes model.onnx and manifest.json into `dir`. Both files are written to temporaries and
 * renamed, manifest last, so a crash never leaves a folder whose manifest describes a different
 * model.onnx. The manifest's modelId is `<idPrefix>-` + the first 12 hex digits of the ONNX sha256.
 */
export async function writeModelFiles(
  dir: string,
  bytes: Uint8Array,
  fields: ManifestFields,
  options: { readonly idPrefix: string; readonly now?: Date },
): Promise<ModelManifest> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const manifest: ModelManifest = manifestSchema.parse({
    format: 'wick-model',
    formatVersion: MANIFEST_FORMAT_VERSION,
    modelId: `${options.idPrefix}-${sha256.slice(0, 12)}`,
    wickVersion: version(),
    createdAt: (options.now ?? new Date()).toISOString(),
    ...fields,
    onnx: { file: 'model.onnx', sha256, ...fields.onnx },
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
