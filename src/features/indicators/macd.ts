import type { Candle } from '../../core/candle.js';
import type { StreamingIndicator } from '../indicator.js';
import { EmaState } from './ema.js';

export type MacdOutput = 'line' | 'signal' | 'hist';

/**
 * MACD on closes: line = EMA(fast) - EMA(slow), signal = EMA(signal) of the line, hist = line -
 * signal. Every EMA is SMA-seeded (see EmaState), the signal EMA starting with the first line
 * value, as technicalindicators' MACD with SimpleMAOscillator/SimpleMASignal = false. In price
 * units; see RelativeToClose for the scale-free variant.
 *
 * One instance reports one output: a spec that lists line, signal and hist runs three small
 * instances (3 EMA steps each) rather than sharing state, which keeps every feature independent.
 */
export class Macd implements StreamingIndicator {
  readonly warmup: number;
  private readonly fast: EmaState;
  private readonly slow: EmaState;
  private readonly signal: EmaState;
  private out = NaN;

  constructor(
    fastPeriod: number,
    slowPeriod: number,
    signalPeriod: number,
    private readonly output: MacdOutput,
  ) {
    const lineWarmup = Math.max(fastPeriod, slowPeriod);
    this.warmup = output === 'line' ? lineWarmup : lineWarmup + signalPeriod - 1;
    this.fast = new EmaState(fastPeriod);
    this.slow = new EmaState(slowPeriod);
    this.signal = new EmaState(signalPeriod);
  }

  update(c: Candle): void {
    const line = this.fast.push(c.close) - this.slow.push(c.close);
    if (line !== line) return;
    const output = this.output;
    if (output === 'line') {
      this.out = line;
      return;
    }
    const signal = this.signal.push(line);
    this.out = output === 'signal' ? signal : line - signal;
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.fast.reset();
    this.slow.reset();
    this.signal.reset();
    this.out = NaN;
  }
}
