import type { Candle } from '../core/candle.js';
import { DataError } from '../core/errors.js';

export interface CandleGap {
  /** Open time of the last candle before the gap. */
  readonly afterOpenTimeMs: number;
  /** Candles missing between it and the next candle. */
  readonly missingCount: number;
}

/** Gaps in an ascending candle series. Throws DataError on unordered or misaligned open times. */
export function findGaps(candles: readonly Candle[], timeframeMs: number): CandleGap[] {
  const gaps: CandleGap[] = [];
  for (let i = 1; i < candles.length; i++) {
    const prev = candles[i - 1]!.openTimeMs;
    const step = candles[i]!.openTimeMs - prev;
    if (step === timeframeMs) continue;
    if (!(step > 0) || step % timeframeMs !== 0) {
      throw new DataError(`candle ${i} opens at ${candles[i]!.openTimeMs}, ${step} ms after the previous one: not a positive multiple of ${timeframeMs} ms`);
    }
    gaps.push({ afterOpenTimeMs: prev, missingCount: step / timeframeMs - 1 });
  }
  return gaps;
}
