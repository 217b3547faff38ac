import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../../core/errors.js';
import type { Config } from './load-config.js';

export interface ApiTokenResolution {
  readonly config: Config;
  /** Where the token came from: for the start-up log line (never the token itself). */
  readonly source: 'WICK_API_TOKEN' | 'file' | 'created' | 'none';
}

const MIN_LENGTH = 16;

/**
 * The operator API token of a daemon run. WICK_API_TOKEN wins; otherwise WICK_API_TOKEN_FILE is read,
 * or created with a fresh random token (mode 0600) when it does not exist, so a container started with
 * no configuration still gets a working, secret dashboard login.
 * @throws ConfigError when the file exists but holds no usable token, or cannot be written.
 */
export function resolveApiToken(config: Config, random: (bytes: number) => Buffer = randomBytes): ApiTokenResolution {
  const file = config.http.apiTokenFile;
  if (config.http.apiToken !== undefined) return { config, source: 'WICK_API_TOKEN' };
  if (file === undefined) return { config, source: 'none' };
  let token: string;
  let source: ApiTokenResolution['source'];
  try {
    token = readFileSync(file, 'utf8').trim();
    source = 'file';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new ConfigError(
        `WICK_API_TOKEN_FILE = ${JSON.stringify(file)} cannot be read (${(error as Error).message}); fix its permissions or set WICK_API_TOKEN.`,
      );
    token = random(24).toString('base64url');
    try {
      writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
    } catch (writeError) {
      throw new ConfigError(
        `WICK_API_TOKEN_FILE = ${JSON.stringify(file)} does not exist and cannot be created (${(writeError as Error).message}); make its folder writable, or set WICK_API_TOKEN.`,
      );
    }
    source = 'created';
  }
  if (token.length < MIN_LENGTH || /\s/.test(token)) {
    throw new ConfigError(
      `WICK_API_TOKEN_FILE = ${JSON.stringify(file)} holds no usable token (at least ${MIN_LENGTH} characters, no spaces); delete the file to have a new one created, or set WICK_API_TOKEN.`,
    );
  }
  const resolved: Config = Object.freeze({ ...config, http: Object.freeze({ ...config.http, apiToken: token }) });
  return { config: resolved, source };
}
