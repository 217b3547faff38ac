import type { Candle, ManualClock, SeriesKey, Broker } from '../../core/index.js';
import type { OrderManager } from '../order-manager.js';
import type { BrokerUpdate } from '../paper-broker.js';

/**
 * How the broker's reports for a candle reach the kernel before the candle is stepped: a simulated
 * venue fills at the candle's open and on its range; a real venue is polled for fills and order
 * updates. The feed applies them to the order manager, in order.
 */
export interface BrokerFeed {
  sync(series: SeriesKey, candle: Candle, om: OrderManager): Promise<void>;
}

/** A Broker that simulated time drives candle by candle (the PaperBroker). */
export interface CandleDrivenBroker extends Broker {
  onCandleOpen(series: SeriesKey, candle: Candle): BrokerUpdate;
  onCandleRange(series: SeriesKey, candle: Candle): BrokerUpdate;
}

/**
 * The feed of a simulated venue, in the order that keeps the simulation honest: the simulated
 * clock moves to the candle's close; market orders queued on earlier candles fill at this
 * candle's open (the manager applies the fills and arms stops for new positions); then resting
 * stops (adverse first), take-profits and limits are checked on this candle's range.
 */
export class SimulatedVenueFeed implements BrokerFeed {
  constructor(
    private readonly broker: CandleDrivenBroker,
    private readonly clock: ManualClock,
    private readonly timeframeMs: number,
  ) {}

  async sync(series: SeriesKey, candle: Candle, om: OrderManager): Promise<void> {
    this.clock.set(candle.openTimeMs + this.timeframeMs);
    const opened = this.broker.onCandleOpen(series, candle);
    if (opened.fills.length > 0 || opened.orders.length > 0) await om.applyUpdate(opened);
    const ranged = this.broker.onCandleRange(series, candle);
    if (ranged.fills.length > 0 || ranged.orders.length > 0) await om.applyUpdate(ranged);
  }
}
