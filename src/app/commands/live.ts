import { ExchangeError, timeframeMs, type SeriesKey } from '../../core/index.js';
import { CcxtBroker } from '../../execution/brokers/ccxt-broker.js';
import { RateBudget } from '../../execution/brokers/rate-budget.js';
import { createCcxtExchange } from '../../market/ccxt-client.js';
import { createLogger } from '../../obs/logger.js';
import { resolveApiToken } from '../config/api-token-file.js';
import { loadConfig, secretsOf, type Config } from '../config/load-config.js';
import { parseDaemonArgs } from '../cli-args.js';
import { runTrainerAlone, startTrainerRole } from '../trainer/trainer-role.js';
import { checkConfigConflicts } from '../config/conflicts.js';
import { checkRedisReachable } from '../startup/redis-reachable.js';
import type { CliCommand, CliContext } from '../command.js';
import { startDaemon } from '../daemon/daemon.js';
import { runUntilStopped } from '../daemon/run-ingest.js';
import type { TraderWiring } from '../daemon/daemon.js';
import { accountFor, ccxtCandleSource, liveTrader } from '../modes.js';

const HELP = `Usage: wick live [--role all|ingest|signal|trader] [--seed N]

Trades real money: the same pipeline as \`wick paper\` (websocket candles, Redis-queued signal
workers), but the trader role sends real orders through ccxt (CcxtBroker) and keeps its books in
Redis (<WICK_REDIS_PREFIX>:account:<account>:state and :trades, saved after every candle; the
same versioned account schema as paper).
Refuses to start unless all of these are set:
  WICK_MODE=live
  WICK_API_KEY and WICK_API_SECRET (trade permission only; never enable withdrawals)
  WICK_LIVE_CONFIRM=I-UNDERSTAND-THIS-TRADES-REAL-MONEY
Run \`wick doctor\` first, and paper-trade (\`wick paper\`) before going live.

Start-up is recovery: the saved state is loaded and reconciled with the exchange (open orders,
fills, balances) before any order. Until that succeeds the trader is fail-closed (intents are
skipped, /health answers 503) and retries every 15 s. If the exchange refuses the keys, trading
halts and /health stays 503 until wick is restarted with working keys. WICK_EXCHANGE_REST_URL and
WICK_EXCHANGE_WS_URL point it at another endpoint (the local simulator, \`npm run sim\`).

Options:
  --role ROLE   run only some roles in this process (default WICK_ROLE, all)
  --seed N      closed candles fetched at start-up per market [the model's window + warm-up, 200 at least]`;

/** Account name of the saved state and of every client order id: one per exchange. */
export function liveAccount(config: Config): string {
  return accountFor('live', config);
}

export async function runLive(args: readonly string[], ctx: CliContext, loaded: Config): Promise<number> {
  const { config, source: apiToken } = resolveApiToken(loaded);
  const { roles, seed, trainer } = parseDaemonArgs(args, config.role, {
    retrainEnabled: config.retrain.everyMs !== null && config.model.registry !== undefined,
  });
  // Conflicting settings are a configuration error (exit 2), found before contacting anything.
  await checkConfigConflicts(config, { cwd: ctx.cwd, roles });
  // Every component answers before the exchange is contacted or a lease taken: Redis here, the HTTP port first thing in the daemon.
  await checkRedisReachable(config.redis.url);
  const secrets = secretsOf(config);
  const logger = createLogger({ level: config.log.level, format: config.log.format, secrets, destination: ctx.stdout });
  const series: SeriesKey[] = config.market.symbols.map((symbol) => ({ exchange: config.market.exchange, symbol, timeframe: config.market.timeframe }));
  if (roles.length === 0) {
    await runTrainerAlone({ config, cwd: ctx.cwd, series, logger, env: ctx.env, signal: ctx.signal });
    return 0;
  }
  const urls =
    config.market.restUrl !== undefined && config.market.wsUrl !== undefined ? { urls: { rest: config.market.restUrl, ws: config.market.wsUrl } } : {};
  const wall = { nowMs: () => Date.now() };
  logger.warn(
    {
      mode: 'live',
      roles,
      exchange: config.market.exchange,
      symbols: config.market.symbols,
      timeframe: config.market.timeframe,
      apiToken,
      apiTokenFile: config.http.apiTokenFile,
    },
    'wick starting in LIVE mode: real orders',
  );

  let trader: TraderWiring | undefined;
  let tradingExchange: Awaited<ReturnType<typeof createCcxtExchange>> | null = null;
  // The last close per symbol: the broker's min-notional check for market orders.
  const lastClose = new Map<string, number>();
  if (roles.includes('trader')) {
    const credentials = config.credentials as NonNullable<Config['credentials']>;
    tradingExchange = await createCcxtExchange({
      exchangeId: config.market.exchange,
      apiKey: credentials.apiKey,
      secret: credentials.secret,
      timeoutMs: config.market.timeoutMs,
      ...urls,
    });
    const broker = await CcxtBroker.create(tradingExchange, {
      symbols: config.market.symbols,
      rateBudget: new RateBudget(),
      clock: wall,
      logger: logger.child({ component: 'broker' }),
      referencePriceQuote: (symbol) => lastClose.get(symbol),
      secrets: secrets.filter((x): x is string => x !== undefined),
    });
    let initialCashQuote = 0;
    try {
      initialCashQuote = (await broker.fetchBalance()).totalQuote;
    } catch (error) {
      // The trader's reconciliation meets the same refusal and halts (or fails closed); /health says so.
      if (error instanceof ExchangeError && error.action === 'stop')
        logger.error(
          { code: error.code, err: error },
          'the exchange refused the API key: trading halts; /health answers 503 until wick is restarted with working keys',
        );
      else logger.error({ err: error }, 'balance not readable at start-up; the trader starts fail-closed and retries');
    }
    trader = liveTrader({ config, broker, initialCashQuote, prefix: config.redis.prefix, logger });
  }

  const tfMs = timeframeMs(config.market.timeframe);
  const exchangeToClose = tradingExchange;
  const daemon = await startDaemon({
    config,
    mode: 'live',
    roles,
    series,
    logger,
    cwd: ctx.cwd,
    prefix: config.redis.prefix,
    ...(trader !== undefined ? { trader } : {}),
    tradeFromMs: Math.floor(Date.now() / tfMs) * tfMs,
    http: true,
    onStep: (item) => lastClose.set(item.candle.series.symbol, item.candle.candle.close),
  }).catch(async (error: unknown) => {
    await exchangeToClose?.close();
    throw error;
  });

  const trainerRole = trainer
    ? startTrainerRole({ config, cwd: ctx.cwd, series, history: daemon.pipeline.store, logger, notifier: daemon.notifier, env: ctx.env })
    : null;
  try {
    await runUntilStopped(daemon, {
      openSource: roles.includes('ingest') ? () => ccxtCandleSource(daemon, config, series, seed, logger) : null,
      logger,
      signal: ctx.signal,
    });
  } finally {
    await trainerRole?.stop();
    await tradingExchange?.close();
    logger.info('stopped');
  }
  return 0;
}

/**
 * `wick live`. Live trading never starts by accident: the configuration must say WICK_MODE=live and
 * carry the API key, the secret and the explicit confirmation, or the command refuses naming what is
 * missing (exit 2).
 */
export const command: CliCommand = {
  name: 'live',
  help: HELP,
  run(args, ctx) {
    const config = loadConfig(ctx.env);
    if (config.mode !== 'live') {
      ctx.stderr.write(
        'wick live: refusing to trade real money: WICK_MODE is "paper". Set WICK_MODE=live, WICK_API_KEY, WICK_API_SECRET and WICK_LIVE_CONFIRM=I-UNDERSTAND-THIS-TRADES-REAL-MONEY — or run `wick paper`.\n',
      );
      return Promise.resolve(2);
    }
    return runLive(args, ctx, config);
  },
};
