import type { Queue } from 'bullmq';
import { seriesId, type ClosedCandle, type Logger, type SeriesKey } from '../core/index.js';
import type { CandleStore } from './candle-store.js';
import { candleJobData, candleJobId } from './jobs.js';
import type { PipelineMetrics } from './types.js';
import type { WorkerSettings } from './worker-settings.js';

export type PublishResult =
  /** In the candle store and queued (or dropped as a duplicate by its job id). */
  | 'published'
  /** Redis was unreachable: held in memory and retried in order until it answers. */
  | 'buffered';

export interface IngestDeps {
  readonly queue: Queue;
  readonly store: CandleStore;
  readonly settings: WorkerSettings;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
  readonly nowMs: () => number;
}

interface Waiting {
  readonly candle: ClosedCandle;
  readonly ingestedAtMs: number;
}

/**
 * The ingest role's producer. Candles published in the same tick go out together: per series, sorted
 * and de-duplicated, appended to the candle store, then enqueued as jobs of up to maxCandlesPerJob
 * candles with one addBulk. Its connection fails fast (no offline queue), so while Redis is down the
 * candles wait in a bounded in-memory buffer (oldest dropped beyond ingestBufferMax, with an error
 * line; backfill then covers the gap) and go out in order once Redis answers.
 */
export class CandleIngest {
  private waiting: Waiting[] = [];
  private flushing: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private waiters: { resolve: (r: PublishResult) => void; upTo: number }[] = [];
  private enqueued = 0;
  private settled = 0;

  constructor(private readonly deps: IngestDeps) {}

  publishCandle(candle: ClosedCandle): Promise<PublishResult> {
    return this.publishCandles([candle]);
  }

  /** Replays pass many candles at once: they go out as multi-candle jobs (far fewer bullmq jobs). */
  publishCandles(candles: readonly ClosedCandle[]): Promise<PublishResult> {
    if (this.closed) return Promise.reject(new Error('the ingest is stopped'));
    const ingestedAtMs = this.deps.nowMs();
    for (const candle of candles) {
      this.waiting.push({ candle, ingestedAtMs });
      this.deps.metrics.candlesReceived.inc({ series: seriesId(candle.series) });
    }
    this.enqueued += candles.length;
    const upTo = this.enqueued;
    const result = new Promise<PublishResult>((resolve) => this.waiters.push({ resolve, upTo }));
    this.schedule();
    return result;
  }

  /** Candles held while Redis is unreachable. */
  get buffered(): number {
    return this.waiting.length;
  }

  /** Tries to send what is buffered, once, within timeoutMs; then refuses new candles. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const deadline = Date.now() + timeoutMs;
    while (this.waiting.length > 0 || this.flushing !== undefined) {
      if (Date.now() >= deadline) break;
      if (this.flushing === undefined) this.flushing = this.flush();
      await Promise.race([this.flushing, new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
      if (this.waiting.length > 0 && this.lastFlushFailed) break;
    }
    if (this.waiting.length > 0) this.deps.logger.error({ candles: this.waiting.length }, 'ingest stopped with unsent candles; backfill must cover them');
    this.resolveUpTo(this.enqueued, 'buffered');
  }

  private lastFlushFailed = false;

  private schedule(): void {
    if (this.flushing !== undefined || this.retryTimer !== undefined) return;
    this.flushing = Promise.resolve().then(() => this.flush());
  }

  private async flush(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting;
        this.waiting = [];
        try {
          await this.send(batch);
          this.lastFlushFailed = false;
          this.settled += batch.length;
          this.resolveUpTo(this.settled, 'published');
        } catch (err) {
          this.lastFlushFailed = true;
          this.waiting = batch.concat(this.waiting);
          const over = this.waiting.length - this.deps.settings.ingestBufferMax;
          if (over > 0) {
            this.waiting.splice(0, over);
            this.settled += over;
            this.deps.logger.error({ dropped: over }, 'ingest buffer full: oldest candles dropped; backfill must cover them');
            this.deps.metrics.errorsTotal.inc({ code: 'INGEST_BUFFER_OVERFLOW' }, over);
          }
          this.deps.logger.warn({ err, buffered: this.waiting.length }, 'redis unreachable: candles buffered in memory, retrying');
          this.deps.metrics.errorsTotal.inc({ code: 'INGEST_PUBLISH_FAILED' });
          // Whoever is waiting learns the candle is buffered now rather than after the outage.
          this.resolveUpTo(this.enqueued, 'buffered');
          if (!this.closed) {
            this.retryTimer = setTimeout(() => {
              this.retryTimer = undefined;
              this.schedule();
            }, this.deps.settings.ingestRetryMs);
          }
          return;
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private resolveUpTo(upTo: number, result: PublishResult): void {
    while (this.waiters.length > 0 && this.waiters[0]!.upTo <= upTo) this.waiters.shift()!.resolve(result);
  }

  private async send(batch: readonly Waiting[]): Promise<void> {
    const { store, queue, settings, logger, metrics } = this.deps;
    const bySeries = new Map<string, { series: SeriesKey; items: Map<number, Waiting> }>();
    for (const w of batch) {
      const id = seriesId(w.candle.series);
      let group = bySeries.get(id);
      if (group === undefined) bySeries.set(id, (group = { series: w.candle.series, items: new Map() }));
      if (!group.items.has(w.candle.candle.openTimeMs)) group.items.set(w.candle.candle.openTimeMs, w);
    }
    const jobs: { name: string; data: unknown; opts: { jobId: string } }[] = [];
    const appends: Promise<void>[] = [];
    for (const [id, { series, items }] of bySeries) {
      const sorted = [...items.values()].sort((a, b) => a.candle.candle.openTimeMs - b.candle.candle.openTimeMs);
      appends.push(
        store
          .append(
            series,
            sorted.map((w) => w.candle.candle),
            sorted.map((w) => w.ingestedAtMs),
          )
          .then((appended) => {
            if (appended.late.length === 0) return;
            logger.warn(
              { series: id, openTimesMs: appended.late.slice(0, 10), count: appended.late.length },
              'late candles stored but skipped: newer candles of their series were already processed',
            );
            metrics.candlesRejected.inc({ series: id, reason: 'late' }, appended.late.length);
          }),
      );
      for (let i = 0; i < sorted.length; i += settings.maxCandlesPerJob) {
        const chunk = sorted.slice(i, i + settings.maxCandlesPerJob);
        const lastOpen = chunk[chunk.length - 1]!.candle.candle.openTimeMs;
        jobs.push({
          name: 'candles',
          data: candleJobData(
            series,
            chunk.map((w) => w.candle.candle),
            chunk[0]!.ingestedAtMs,
          ),
          opts: { jobId: candleJobId(series, lastOpen) },
        });
      }
    }
    // Store and queue share this connection and the appends are written first, so Redis runs them
    // before the adds without waiting a round trip in between. (Were a job ever to overtake its
    // candle, the worker still processes the candle from the job's own data.)
    await Promise.all([...appends, queue.addBulk(jobs)]);
  }
}
