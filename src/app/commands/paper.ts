import { timeframeMs, type MarketRules, type SeriesKey } from '../../core/index.js';
import { createCcxtExchange } from '../../market/ccxt-client.js';
import { marketRulesFromCcxt } from '../../market/market-rules.js';
import { createLogger } from '../../obs/logger.js';
import { resolveApiToken } from '../config/api-token-file.js';
import { loadConfig, secretsOf, type Config } from '../config/load-config.js';
import { parseDaemonArgs } from '../cli-args.js';
import { runTrainerAlone, startTrainerRole } from '../trainer/trainer-role.js';
import { checkConfigConflicts } from '../config/conflicts.js';
import { checkRedisReachable } from '../startup/redis-reachable.js';
import { UsageError, type CliCommand, type CliContext } from '../command.js';
import { startDaemon } from '../daemon/daemon.js';
import { runUntilStopped } from '../daemon/run-ingest.js';
import { ccxtCandleSource, simulatedTrader } from '../modes.js';

const HELP = `Usage: wick paper [--role all|ingest|signal|trader] [--seed N] [--fresh]

Paper-trades live market data: closed candles from the exchange's websocket (ccxt watchOHLCV,
public data, no API keys), the Redis-queued pipeline (candle store, signal worker, trader), and the
paper broker's simulated fills (next candle's open, slippage, fee, stops on the candle range).
Markets, timeframe, model, strategy and risk come from the WICK_* variables; /health and /metrics
are served on WICK_HTTP_HOST:WICK_HTTP_PORT. Only candles that close after start-up are traded;
the history fetched at start-up warms the features up. SIGTERM/SIGINT stop it gracefully.

The paper account (cash, positions, open orders, resting stops, trade history, risk state and
kill switch) is saved in Redis after every candle, in the same versioned schema as live
(<WICK_REDIS_PREFIX>:account:paper:state and :trades): a restart, even after kill -9, continues
with the same equity and trades. A saved account wick cannot read is refused at start-up, never
overwritten.

Options:
  --role ROLE   run only some roles in this process (default WICK_ROLE, all; trainer: only the
                scheduled retraining of WICK_RETRAIN_EVERY, which all includes when set): several signal
                processes on other machines can share one Redis with one ingest and one trader
  --seed N      closed candles fetched at start-up per market [the model's window + warm-up, 200 at least]
  --fresh       start a new paper account on purpose: the saved one is kept under
                <key>:archived:<time> (never deleted), and trading starts from WICK_INITIAL_EQUITY

Example:
  WICK_SYMBOLS=BTC/USDT,ETH/USDT WICK_TIMEFRAME=1h wick paper`;

export async function runPaper(args: readonly string[], ctx: CliContext, loaded: Config = loadConfig(ctx.env)): Promise<number> {
  const { config, source: apiToken } = resolveApiToken(loaded);
  const { roles, seed, fresh, trainer } = parseDaemonArgs(args, config.role, {
    fresh: true,
    retrainEnabled: config.retrain.everyMs !== null && config.model.registry !== undefined,
  });
  // Conflicting settings are a configuration error (exit 2), found before contacting anything.
  await checkConfigConflicts(config, { cwd: ctx.cwd, roles });
  // Every component answers before the exchange is contacted or a lease taken: Redis here, the HTTP port first thing in the daemon.
  await checkRedisReachable(config.redis.url);
  const logger = createLogger({ level: config.log.level, format: config.log.format, secrets: secretsOf(config), destination: ctx.stdout });
  const series: SeriesKey[] = config.market.symbols.map((symbol) => ({ exchange: config.market.exchange, symbol, timeframe: config.market.timeframe }));
  if (roles.length === 0) {
    await runTrainerAlone({ config, cwd: ctx.cwd, series, logger, env: ctx.env, signal: ctx.signal });
    return 0;
  }
  const urls =
    config.market.restUrl !== undefined && config.market.wsUrl !== undefined ? { urls: { rest: config.market.restUrl, ws: config.market.wsUrl } } : {};
  logger.info(
    {
      mode: 'paper',
      roles,
      exchange: config.market.exchange,
      symbols: config.market.symbols,
      timeframe: config.market.timeframe,
      apiToken,
      apiTokenFile: config.http.apiTokenFile,
    },
    'wick starting',
  );

  // Market rules come from the exchange (public endpoint); the trader's paper broker respects them.
  let rules: Record<string, MarketRules> = {};
  if (roles.includes('trader')) {
    const ex = await createCcxtExchange({ exchangeId: config.market.exchange, timeoutMs: config.market.timeoutMs, ...urls });
    try {
      const markets = (await ex.loadMarkets()) as Record<string, unknown>;
      rules = Object.fromEntries(
        series.map((s) => {
          if (markets[s.symbol] === undefined) throw new UsageError(`WICK_SYMBOLS: ${s.symbol} is not a market of ${config.market.exchange}`);
          return [s.symbol, marketRulesFromCcxt(markets[s.symbol], (ex as unknown as { precisionMode?: number }).precisionMode)];
        }),
      );
    } finally {
      await ex.close();
    }
  }

  const tfMs = timeframeMs(config.market.timeframe);
  const daemon = await startDaemon({
    config,
    mode: 'paper',
    roles,
    series,
    logger,
    cwd: ctx.cwd,
    prefix: config.redis.prefix,
    ...(roles.includes('trader')
      ? {
          trader: await simulatedTrader({
            mode: 'paper',
            config,
            rules,
            timeframe: config.market.timeframe,
            prefix: config.redis.prefix,
            logger,
            persist: true,
            fresh,
          }),
        }
      : {}),
    tradeFromMs: Math.floor(Date.now() / tfMs) * tfMs,
    http: true,
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
    logger.info('stopped');
  }
  return 0;
}

export const command: CliCommand = {
  name: 'paper',
  help: HELP,
  run: (args, ctx) => runPaper(args, ctx),
};
