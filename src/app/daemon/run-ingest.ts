import { DataError, seriesId, type Logger, type SeriesKey } from '../../core/index.js';
import { createCcxtExchange } from '../../market/ccxt-client.js';
import { CcxtCandleSource } from '../../market/ccxt-candle-source.js';
import { notifyEvents } from '../../obs/notify.js';
import type { Config } from '../config/load-config.js';
import type { Daemon } from './daemon.js';

/**
 * Runs a started daemon until `signal` aborts: with the ingest role, closed candles from the
 * exchange's websocket (its own ccxt instance, public data) are published into the pipeline, after
 * seeding `seed` closed candles per market (at least the model's window plus warm-up) or resuming
 * after the last candle the pipeline processed. Then stops everything gracefully: the candle source,
 * the pipeline (in-flight jobs drained), the daemon's connections.
 */
export async function runUntilStopped(
  daemon: Daemon,
  options: { readonly config: Config; readonly series: readonly SeriesKey[]; readonly ingest: boolean; readonly seed: number; readonly logger: Logger; readonly signal: AbortSignal },
): Promise<void> {
  const { config, series, logger } = options;
  // A signal that fired during start-up does not fire again: check it as well as listening for it.
  const stopping = new Promise<void>((r) => (options.signal.aborted ? r() : options.signal.addEventListener('abort', () => r(), { once: true })));
  let source: CcxtCandleSource | null = null;
  try {
    if (options.ingest) {
      const urls = config.market.restUrl !== undefined && config.market.wsUrl !== undefined ? { urls: { rest: config.market.restUrl, ws: config.market.wsUrl } } : {};
      const exchange = await createCcxtExchange({ exchangeId: config.market.exchange, timeoutMs: config.market.timeoutMs, ...urls });
      const resume: Record<string, number> = {};
      for (const s of series) {
        const last = await daemon.pipeline.lastProcessedOpenTime(s);
        if (last !== null) resume[seriesId(s)] = last;
      }
      const seedCount = Math.max(options.seed, daemon.model ? daemon.model.info.windowLength + 64 : 0);
      source = new CcxtCandleSource({
        exchange,
        series,
        clock: { nowMs: () => Date.now() },
        logger: logger.child({ component: 'ingest' }),
        seedCount,
        resumeAfterOpenTimeMs: resume,
        plausibility: config.market.plausibility,
        onQuarantine: (q) => daemon.notifier?.notify(notifyEvents.error(new DataError(`${q.series.symbol} ${q.series.timeframe} candle ${new Date(q.candle.openTimeMs).toISOString()} quarantined: ${q.reason}`), 'ingest')),
      });
      const candles = source;
      const ingest = (async () => {
        for await (const closed of candles.closedCandles()) {
          const result = await daemon.pipeline.publishCandle(closed);
          logger.info({ series: `${closed.series.symbol} ${closed.series.timeframe}`, openTimeMs: closed.candle.openTimeMs, close: closed.candle.close, result }, 'closed candle received');
        }
      })();
      await Promise.race([ingest, stopping]);
    } else {
      await stopping;
    }
  } finally {
    logger.info('stopping: closing the candle source, draining the pipeline');
    await source?.close();
    await daemon.stop();
  }
}
