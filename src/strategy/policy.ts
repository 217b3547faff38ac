import type { OrderIntent, Prediction, SeriesKey } from '../core/index.js';
import { seriesId } from '../core/index.js';

/** Turns one prediction (of one closed candle) into an intent, or null for "no opinion: hold". */
export interface Policy {
  decide(prediction: Prediction, referencePriceQuote: number): OrderIntent | null;
  /** The value the last decision compared with its levels (an averaged ratio, a smoothed probability); charts draw it. */
  readonly lastSignal?: number;
  /** The levels that value is compared with: enter above `enter`, exit below `exit`. */
  readonly signalLevels?: { readonly enter: number; readonly exit: number };
}

/** Deterministic intent id from series and candle: a duplicate decision is recognisable. */
export function intentId(series: SeriesKey, candleOpenTimeMs: number): string {
  return `${seriesId(series)}-${candleOpenTimeMs}`;
}

/**
 * Per-series state lookup that avoids building the series id string on every candle when callers
 * reuse their SeriesKey objects (a backtest does), and still works when they do not.
 */
export class SeriesStates<S> {
  private readonly byObject = new WeakMap<SeriesKey, S>();
  private readonly byId = new Map<string, S>();

  constructor(private readonly create: (series: SeriesKey, id: string) => S) {}

  get(series: SeriesKey): S {
    let s = this.byObject.get(series);
    if (s !== undefined) return s;
    const id = seriesId(series);
    s = this.byId.get(id);
    if (s === undefined) {
      s = this.create(series, id);
      this.byId.set(id, s);
    }
    this.byObject.set(series, s);
    return s;
  }
}
