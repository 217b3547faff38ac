import type { Candle, Timeframe } from '../core/candle.js';
import { timeframeMs } from '../core/candle.js';
import { InvariantError } from '../core/errors.js';

/** Open times missing between the last emitted candle and a later one (both ends inclusive). */
export interface MissingRange {
  readonly fromOpenTimeMs: number;
  readonly toOpenTimeMs: number;
  readonly missingCount: number;
}

export interface DetectorStep {
  /** Newly closed candles, ascending, each open time emitted once ever. */
  readonly closed: readonly Candle[];
  /**
   * Set when the next known candle does not follow the last emitted one: those open times are
   * closed on the exchange but were never seen. Candles after the hole are held back until the
   * caller fills it (`fill`) or gives up on it (`skipGaps`), so nothing is emitted out of order.
   */
  readonly gap: MissingRange | undefined;
  /** Rows ignored because their open time was already emitted (late or repeated updates). */
  readonly ignored: number;
  /**
   * The newest candle, closed by time alone (`nowMs >= openTime + timeframe + graceMs`, no later
   * open time seen). Not yet committed: its values are the last websocket update, which may predate
   * the final trades (a silent socket, a missed final kline). The caller confirms it (a REST fetch
   * of that candle) and passes the final version to `fill`, or passes this copy to accept it as is.
   * Until then it stays pending and nothing after it is released.
   */
  readonly due: Candle | undefined;
}

export interface ClosedCandleDetectorOptions {
  /** How long after its close time a candle with no successor is declared closed. */
  readonly graceMs: number;
  /** Open time of the last candle already delivered (resume point); later ones only are emitted. */
  readonly lastEmittedOpenTimeMs?: number;
}

/**
 * Decides when a candle of one series is closed, from the rows of successive watchOHLCV resolves
 * (ccxt drops Binance's "final" flag). A candle is closed when a later open time has been seen
 * (`closed`: its values are final, ccxt applied the final kline before the next one), or when
 * `nowMs >= openTime + timeframe + graceMs` (`due`: closed, values to be confirmed). Pure: time
 * comes from the caller, who runs the timer (see `nextCloseAtMs`). Rows must be parsed copies,
 * never ccxt's live arrays.
 */
export class ClosedCandleDetector {
  readonly tfMs: number;
  private readonly graceMs: number;
  private lastEmitted: number | undefined;
  /** Candles seen but not yet emitted, by open time (latest update wins). */
  private readonly pending = new Map<number, Candle>();

  constructor(
    readonly timeframe: Timeframe,
    opts: ClosedCandleDetectorOptions,
  ) {
    this.tfMs = timeframeMs(timeframe);
    if (!(opts.graceMs >= 0)) throw new InvariantError(`graceMs must be >= 0, got ${opts.graceMs}`);
    this.graceMs = opts.graceMs;
    this.lastEmitted = opts.lastEmittedOpenTimeMs;
  }

  get lastEmittedOpenTimeMs(): number | undefined {
    return this.lastEmitted;
  }

  /** Number of candles seen but not emitted (the forming one, or ones held behind a gap). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Feeds the rows of one watch resolve and returns what closed as a result. */
  push(rows: readonly Candle[], nowMs: number): DetectorStep {
    let ignored = 0;
    for (const c of rows) {
      if (this.lastEmitted !== undefined && c.openTimeMs <= this.lastEmitted) {
        ignored++;
        continue;
      }
      this.pending.set(c.openTimeMs, c);
    }
    return { ...this.release(nowMs, false), ignored };
  }

  /** Timer tick: releases candles whose close time plus grace has passed. */
  flush(nowMs: number): DetectorStep {
    return { ...this.release(nowMs, false), ignored: 0 };
  }

  /**
   * Gives up on the current hole(s): releases held candles across them. For when the exchange
   * really has no candles there (a halt), after a backfill attempt.
   */
  skipGaps(nowMs: number): DetectorStep {
    return { ...this.release(nowMs, true), ignored: 0 };
  }

  /**
   * Accepts candles known to be closed (a REST backfill: final values). Those after the last
   * emitted open time are emitted in order and replace any pending copy; the rest are dropped.
   * Holes between them are the exchange's own and are not reported. Returns what was emitted.
   */
  fill(closedCandles: readonly Candle[]): Candle[] {
    const sorted = [...closedCandles].sort((a, b) => a.openTimeMs - b.openTimeMs);
    const out: Candle[] = [];
    for (const c of sorted) {
      if (this.lastEmitted !== undefined && c.openTimeMs <= this.lastEmitted) continue;
      this.pending.delete(c.openTimeMs);
      this.lastEmitted = c.openTimeMs;
      out.push(c);
    }
    // A pending copy older than what the backfill delivered can never be emitted now.
    for (const t of this.pending.keys()) if (this.lastEmitted !== undefined && t <= this.lastEmitted) this.pending.delete(t);
    return out;
  }

  /**
   * Takes back candles this detector released as closed but the caller could not deliver (their
   * confirmation failed or was abandoned): they are pending again and the resume point moves back
   * before them, so a later backfill fetches them rather than skipping them. Newer pending copies
   * of the same open times are kept.
   */
  reopen(candles: readonly Candle[]): void {
    if (candles.length === 0) return;
    let first = Number.POSITIVE_INFINITY;
    for (const c of candles) {
      if (!this.pending.has(c.openTimeMs)) this.pending.set(c.openTimeMs, c);
      if (c.openTimeMs < first) first = c.openTimeMs;
    }
    if (this.lastEmitted !== undefined && this.lastEmitted >= first) this.lastEmitted = first - this.tfMs;
  }

  /** Open time of the oldest candle seen but not emitted. */
  get oldestPendingOpenTimeMs(): number | undefined {
    let oldest: number | undefined;
    for (const t of this.pending.keys()) if (oldest === undefined || t < oldest) oldest = t;
    return oldest;
  }

  /** When the oldest pending candle becomes due by the grace rule (epoch ms); undefined if none pending. */
  nextCloseAtMs(): number | undefined {
    const oldest = this.oldestPendingOpenTimeMs;
    return oldest === undefined ? undefined : oldest + this.tfMs + this.graceMs;
  }

  private release(nowMs: number, acrossGaps: boolean): { closed: Candle[]; gap: MissingRange | undefined; due: Candle | undefined } {
    if (this.pending.size === 0) return { closed: [], gap: undefined, due: undefined };
    const times = [...this.pending.keys()].sort((a, b) => a - b);
    const newest = times[times.length - 1]!;
    const closed: Candle[] = [];
    let gap: MissingRange | undefined;
    let due: Candle | undefined;
    for (const t of times) {
      const expected = this.lastEmitted === undefined ? t : this.lastEmitted + this.tfMs;
      if (t !== expected && !acrossGaps) {
        // Everything before t is closed on the exchange (t exists), so the hole is known now even
        // if t itself is still forming.
        gap = { fromOpenTimeMs: expected, toOpenTimeMs: t - this.tfMs, missingCount: (t - expected) / this.tfMs };
        break;
      }
      if (t === newest) {
        if (nowMs >= t + this.tfMs + this.graceMs) due = this.pending.get(t);
        break;
      }
      closed.push(this.pending.get(t)!);
      this.pending.delete(t);
      this.lastEmitted = t;
    }
    return { closed, gap, due };
  }
}
