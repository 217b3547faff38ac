import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { loadConfig, renderEnvExample, renderVariablesTable } from './load-config.js';
import { LIVE_CONFIRMATION, VARIABLES } from './variables.js';

function problemsOf(env: Record<string, string>): { message: string; issues: readonly string[] } {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    return { message: e.message, issues: e.issues };
  }
  throw new Error('expected loadConfig to throw');
}

const LIVE_OK = {
  WICK_MODE: 'live',
  WICK_API_KEY: 'key-AAAAAAAAAAAAAAAA',
  WICK_API_SECRET: 'secret-BBBBBBBBBBBBBBBB',
  WICK_LIVE_CONFIRM: LIVE_CONFIRMATION,
};

describe('loadConfig', () => {
  it('defaults to paper mode with every default applied, frozen', () => {
    const config = loadConfig({});
    expect(config.mode).toBe('paper');
    expect(config.credentials).toBeUndefined();
    expect(config.market.symbols).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(config.market.timeframe).toBe('1h');
    expect(config.http.port).toBe(8080);
    expect(config.risk.stopCooldownMs).toBe(60 * 60_000);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.risk)).toBe(true);
    expect(() => {
      (config.risk as { maxDrawdown: number }).maxDrawdown = 1;
    }).toThrow(TypeError);
  });

  it('parses given values and trims them', () => {
    const config = loadConfig({ WICK_SYMBOLS: ' SOL/USDT , BTC/USDT ', WICK_HTTP_PORT: '9000', WICK_CUDA_STRICT: 'yes' });
    expect(config.market.symbols).toEqual(['SOL/USDT', 'BTC/USDT']);
    expect(config.http.port).toBe(9000);
    expect(config.model.cudaStrict).toBe(true);
  });

  it('names a value of the wrong type with what is expected', () => {
    const { issues } = problemsOf({ WICK_HTTP_PORT: 'eighty' });
    expect(issues).toEqual(['WICK_HTTP_PORT = "eighty": expected an integer from 0 to 65535.']);
  });

  it('names a value out of range', () => {
    const { issues } = problemsOf({ WICK_MAX_DRAWDOWN: '1.5' });
    expect(issues[0]).toContain('WICK_MAX_DRAWDOWN = "1.5"');
    expect(issues[0]).toContain('a fraction from 0.001 to 1');
  });

  it('rejects an unknown mode', () => {
    const { issues } = problemsOf({ WICK_MODE: 'yolo' });
    expect(issues).toEqual(['WICK_MODE = "yolo": expected one of: paper, live.']);
  });

  it('rejects an unknown WICK_ variable (a typo in a risk limit must not pass silently)', () => {
    const { issues } = problemsOf({ WICK_MAX_DRAWDOWNN: '0.1' });
    expect(issues[0]).toMatch(/^WICK_MAX_DRAWDOWNN: unknown variable/);
  });

  it('refuses live mode without keys, saying exactly which are missing', () => {
    const { issues } = problemsOf({ WICK_MODE: 'live', WICK_LIVE_CONFIRM: LIVE_CONFIRMATION });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain('WICK_API_KEY and WICK_API_SECRET are not set');
    const one = problemsOf({ WICK_MODE: 'live', WICK_API_KEY: 'abcdefghijkl', WICK_LIVE_CONFIRM: LIVE_CONFIRMATION });
    expect(one.issues[0]).toContain('WICK_API_SECRET is not set');
  });

  it('refuses live mode without the confirmation, and with a wrong one', () => {
    const { WICK_LIVE_CONFIRM: _c, ...withoutConfirm } = LIVE_OK;
    expect(problemsOf(withoutConfirm).issues).toEqual([expect.stringContaining('WICK_LIVE_CONFIRM is not set')]);
    expect(problemsOf({ ...LIVE_OK, WICK_LIVE_CONFIRM: 'yes' }).issues).toEqual([expect.stringContaining('WICK_LIVE_CONFIRM = "yes" is not the confirmation')]);
  });

  it('accepts live mode with keys and confirmation', () => {
    const config = loadConfig(LIVE_OK);
    expect(config.mode).toBe('live');
    expect(config.credentials?.apiKey).toBe(LIVE_OK.WICK_API_KEY);
  });

  it('reports every problem at once and masks secrets', () => {
    const { message, issues } = problemsOf({
      WICK_MODE: 'live',
      WICK_HTTP_PORT: '-1',
      WICK_TIMEFRAME: '7m',
      WICK_API_TOKEN: 'short-secret',
      WICK_API_KEY: 'k',
    });
    expect(issues.length).toBe(6);
    expect(message).toMatch(/^Invalid configuration \(6 problems\)/);
    for (const name of ['WICK_HTTP_PORT', 'WICK_TIMEFRAME', 'WICK_API_TOKEN', 'WICK_API_KEY', 'WICK_API_SECRET', 'WICK_LIVE_CONFIRM']) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('short-secret');
    expect(message).toContain('****** (12 characters)');
  });

  it('config/.env.example lists every variable and equals the generated text', () => {
    const file = readFileSync(new URL('../../../config/.env.example', import.meta.url), 'utf8');
    expect(file).toBe(renderEnvExample());
    for (const def of VARIABLES) expect(file).toContain(def.env);
  });

  it('the README documents every variable (its table equals the generated one)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`<!-- variables:start -->\n${renderVariablesTable()}\n<!-- variables:end -->`);
  });
});
