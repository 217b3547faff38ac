import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { isTimeframe, type Timeframe } from '../../core/candle.js';
import { finishRun, SteppedMarkets } from '../../backtest/run-result.js';
import { createLogger } from '../../obs/logger.js';
import { resolveApiToken } from '../config/api-token-file.js';
import { loadConfig, secretsOf, type Config } from '../config/load-config.js';
import { parseIsoDate, parseOptions } from '../cli-args.js';
import { UsageError, type CliCommand, type CliContext } from '../command.js';
import { startDaemon } from '../daemon/daemon.js';
import { deleteKeysWithPrefix } from '../../pipeline/index.js';
import { loadSeriesFiles } from '../series-files.js';
import { fillModelFor, simulatedMarketRules } from '../trading-setup.js';
import { ReplayCandleSource, simulatedTrader } from '../modes.js';
import { runUntilStopped } from '../daemon/run-ingest.js';
import { formatSummary, resultConfigOf, toResult, writeResultFiles } from './backtest.js';

const HELP = `Usage: wick replay --data FILE.csv [--data ...] [--model DIR] [--speed N|max] [--from ISO] [--to ISO]
                   [--json OUT.json] [--report OUT.html]

Runs the full daemon pipeline — candle store and bullmq queues in Redis, signal worker (features,
model, policy), trader (risk engine, order manager, paper broker) — fed from candle files instead
of an exchange. It is the offline demo, and the proof that the daemon trades like the backtest:
on the same files and model it produces exactly the trades and final equity of \`wick backtest\`.
Needs Redis (WICK_REDIS_URL); the run uses its own key prefix and removes its keys at the end.
With WICK_HTTP_PORT set it also serves /health, /metrics, the operator API and the dashboard
(bearer WICK_API_TOKEN) while it runs, like paper and live: the offline demo of the dashboard.

Options (default in brackets):
  --data FILE        candle CSV; the file name gives the market (BTC_USDT-1h.csv → BTC/USDT)
  --model DIR        model folder [WICK_MODEL_DIR, models/default]
  --speed N|max      max: as fast as the pipeline goes; N: N× real time (3600 replays an hour a second) [max]
  --from ISO         first candle that may trade (earlier ones warm up the features)
  --to ISO           end of the data used (exclusive)
  --json OUT.json    write the result (same shape as wick backtest --json)
  --report OUT.html  write the HTML report
Strategy, risk and costs come from the WICK_* variables.

Example:
  wick replay --data test/fixtures/sample/BTC_USDT-1h.csv --data test/fixtures/sample/ETH_USDT-1h.csv --json out/replay.json`;

interface ReplayOptions {
  readonly data: readonly string[];
  readonly speed: number | 'max';
  readonly fromMs: number | undefined;
  readonly toMs: number | undefined;
  readonly json: string | undefined;
  readonly report: string | undefined;
  readonly timeframe: Timeframe | undefined;
  readonly model: string | undefined;
}

function parseReplayArgs(args: readonly string[]): ReplayOptions {
  const values = parseOptions(args, {
    data: { type: 'string', multiple: true },
    speed: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'string' },
    report: { type: 'string' },
    timeframe: { type: 'string' },
    model: { type: 'string' },
  });
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const data = (values['data'] as string[] | undefined) ?? [];
  if (data.length === 0) throw new UsageError('--data FILE.csv is required (repeat it for several markets)');
  const speedRaw = str('speed') ?? 'max';
  const speed = speedRaw === 'max' ? 'max' : Number(speedRaw);
  if (speed !== 'max' && !(Number.isFinite(speed) && speed > 0)) throw new UsageError(`--speed "${speedRaw}": expected max or a positive number`);
  const tf = str('timeframe');
  if (tf !== undefined && !isTimeframe(tf)) throw new UsageError(`--timeframe "${tf}" is not a timeframe`);
  return {
    data,
    speed,
    fromMs: parseIsoDate('--from', str('from')),
    toMs: parseIsoDate('--to', str('to')),
    json: str('json'),
    report: str('report'),
    timeframe: tf as Timeframe | undefined,
    model: str('model'),
  };
}

/** Deletes every key of a finished replay run (its prefix is unique to the run). */
async function removeKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

export async function runReplay(options: ReplayOptions, ctx: CliContext, loaded: Config = loadConfig(ctx.env)): Promise<number> {
  const serve = ctx.env['WICK_HTTP_PORT'] !== undefined;
  // Serving the dashboard: the API token as paper and live find it (WICK_API_TOKEN, or the token file).
  const withToken = serve ? resolveApiToken(loaded).config : loaded;
  const config: Config = options.model === undefined ? withToken : { ...withToken, model: { ...withToken.model, dir: options.model } };
  const logger = createLogger({ level: config.log.level, format: config.log.format, secrets: secretsOf(config), destination: ctx.stderr });
  const files = await loadSeriesFiles(options.data, {
    cwd: ctx.cwd,
    exchange: 'replay',
    timeframe: options.timeframe,
    plausibility: config.market.plausibility,
  });
  const series = files.map((f) => ({ key: f.key, candles: f.candles.filter((c) => options.toMs === undefined || c.openTimeMs < options.toMs) }));
  const source = new ReplayCandleSource({ series, speed: options.speed });
  const total = source.total;
  const prefix = `${config.redis.prefix}-replay-${Date.now().toString(36)}${process.pid.toString(36)}`;
  const longest = Math.max(...series.map((s) => s.candles.length));
  const timeframe = series[0]?.key.timeframe ?? '1h';

  let processed = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const wiring = await simulatedTrader({
    mode: 'replay',
    config,
    rules: simulatedMarketRules(series.map((s) => s.key.symbol)),
    timeframe,
    prefix,
    logger,
    persist: false,
  });
  const daemon = await startDaemon({
    config,
    mode: 'replay',
    roles: ['ingest', 'signal', 'trader'],
    series: series.map((s) => s.key),
    logger,
    cwd: ctx.cwd,
    prefix,
    trader: wiring,
    // The store must hold every candle of the run: the signal role reads them from it.
    settings: { storeMaxCandles: Math.max(5_000, longest + 16) },
    ...(options.fromMs !== undefined ? { tradeFromMs: options.fromMs } : {}),
    // The dashboard and API of the demo: served when WICK_HTTP_PORT is set.
    http: serve,
    onStep: () => {
      processed++;
      if (processed === total) done();
    },
  });
  if (daemon.http !== null) ctx.stderr.write(`wick replay: dashboard and API at ${daemon.http.url}\n`);
  const started = performance.now();
  const trader = daemon.trader;
  try {
    await runUntilStopped(daemon, { openSource: () => Promise.resolve(source), logger, signal: ctx.signal, until: finished, logCandles: false });
  } finally {
    await removeKeys(config.redis.url, prefix).catch((err: unknown) => logger.warn({ err, prefix }, 'could not remove the replay keys'));
  }
  const interrupted = ctx.signal.aborted && processed < total;
  if (trader === null) throw new Error('replay ran without a trader');
  const stepped = new SteppedMarkets();
  for (const c of source.candles) if (options.fromMs === undefined || c.candle.openTimeMs >= options.fromMs) stepped.add(c.series.symbol, c.candle);
  const run = finishRun(trader.ledger, {
    timeframe,
    initialCashQuote: config.paper.initialEquityQuote,
    fillModel: fillModelFor(config),
    markets: stepped.list(),
  });
  const seconds = (performance.now() - started) / 1000;
  const result = toResult(
    run,
    resultConfigOf('replay', config, {
      symbols: series.map((s) => s.key.symbol),
      initialEquityQuote: config.paper.initialEquityQuote,
      fill: fillModelFor(config),
      modelId: daemon.models?.startId ?? null,
      data: options.data,
      fromMs: options.fromMs,
      toMs: options.toMs,
    }),
  );
  await writeResultFiles(result, options, ctx.cwd);
  ctx.stdout.write(
    formatSummary(
      run,
      `replay ${series.map((s) => s.key.symbol).join(', ')} ${run.timeframe}${interrupted ? ' (interrupted)' : ''}`,
      `model ${daemon.models?.startId ?? '?'} through Redis queues`,
      `${processed} of ${total} candles through the pipeline in ${seconds.toFixed(2)} s (${Math.round(processed / seconds)} candles/s)`,
    ),
  );
  return 0;
}

export const command: CliCommand = {
  name: 'replay',
  help: HELP,
  run: (args, ctx) => runReplay(parseReplayArgs(args), ctx),
};
