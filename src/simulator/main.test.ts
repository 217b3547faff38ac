import { describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../core/index.js';
import { parseCandleCsv } from './candle-file.js';
import { alignCandlesToNow, parseSimulatorArgs } from './main.js';

describe('parseSimulatorArgs', () => {
  it('reads flags over environment', () => {
    const cfg = parseSimulatorArgs(['--market', 'BTC/USDT=a.csv', '--market', 'ETH/USDT=b.csv', '--port', '0', '--speed', '60'], {
      SIM_MARKETS: 'SOL/USDT=c.csv',
      SIM_PORT: '9000',
      SIM_BALANCES: 'USDT=500,BTC=1',
      SIM_TIMEFRAME: '15m',
    });
    expect(cfg.markets).toEqual([
      { symbol: 'BTC/USDT', csvPath: 'a.csv' },
      { symbol: 'ETH/USDT', csvPath: 'b.csv' },
    ]);
    expect(cfg).toMatchObject({ port: 0, speed: 60, timeframe: '15m', host: '127.0.0.1', balances: { USDT: 500, BTC: 1 }, feeRate: 0.001 });
  });

  it('says what is wrong', () => {
    expect(() => parseSimulatorArgs([], {})).toThrow(ConfigError);
    expect(() => parseSimulatorArgs(['--market', 'BTC/USDT'], {})).toThrow(/KEY=VALUE/);
    expect(() => parseSimulatorArgs(['--market', 'BTC/USDT=a.csv', '--timeframe', '2w'], {})).toThrow(/timeframe/);
    expect(() => parseSimulatorArgs(['--market', 'BTC/USDT=a.csv', '--port', 'x'], {})).toThrow(/port/);
  });
});

describe('parseCandleCsv', () => {
  it('parses rows after a header', () => {
    const rows = parseCandleCsv('timestamp,open,high,low,close,volume\n1000,1,2,0.5,1.5,10\n2000,1.5,2,1,1.2,3\n');
    expect(rows).toEqual([
      { openTimeMs: 1000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 },
      { openTimeMs: 2000, open: 1.5, high: 2, low: 1, close: 1.2, volume: 3 },
    ]);
  });

  it('rejects bad rows with their line number', () => {
    expect(() => parseCandleCsv('1000,1,2,0.5,1.5,10\n1000,1,2,0.5,1.5,10', 'x.csv')).toThrow(/x\.csv, line 2/);
    expect(() => parseCandleCsv('1000,1,2,abc,1.5,10')).toThrow(DataError);
    expect(() => parseCandleCsv('')).toThrow(/no candles/);
  });
});

describe('alignCandlesToNow (the `wick live` sandbox)', () => {
  it('shifts every market by one offset so the start candle opens at the current hour', () => {
    const H = 3_600_000;
    const candles = (base: number) => Array.from({ length: 5 }, (_, i) => ({ openTimeMs: base + i * H, open: 1, high: 1, low: 1, close: 1, volume: 1 }));
    const now = Date.UTC(2026, 10, 22, 23, 41, 7);
    const { markets, offsetMs } = alignCandlesToNow(
      [
        { symbol: 'BTC/USDT', candles: candles(0) },
        { symbol: 'ETH/USDT', candles: candles(H) },
      ],
      H,
      now,
      2,
    );
    expect(markets[0]?.candles?.[2]?.openTimeMs).toBe(Date.UTC(2026, 10, 22, 23));
    expect(markets[1]?.candles?.[1]?.openTimeMs).toBe(Date.UTC(2026, 10, 22, 23));
    expect(offsetMs).toBe(Date.UTC(2026, 10, 22, 23) - 2 * H);
    expect(parseSimulatorArgs(['--market', 'BTC/USDT=x.csv', '--align-to-now', '1'], {}).alignToNow).toBe(true);
    expect(parseSimulatorArgs(['--market', 'BTC/USDT=x.csv'], {}).alignToNow).toBe(false);
  });
});
