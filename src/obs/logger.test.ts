import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

const API_KEY = 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A';
const SECRET = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j';
const TOKEN = 'operator-token-0123456789';

function capture(format: 'json' | 'pretty' = 'json') {
  const sink = new PassThrough();
  const chunks: string[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const logger = createLogger({ level: 'trace', format, secrets: [API_KEY, SECRET, TOKEN], destination: sink, isTty: false });
  return { logger, text: () => chunks.join('') };
}

/** Shaped like a ccxt AuthenticationError thrown after a signed request: the key sits in the URL, headers and message. */
function ccxtStyleError(): Error {
  const error = new Error(
    `binance {"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."} GET https://api.binance.com/api/v3/account?timestamp=1&recvWindow=5000&signature=abc apiKey=${API_KEY}`,
  );
  error.name = 'AuthenticationError';
  Object.assign(error, {
    request: {
      url: `https://api.binance.com/api/v3/account?apiKey=${encodeURIComponent(API_KEY)}`,
      headers: { 'X-MBX-APIKEY': API_KEY, Authorization: `Bearer ${TOKEN}` },
    },
    config: { apiKey: API_KEY, secret: SECRET, nested: { deeper: { password: 'hunter2-password' } } },
  });
  return error;
}

describe('logger redaction', () => {
  it('never writes a secret, whether in fields, nested objects, error messages or stacks', () => {
    const { logger, text } = capture();
    const child = logger.child({ component: 'broker', symbol: 'BTC/USDT' });
    child.info({ apiKey: API_KEY, secret: SECRET, headers: { authorization: `Bearer ${TOKEN}` } }, 'connecting');
    child.error({ err: ccxtStyleError() }, 'exchange rejected the request');
    child.warn({ dump: { request: { body: `key=${API_KEY}&secret=${SECRET}` } } }, `retrying with ${API_KEY.slice(0, 64)}`);
    child.error(new Error(`wrapped`, { cause: ccxtStyleError() }), 'wrapped failure');
    const out = text();
    expect(out.length).toBeGreaterThan(500);
    for (const secret of [API_KEY, SECRET, TOKEN, encodeURIComponent(API_KEY), 'hunter2-password']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('[REDACTED]');
    // the useful parts survive
    expect(out).toContain('Invalid API-key, IP, or permissions for action.');
    expect(out).toContain('"component":"broker"');
  });

  it('emits one JSON object per line with level, component and message', () => {
    const { logger, text } = capture();
    logger.child({ component: 'risk' }).warn({ code: 'KILL_SWITCH' }, 'trading halted');
    const line = JSON.parse(text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 40, component: 'risk', code: 'KILL_SWITCH', msg: 'trading halted', app: 'wick' });
  });

  it('redacts in human-readable (pretty) output too', () => {
    const { logger, text } = capture('pretty');
    logger.error({ err: ccxtStyleError() }, 'auth failed');
    const out = text();
    expect(out).toContain('auth failed');
    expect(out).not.toContain(API_KEY);
    expect(out).not.toContain(SECRET);
  });
});
