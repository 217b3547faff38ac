import type { Broker, Candle, SeriesKey } from '../core/index.js';
import type { OrderManager } from './order-manager.js';
import type { BrokerUpdate } from './paper-broker.js';

/** A Broker that simulated time drives candle by candle (the PaperBroker). */
export interface CandleDrivenBroker extends Broker {
  onCandleOpen(series: SeriesKey, candle: Candle): BrokerUpdate;
  onCandleRange(series: SeriesKey, candle: Candle): BrokerUpdate;
}

/**
 * Steps 1–2 of the backtest/paper loop for one closed candle of one series, in the order that keeps
 * the simulation honest:
 *   1. market orders queued on earlier candles fill at this candle's open; the manager applies the
 *      fills and arms stops for new positions;
 *   2. resting stops (adverse first), take-profits and limits are checked on this candle's range;
 *   3. the manager evaluates client-side guards, ratchets trailing stops, marks to the close and
 *      feeds equity to the risk engine.
 * Then the caller asks the model/policy and hands any intent to `om.onIntent` (it fills on the
 * NEXT candle). Set the simulated Clock to the candle's close time before calling.
 */
export async function stepCandle(broker: CandleDrivenBroker, om: OrderManager, series: SeriesKey, candle: Candle): Promise<void> {
  const opened = broker.onCandleOpen(series, candle);
  if (opened.fills.length > 0 || opened.orders.length > 0) await om.applyUpdate(opened);
  const ranged = broker.onCandleRange(series, candle);
  if (ranged.fills.length > 0 || ranged.orders.length > 0) await om.applyUpdate(ranged);
  await om.onCandleClosed(series, candle);
}
