import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** wick's version, from package.json (two levels above both src/app and dist/app). */
export function version(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    cached = pkg.version;
  }
  return cached;
}
