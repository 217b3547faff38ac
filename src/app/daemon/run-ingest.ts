import type { CandleSource, Logger } from '../../core/index.js';
import type { Daemon } from './daemon.js';

/**
 * Runs a started daemon until `signal` aborts (or `until` settles): closed candles from `source`
 * (opened by the mode's `openSource`: the exchange's websocket, a replay of files; null without the ingest role)
 * are published into the pipeline. Then stops everything gracefully: the candle source, the
 * pipeline (in-flight jobs drained), the daemon's connections.
 */
export async function runUntilStopped(
  daemon: Daemon,
  options: {
    readonly openSource: (() => Promise<CandleSource>) | null;
    readonly logger: Logger;
    readonly signal: AbortSignal;
    readonly until?: Promise<unknown>;
    readonly logCandles?: boolean;
  },
): Promise<void> {
  const { logger } = options;
  let source: CandleSource | null = null;
  // A signal that fired during start-up does not fire again: check it as well as listening for it.
  const stopping = new Promise<void>((r) => (options.signal.aborted ? r() : options.signal.addEventListener('abort', () => r(), { once: true })));
  const ends: Promise<unknown>[] = [stopping];
  if (options.until !== undefined) ends.push(options.until);
  try {
    if (options.openSource !== null) {
      const src = await options.openSource();
      source = src;
      const ingest = (async () => {
        if (src.closedCandleBatches !== undefined) {
          for await (const batch of src.closedCandleBatches()) await daemon.pipeline.publishCandles(batch);
          return;
        }
        for await (const closed of src.closedCandles()) {
          const result = await daemon.pipeline.publishCandle(closed);
          if (options.logCandles !== false)
            logger.info(
              { series: `${closed.series.symbol} ${closed.series.timeframe}`, openTimeMs: closed.candle.openTimeMs, close: closed.candle.close, result },
              'closed candle received',
            );
        }
      })();
      // A replay's source ends when its files do; the daemon runs on until `until` (or a signal).
      await Promise.race(options.until === undefined ? [ingest, stopping] : [ingest.then(() => Promise.race(ends)), ...ends]);
    } else {
      await Promise.race(ends);
    }
  } finally {
    logger.info('stopping: closing the candle source, draining the pipeline');
    await source?.close();
    await daemon.stop();
  }
}
