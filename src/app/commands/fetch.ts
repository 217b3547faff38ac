import path from 'node:path';
import { parseArgs } from 'node:util';
import { TIMEFRAMES, isTimeframe, timeframeMs, type Timeframe } from '../../core/candle.js';
import type { Clock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import type { Logger, LogFn } from '../../core/logger.js';
import { createCcxtExchange } from '../../market/ccxt-client.js';
import { fetchHistoryToCsv, type FetchProgress, type HistoryExchange } from '../../market/fetch-history.js';
import { UsageError, type CliCommand, type CliContext } from '../command.js';

const HELP = `Usage: wick fetch --exchange ID --symbol SYM --timeframe TF --since ISO [--until ISO] --out FILE.csv [--page-size N]

Downloads closed candles through ccxt's fetchOHLCV into a candle CSV (timestamp,open,high,low,close,volume).
Resumable: if FILE.csv exists it is validated first and only candles after its last row are appended.
The still-forming candle is never written. Requests are paced by ccxt's rate limiter.

Options:
  --exchange ID      ccxt exchange id, e.g. binance (required)
  --symbol SYM       market, e.g. BTC/USDT (required)
  --timeframe TF     one of ${TIMEFRAMES.join(', ')} (required)
  --since ISO        first candle open time, e.g. 2024-01-01 or 2024-01-01T00:00:00Z (required; UTC when no offset)
  --until ISO        stop before this open time (exclusive; default: up to the last closed candle)
  --out FILE.csv     output file (required)
  --page-size N      rows per request, 1..1000 (default 1000)

Environment: WICK_EXCHANGE_REST_URL and WICK_EXCHANGE_WS_URL point the client at a local exchange
simulator (both or neither; binance only).

Example:
  wick fetch --exchange binance --symbol BTC/USDT --timeframe 1h --since 2024-01-01 --out data/BTC_USDT-1h.csv`;

export interface FetchArgs {
  readonly exchangeId: string;
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly sinceMs: number;
  readonly untilMs: number | undefined;
  readonly outPath: string;
  readonly pageSize: number;
}

/** The exchange the command drives: history download plus an optional close. */
export type FetchExchange = HistoryExchange & { close?(): Promise<unknown> };

export interface FetchCommandDeps {
  /** Builds the exchange; default: createCcxtExchange with the env URL overrides. */
  readonly createExchange?: (exchangeId: string, env: CliContext['env']) => Promise<FetchExchange>;
  readonly clock?: Clock;
  /** Whether stderr is a terminal (progress bar) or not (log lines); default: stderr.isTTY. */
  readonly isTty?: boolean;
  readonly sleep?: (ms: number) => Promise<void>;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

function parseIso(value: string, flag: string): number {
  if (!ISO_DATE.test(value)) throw new UsageError(`${flag} must be an ISO date such as 2024-01-01 or 2024-01-01T00:00:00Z, got "${value}"`);
  // Date-only strings are UTC in JS; a date-time without an offset would be local time: make it UTC.
  const hasOffset = value.length <= 10 || /(?:Z|[+-]\d{2}:?\d{2})$/.test(value);
  const ms = Date.parse(hasOffset ? value : `${value.replace(' ', 'T')}Z`);
  if (!Number.isFinite(ms)) throw new UsageError(`${flag} is not a valid date: "${value}"`);
  return ms;
}

export function parseFetchArgs(args: readonly string[], cwd: string): FetchArgs {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        exchange: { type: 'string' },
        symbol: { type: 'string' },
        timeframe: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        out: { type: 'string' },
        'page-size': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }) as { values: Record<string, string | undefined> });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const missing = ['exchange', 'symbol', 'timeframe', 'since', 'out'].filter((k) => values[k] === undefined || values[k] === '');
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')}`);
  const exchangeId = values.exchange!;
  if (!/^[a-z0-9]+$/.test(exchangeId)) throw new UsageError(`--exchange must be a ccxt id such as binance, got "${exchangeId}"`);
  const symbol = values.symbol!;
  if (!/^[A-Z0-9]+\/[A-Z0-9]+(?::[A-Z0-9]+)?$/.test(symbol)) throw new UsageError(`--symbol must look like BTC/USDT, got "${symbol}"`);
  const timeframe = values.timeframe!;
  if (!isTimeframe(timeframe)) throw new UsageError(`--timeframe must be one of ${TIMEFRAMES.join(', ')}, got "${timeframe}"`);
  const sinceMs = parseIso(values.since!, '--since');
  const untilMs = values.until === undefined ? undefined : parseIso(values.until, '--until');
  if (untilMs !== undefined && untilMs <= sinceMs) throw new UsageError(`--until (${values.until}) must be after --since (${values.since})`);
  const pageSizeText = values['page-size'] ?? '1000';
  const pageSize = Number(pageSizeText);
  if (!/^\d+$/.test(pageSizeText) || pageSize < 1 || pageSize > 1000)
    throw new UsageError(`--page-size must be an integer from 1 to 1000, got "${pageSizeText}"`);
  return { exchangeId, symbol, timeframe, sinceMs, untilMs, outPath: path.resolve(cwd, values.out!), pageSize };
}

/** The CLI's exchange: createCcxtExchange, pointed at a simulator by WICK_EXCHANGE_REST_URL / _WS_URL. */
export async function createFetchExchange(exchangeId: string, env: CliContext['env']): Promise<FetchExchange> {
  const rest = env.WICK_EXCHANGE_REST_URL;
  const ws = env.WICK_EXCHANGE_WS_URL;
  if ((rest === undefined) !== (ws === undefined)) throw new ConfigError('set both WICK_EXCHANGE_REST_URL and WICK_EXCHANGE_WS_URL, or neither');
  const exchange = await createCcxtExchange({
    exchangeId,
    timeoutMs: 30_000,
    ...(rest !== undefined && ws !== undefined ? { urls: { rest, ws } } : {}),
  });
  return exchange;
}

/** A Logger that writes one plain line per call to a stream (the CLI has no pino of its own here). */
function lineLogger(write: (line: string) => void, quietBelowWarn: boolean): Logger {
  const make =
    (level: string, quiet: boolean): LogFn =>
    (a: object | string, b?: string): void => {
      if (quiet) return;
      const msg = typeof a === 'string' ? a : (b ?? '');
      const fields =
        typeof a === 'string'
          ? ''
          : Object.entries(a)
              .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
              .join(' ');
      write(`wick fetch: ${level === 'info' ? '' : `${level}: `}${msg}${fields ? ` (${fields})` : ''}\n`);
    };
  const logger: Logger = {
    trace: make('trace', true),
    debug: make('debug', true),
    info: make('info', quietBelowWarn),
    warn: make('warn', false),
    error: make('error', false),
    fatal: make('fatal', false),
    child: () => logger,
  };
  return logger;
}

function iso(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

function progressBar(p: FetchProgress, tfMs: number): string {
  const total = Math.max(1, (p.endOpenTimeMs - p.startOpenTimeMs) / tfMs + 1);
  const done = p.lastOpenTimeMs === undefined || p.lastOpenTimeMs < p.startOpenTimeMs ? 0 : Math.min(total, (p.lastOpenTimeMs - p.startOpenTimeMs) / tfMs + 1);
  const width = 30;
  const filled = Math.round((done / total) * width);
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor((done / total) * 100)
    .toString()
    .padStart(3)}%  ${p.appended} new, ${p.written} in file, up to ${iso(p.lastOpenTimeMs)}`;
}

export function createFetchCommand(deps: FetchCommandDeps = {}): CliCommand {
  return {
    name: 'fetch',
    help: HELP,
    async run(args, ctx) {
      const a = parseFetchArgs(args, ctx.cwd);
      const isTty = deps.isTty ?? (ctx.stderr as { isTTY?: boolean }).isTTY === true;
      const write = (s: string): void => void ctx.stderr.write(s);
      let barShown = false;
      // On a terminal the bar says it all (warnings still print, on their own line); elsewhere one line per batch.
      const logger = lineLogger((line) => {
        if (barShown) write('\n');
        barShown = false;
        write(line);
      }, isTty);
      const tfMs = timeframeMs(a.timeframe);
      const exchange = await (deps.createExchange ?? createFetchExchange)(a.exchangeId, ctx.env);
      try {
        const result = await fetchHistoryToCsv({
          exchange,
          symbol: a.symbol,
          timeframe: a.timeframe,
          sinceMs: a.sinceMs,
          ...(a.untilMs !== undefined ? { untilMs: a.untilMs } : {}),
          outPath: a.outPath,
          clock: deps.clock ?? { nowMs: () => Date.now() },
          logger,
          pageSize: a.pageSize,
          signal: ctx.signal,
          ...(deps.sleep !== undefined ? { sleep: deps.sleep } : {}),
          onProgress: (p) => {
            if (isTty) {
              write(progressBar(p, tfMs));
              barShown = true;
            } else if (p.appended > 0) {
              write(`wick fetch: ${p.written} candles in ${a.outPath}, up to ${iso(p.lastOpenTimeMs)}\n`);
            }
          },
        });
        if (barShown) write('\n');
        ctx.stdout.write(
          `${a.outPath}: ${result.appended} candles appended, ${result.existing + result.appended} in file, last open ${iso(result.lastOpenTimeMs)}${result.rejected > 0 ? `, ${result.rejected} invalid rows skipped` : ''}\n`,
        );
        if (!result.complete) {
          write('wick fetch: interrupted; run the same command again to resume\n');
          return 1;
        }
        return 0;
      } catch (error) {
        if (barShown) write('\n');
        // A symbol or timeframe the venue does not have is bad input, not a runtime failure.
        if (error instanceof Error && (error.name === 'BadSymbol' || error.name === 'NotSupported')) throw new UsageError(error.message);
        throw error;
      } finally {
        await exchange.close?.().catch(() => undefined);
      }
    },
  };
}

export const command: CliCommand = createFetchCommand();
