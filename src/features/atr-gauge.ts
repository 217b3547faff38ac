import { createIndicator } from './registry.js';
import type { StreamingIndicator } from './indicator.js';

/** The ATR period the trading kernel sizes entries and places ATR stops with. */
export const KERNEL_ATR_PERIOD = 14;

/** A fresh 14-candle ATR: the volatility gauge every mode hands the trading kernel. */
export function atrGauge(): StreamingIndicator {
  return createIndicator({ id: 'atr', kind: 'atr', params: { period: KERNEL_ATR_PERIOD } });
}
