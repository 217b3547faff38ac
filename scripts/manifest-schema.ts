// Regenerates docs/model-manifest.schema.json from the zod schema in src/model/manifest.ts.
import { writeFileSync } from 'node:fs';
import { renderManifestJsonSchema } from '../src/model/manifest-json-schema.js';

writeFileSync(new URL('../docs/model-manifest.schema.json', import.meta.url), renderManifestJsonSchema());
console.log('wrote docs/model-manifest.schema.json');
