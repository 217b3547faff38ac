import { existsSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import type { Candle, Timeframe } from '../core/candle.js';
import { timeframeMs } from '../core/candle.js';
import type { Clock } from '../core/clock.js';
import { DataError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { backoffDelayMs, errorFields, fetchClosedPages, lastClosedOpenTimeMs, retryableErrorName, type OhlcvFetcher } from './backfill.js';
import { readCandleFile } from './candle-csv.js';
import { writeCandlesCsv } from './candle-csv-writer.js';

/** What the history download needs from a ccxt exchange (a real instance fits). */
export interface HistoryExchange extends OhlcvFetcher {
  /** The venue's clock; used as "now" for dropping the forming candle when present. */
  fetchTime?(): Promise<number | undefined>;
}

export interface FetchProgress {
  /** Candles in the file so far (existing + appended). */
  readonly written: number;
  readonly appended: number;
  /** Open time of the newest candle written. */
  readonly lastOpenTimeMs: number | undefined;
  /** Range being filled, for a percentage: [startOpenTimeMs, endOpenTimeMs]. */
  readonly startOpenTimeMs: number;
  readonly endOpenTimeMs: number;
}

export interface FetchHistoryOptions {
  readonly exchange: HistoryExchange;
  readonly symbol: string;
  readonly timeframe: Timeframe;
  /** First open time wanted (rounded up to the timeframe). */
  readonly sinceMs: number;
  /** Exclusive end: candles opening before it. Absent: up to the last closed candle. */
  readonly untilMs?: number;
  readonly outPath: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Rows per fetchOHLCV call; default 1000. */
  readonly pageSize?: number;
  /** Retries of one page after a retryable ccxt error (network, rate limit); default 5. */
  readonly maxRetries?: number;
  readonly backoffBaseMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Stops after the current batch; what is written stays and a later run resumes. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: FetchProgress) => void;
}

export interface FetchHistoryResult {
  /** Candles already in the file before this run (validated). */
  readonly existing: number;
  readonly appended: number;
  /** Rows rejected by validation (logged). */
  readonly rejected: number;
  readonly lastOpenTimeMs: number | undefined;
  /** False when stopped by the signal before the end of the range. */
  readonly complete: boolean;
}

/**
 * Downloads closed candles into a candle CSV, resumably. An existing file is validated first
 * (header, every row, the timeframe, and a final newline: a torn last line from an interrupted
 * write is an error naming the file, never silently repaired) and the download continues after its
 * last row, so a rerun appends only what is missing and never duplicates.
 *
 * Durability: a new file appears atomically with its first batch (temp file, fsync, rename); later
 * batches are appended and fsynced one by one. Rewriting the whole file per batch would be O(n²) for
 * long histories; with append + fsync a crash loses at most the batch in flight, and a torn write
 * is caught by the final-newline check on the next run.
 */
export async function fetchHistoryToCsv(opts: FetchHistoryOptions): Promise<FetchHistoryResult> {
  const log = opts.logger;
  const tfMs = timeframeMs(opts.timeframe);
  const existing = await readExisting(opts.outPath, opts.timeframe);
  const sinceAligned = Math.ceil(opts.sinceMs / tfMs) * tfMs;
  const startOpenTimeMs = existing.lastOpenTimeMs === undefined ? sinceAligned : Math.max(sinceAligned, existing.lastOpenTimeMs + tfMs);
  if (existing.firstOpenTimeMs !== undefined && existing.firstOpenTimeMs > sinceAligned) {
    log.warn(
      { file: opts.outPath, fileStartsAtMs: existing.firstOpenTimeMs, sinceMs: sinceAligned },
      'the existing file starts after --since; only newer candles are appended (delete the file to refetch from the start)',
    );
  }
  const nowMs = await exchangeNow(opts.exchange, opts.clock, log);
  const untilEnd = opts.untilMs === undefined ? Number.POSITIVE_INFINITY : opts.untilMs - 1;
  const endOpenTimeMs = Math.min(untilEnd, lastClosedOpenTimeMs(nowMs, tfMs));
  let written = existing.count;
  let appended = 0;
  let rejected = 0;
  let last = existing.lastOpenTimeMs;
  const progress = (): void => opts.onProgress?.({ written, appended, lastOpenTimeMs: last, startOpenTimeMs, endOpenTimeMs });
  log.info(
    {
      file: opts.outPath,
      symbol: opts.symbol,
      timeframe: opts.timeframe,
      existing: existing.count,
      fromOpenTimeMs: startOpenTimeMs,
      toOpenTimeMs: endOpenTimeMs,
    },
    existing.count > 0 ? 'resuming candle download' : 'starting candle download',
  );
  progress();
  if (startOpenTimeMs > endOpenTimeMs) return { existing: existing.count, appended: 0, rejected: 0, lastOpenTimeMs: last, complete: true };

  const fetcher = retrying(opts.exchange, opts, log);
  const pages = fetchClosedPages(
    fetcher,
    { symbol: opts.symbol, timeframe: opts.timeframe, fromOpenTimeMs: startOpenTimeMs, toOpenTimeMs: endOpenTimeMs, nowMs, limit: opts.pageSize ?? 1000 },
    log,
  );
  let complete = true;
  for await (const page of pages) {
    rejected += page.rejected;
    const fresh = page.candles.filter((c) => last === undefined || c.openTimeMs > last);
    if (fresh.length > 0) {
      // No rows yet (no file, or a header-only one): the file appears atomically with its first batch.
      if (written === 0) await writeCandlesCsv(opts.outPath, fresh);
      else await appendCandles(opts.outPath, fresh);
      written += fresh.length;
      appended += fresh.length;
      last = fresh[fresh.length - 1]!.openTimeMs;
      progress();
    }
    if (opts.signal?.aborted === true && last !== undefined && last < endOpenTimeMs) {
      complete = false;
      break;
    }
  }
  if (written === 0 && !existsSync(opts.outPath)) await writeCandlesCsv(opts.outPath, []);
  if (complete && last !== undefined && last < endOpenTimeMs) {
    log.warn({ lastOpenTimeMs: last, endOpenTimeMs }, 'the exchange returned no candles for the end of the range');
  }
  log.info(
    { file: opts.outPath, existing: existing.count, appended, rejected, lastOpenTimeMs: last, complete },
    complete ? 'candle download done' : 'candle download stopped; run again to resume',
  );
  return { existing: existing.count, appended, rejected, lastOpenTimeMs: last, complete };
}

interface ExistingFile {
  readonly count: number;
  readonly firstOpenTimeMs: number | undefined;
  readonly lastOpenTimeMs: number | undefined;
}

async function readExisting(path: string, timeframe: Timeframe): Promise<ExistingFile> {
  if (!existsSync(path)) return { count: 0, firstOpenTimeMs: undefined, lastOpenTimeMs: undefined };
  const size = (await stat(path)).size;
  if (size > 0) {
    const fh = await open(path, 'r');
    try {
      const tail = Buffer.alloc(1);
      await fh.read(tail, 0, 1, size - 1);
      if (tail[0] !== 0x0a) {
        const lines = (await readFile(path, 'utf8')).split('\n').length;
        throw new DataError(
          'the last line is incomplete (no trailing newline): an earlier download was interrupted mid-write. Delete that line (or the file) and run again',
          { file: path, line: lines },
        );
      }
    } finally {
      await fh.close();
    }
  }
  const file = await readCandleFile(path, { timeframe });
  const first = file.candles[0];
  const lastCandle = file.candles[file.candles.length - 1];
  return { count: file.candles.length, firstOpenTimeMs: first?.openTimeMs, lastOpenTimeMs: lastCandle?.openTimeMs };
}

async function appendCandles(path: string, candles: readonly Candle[]): Promise<void> {
  let text = '';
  for (const c of candles) text += `${c.openTimeMs},${c.open},${c.high},${c.low},${c.close},${c.volume}\n`;
  const fh = await open(path, 'a');
  try {
    await fh.write(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * "Now" for the forming-candle cut: the earlier of our clock and the exchange's. Erring early only
 * drops a just-closed candle (the next run appends it); erring late would write a forming candle
 * as closed. Covers a local clock running ahead of the venue, and a simulated clock (the caller's)
 * far behind a simulator's wall-clock server time.
 */
async function exchangeNow(exchange: HistoryExchange, clock: Clock, log: Logger): Promise<number> {
  const local = clock.nowMs();
  if (exchange.fetchTime === undefined) return local;
  try {
    const remote = await exchange.fetchTime();
    if (typeof remote === 'number' && Number.isFinite(remote) && remote > 0) {
      if (remote < local - 1_000)
        log.warn({ exchangeTimeMs: remote, localTimeMs: local }, 'the exchange clock is behind the local clock; using the exchange clock');
      return Math.min(local, remote);
    }
  } catch (error) {
    log.warn(errorFields(error), 'could not read the exchange clock; using the local clock');
  }
  return local;
}

/** fetchOHLCV with retries on ccxt's retryable errors (network, timeouts, rate limits). */
function retrying(exchange: OhlcvFetcher, opts: FetchHistoryOptions, log: Logger): OhlcvFetcher {
  const maxRetries = opts.maxRetries ?? 5;
  const base = opts.backoffBaseMs ?? 1_000;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = opts.random ?? Math.random;
  return {
    async fetchOHLCV(symbol, timeframe, since, limit) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await exchange.fetchOHLCV(symbol, timeframe, since, limit);
        } catch (error) {
          const retryable = retryableErrorName(error);
          if (retryable === undefined || attempt >= maxRetries || opts.signal?.aborted === true) throw error;
          const delayMs = backoffDelayMs(attempt, base, 60_000, random);
          log.warn({ ...errorFields(error), since, attempt: attempt + 1, delayMs }, 'candle page failed; retrying');
          await sleep(delayMs);
        }
      }
    },
  };
}
