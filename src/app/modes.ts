import type { Redis } from 'ioredis';
import {
  DataError,
  ManualClock,
  seriesId,
  timeframeMs,
  type Broker,
  type CandleSource,
  type Clock,
  type Logger,
  type MarketRules,
  type SeriesKey,
  type Timeframe,
} from '../core/index.js';
import { PaperBroker, Reconciler, SimulatedVenueFeed, type AccountState, type FillModelConfig } from '../execution/index.js';
import { CcxtCandleSource } from '../market/ccxt-candle-source.js';
import { createCcxtExchange } from '../market/ccxt-client.js';
import { ReplayCandleSource } from '../market/replay-candle-source.js';
import { notifyEvents } from '../obs/notify.js';
import { AccountStore, closeRedis, createRedisConnection } from '../pipeline/index.js';
import type { Config } from './config/load-config.js';
import type { Venue } from './daemon/account-trader.js';
import type { Daemon, TraderWiring } from './daemon/daemon.js';
import { fillModelFor, orderManagerConfigFor, riskConfigFor } from './trading-setup.js';

/**
 * The composition root of the trading modes: the only place that knows which mode runs. Every mode
 * runs the same kernel, pipeline, telemetry and operator API; they differ in these adapters only:
 *
 * | mode     | candle source          | venue (broker + feed)             | clock     | account store |
 * |----------|------------------------|-----------------------------------|-----------|---------------|
 * | backtest | in-process loop        | PaperBroker, simulated fills      | simulated | memory        |
 * | replay   | ReplayCandleSource     | PaperBroker, simulated fills      | simulated | memory        |
 * | paper    | CcxtCandleSource (ws)  | PaperBroker, simulated fills      | simulated | Redis         |
 * | live     | CcxtCandleSource (ws)  | CcxtBroker, polled + reconciled   | wall      | Redis         |
 *
 * (The backtest composes the same kernel in-process: src/backtest/engine.ts.)
 */
export type ModeName = 'backtest' | 'replay' | 'paper' | 'live';

/** Account names: one per mode and venue; they key the saved state and every client order id. */
export function accountFor(mode: 'replay' | 'paper' | 'live', config: Config): string {
  return mode === 'live' ? `live-${config.market.exchange}` : mode;
}

/** A simulated venue (PaperBroker + simulated clock) that resumes the venue state saved with the account. */
export function simulatedVenue(options: {
  readonly rules: Readonly<Record<string, MarketRules>>;
  readonly fillModel: FillModelConfig;
  readonly initialCashQuote: number;
  readonly timeframe: Timeframe;
}): (saved: AccountState | null) => Venue {
  return (saved) => {
    const tfMs = timeframeMs(options.timeframe);
    const last = saved === null ? [] : Object.values(saved.lastCandleOpenTimeMs);
    // The simulated clock reads the last stepped candle's close until the next candle moves it.
    const clock = new ManualClock(last.length > 0 ? Math.max(...last) + tfMs : 0);
    const config = { rules: options.rules, initialQuote: options.initialCashQuote, fillModel: options.fillModel };
    const broker = saved !== null && saved.venue !== null ? PaperBroker.fromJSON(saved.venue, config, clock) : new PaperBroker(config, clock);
    return { broker, clock, feed: new SimulatedVenueFeed(broker, clock, tfMs), reconciler: null, snapshot: () => broker.toJSON() };
  };
}

/** A real venue: the broker is polled before each candle and reconciled at start-up and periodically. */
export function exchangeVenue(options: {
  readonly broker: Broker;
  readonly account: string;
  readonly symbols: readonly string[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly fillLookbackMs?: number;
}): (saved: AccountState | null, priceOf: (symbol: string) => number | undefined) => Venue {
  return (saved, priceOf) => {
    const since = options.clock.nowMs() - (options.fillLookbackMs ?? 86_400_000);
    const fillCursorMs = saved?.fillCursorMs ?? Object.fromEntries(options.symbols.map((s) => [s, since]));
    const reconciler = new Reconciler({
      broker: options.broker,
      account: options.account,
      symbols: options.symbols,
      clock: options.clock,
      logger: options.logger,
      fillCursorMs,
      referencePriceQuote: priceOf,
    });
    return { broker: options.broker, clock: options.clock, feed: reconciler, reconciler, snapshot: () => null };
  };
}

/** The account store in Redis (its own connection) and how to close it. */
export function redisAccountStore(
  config: Config,
  prefix: string,
  account: string,
  logger: Logger,
): { readonly store: AccountStore; readonly redis: Redis; close(): Promise<void> } {
  const redis = createRedisConnection(config.redis.url, 'worker', `wick.account.${account}`, logger.child({ component: 'account-store' }));
  return { store: new AccountStore(redis, prefix, account, logger.child({ component: 'account-store' })), redis, close: () => closeRedis(redis) };
}

/**
 * The trader wiring of a simulated account (replay: in memory; paper: persisted in Redis, resumed on
 * restart; `fresh` archives the saved account first and starts a new one).
 */
export async function simulatedTrader(options: {
  readonly mode: 'replay' | 'paper';
  readonly config: Config;
  readonly rules: Readonly<Record<string, MarketRules>>;
  readonly timeframe: Timeframe;
  readonly prefix: string;
  readonly logger: Logger;
  readonly persist: boolean;
  readonly fresh?: boolean;
  /** Trades and equity points kept in memory; default all for an unpersisted account (a finished replay reports every trade), a window otherwise. */
  readonly memory?: TraderWiring['memory'];
}): Promise<TraderWiring> {
  const { config } = options;
  const account = accountFor(options.mode, config);
  const initial = config.paper.initialEquityQuote;
  let store: ReturnType<typeof redisAccountStore> | null = null;
  if (options.persist) {
    store = redisAccountStore(config, options.prefix, account, options.logger);
    if (options.fresh === true) await store.store.archive(Date.now());
  }
  return {
    account,
    initialEquityQuote: initial,
    kernel: { orderManager: orderManagerConfigFor(config, account), risk: riskConfigFor(config) },
    venue: simulatedVenue({ rules: options.rules, fillModel: fillModelFor(config), initialCashQuote: initial, timeframe: options.timeframe }),
    accountStore: store?.store ?? null,
    // A finished replay reports every trade; a long-running paper daemon keeps a window (the store has all).
    memory: options.memory ?? (options.persist ? { maxTrades: 500, maxPoints: 5_000 } : {}),
    ...(store !== null ? { close: () => (store as ReturnType<typeof redisAccountStore>).close() } : {}),
  };
}

/** The trader wiring of a live account: the CcxtBroker, reconciled; the account persisted in Redis. */
export function liveTrader(options: {
  readonly config: Config;
  readonly broker: Broker;
  readonly initialCashQuote: number;
  readonly prefix: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly fillLookbackMs?: number;
}): TraderWiring {
  const { config } = options;
  const account = accountFor('live', config);
  const clock = options.clock ?? { nowMs: () => Date.now() };
  const store = redisAccountStore(config, options.prefix, account, options.logger);
  return {
    account,
    initialEquityQuote: options.initialCashQuote,
    kernel: { orderManager: orderManagerConfigFor(config, account, options.initialCashQuote), risk: riskConfigFor(config, options.initialCashQuote) },
    venue: exchangeVenue({
      broker: options.broker,
      account,
      symbols: config.market.symbols,
      clock,
      logger: options.logger.child({ component: 'reconcile' }),
      ...(options.fillLookbackMs !== undefined ? { fillLookbackMs: options.fillLookbackMs } : {}),
    }),
    accountStore: store.store,
    memory: { maxTrades: 500, maxPoints: 5_000 },
    close: () => store.close(),
  };
}

/** The exchange's websocket candles (public data), resuming after the last candle the pipeline processed. */
export async function ccxtCandleSource(daemon: Daemon, config: Config, series: readonly SeriesKey[], seed: number, logger: Logger): Promise<CandleSource> {
  const urls =
    config.market.restUrl !== undefined && config.market.wsUrl !== undefined ? { urls: { rest: config.market.restUrl, ws: config.market.wsUrl } } : {};
  const exchange = await createCcxtExchange({ exchangeId: config.market.exchange, timeoutMs: config.market.timeoutMs, ...urls });
  const resume: Record<string, number> = {};
  for (const s of series) {
    const last = await daemon.pipeline.lastProcessedOpenTime(s);
    if (last !== null) resume[seriesId(s)] = last;
  }
  const seedCount = Math.max(seed, daemon.model ? daemon.model.info.windowLength + 64 : 0);
  return new CcxtCandleSource({
    exchange,
    series,
    clock: { nowMs: () => Date.now() },
    logger: logger.child({ component: 'ingest' }),
    seedCount,
    resumeAfterOpenTimeMs: resume,
    plausibility: config.market.plausibility,
    onQuarantine: (q) =>
      daemon.notifier?.notify(
        notifyEvents.error(
          new DataError(`${q.series.symbol} ${q.series.timeframe} candle ${new Date(q.candle.openTimeMs).toISOString()} quarantined: ${q.reason}`),
          'ingest',
        ),
      ),
  });
}

export { ReplayCandleSource };
