import { setTimeout as sleep } from 'node:timers/promises';
import { timeframeMs, type Candle, type CandleSource, type ClosedCandle, type SeriesKey } from '../core/index.js';

export interface ReplayCandleSourceOptions {
  /** Every series with its closed candles, ascending; ties between series at one open time go in this order. */
  readonly series: readonly { readonly key: SeriesKey; readonly candles: readonly Candle[] }[];
  /** 'max': as fast as the consumer takes them; N: N× real time between open times. */
  readonly speed: number | 'max';
  /** Batch size at full speed. */
  readonly batchSize?: number;
}

/**
 * Closed candles from files (already parsed), in open-time order across series: the CandleSource
 * of `wick replay` (and of the demo). At full speed it hands them over in batches; at N× real time
 * it waits one timeframe / N between open times. `close()` ends the iteration.
 */
export class ReplayCandleSource implements CandleSource {
  private readonly events: readonly ClosedCandle[];
  private readonly abort = new AbortController();

  constructor(private readonly options: ReplayCandleSourceOptions) {
    const events: ClosedCandle[] = options.series.flatMap((s) => s.candles.map((candle) => ({ series: s.key, candle })));
    const rank = new Map(options.series.map((s, i) => [s.key.symbol, i]));
    events.sort((a, b) => a.candle.openTimeMs - b.candle.openTimeMs || (rank.get(a.series.symbol) as number) - (rank.get(b.series.symbol) as number));
    this.events = events;
  }

  /** Every candle it replays, in the order it hands them over. */
  get candles(): readonly ClosedCandle[] {
    return this.events;
  }

  /** Candles this source will hand over in all. */
  get total(): number {
    return this.events.length;
  }

  async *closedCandles(): AsyncIterable<ClosedCandle> {
    for await (const batch of this.closedCandleBatches()) yield* batch;
  }

  async *closedCandleBatches(): AsyncIterable<readonly ClosedCandle[]> {
    const { speed } = this.options;
    const events = this.events;
    if (speed === 'max') {
      const size = this.options.batchSize ?? 100_000;
      for (let i = 0; i < events.length && !this.abort.signal.aborted; i += size) yield events.slice(i, i + size);
      return;
    }
    const tfMs = timeframeMs(events[0]?.series.timeframe ?? '1h');
    for (let i = 0; i < events.length && !this.abort.signal.aborted;) {
      const t = (events[i] as ClosedCandle).candle.openTimeMs;
      let j = i;
      while (j < events.length && (events[j] as ClosedCandle).candle.openTimeMs === t) j++;
      yield events.slice(i, j);
      i = j;
      if (i < events.length) await sleep(tfMs / speed, undefined, { signal: this.abort.signal }).catch(() => undefined);
    }
  }

  close(): Promise<void> {
    this.abort.abort();
    return Promise.resolve();
  }
}
