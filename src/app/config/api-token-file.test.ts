import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { resolveApiToken } from './api-token-file.js';
import { loadConfig } from './load-config.js';

const dir = () => mkdtempSync(join(tmpdir(), 'wick-token-'));

describe('resolveApiToken', () => {
  it('creates a random token file (mode 0600) once, then reads the same token back', () => {
    const file = join(dir(), 'api-token');
    const first = resolveApiToken(loadConfig({ WICK_API_TOKEN_FILE: file }));
    expect(first.source).toBe('created');
    const token = first.config.http.apiToken as string;
    expect(token.length).toBeGreaterThanOrEqual(16);
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Object.isFrozen(first.config.http)).toBe(true);
    const second = resolveApiToken(loadConfig({ WICK_API_TOKEN_FILE: file }));
    expect(second).toMatchObject({ source: 'file', config: { http: { apiToken: token } } });
  });

  it('two fresh files get different tokens', () => {
    const a = resolveApiToken(loadConfig({ WICK_API_TOKEN_FILE: join(dir(), 't') })).config.http.apiToken;
    const b = resolveApiToken(loadConfig({ WICK_API_TOKEN_FILE: join(dir(), 't') })).config.http.apiToken;
    expect(a).not.toBe(b);
  });

  it('WICK_API_TOKEN wins and the file is left alone; neither set means no token', () => {
    const file = join(dir(), 'api-token');
    const r = resolveApiToken(loadConfig({ WICK_API_TOKEN: 'given-token-0123456789', WICK_API_TOKEN_FILE: file }));
    expect(r).toMatchObject({ source: 'WICK_API_TOKEN', config: { http: { apiToken: 'given-token-0123456789' } } });
    expect(() => statSync(file)).toThrow();
    expect(resolveApiToken(loadConfig({}))).toMatchObject({ source: 'none', config: { http: { apiToken: undefined } } });
  });

  it('refuses a file with a short token, naming the file and the fix, never the content', () => {
    const file = join(dir(), 'api-token');
    writeFileSync(file, 'short-secret\n');
    const attempt = () => resolveApiToken(loadConfig({ WICK_API_TOKEN_FILE: file }));
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/holds no usable token.*delete the file/);
    expect(attempt).not.toThrow(/short-secret/);
  });

  it('says what to do when the folder cannot take the file', () => {
    const file = join(dir(), 'missing-folder', 'api-token');
    expect(() => resolveApiToken(loadConfig({ WICK_API_TOKEN_FILE: file }))).toThrow(/cannot be created.*set WICK_API_TOKEN/);
  });
});
