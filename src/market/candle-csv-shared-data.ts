import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Folder of the real Binance candle files (not redistributable, so not in the repo):
 * $WICK_TEST_DATA_DIR, else ../shared/data beside the repository. Undefined when absent, so tests
 * can skip with a message and a plain clone still passes.
 */
export function sharedDataDir(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const dir = env.WICK_TEST_DATA_DIR ?? path.resolve(repoRoot, '..', 'shared', 'data');
  return existsSync(path.join(dir, 'BTC_USDT-1h.csv')) ? dir : undefined;
}

/** The synthetic sample committed with the repo (scripts/make-sample.ts). */
export const SAMPLE_DATA_DIR = path.join(repoRoot, 'test', 'fixtures', 'sample');
