import { Atr } from './indicators/atr.js';

/** The ATR period the trading kernel sizes entries and places ATR stops with. */
export const KERNEL_ATR_PERIOD = 14;

/** A fresh 14-candle ATR: the volatility gauge every mode hands the trading kernel (its state is saved with the account). */
export function atrGauge(): Atr {
  return new Atr(KERNEL_ATR_PERIOD);
}
