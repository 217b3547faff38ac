import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/index.js';
import { createCcxtExchange, exchangeErrorCode } from './ccxt-client.js';

const LOCAL = { rest: 'http://127.0.0.1:45678', ws: 'ws://127.0.0.1:45678/stream' };

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('createCcxtExchange', () => {
  it('points every Binance endpoint at a local stand-in and keeps futures sockets off /stream', async () => {
    const ex = await createCcxtExchange({ exchangeId: 'binance', apiKey: 'k', secret: 's', urls: LOCAL, timeoutMs: 1234 });
    const api = ex.urls['api'] as Record<string, unknown>;
    for (const key of ['public', 'private']) expect(api[key]).toBe('http://127.0.0.1:45678/api/v3');
    expect(api['v1']).toBe('http://127.0.0.1:45678/api/v1');
    expect(api['sapi']).toBe('http://127.0.0.1:45678/sapi/v1');
    expect(api['fapiPublic']).toBe('http://127.0.0.1:45678/fapi/v1');
    expect(api['fapiPrivateV3']).toBe('http://127.0.0.1:45678/fapi/v3');
    const ws = api['ws'] as Record<string, string>;
    expect(ws['spot']).toBe(LOCAL.ws);
    expect(ws['future']).not.toContain('/stream');
    for (const value of Object.values(api)) {
      if (typeof value === 'string') expect(value.startsWith('http://127.0.0.1:45678/')).toBe(true);
    }
    expect(ex.timeout).toBe(1234);
    expect(ex.enableRateLimit).toBe(true);
    expect(ex.options['fetchCurrencies']).toBe(false);
    expect(ex.options['fetchMargins']).toBe(false);
    expect(ex.options['fetchMarkets']).toMatchObject({ types: ['spot'] });
    expect(ex.options['maxRetriesOnFailure'] ?? 0).toBe(0);
    expect(ex.httpAgent).toBeDefined();
    await ex.close();
  });

  it('maps the local origin to the market type Binance error tables are keyed by', async () => {
    const ex = await createCcxtExchange({ exchangeId: 'binance', urls: LOCAL, timeoutMs: 1000 });
    const byUrl = (url: string): Record<string, unknown> =>
      (ex as unknown as { getExceptionsByUrl(u: string, k: string): Record<string, unknown> }).getExceptionsByUrl(url, 'exact');
    expect(byUrl('http://127.0.0.1:45678/api/v3/order')['-1004']).toBe(ccxt.OperationFailed);
    expect(byUrl('http://127.0.0.1:45678/fapi/v1/order')['-2019']).toBe(ccxt.InsufficientFunds);
    expect(byUrl('http://elsewhere:1/api/v3/order')).toEqual({});
    await ex.close();
  });

  it('leaves the real endpoints alone when no URLs are given', async () => {
    const ex = await createCcxtExchange({ exchangeId: 'binance', timeoutMs: 10_000, wsKeepAliveMs: 5000 });
    expect((ex.urls['api'] as Record<string, unknown>)['public']).toBe('https://api.binance.com/api/v3');
    expect(ex.streaming['keepAlive']).toBe(5000);
    await ex.close();
  });

  it('refuses bad configuration with ConfigError and never echoes credentials', async () => {
    const secrets = { apiKey: 'AKIA-very-secret-key', secret: 'super-secret-value' };
    const cases = [
      createCcxtExchange({ exchangeId: 'binance', ...secrets, urls: { rest: LOCAL.rest, ws: 'ws://127.0.0.1:45678/ws' }, timeoutMs: 1000 }),
      createCcxtExchange({ exchangeId: 'binance', ...secrets, urls: { rest: 'not a url', ws: LOCAL.ws }, timeoutMs: 1000 }),
      createCcxtExchange({ exchangeId: 'binance', ...secrets, urls: { rest: 'ftp://127.0.0.1:1', ws: LOCAL.ws }, timeoutMs: 1000 }),
      createCcxtExchange({ exchangeId: 'no-such-exchange', ...secrets, timeoutMs: 1000 }),
      createCcxtExchange({ exchangeId: 'kraken', ...secrets, urls: LOCAL, timeoutMs: 1000 }),
      createCcxtExchange({ exchangeId: 'binance', ...secrets, timeoutMs: 0 }),
    ];
    for (const p of cases) {
      const err = await configError(p);
      expect(err.message).not.toContain(secrets.apiKey);
      expect(err.message).not.toContain(secrets.secret);
    }
    expect((await configError(cases[0] as Promise<unknown>)).message).toContain('/stream');
  });
});

describe('exchangeErrorCode', () => {
  it('reads the Binance code out of a ccxt error message', () => {
    expect(exchangeErrorCode(new ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}'))).toBe(-2010);
    expect(exchangeErrorCode(new ccxt.NetworkError('socket hang up'))).toBeUndefined();
    expect(exchangeErrorCode('nope')).toBeUndefined();
  });
});
