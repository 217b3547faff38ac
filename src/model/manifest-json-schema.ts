import { z } from 'zod';
import { manifestSchema } from './manifest.js';

/**
 * The JSON Schema (draft-07, the dialect most validators speak) of manifest.json, generated from the zod schema the daemon parses
 * with, so the published format cannot drift from the code. Cross-field checks (featureCount equals
 * the spec's length, one normalisation entry per feature, one output per horizon) are zod
 * refinements a JSON Schema cannot state; they are listed in the description.
 * docs/model-manifest.schema.json holds the output (`npm run docs:manifest-schema`).
 */
export function manifestJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(manifestSchema, { target: 'draft-7', io: 'input', unrepresentable: 'any' });
  return {
    ...generated,
    $id: 'urn:wick:model-manifest:1',
    title: 'wick model manifest (manifest.json beside model.onnx)',
    description:
      'A wick model folder holds model.onnx and this manifest. Besides this schema, wick checks: featureCount equals featureSpec.features length; normalisation.mean and .std have featureCount entries; architecture.outputs equals the number of horizons; drift.predictionMean/.predictionStd have one entry per horizon; specHash is the hash this build computes for featureSpec; onnx.sha256 is the sha256 of model.onnx.',
  };
}

/** The schema file's text: stable key order, two-space indent, trailing newline. */
export function renderManifestJsonSchema(): string {
  return `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
}
