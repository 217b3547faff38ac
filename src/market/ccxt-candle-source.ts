import type { Candle, ClosedCandle, SeriesKey } from '../core/candle.js';
import { seriesId, timeframeMs } from '../core/candle.js';
import type { Clock } from '../core/clock.js';
import { InvariantError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { CandleSource } from '../core/ports.js';
import { backoffDelayMs, errorFields, fetchClosedCandles, lastClosedOpenTimeMs, retryableErrorName, type OhlcvFetcher } from './backfill.js';
import { CandlePlausibility, DEFAULT_PLAUSIBILITY, type PlausibilityBounds } from './candle-plausibility.js';
import { ClosedCandleDetector, type DetectorStep } from './closed-candles.js';
import { parseOhlcvPayload } from './ohlcv-payload.js';

/**
 * The part of a ccxt pro exchange the candle source uses. A real `ccxt.pro.binance` fits (its rows
 * are `(number | undefined)[]`, hence `unknown`: every payload is parsed anyway); tests pass a
 * scripted fake.
 */
export interface CcxtOhlcvExchange extends OhlcvFetcher {
  watchOHLCV(symbol: string, timeframe: string, since?: number, limit?: number): Promise<readonly unknown[]>;
  close?(): Promise<unknown>;
}

/** Timer functions, injectable so tests control time without sleeping. */
export interface SourceTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface CcxtCandleSourceOptions {
  readonly exchange: CcxtOhlcvExchange;
  readonly series: readonly SeriesKey[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Past a candle's close time, how long to wait for a successor before declaring it closed. Default 5 s. */
  readonly graceMs?: number;
  /** Expected gap between websocket updates; Binance pushes the forming kline every ~2 s. Default min(timeframe, 60 s). */
  readonly updateCadenceMs?: number;
  /** Silence of `watchdogMultiple × updateCadenceMs` forces a reconnect. Default 3. */
  readonly watchdogMultiple?: number;
  /** Overrides the silence threshold directly (ms), for every series. */
  readonly silenceMs?: number;
  /** Reconnect backoff: base doubles per failed attempt up to max, with jitter. Defaults 1 s, 60 s. */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** Uniform [0, 1) for the jitter; default Math.random. Pass a seeded one for reproducible runs. */
  readonly random?: () => number;
  /** Closed candles to backfill per series at start (enough to warm the feature window). Default 0. */
  readonly seedCount?: number;
  /** Per seriesId: open time of the last candle the consumer already has; the source resumes after it. */
  readonly resumeAfterOpenTimeMs?: Readonly<Record<string, number>>;
  /** Rows per fetchOHLCV call. Default 1000. */
  readonly fetchLimit?: number;
  /** Call exchange.close() on close(). Default true: the source owns the exchange's sockets. */
  readonly closeExchange?: boolean;
  readonly timers?: SourceTimers;
  /** Elapsed real time for the watchdog; default performance.now(). Not the Clock: a simulated market clock may stand still while the socket is silent. */
  readonly monotonicNowMs?: () => number;
  /** Plausibility bounds (default DEFAULT_PLAUSIBILITY); a candle beyond them is quarantined. */
  readonly plausibility?: PlausibilityBounds;
  /** Told of every quarantined candle (the daemon alerts the operator); it is also logged at error. */
  readonly onQuarantine?: (q: QuarantinedCandle) => void;
}

/** A closed candle the exchange sent that wick refuses to believe: never published, never traded on. */
export interface QuarantinedCandle {
  readonly series: SeriesKey;
  readonly candle: Candle;
  readonly reason: string;
}

/** Counters for health checks and tests. */
export interface CcxtCandleSourceStats {
  emitted: number;
  /** Live candles whose websocket copy differed from the exchange's closed candle (the exchange's went out). */
  corrected: number;
  /** REST confirmations that found a closed candle not yet published and had to wait. */
  confirmWaits: number;
  backfilled: number;
  rejectedRows: number;
  reconnects: number;
  watchdogTrips: number;
  ignoredRows: number;
  /** Closed candles refused by the plausibility guard (logged, reported, never published). */
  quarantined: number;
}

class SilentConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SilentConnectionError';
  }
}

interface SeriesState {
  readonly key: SeriesKey;
  readonly id: string;
  readonly tfMs: number;
  readonly detector: ClosedCandleDetector;
  readonly log: Logger;
  readonly silenceMs: number;
  readonly plausibility: CandlePlausibility;
  /** Monotonic time (see `monotonicNowMs`) of the last websocket update or (re)subscription. */
  lastUpdateMono: number;
}

type WaitEvent = { kind: 'rows'; rows: readonly unknown[] } | { kind: 'close-due' } | { kind: 'silent' } | { kind: 'stopped' };

const MAX_TIMER_MS = 2_147_483_647;

const defaultTimers: SourceTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Closed candles from ccxt pro websockets, one watch loop per (symbol, timeframe).
 *
 * - A candle is closed when a later open time arrives or its close time plus `graceMs` passes
 *   (ClosedCandleDetector; ccxt drops Binance's final flag).
 * - Errors from ccxt's network family (NetworkError, RequestTimeout, ExchangeNotAvailable,
 *   DDoSProtection, ...) are logged with the series; the loop backs off (exponential, jittered)
 *   and calls watchOHLCV again, which redials. Any other error is fatal: the iterable throws it.
 * - Watchdog: an open but silent socket is only noticed by ccxt after ~3 minutes of missed pongs.
 *   After `silenceMs` without an update the loop abandons its pending watch and calls
 *   `exchange.close()`: rejecting only our promise would leave ccxt's socket and subscription in
 *   place, so the next watchOHLCV would wait on the same dead socket. Closing redials every series
 *   (they share one socket on Binance), which is what a dead socket needs anyway.
 * - On start and after every reconnect the series backfills closed candles with fetchOHLCV from
 *   the last emitted open time (REST rows are final and supersede websocket copies); a hole seen in
 *   the live rows is backfilled before anything after it is emitted. Per series, candles come out
 *   once each, ascending.
 * - A candle enters the pipeline only as the exchange's own closed candle: every live close (by a
 *   successor or by the grace timer) is confirmed with one fetchOHLCV for the batch, and the REST
 *   values go out. The websocket copy is only the last update seen, which misses the final trades
 *   whenever the final kline was lost (a dropped message, a reconnect across the boundary, an
 *   exchange pushing faster than it is read). When REST has not published a closed candle yet,
 *   the series waits and asks again (backoff); it never emits the unconfirmed copy.
 */
export class CcxtCandleSource implements CandleSource {
  readonly stats: CcxtCandleSourceStats = {
    emitted: 0,
    corrected: 0,
    confirmWaits: 0,
    backfilled: 0,
    rejectedRows: 0,
    reconnects: 0,
    watchdogTrips: 0,
    ignoredRows: 0,
    quarantined: 0,
  };
  private readonly exchange: CcxtOhlcvExchange;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly timers: SourceTimers;
  private readonly monotonicNowMs: () => number;
  private readonly random: () => number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly seedCount: number;
  private readonly fetchLimit: number;
  private readonly closeExchange: boolean;
  private readonly onQuarantine: ((q: QuarantinedCandle) => void) | undefined;
  private readonly states: SeriesState[];
  private readonly stop = new AbortController();
  private readonly queue: ClosedCandle[] = [];
  private wake: (() => void) | undefined;
  private failure: { error: unknown } | undefined;
  private loops: Promise<void> | undefined;
  private iterating = false;
  private closing: Promise<void> | undefined;
  private lastForcedCloseMs = Number.NEGATIVE_INFINITY;

  constructor(opts: CcxtCandleSourceOptions) {
    this.exchange = opts.exchange;
    this.clock = opts.clock;
    this.log = opts.logger.child({ component: 'candle-source' });
    this.timers = opts.timers ?? defaultTimers;
    this.monotonicNowMs = opts.monotonicNowMs ?? (() => performance.now());
    this.random = opts.random ?? Math.random;
    this.backoffBaseMs = opts.backoffBaseMs ?? 1_000;
    this.backoffMaxMs = opts.backoffMaxMs ?? 60_000;
    this.seedCount = opts.seedCount ?? 0;
    this.fetchLimit = opts.fetchLimit ?? 1_000;
    this.closeExchange = opts.closeExchange ?? true;
    this.onQuarantine = opts.onQuarantine;
    const graceMs = opts.graceMs ?? 5_000;
    const multiple = opts.watchdogMultiple ?? 3;
    if (opts.series.length === 0) throw new InvariantError('CcxtCandleSource needs at least one series');
    const ids = new Set<string>();
    this.states = opts.series.map((key) => {
      const id = seriesId(key);
      if (ids.has(id)) throw new InvariantError(`series ${id} is listed twice`);
      ids.add(id);
      const tfMs = timeframeMs(key.timeframe);
      const resume = opts.resumeAfterOpenTimeMs?.[id];
      const detector = new ClosedCandleDetector(key.timeframe, resume === undefined ? { graceMs } : { graceMs, lastEmittedOpenTimeMs: resume });
      const silenceMs = opts.silenceMs ?? multiple * (opts.updateCadenceMs ?? Math.min(tfMs, 60_000));
      const plausibility = new CandlePlausibility(opts.plausibility ?? DEFAULT_PLAUSIBILITY);
      return { key, id, tfMs, detector, silenceMs, plausibility, log: this.log.child({ series: id }), lastUpdateMono: 0 };
    });
  }

  /** Starts the watch loops on first call; one consumer only. Breaking out of the loop closes the source. */
  closedCandles(): AsyncIterable<ClosedCandle> {
    if (this.iterating) throw new InvariantError('closedCandles() may be consumed once');
    this.iterating = true;
    this.start();
    return { [Symbol.asyncIterator]: () => this.iterator() };
  }

  /** Stops every loop and timer, closes the exchange's sockets, and ends the iterable. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.stop.abort();
    this.wake?.();
    await this.loops;
    if (this.closeExchange && this.exchange.close !== undefined) {
      await this.exchange.close().catch((error: unknown) => this.log.warn(errorFields(error), 'exchange close failed'));
    }
  }

  private start(): void {
    if (this.loops !== undefined) return;
    this.loops = Promise.all(this.states.map((s) => this.runSeries(s))).then(() => undefined);
  }

  private iterator(): AsyncIterator<ClosedCandle> {
    return {
      next: async (): Promise<IteratorResult<ClosedCandle>> => {
        for (;;) {
          const item = this.queue.shift();
          if (item !== undefined) return { value: item, done: false };
          if (this.failure !== undefined) throw this.failure.error;
          if (this.stop.signal.aborted) return { value: undefined, done: true };
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          this.wake = undefined;
        }
      },
      return: async (): Promise<IteratorResult<ClosedCandle>> => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  private emit(s: SeriesState, candles: readonly Candle[], via: 'live' | 'backfill'): void {
    if (candles.length === 0) return;
    let emitted = 0;
    for (const candle of candles) {
      const implausible = s.plausibility.judge(candle);
      if (implausible !== undefined) {
        // Held out of the pipeline (the feature engine sees a gap and warms up again, so nothing
        // trades on it) but never silently: an error line, a counter, and the operator's alert.
        this.stats.quarantined++;
        s.log.error({ candle, via, reason: implausible.reason }, 'closed candle quarantined: implausible, not published (never traded on)');
        this.onQuarantine?.({ series: s.key, candle, reason: implausible.reason });
        continue;
      }
      this.queue.push({ series: s.key, candle });
      emitted++;
    }
    this.stats.emitted += emitted;
    if (via === 'backfill') this.stats.backfilled += emitted;
    s.log.debug({ count: emitted, via, lastOpenTimeMs: candles[candles.length - 1]!.openTimeMs }, 'closed candles');
    if (emitted > 0) this.wake?.();
  }

  private async runSeries(s: SeriesState): Promise<void> {
    let attempt = 0;
    let needBackfill = true;
    let watch: Promise<readonly unknown[]> | undefined;
    const signal = this.stop.signal;
    while (!signal.aborted) {
      try {
        if (needBackfill) {
          await this.backfill(s, attempt > 0 ? 'reconnect' : 'start');
          needBackfill = false;
          s.lastUpdateMono = this.monotonicNowMs();
        }
        if (watch === undefined) {
          watch = this.exchange.watchOHLCV(s.key.symbol, s.key.timeframe);
          // An abandoned watch (watchdog, stop) may reject later; nobody else listens to it.
          watch.catch(() => undefined);
        }
        const ev = await this.waitFor(s, watch);
        if (ev.kind === 'stopped') break;
        if (ev.kind === 'rows') {
          watch = undefined;
          s.lastUpdateMono = this.monotonicNowMs();
          attempt = 0;
          await this.onRows(s, ev.rows);
        } else if (ev.kind === 'close-due') {
          await this.apply(s, s.detector.flush(this.clock.nowMs()));
        } else {
          watch = undefined;
          await this.forceReconnect(s);
        }
      } catch (error) {
        watch = undefined;
        if (signal.aborted) break;
        const retryable = retryableErrorName(error);
        if (retryable === undefined) {
          s.log.error(errorFields(error), 'candle feed failed with a non-retryable error; stopping the source');
          this.fail(error);
          break;
        }
        const delayMs = backoffDelayMs(attempt, this.backoffBaseMs, this.backoffMaxMs, this.random);
        attempt++;
        this.stats.reconnects++;
        s.log.warn({ ...errorFields(error), errorClass: retryable, attempt, delayMs }, 'candle feed interrupted; reconnecting after backoff');
        await this.sleep(delayMs);
        needBackfill = true;
      }
    }
  }

  private async onRows(s: SeriesState, rows: readonly unknown[]): Promise<void> {
    const { candles, rejected } = parseOhlcvPayload(rows, s.key.timeframe, s.log);
    this.stats.rejectedRows += rejected;
    await this.apply(s, s.detector.push(candles, this.clock.nowMs()));
  }

  /**
   * Emits a detector step and whatever it unblocks: a hole is backfilled over REST before anything
   * after it comes out (and skipped, with a warning, when the exchange has nothing there); a candle
   * closed by the grace timer is confirmed over REST first, because its last websocket update may
   * predate the final trades.
   */
  private async apply(s: SeriesState, first: DetectorStep): Promise<void> {
    const attempted = new Set<number>();
    let step = first;
    for (;;) {
      this.stats.ignoredRows += step.ignored;
      if (step.closed.length > 0) {
        const confirmed = await this.confirm(s, step.closed, () => s.detector.reopen(step.closed));
        if (confirmed === null) return;
        this.emit(s, confirmed, 'live');
      }
      if (step.gap !== undefined) {
        const gap = step.gap;
        if (!attempted.has(gap.fromOpenTimeMs)) {
          attempted.add(gap.fromOpenTimeMs);
          s.log.info({ ...gap }, 'missing candles in the live feed; backfilling');
          await this.fetchAndFill(s, gap.fromOpenTimeMs, gap.toOpenTimeMs);
          step = s.detector.flush(this.clock.nowMs());
        } else {
          // The exchange has nothing for these open times (a halt, a maintenance window): move on.
          s.log.warn({ ...gap }, 'the exchange has no candles for these open times; continuing past the gap');
          step = s.detector.skipGaps(this.clock.nowMs());
        }
        continue;
      }
      if (step.due !== undefined) {
        const confirmed = await this.confirm(s, [step.due], () => undefined);
        if (confirmed === null) return;
        this.emit(s, s.detector.fill(confirmed), 'live');
        step = s.detector.flush(this.clock.nowMs());
        continue;
      }
      return;
    }
  }

  /** Fetches closed candles of [from, to] over REST and emits those the detector accepts. */
  private async fetchAndFill(s: SeriesState, fromOpenTimeMs: number, toOpenTimeMs: number | undefined): Promise<Candle[]> {
    const { candles, rejected } = await fetchClosedCandles(
      this.exchange,
      {
        symbol: s.key.symbol,
        timeframe: s.key.timeframe,
        fromOpenTimeMs,
        ...(toOpenTimeMs !== undefined ? { toOpenTimeMs } : {}),
        nowMs: this.clock.nowMs(),
        limit: this.fetchLimit,
      },
      s.log,
    );
    this.stats.rejectedRows += rejected;
    const emitted = s.detector.fill(candles);
    this.emit(s, emitted, 'backfill');
    return candles;
  }

  /**
   * The exchange's closed versions of `candidates` (ascending, contiguous, each known to be closed:
   * a successor was seen or the grace time passed), fetched in one REST call per attempt. While the
   * exchange has not published all of them yet, waits (backoff) and asks again. Returns null when
   * the source stops first; on stop or a failed fetch `abandon` runs, so nothing is lost.
   */
  private async confirm(s: SeriesState, candidates: readonly Candle[], abandon: () => void): Promise<Candle[] | null> {
    const first = candidates[0]!.openTimeMs;
    const last = candidates[candidates.length - 1]!.openTimeMs;
    for (let attempt = 0; ; attempt++) {
      let fetched: Candle[];
      try {
        const result = await fetchClosedCandles(
          this.exchange,
          // A successor or the grace time proves `last` closed, whatever this clock says.
          {
            symbol: s.key.symbol,
            timeframe: s.key.timeframe,
            fromOpenTimeMs: first,
            toOpenTimeMs: last,
            nowMs: Math.max(this.clock.nowMs(), last + s.tfMs),
            limit: this.fetchLimit,
          },
          s.log,
        );
        fetched = result.candles;
        this.stats.rejectedRows += result.rejected;
      } catch (error) {
        abandon();
        throw error;
      }
      const byTime = new Map(fetched.map((c) => [c.openTimeMs, c]));
      const finals = candidates.map((c) => byTime.get(c.openTimeMs));
      if (finals.every((c) => c !== undefined)) {
        const differing = candidates.filter((c, i) => !sameCandle(c, finals[i]!)).map((c) => c.openTimeMs);
        if (differing.length > 0) {
          this.stats.corrected += differing.length;
          s.log.info(
            { openTimesMs: differing.slice(0, 10), count: differing.length },
            "websocket copy differed from the exchange's closed candle; the exchange's went out",
          );
        }
        return finals;
      }
      const missing = candidates.filter((_c, i) => finals[i] === undefined).map((c) => c.openTimeMs);
      this.stats.confirmWaits++;
      const delayMs = backoffDelayMs(attempt, this.backoffBaseMs, this.backoffMaxMs, this.random);
      (attempt >= 5 ? s.log.error.bind(s.log) : s.log.warn.bind(s.log))(
        { openTimesMs: missing.slice(0, 10), attempt, delayMs },
        'closed candles not yet published over REST; holding them (never emitted unconfirmed) and asking again',
      );
      await this.sleep(delayMs);
      if (this.stop.signal.aborted) {
        abandon();
        return null;
      }
    }
  }

  /** Closed candles after the last emitted one (or the last `seedCount` at start), over REST. */
  private async backfill(s: SeriesState, why: 'start' | 'reconnect'): Promise<void> {
    const now = this.clock.nowMs();
    const last = s.detector.lastEmittedOpenTimeMs;
    const oldestPending = s.detector.oldestPendingOpenTimeMs;
    let from: number;
    if (last !== undefined) from = last + s.tfMs;
    // Nothing emitted yet but a forming copy from before the drop: its final values come over REST.
    else if (oldestPending !== undefined) from = oldestPending;
    else if (this.seedCount > 0) from = lastClosedOpenTimeMs(now, s.tfMs) - (this.seedCount - 1) * s.tfMs;
    else return;
    if (from > lastClosedOpenTimeMs(now, s.tfMs)) return;
    const fetched = await this.fetchAndFill(s, from, undefined);
    s.log.info({ why, fromOpenTimeMs: from, fetched: fetched.length, lastEmittedOpenTimeMs: s.detector.lastEmittedOpenTimeMs }, 'backfilled closed candles');
  }

  private async forceReconnect(s: SeriesState): Promise<void> {
    this.stats.watchdogTrips++;
    const now = this.monotonicNowMs();
    const silentForMs = Math.round(this.monotonicNowMs() - s.lastUpdateMono);
    s.log.warn({ silentForMs, silenceMs: s.silenceMs }, 'no websocket update within the silence threshold; forcing a reconnect');
    // One close serves every series (they share the socket); a second silent series right after
    // the first close just redials.
    if (this.exchange.close !== undefined && now - this.lastForcedCloseMs >= s.silenceMs / 2) {
      this.lastForcedCloseMs = now;
      await this.exchange.close().catch((error: unknown) => s.log.warn(errorFields(error), 'exchange close failed'));
    }
    throw new SilentConnectionError(`no update for ${silentForMs} ms`);
  }

  /** Waits for the watch, the next grace-close time, the watchdog, or stop, whichever comes first. */
  private waitFor(s: SeriesState, watch: Promise<readonly unknown[]>): Promise<WaitEvent> {
    const signal = this.stop.signal;
    if (signal.aborted) return Promise.resolve({ kind: 'stopped' });
    return new Promise<WaitEvent>((resolve, reject) => {
      // Two clocks: candle close times are market time (the Clock: simulated in a replay), socket
      // silence is elapsed real time (monotonic), whatever the market clock does.
      const closeAt = s.detector.nextCloseAtMs();
      const closeInMs = closeAt === undefined ? Number.POSITIVE_INFINITY : closeAt - this.clock.nowMs();
      const silentInMs = s.lastUpdateMono + s.silenceMs - this.monotonicNowMs();
      const closeFirst = closeInMs <= silentInMs;
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        this.timers.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = (): void => {
        if (settle()) resolve({ kind: 'stopped' });
      };
      const timer = this.timers.setTimeout(
        () => {
          // A clamped or early timer just re-checks (close-due with nothing due is a no-op).
          const silent = !closeFirst && this.monotonicNowMs() - s.lastUpdateMono >= s.silenceMs;
          if (settle()) resolve({ kind: silent ? 'silent' : 'close-due' });
        },
        // Node turns delays above 2^31-1 ms into 1 ms; a far deadline just re-arms.
        Math.min(MAX_TIMER_MS, Math.max(0, closeFirst ? closeInMs : silentInMs)),
      );
      signal.addEventListener('abort', onAbort, { once: true });
      watch.then(
        (rows) => {
          if (settle()) resolve({ kind: 'rows', rows });
        },
        (error: unknown) => {
          if (settle()) reject(error);
        },
      );
    });
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stop.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.timers.clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = this.timers.setTimeout(done, Math.min(MAX_TIMER_MS, ms));
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private fail(error: unknown): void {
    this.failure ??= { error };
    void this.close();
  }
}

function sameCandle(a: Candle, b: Candle): boolean {
  return a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close && a.volume === b.volume;
}
