import type { Queue } from 'bullmq';
import type { Candle, OrderIntent, SeriesKey } from '../core/index.js';
import { decisionBatchJobId, decisionJobData, decisionJobId, type DecisionBatchJobData } from './jobs.js';

/** One signal pass's output: every processed candle of a series with the intent decided on it. */
export interface DecisionGroup {
  readonly series: SeriesKey;
  readonly decisions: readonly { readonly candle: Candle; readonly intent: OrderIntent | null; readonly ingestedAtMs: number }[];
}

interface Waiting extends DecisionGroup {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Most series in one batch job (a larger burst goes out as several jobs in one round trip). */
const MAX_GROUPS_PER_JOB = 256;

/**
 * Sends decisions to the intents queue, gathering the passes that finish in the same turn of the
 * event loop into one job (a boundary where many markets close at once): one round trip for the
 * signal process and one job for the trader instead of one per series. A lone pass goes out as the
 * plain one-series job it always was. publish() resolves once the job is in Redis, so a series
 * still advances only after its decisions went out; per-series order holds because a series has at
 * most one pass in flight.
 */
export class DecisionPublisher {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly queue: Queue,
    private readonly jobName: string,
  ) {}

  publish(group: DecisionGroup): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ ...group, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const all = this.waiting;
    this.waiting = [];
    try {
      if (all.length === 1) {
        const { series, decisions } = all[0]!;
        await this.queue.add(this.jobName, decisionJobData(series, decisions), {
          jobId: decisionJobId(series, decisions[0]!.candle.openTimeMs, decisions[decisions.length - 1]!.candle.openTimeMs),
        });
      } else {
        const jobs = [];
        for (let k = 0; k < all.length; k += MAX_GROUPS_PER_JOB) {
          const chunk = all.slice(k, k + MAX_GROUPS_PER_JOB);
          if (chunk.length === 1) {
            const { series, decisions } = chunk[0]!;
            jobs.push({
              name: this.jobName,
              data: decisionJobData(series, decisions) as object,
              opts: { jobId: decisionJobId(series, decisions[0]!.candle.openTimeMs, decisions[decisions.length - 1]!.candle.openTimeMs) },
            });
            continue;
          }
          const data: DecisionBatchJobData = {
            v: 3,
            groups: chunk.map(({ series, decisions }) => {
              const { v: _v, ...group } = decisionJobData(series, decisions);
              return group;
            }),
          };
          jobs.push({ name: this.jobName, data: data as object, opts: { jobId: decisionBatchJobId(chunk) } });
        }
        await this.queue.addBulk(jobs);
      }
      for (const w of all) w.resolve();
    } catch (error) {
      for (const w of all) w.reject(error);
    }
  }
}
