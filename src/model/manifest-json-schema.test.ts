import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderManifestJsonSchema } from './manifest-json-schema.js';
import { manifestSchema } from './manifest.js';

const root = new URL('../../', import.meta.url);
const committed = (): Promise<string> => readFile(new URL('docs/model-manifest.schema.json', root), 'utf8');

type Validate = ((data: unknown) => boolean) & { errors?: unknown };
/** ajv (draft-07) when it is installed (it comes with eslint); the agreement tests need an independent validator. */
function ajvValidator(schema: object): Validate | null {
  try {
    const Ajv = createRequire(import.meta.url)('ajv') as new (o: object) => { compile(s: object): Validate };
    return new Ajv({ allErrors: true }).compile(schema);
  } catch {
    return null;
  }
}

describe('manifest JSON Schema', () => {
  it('docs/model-manifest.schema.json is what the zod schema generates (run npm run docs:manifest-schema)', async () => {
    expect(await committed()).toBe(renderManifestJsonSchema());
  });

  it('accepts the shipped manifests, as zod does', async () => {
    const validate = ajvValidator(JSON.parse(await committed()) as object);
    for (const name of ['default', 'worked-example']) {
      const manifest = JSON.parse(await readFile(new URL(`models/${name}/manifest.json`, root), 'utf8')) as unknown;
      expect(manifestSchema.safeParse(manifest).success).toBe(true);
      if (validate !== null) expect(validate(manifest), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('agrees with zod on manifests with a field removed or given a wrong type', async () => {
    const validate = ajvValidator(JSON.parse(await committed()) as object);
    if (validate === null) return; // no independent validator installed: the equality test above still holds
    const base = JSON.parse(await readFile(new URL('models/default/manifest.json', root), 'utf8')) as Record<string, unknown>;
    // Paths into the manifest whose value is a plain field (not an element of a refined array).
    const paths: string[][] = [];
    const walk = (v: unknown, path: string[]): void => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, c] of Object.entries(v)) walk(c, [...path, k]);
      else if (path.length > 0) paths.push(path);
    };
    walk(base, []);
    const mutation = fc.record({ path: fc.constantFrom(...paths), kind: fc.constantFrom('delete', 'string', 'null', 'object') });
    fc.assert(
      fc.property(mutation, ({ path, kind }) => {
        const m = structuredClone(base);
        let parent = m as Record<string, unknown>;
        for (const k of path.slice(0, -1)) parent = parent[k] as Record<string, unknown>;
        const key = path.at(-1) as string;
        if (kind === 'delete') delete parent[key];
        else parent[key] = kind === 'string' ? 'x' : kind === 'null' ? null : {};
        expect(validate(m)).toBe(manifestSchema.safeParse(m).success);
      }),
      { numRuns: 300, seed: 13 },
    );
  });
});
