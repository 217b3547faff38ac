import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { computeMetrics } from './metrics.js';
import { sampleBacktestResult } from './report-sample.js';
import { backtestResultSchema, parseBacktestResult, serializeBacktestResult, type BacktestResult } from './result.js';

describe('BacktestResult JSON', () => {
  const result = sampleBacktestResult({ bars: 500 });

  it('round-trips through serialize → JSON.parse → parseBacktestResult', () => {
    const text = serializeBacktestResult(result);
    expect(text.endsWith('}\n')).toBe(true);
    const parsed = parseBacktestResult(JSON.parse(text));
    expect(parsed).toEqual(result);
  });

  it('writes one equity point and one trade per line', () => {
    const lines = serializeBacktestResult(result).split('\n');
    expect(lines.filter((l) => /^ {4}\[\d+,[-\d.e+]+\],?$/.test(l))).toHaveLength(result.equity.length + result.buyAndHoldEquity.length);
    expect(lines.filter((l) => l.startsWith('    {"symbol"'))).toHaveLength(result.trades.length);
  });

  it('writes undefined metrics as null, never NaN', () => {
    const flat = computeMetrics({
      equity: [
        [0, 100],
        [1, 100],
        [2, 100],
      ],
      trades: [],
      exposed: [false, false, false],
      barsPerYear: 8760,
    });
    const withNulls: BacktestResult = { ...result, metrics: { strategy: flat, buyAndHold: flat }, trades: [] };
    const text = serializeBacktestResult(withNulls);
    expect(text).not.toMatch(/NaN|Infinity/);
    expect(JSON.parse(text).metrics.strategy.sharpe).toBeNull();
    expect(parseBacktestResult(JSON.parse(text)).metrics.strategy.profitFactor).toBeNull();
    // a stray non-finite number still serialises as null
    const broken = { ...withNulls, metrics: { strategy: { ...flat, sharpe: Number.NaN, profitFactor: Infinity }, buyAndHold: flat } };
    const again = JSON.parse(serializeBacktestResult(broken));
    expect(again.metrics.strategy.sharpe).toBeNull();
    expect(again.metrics.strategy.profitFactor).toBeNull();
  });

  it('keeps extra config fields (each mode may add its own)', () => {
    const json = JSON.parse(serializeBacktestResult({ ...result, config: { ...result.config, policy: { threshold: 0.002 }, csv: 'btc.csv' } }));
    const parsed = parseBacktestResult(json);
    expect(parsed.config['policy']).toEqual({ threshold: 0.002 });
    expect(parsed.config['csv']).toBe('btc.csv');
  });

  it('rejects malformed files with the offending path', () => {
    const json = JSON.parse(serializeBacktestResult(result));
    const bad = (mutate: (j: typeof json) => void): unknown => {
      const copy = structuredClone(json);
      mutate(copy);
      return copy;
    };
    expect(() => parseBacktestResult(bad((j) => (j.version = 2)))).toThrow(ZodError);
    expect(() => parseBacktestResult(bad((j) => (j.metrics.strategy.sharpe = 'high')))).toThrow(ZodError);
    expect(() => parseBacktestResult(bad((j) => (j.trades = [{ ...j.trades[0], side: 'up' }])))).toThrow(ZodError);
    expect(() => parseBacktestResult(bad((j) => j.equity.reverse()))).toThrow(/ascend/);
    expect(() => parseBacktestResult(bad((j) => (j.config.timeframe = '7m')))).toThrow(ZodError);
    expect(backtestResultSchema.safeParse(bad((j) => (j.metrics.buyAndHold.maxDrawdown = Number.NaN))).success).toBe(false);
    const issue = backtestResultSchema.safeParse(bad((j) => (j.trades[0].pnl = 'x'))).error?.issues[0];
    expect(issue?.path).toEqual(['trades', 0, 'pnl']);
  });
});
