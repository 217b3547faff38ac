import type { Logger, SeriesKey } from '../../core/index.js';
import type { PaperSession } from '../../backtest/session.js';
import type { CandleHistory } from './signal-step.js';
import { TimeOrderedTrader, type TraderItem } from './time-ordered-trader.js';

export type { TraderItem } from './time-ordered-trader.js';

export interface PaperTraderOptions {
  readonly session: PaperSession;
  /** Every traded series, in the order that breaks ties between candles of one open time. */
  readonly series: readonly SeriesKey[];
  readonly store: CandleHistory;
  readonly logger: Logger;
  /** Candles that opened before this only warm up the signal role: not traded, not stepped (like a backtest's --from). */
  readonly tradeFromMs?: number;
  /** Hears about each candle stepped and each intent's outcome (logs, metrics, notifications). */
  readonly onStep?: (item: TraderItem, outcome: string | null) => void;
}

/**
 * The trader role of paper trading: feeds the PaperSession the same sequence the backtest does —
 * candles in open-time order across series (ties in series order), each followed by the decision
 * taken on it (the ordering is TimeOrderedTrader's, shared with the LiveTrader). A candle that
 * arrives after later candles were already stepped (a late candle, live only) is logged and skipped.
 */
export class PaperTrader extends TimeOrderedTrader {
  constructor(private readonly options: PaperTraderOptions) {
    super(options);
  }

  protected async step(id: string, item: TraderItem): Promise<void> {
    const { session, logger } = this.options;
    const { series, candle } = item.candle;
    if (candle.openTimeMs < (this.options.tradeFromMs ?? Number.NEGATIVE_INFINITY)) {
      this.options.onStep?.(item, 'warmup');
      return;
    }
    const sessionTime = session.lastTimeMs;
    if (sessionTime !== null && candle.openTimeMs < sessionTime) {
      logger.warn({ series: id, openTimeMs: candle.openTimeMs, steppedUpToMs: sessionTime }, 'late candle: later candles were already traded; skipped by the paper trader');
      this.options.onStep?.(item, 'late');
      return;
    }
    await session.onCandle(series, candle);
    let outcome: string | null = null;
    if (item.intent !== null) {
      const result = await session.onIntent(item.intent);
      outcome = result.status === 'sent' ? 'sent' : `${result.status}:${result.reason.code}`;
      logger.info(
        {
          series: id,
          intentId: item.intent.intentId,
          targetFraction: item.intent.targetFraction,
          outcome: result.status,
          ...(result.status === 'sent' ? { clientOrderId: result.order.clientOrderId, side: result.order.side, qtyBase: result.order.qtyBase } : { reason: result.reason }),
        },
        result.status === 'sent' ? 'order placed' : `intent ${result.status}`,
      );
    }
    this.options.onStep?.(item, outcome);
  }
}
