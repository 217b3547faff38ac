/** One OHLCV candle. `openTimeMs` is the candle's open time in UTC epoch milliseconds. */
export interface Candle {
  readonly openTimeMs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Base-asset volume over the candle. */
  readonly volume: number;
}

export const TIMEFRAMES = ['1m', '5m', '15m', '30m', '1h', '4h', '1d'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

const TIMEFRAME_MS: Readonly<Record<Timeframe, number>> = Object.freeze({
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
});

export function isTimeframe(value: string): value is Timeframe {
  return (TIMEFRAMES as readonly string[]).includes(value);
}

export function timeframeMs(timeframe: Timeframe): number {
  return TIMEFRAME_MS[timeframe];
}

/** Bars per 365-day year for a timeframe (8,760 for 1h), used to annualise metrics. */
export function barsPerYear(timeframe: Timeframe): number {
  return (365 * 86_400_000) / TIMEFRAME_MS[timeframe];
}

/** A series is one market's candles at one timeframe, e.g. binance BTC/USDT 1h. */
export interface SeriesKey {
  readonly exchange: string;
  readonly symbol: string;
  readonly timeframe: Timeframe;
}

/** Stable, queue- and Redis-safe id of a series: no ':' (bullmq rejects it in job ids). */
export function seriesId(key: SeriesKey): string {
  return `${key.exchange}.${key.symbol.replace('/', '-')}.${key.timeframe}`;
}

/** A candle that is known to be closed, tagged with its series. */
export interface ClosedCandle {
  readonly series: SeriesKey;
  readonly candle: Candle;
}
