import ccxt, { type Exchange } from 'ccxt';
import { ConfigError } from '../core/index.js';

export interface CcxtExchangeOptions {
  /** ccxt id, e.g. 'binance'. */
  readonly exchangeId: string;
  readonly apiKey?: string;
  readonly secret?: string;
  /**
   * Point the client at a local stand-in instead of the real venue (binance only): `rest` is the
   * origin (http://127.0.0.1:PORT; /api/v3 etc. are appended), `ws` the spot stream URL, which must
   * contain `/stream` (ccxt tells spot from futures sockets by it).
   */
  readonly urls?: { readonly rest: string; readonly ws: string };
  /** Per-request REST timeout; no answer within it surfaces as ccxt `RequestTimeout`. */
  readonly timeoutMs: number;
  /** Websocket ping interval; two missed pongs reject pending watches with `RequestTimeout` (ccxt default for binance: 180 s). */
  readonly wsKeepAliveMs?: number;
  /** Market types `loadMarkets` fetches; default ['spot'] (the others cost extra requests). */
  readonly marketTypes?: ReadonlyArray<'spot' | 'linear'>;
  /** Binance recvWindow for signed requests; ccxt sends 10 s when absent. */
  readonly recvWindowMs?: number;
}

type ExchangeClass = new (config: Record<string, unknown>) => Exchange;
type BinanceMarketType = 'spot' | 'linear' | 'inverse';

/** Binance REST API keys that `sign()` resolves, by local path (all served from one origin). */
const BINANCE_API_PATHS: Readonly<Record<string, string>> = Object.freeze({
  public: '/api/v3',
  private: '/api/v3',
  v1: '/api/v1',
  sapi: '/sapi/v1',
  sapiV2: '/sapi/v2',
  sapiV3: '/sapi/v3',
  sapiV4: '/sapi/v4',
  fapiPublic: '/fapi/v1',
  fapiPublicV2: '/fapi/v2',
  fapiPublicV3: '/fapi/v3',
  fapiPrivate: '/fapi/v1',
  fapiPrivateV2: '/fapi/v2',
  fapiPrivateV3: '/fapi/v3',
  fapiData: '/futures/data',
  dapiPublic: '/dapi/v1',
  dapiPrivate: '/dapi/v1',
  dapiPrivateV2: '/dapi/v2',
  dapiData: '/dapi/futures/data',
  eapiPublic: '/eapi/v1',
  eapiPrivate: '/eapi/v1',
  papi: '/papi/v1',
  papiV2: '/papi/v2',
});

function parseUrl(value: string, what: string, protocols: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${what} is not a URL`);
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(`${what} must use ${protocols.join(' or ')}, got ${url.protocol}`);
  return url;
}

function localBinanceUrls(rest: string, ws: string): { api: Record<string, unknown> } {
  const restUrl = parseUrl(rest, 'exchange REST URL', ['http:', 'https:']);
  const wsUrl = parseUrl(ws, 'exchange websocket URL', ['ws:', 'wss:']);
  if (!wsUrl.pathname.includes('/stream')) {
    throw new ConfigError("exchange websocket URL must contain '/stream' (ccxt treats other Binance sockets as futures and spot watches hang)");
  }
  const origin = restUrl.origin;
  const api: Record<string, unknown> = {};
  for (const [key, path] of Object.entries(BINANCE_API_PATHS)) api[key] = origin + path;
  const spotWs = ws.replace(/\/+$/, '');
  // Futures sockets must NOT contain /stream; ccxt adds /market/ws etc. to a URL ending in /ws.
  const futuresWs = `${wsUrl.protocol}//${wsUrl.host}/fapi-ws/ws`;
  api['ws'] = {
    spot: spotWs,
    margin: spotWs,
    future: futuresWs,
    delivery: `${wsUrl.protocol}//${wsUrl.host}/dapi-ws/ws`,
    'ws-api': {
      spot: `${wsUrl.protocol}//${wsUrl.host}/ws-api/v3`,
      future: `${wsUrl.protocol}//${wsUrl.host}/ws-fapi/v1`,
      delivery: `${wsUrl.protocol}//${wsUrl.host}/ws-dapi/v1`,
    },
  };
  return { api };
}

/**
 * ccxt matches Binance's per-market error-code tables by the real hostnames, so against a local
 * origin only the common table applies. This subclass maps the local origin's paths to the same
 * market types, so a stand-in produces the error classes the real venue would.
 */
function localBinanceClass(origin: string): ExchangeClass {
  return class LocalBinance extends ccxt.pro.binance {
    override getExceptionsByUrl(url: string | undefined, exactOrBroad: string): Record<string, unknown> {
      if (url !== undefined && url.startsWith(`${origin}/`)) {
        const path = url.slice(origin.length);
        const type: BinanceMarketType | undefined =
          path.startsWith('/api/') || path.startsWith('/sapi/')
            ? 'spot'
            : path.startsWith('/fapi/')
              ? 'linear'
              : path.startsWith('/dapi/')
                ? 'inverse'
                : undefined;
        if (type !== undefined) {
          const tables = (this.exceptions as Record<string, Record<string, Record<string, unknown>> | undefined>)[type];
          return tables?.[exactOrBroad] ?? {};
        }
      }
      return super.getExceptionsByUrl(url, exactOrBroad) as Record<string, unknown>;
    }
  } as unknown as ExchangeClass;
}

/**
 * Creates a ccxt.pro exchange (REST + websocket) configured for wick: rate limiting on, no
 * automatic retries (a retried order placement could double an order), only the market types
 * asked for, and, when `urls` is given, every Binance endpoint pointed at a local stand-in.
 * Error messages never include the key or secret.
 */
export async function createCcxtExchange(opts: CcxtExchangeOptions): Promise<Exchange> {
  const classes = ccxt.pro as unknown as Record<string, ExchangeClass | undefined>;
  const Base = classes[opts.exchangeId];
  if (Base === undefined) throw new ConfigError(`unknown ccxt exchange id '${opts.exchangeId}' (needs a ccxt.pro class)`);
  if (!(opts.timeoutMs > 0)) throw new ConfigError(`exchange timeoutMs must be > 0, got ${opts.timeoutMs}`);
  const isBinance = opts.exchangeId === 'binance';
  if (opts.urls !== undefined && !isBinance) throw new ConfigError(`exchange URL override is implemented for binance only, not '${opts.exchangeId}'`);

  const config: Record<string, unknown> = {
    enableRateLimit: true,
    timeout: opts.timeoutMs,
    options: {
      defaultType: 'spot',
      fetchCurrencies: false,
      fetchMargins: false,
      fetchMarkets: { types: [...(opts.marketTypes ?? ['spot'])] },
      ...(opts.recvWindowMs !== undefined ? { recvWindow: opts.recvWindowMs } : {}),
    },
  };
  if (opts.apiKey !== undefined) config['apiKey'] = opts.apiKey;
  if (opts.secret !== undefined) config['secret'] = opts.secret;
  if (opts.wsKeepAliveMs !== undefined) config['streaming'] = { keepAlive: opts.wsKeepAliveMs };
  let Cls = Base;
  if (opts.urls !== undefined) {
    config['urls'] = localBinanceUrls(opts.urls.rest, opts.urls.ws);
    Cls = localBinanceClass(new URL(opts.urls.rest).origin);
  }

  let exchange: Exchange;
  try {
    exchange = new Cls(config);
  } catch (err) {
    // ccxt's message could echo config; keep only the class name.
    throw new ConfigError(`could not create ccxt exchange '${opts.exchangeId}': ${err instanceof Error ? err.name : 'unknown error'}`);
  }
  const wsUrl = opts.urls?.ws;
  if (wsUrl !== undefined && wsUrl.startsWith('ws://')) await exchange.loadHttpProxyAgent();
  return exchange;
}

/**
 * The exchange's own error code in a ccxt error (Binance puts its `{"code":-2010,...}` body in the
 * message), for logs and fine-grained classification; undefined if there is none.
 */
export function exchangeErrorCode(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const match = /"code"\s*:\s*(-?\d+)/.exec(err.message);
  return match?.[1] !== undefined ? Number(match[1]) : undefined;
}
