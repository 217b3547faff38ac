import { describe, expect, it } from 'vitest';
import { loadBtcUsdt1h, loadMalformed, recordingLogger } from '../../test/fixtures/ccxt/fake-exchange.js';
import { candleViolation, parseOhlcvPayload, parseOhlcvRow } from './ohlcv-payload.js';

const HOUR = 3_600_000;

describe('parseOhlcvPayload', () => {
  it('turns recorded Binance 1h rows into candles that do not alias ccxt arrays', () => {
    const rows = loadBtcUsdt1h();
    const log = recordingLogger();
    const { candles, rejected } = parseOhlcvPayload(rows, '1h', log);
    expect(rejected).toBe(0);
    expect(candles).toHaveLength(48);
    expect(candles[0]).toEqual({ openTimeMs: rows[0]![0], open: rows[0]![1], high: rows[0]![2], low: rows[0]![3], close: rows[0]![4], volume: rows[0]![5] });
    // ccxt overwrites its cached rows in place; a kept candle must not change with them.
    rows[0]![4] = 1;
    expect(candles[0]!.close).not.toBe(1);
    expect(log.records).toHaveLength(0);
  });

  it('rejects each malformed row with a reason in a warn line (object first) and keeps the good ones', () => {
    const log = recordingLogger();
    const { candles, rejected } = parseOhlcvPayload(loadMalformed(), '1h', log);
    expect(candles.map((c) => c.openTimeMs)).toEqual([1709251200000, 1709280000000]);
    expect(rejected).toBe(8);
    expect(log.records).toHaveLength(8);
    for (const r of log.records) {
      expect(r.level).toBe('warn');
      expect(r.msg).toBe('OHLCV row rejected');
      expect(typeof r.obj.reason).toBe('string');
    }
    const reasons = log.records.map((r) => String(r.obj.reason));
    expect(reasons[0]).toMatch(/malformed OHLCV row: \[5\]/); // null volume
    expect(reasons[1]).toMatch(/\[1\]/); // price as a string
    expect(reasons[2]).toMatch(/high 61300 is below max/);
    expect(reasons[3]).toMatch(/not aligned/);
    expect(reasons[4]).toMatch(/open 0 must be a finite price > 0/);
    expect(reasons[5]).toMatch(/volume -3 must be/);
    expect(reasons[6]).toMatch(/malformed/); // 5 cells
    expect(reasons[7]).toMatch(/malformed/); // null row
  });

  it('counts a payload that is not an array as one rejected row', () => {
    const log = recordingLogger();
    expect(parseOhlcvPayload({ error: 'x' }, '1h', log)).toEqual({ candles: [], rejected: 1 });
    expect(log.records[0]?.level).toBe('warn');
  });

  it('rejects undefined volume, NaN and Infinity, and extra cells', () => {
    expect(parseOhlcvRow([0, 1, 1, 1, 1, undefined], HOUR).ok).toBe(false);
    expect(parseOhlcvRow([0, Number.NaN, 1, 1, 1, 1], HOUR).ok).toBe(false);
    expect(parseOhlcvRow([0, 1, Number.POSITIVE_INFINITY, 1, 1, 1], HOUR).ok).toBe(false);
    expect(parseOhlcvRow([0, 1, 1, 1, 1, 1, 7], HOUR).ok).toBe(false);
    expect(parseOhlcvRow([-HOUR, 1, 1, 1, 1, 1], HOUR).ok).toBe(false);
    expect(parseOhlcvRow([HOUR, 1, 1, 1, 1, 0], HOUR)).toEqual({ ok: true, candle: { openTimeMs: HOUR, open: 1, high: 1, low: 1, close: 1, volume: 0 } });
  });

  it('applies the CSV rules to candles', () => {
    const ok = { openTimeMs: 0, open: 10, high: 12, low: 9, close: 11, volume: 5 };
    expect(candleViolation(ok, HOUR)).toBeUndefined();
    expect(candleViolation({ ...ok, low: 10.5 }, HOUR)).toMatch(/low 10.5 is above/);
    expect(candleViolation({ ...ok, high: 10.5 }, HOUR)).toMatch(/high 10.5 is below/);
    expect(candleViolation({ ...ok, close: -1 }, HOUR)).toMatch(/close -1/);
    expect(candleViolation({ ...ok, openTimeMs: 60_000 }, HOUR)).toMatch(/aligned/);
  });
});
