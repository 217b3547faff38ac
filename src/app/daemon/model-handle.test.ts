import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { manifestSchema } from '../../model/manifest.js';
import { modelAt } from '../../pipeline/index.js';
import { unservableReason } from './model-handle.js';

const manifest = async () => manifestSchema.parse(JSON.parse(await readFile(new URL('../../../models/default/manifest.json', import.meta.url), 'utf8')));

describe('unservableReason', () => {
  it('refuses a model of another timeframe and one whose warm-up + window exceeds the candle store', async () => {
    const m = await manifest();
    const series = [{ exchange: 'x', symbol: 'BTC/USDT', timeframe: m.timeframe }];
    expect(unservableReason(m, series, 5_000)).toBeNull();
    expect(unservableReason(m, [{ ...series[0]!, timeframe: m.timeframe === '4h' ? '1h' : '4h' }], 5_000)).toMatch(
      /trained on .* candles but the daemon trades/,
    );
    expect(unservableReason(m, series, m.windowLength)).toMatch(
      new RegExp(`needs \\d+ candles of history \\(feature warm-up \\+ window ${m.windowLength}\\) but the candle store keeps ${m.windowLength}`),
    );
  });
});

describe('modelAt', () => {
  it('picks the last switch at or before the candle, the first one for earlier candles, the later of two at the same time', () => {
    const s = [
      { id: 'a', fromMs: 100, scheduledAtMs: 0 },
      { id: 'b', fromMs: 200, scheduledAtMs: 1 },
      { id: 'c', fromMs: 200, scheduledAtMs: 2 },
    ];
    expect(modelAt(s, 50)?.id).toBe('a');
    expect(modelAt(s, 199)?.id).toBe('a');
    expect(modelAt(s, 200)?.id).toBe('c');
    expect(modelAt([], 5)).toBeNull();
  });
});
