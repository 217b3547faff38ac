import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { ConfigError, silentLogger, timeframeMs, type Candle, type Logger, type Timeframe } from '../core/index.js';
import { createRestHandler } from './binance-rest.js';
import { ExchangeEngine, SIM_ORDER_TYPES, type EngineMarket, type FeeMode, type SimOrder, type SimOrderType } from './exchange-engine.js';
import { FaultState, type FaultCommand, type FaultControl } from './faults.js';
import { MarketStream } from './market-stream.js';
import { PricePath, type PricePoint } from './price-path.js';

/** One simulated market: candles of one timeframe, or a scripted price path. */
export interface SimMarketConfig {
  /** Unified symbol, `BASE/QUOTE` (served as `BASEQUOTE`, Binance style). */
  readonly symbol: string;
  readonly candles?: readonly Candle[];
  /** Timeframe of `candles`; default '1h'. */
  readonly timeframe?: Timeframe;
  readonly pricePath?: readonly PricePoint[];
  /** Base volume per hour for a scripted path (kline volume); default 0. */
  readonly volumePerHour?: number;
  readonly tickSize?: number;
  readonly stepSize?: number;
  readonly minQty?: number;
  readonly minNotional?: number;
  /** MARKET_LOT_SIZE maxQty; default 128.52 (Binance BTCUSDT). */
  readonly marketMaxQty?: number;
  /** LOT_SIZE maxQty; default 9000. */
  readonly maxQty?: number;
  /** PERCENT_PRICE_BY_SIDE multipliers; default Binance BTCUSDT's (5 up, 0.2 down, both sides). */
  readonly percentPriceBySide?: EngineMarket['percentPriceBySide'];
  /** MAX_NUM_ORDERS and MAX_NUM_ALGO_ORDERS; defaults 200 and 5 (Binance spot). */
  readonly maxNumOrders?: number;
  readonly maxNumAlgoOrders?: number;
  readonly orderTypes?: readonly SimOrderType[];
}

export interface ExchangeSimulatorOptions {
  readonly markets: readonly SimMarketConfig[];
  /** Starting free balances by asset; default 10,000 USDT. */
  readonly balances?: Readonly<Record<string, number>>;
  /** Fee rate on every fill; default 0.001 (0.1 %). */
  readonly feeRate?: number;
  /** Where fees are charged; default { kind: 'received' } (the base on a buy, the quote on a sell), as Binance without BNB. */
  readonly feeMode?: FeeMode;
  /** Simulated start time; default the earliest market's first candle open. */
  readonly startTimeMs?: number;
  /** What `step()` advances by; default the first candle market's timeframe (else 1 s). */
  readonly stepMs?: number;
  /** Default 127.0.0.1. Bind elsewhere only inside a container network. */
  readonly host?: string;
  /** Default 0: an ephemeral port. */
  readonly port?: number;
  readonly apiKey?: string;
  readonly apiSecret?: string;
  /** Push the forming kline right after a SUBSCRIBE (Binance pushes within a second or two); default true. */
  readonly pushOnSubscribe?: boolean;
  /** Start real-time playback at this many simulated ms per wall ms; default: manual clock. */
  readonly playbackSpeed?: number;
  readonly playbackTickMs?: number;
  /** Serve `/__sim/...` control endpoints; default true. */
  readonly controlApi?: boolean;
  /** See EngineOptions: Binance only rejects a client id reused by an OPEN order. */
  readonly duplicateClientOrderIds?: 'open' | 'any';
  readonly logger?: Logger;
}

export interface SimulatorHandle {
  /** e.g. http://127.0.0.1:40123 (Binance REST paths go under it: /api/v3/...). */
  readonly restUrl: string;
  /** e.g. ws://127.0.0.1:40123/stream (ccxt appends /0; any suffix is accepted). */
  readonly wsUrl: string;
  readonly port: number;
  readonly faults: FaultControl;
  /** The last 1,000 API requests seen, in order (control requests excluded). */
  readonly requests: ReadonlyArray<{ readonly method: string; readonly path: string }>;
  nowMs(): number;
  /** Move the simulated clock to `ms`, matching orders and pushing klines on the way. */
  advanceTo(ms: number): void;
  step(ms?: number): void;
  /** Real-time playback: `speed` simulated ms per wall ms, advancing every `tickMs`. */
  play(speed: number, tickMs?: number): void;
  pause(): void;
  priceOf(symbol: string): number;
  balances(): ReadonlyArray<{ readonly asset: string; readonly free: number; readonly locked: number }>;
  setBalance(asset: string, free: number): void;
  openOrders(symbol?: string): readonly SimOrder[];
  /** Resolves when a websocket subscribes to `stream` (e.g. 'btcusdt@kline_1h'). */
  waitForSubscription(stream: string, timeoutMs?: number): Promise<void>;
  subscriberCount(stream: string): number;
  close(): Promise<void>;
}

const MAX_REQUEST_LOG = 1000;

const faultCommandSchema = z
  .object({
    clear: z.boolean().optional(),
    latencyMs: z.number().nonnegative().optional(),
    latencyPathPrefix: z.string().optional(),
    httpErrors: z
      .object({
        status: z.union([z.literal(418), z.literal(429), z.literal(500), z.literal(502), z.literal(503), z.literal(504)]),
        count: z.number().int().positive(),
        pathPrefix: z.string().optional(),
        body: z.string().optional(),
      })
      .optional(),
    orderTimeout: z
      .object({
        count: z.number().int().positive().optional(),
        mode: z.enum(['hang', 'delay', 'drop']).optional(),
        delayMs: z.number().nonnegative().optional(),
      })
      .optional(),
    partialFill: z.object({ fraction: z.number().gt(0).lt(1), count: z.number().int().positive().optional() }).optional(),
    rejectNextStopOrder: z
      .union([z.literal(true), z.object({ count: z.number().int().positive().optional(), code: z.number().int().optional(), msg: z.string().optional() })])
      .optional(),
    clockSkewMs: z.number().optional(),
    dropWebSockets: z.boolean().optional(),
    stallWebSockets: z.union([z.literal(true), z.object({ answerPings: z.boolean().optional() })]).optional(),
    resumeWebSockets: z.boolean().optional(),
  })
  .strict();

const clockCommandSchema = z
  .object({
    advanceTo: z.number().int().optional(),
    step: z.number().int().positive().optional(),
    play: z.object({ speed: z.number().positive(), tickMs: z.number().int().positive().optional() }).optional(),
    pause: z.boolean().optional(),
  })
  .strict();

function buildMarket(cfg: SimMarketConfig): EngineMarket {
  const [base, quote, extra] = cfg.symbol.split('/');
  if (base === undefined || quote === undefined || extra !== undefined || base === '' || quote === '') {
    throw new ConfigError(`simulator market symbol must look like BTC/USDT, got '${cfg.symbol}'`);
  }
  let path: PricePath;
  if (cfg.candles !== undefined && cfg.candles.length > 0) {
    path = PricePath.fromCandles(cfg.candles, timeframeMs(cfg.timeframe ?? '1h'));
  } else if (cfg.pricePath !== undefined && cfg.pricePath.length > 0) {
    path = PricePath.fromPoints(cfg.pricePath, cfg.volumePerHour ?? 0);
  } else {
    throw new ConfigError(`simulator market ${cfg.symbol} needs candles or a price path`);
  }
  const stepSize = cfg.stepSize ?? 0.00001;
  return {
    id: `${base}${quote}`,
    base,
    quote,
    tickSize: cfg.tickSize ?? 0.01,
    stepSize,
    minQty: cfg.minQty ?? stepSize,
    minNotional: cfg.minNotional ?? 5,
    marketMaxQty: cfg.marketMaxQty ?? 128.52,
    maxQty: cfg.maxQty ?? 9000,
    percentPriceBySide: cfg.percentPriceBySide ?? { bidUp: 5, bidDown: 0.2, askUp: 5, askDown: 0.2 },
    maxNumOrders: cfg.maxNumOrders ?? 200,
    maxNumAlgoOrders: cfg.maxNumAlgoOrders ?? 5,
    orderTypes: cfg.orderTypes ?? SIM_ORDER_TYPES,
    path,
  };
}

/** Starts a local Binance spot stand-in (REST + kline websocket on one port). Loopback by default. */
export async function startExchangeSimulator(opts: ExchangeSimulatorOptions): Promise<SimulatorHandle> {
  if (opts.markets.length === 0) throw new ConfigError('simulator needs at least one market');
  const log = (opts.logger ?? silentLogger).child({ component: 'simulator' });
  const markets = opts.markets.map(buildMarket);
  const startTimeMs = opts.startTimeMs ?? Math.min(...markets.map((m) => m.path.startMs));
  const engine = new ExchangeEngine({
    markets,
    balances: opts.balances ?? { USDT: 10_000 },
    feeRate: opts.feeRate ?? 0.001,
    ...(opts.feeMode !== undefined ? { feeMode: opts.feeMode } : {}),
    startTimeMs,
    ...(opts.duplicateClientOrderIds !== undefined ? { duplicateClientOrderIds: opts.duplicateClientOrderIds } : {}),
  });
  const firstCandleMarket = opts.markets.find((m) => m.candles !== undefined && m.candles.length > 0);
  const stepMs = opts.stepMs ?? (firstCandleMarket !== undefined ? timeframeMs(firstCandleMarket.timeframe ?? '1h') : 1000);
  const faults = new FaultState();
  const stream = new MarketStream(engine, opts.pushOnSubscribe ?? true);
  const held = new Set<ServerResponse>();
  const requests: Array<{ method: string; path: string }> = [];
  let timer: NodeJS.Timeout | undefined;

  const advanceTo = (ms: number): void => {
    engine.advanceTo(ms);
    stream.publish();
  };
  const pause = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  const play = (speed: number, tickMs = 250): void => {
    if (!(speed > 0)) throw new ConfigError(`playback speed must be > 0, got ${speed}`);
    pause();
    timer = setInterval(() => advanceTo(engine.nowMs + Math.round(tickMs * speed)), tickMs);
    timer.unref();
  };

  const faultControl: FaultControl = {
    setLatency: (ms, pathPrefix) => {
      faults.latencyMs = ms;
      faults.latencyPathPrefix = pathPrefix;
    },
    failHttp: (fault) => {
      faults.httpErrors = { fault, remaining: fault.count };
    },
    timeoutNextOrders: (fault = {}) => {
      faults.orderTimeout = { mode: fault.mode ?? 'hang', delayMs: fault.delayMs ?? 0, remaining: fault.count ?? 1 };
    },
    partialFills: (fraction, count = 1) => engine.injectPartialFills(fraction, count),
    rejectNextStopOrder: (fault = {}) => {
      faults.stopReject = { code: fault.code ?? -2010, msg: fault.msg ?? 'Stop price would trigger immediately.', remaining: fault.count ?? 1 };
    },
    setClockSkew: (ms) => {
      faults.clockSkewMs = ms;
    },
    dropWebSockets: () => stream.drop(),
    stallWebSockets: (fault = {}) => stream.stall(fault.answerPings ?? true),
    resumeWebSockets: () => stream.resume(),
    clear: () => {
      faults.reset();
      engine.clearPartialFills();
      stream.resume();
    },
    apply: (command: FaultCommand) => {
      if (command.clear === true) faultControl.clear();
      if (command.latencyMs !== undefined) faultControl.setLatency(command.latencyMs, command.latencyPathPrefix);
      if (command.httpErrors !== undefined) faultControl.failHttp(command.httpErrors);
      if (command.orderTimeout !== undefined) faultControl.timeoutNextOrders(command.orderTimeout);
      if (command.partialFill !== undefined) faultControl.partialFills(command.partialFill.fraction, command.partialFill.count);
      if (command.rejectNextStopOrder !== undefined) faultControl.rejectNextStopOrder(command.rejectNextStopOrder === true ? {} : command.rejectNextStopOrder);
      if (command.clockSkewMs !== undefined) faultControl.setClockSkew(command.clockSkewMs);
      if (command.dropWebSockets === true) faultControl.dropWebSockets();
      if (command.stallWebSockets !== undefined) faultControl.stallWebSockets(command.stallWebSockets === true ? {} : command.stallWebSockets);
      if (command.resumeWebSockets === true) faultControl.resumeWebSockets();
    },
  };

  const state = (): unknown => ({
    nowMs: engine.nowMs,
    prices: Object.fromEntries(markets.map((m) => [m.id, engine.priceOf(m.id)])),
    balances: engine.balances(),
    openOrders: engine.openOrders().length,
    sockets: stream.socketCount,
  });

  const control = async (method: string, path: string, body: unknown): Promise<unknown> => {
    if (method === 'GET' && path === '/__sim/state') return state();
    if (method === 'POST' && path === '/__sim/faults') {
      faultControl.apply(faultCommandSchema.parse(body) as FaultCommand);
      return state();
    }
    if (method === 'POST' && path === '/__sim/clock') {
      const cmd = clockCommandSchema.parse(body);
      if (cmd.pause === true) pause();
      if (cmd.advanceTo !== undefined) advanceTo(cmd.advanceTo);
      if (cmd.step !== undefined) advanceTo(engine.nowMs + cmd.step);
      if (cmd.play !== undefined) play(cmd.play.speed, cmd.play.tickMs);
      return state();
    }
    throw new Error(`unknown control request ${method} ${path}`);
  };

  const server = createServer(
    createRestHandler({
      engine,
      faults,
      apiKey: opts.apiKey,
      apiSecret: opts.apiSecret,
      wallNowMs: () => Date.now(),
      control: opts.controlApi === false ? undefined : control,
      held,
    }),
  );
  server.on('request', (req) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith('/__sim/')) return;
    requests.push({ method: req.method ?? 'GET', path });
    if (requests.length > MAX_REQUEST_LOG) requests.splice(0, requests.length - MAX_REQUEST_LOG);
  });
  server.on('upgrade', (req, socket, head) => {
    if (!stream.handleUpgrade(req, socket, head)) socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  log.info({ port, host, markets: markets.map((m) => m.id), startTimeMs }, 'exchange simulator listening');
  if (opts.playbackSpeed !== undefined) play(opts.playbackSpeed, opts.playbackTickMs);

  return {
    restUrl: `http://${urlHost}:${port}`,
    wsUrl: `ws://${urlHost}:${port}/stream`,
    port,
    faults: faultControl,
    requests,
    nowMs: () => engine.nowMs,
    advanceTo,
    step: (ms = stepMs) => advanceTo(engine.nowMs + ms),
    play,
    pause,
    priceOf: (symbol) => engine.priceOf(symbol.replace('/', '')),
    balances: () => engine.balances(),
    setBalance: (asset, free) => engine.setBalance(asset, free),
    openOrders: (symbol) => engine.openOrders(symbol?.replace('/', '')),
    waitForSubscription: (name, timeoutMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no subscription to ${name} within ${timeoutMs} ms`)), timeoutMs);
        void stream.waitForSubscription(name).then(() => {
          clearTimeout(t);
          resolve();
        });
      }),
    subscriberCount: (name) => stream.subscriberCount(name),
    close: async () => {
      pause();
      for (const res of held) res.socket?.destroy();
      held.clear();
      await stream.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      log.info({ port }, 'exchange simulator closed');
    },
  };
}
