import { seriesId, timeframeMs, type ClosedCandle, type Logger, type OrderIntent, type SeriesKey } from '../../core/index.js';
import type { CandleHistory } from './signal-step.js';

/** One processed candle of a series and what the signal role decided on it. */
export interface TraderItem {
  readonly candle: ClosedCandle;
  readonly intent: OrderIntent | null;
}

export interface TimeOrderedTraderOptions {
  /** Every traded series, in the order that breaks ties between candles of one open time. */
  readonly series: readonly SeriesKey[];
  readonly store: CandleHistory;
  readonly logger: Logger;
}

/**
 * The trader role's ordering, shared by paper and live: steps candles in open-time order across
 * series (ties in series order), each followed by the decision taken on it — although the
 * decisions arrive from concurrent signal workers in any interleaving. Items are buffered per
 * series; the earliest one is stepped once no other series can still deliver an earlier candle:
 * either it has a later item buffered (a series' items arrive in order) or the candle store holds
 * no earlier candle for it that is still undecided. Everything runs on one chain: one writer.
 */
export abstract class TimeOrderedTrader {
  private readonly order: ReadonlyMap<string, number>;
  private readonly keys: ReadonlyMap<string, SeriesKey>;
  private readonly pending = new Map<string, TraderItem[]>();
  protected readonly last = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();
  private processed = 0;

  constructor(private readonly ordering: TimeOrderedTraderOptions) {
    this.order = new Map(ordering.series.map((s, i) => [seriesId(s), i]));
    this.keys = new Map(ordering.series.map((s) => [seriesId(s), s]));
    for (const id of this.order.keys()) this.pending.set(id, []);
  }

  /** Steps one item, in order (the last stepped open time of its series is already recorded). */
  protected abstract step(id: string, item: TraderItem): Promise<void>;

  /** Items processed so far. */
  get processedCount(): number {
    return this.processed;
  }

  /** Open time of the last candle of a series that was stepped. */
  lastSteppedOpenTime(series: SeriesKey): number | null {
    return this.last.get(seriesId(series)) ?? null;
  }

  /** Runs `fn` in turn with the items (operator actions, polls, reconciliation must not interleave with a step). */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Accepts an item (serialised: the trader has one writer) and processes whatever became ready. */
  accept(item: TraderItem): Promise<void> {
    const run = this.chain.then(() => this.acceptNow(item));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async acceptNow(item: TraderItem): Promise<void> {
    const id = seriesId(item.candle.series);
    const queue = this.pending.get(id);
    if (queue === undefined) {
      this.ordering.logger.warn({ series: id }, 'decision for a series this trader does not trade; ignored');
      return;
    }
    const lastOfSeries = this.last.get(id) ?? Number.NEGATIVE_INFINITY;
    const t = item.candle.candle.openTimeMs;
    if (t <= lastOfSeries || queue.some((q) => q.candle.candle.openTimeMs === t)) {
      this.ordering.logger.debug({ series: id, openTimeMs: t }, 'decision already handled; ignored');
      return;
    }
    queue.push(item);
    queue.sort((a, b) => a.candle.candle.openTimeMs - b.candle.candle.openTimeMs);
    await this.drain();
  }

  private earliestPending(): { id: string; item: TraderItem } | null {
    let best: { id: string; item: TraderItem } | null = null;
    for (const [id, queue] of this.pending) {
      const head = queue[0];
      if (head === undefined) continue;
      if (best === null) {
        best = { id, item: head };
        continue;
      }
      const a = head.candle.candle.openTimeMs;
      const b = best.item.candle.candle.openTimeMs;
      if (a < b || (a === b && (this.order.get(id) as number) < (this.order.get(best.id) as number))) best = { id, item: head };
    }
    return best;
  }

  /** Whether series `id` may still deliver a candle that comes before (t, rank). */
  private async mayPrecede(id: string, t: number, rank: number): Promise<boolean> {
    if ((this.pending.get(id)?.length ?? 0) > 0) return false;
    const key = this.keys.get(id) as SeriesKey;
    const last = this.last.get(id);
    const from = last === undefined ? 0 : last + 1;
    // Usually the next candle is the very next one: look at one timeframe first, the whole span only at a gap.
    const near = last === undefined ? [] : await this.ordering.store.range(key, from, Math.min(t, last + timeframeMs(key.timeframe)));
    const next = near[0] ?? (await this.ordering.store.range(key, from, t))[0];
    if (next === undefined) return false;
    return next.openTimeMs < t || (next.openTimeMs === t && (this.order.get(id) as number) < rank);
  }

  private async drain(): Promise<void> {
    for (;;) {
      const head = this.earliestPending();
      if (head === null) return;
      const t = head.item.candle.candle.openTimeMs;
      const rank = this.order.get(head.id) as number;
      for (const id of this.order.keys()) {
        if (id !== head.id && (await this.mayPrecede(id, t, rank))) return;
      }
      (this.pending.get(head.id) as TraderItem[]).shift();
      this.last.set(head.id, t);
      this.processed++;
      await this.step(head.id, head.item);
    }
  }
}
