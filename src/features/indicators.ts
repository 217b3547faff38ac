/**
 * Streaming indicators, written here rather than taken from trading-signals.
 *
 * trading-signals (8.3) has the right shape (update one value at a time) but its classes keep
 * their windows in plain arrays (`pushUpdate` shifts and pushes), recompute SMA and standard
 * deviation over the whole window on every update (`getAverage`, `values.map(...)` allocates two
 * arrays per Bollinger update), store result objects per update (MACD, Bollinger), and support
 * `replace` bookkeeping we do not need. That is O(period) work and garbage per candle, far from the
 * 1,000,000 candles/s the feature engine must reach. Its EMA is also seeded with the first price
 * rather than an SMA. So the indicators below are our own: O(1) per candle, preallocated
 * Float64Array rings, no allocation per update, and drift-free rolling sums (RollingStats).
 * trading-signals and technicalindicators stay as oracles in the tests (indicators.oracle.test.ts).
 */
export type { StreamingIndicator } from './indicator.js';
export { RollingStats } from './indicators/rolling-stats.js';
export { CloseRatio, LogReturn } from './indicators/price-change.js';
export { Sma } from './indicators/sma.js';
export { Ema, EmaState } from './indicators/ema.js';
export { WilderState } from './indicators/wilder.js';
export { Rsi } from './indicators/rsi.js';
export { Macd, type MacdOutput } from './indicators/macd.js';
export { Atr } from './indicators/atr.js';
export { Bollinger, type BollingerOutput } from './indicators/bollinger.js';
export { LogReturnVolatility } from './indicators/volatility.js';
export { VolumeZScore } from './indicators/volume-zscore.js';
export { VwapDeviation } from './indicators/vwap.js';
export { RelativeToClose } from './indicators/relative.js';
