/**
 * The real ccxt client (binance, ccxt.pro) against the local exchange simulator over loopback:
 * closed candles through websocket pushes, a dropped socket, and a silent one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Candle, ClosedCandle, SeriesKey } from '../core/candle.js';
import { HOUR, T0, loadBtcUsdt1h, recordingLogger } from '../../test/fixtures/ccxt/fake-exchange.js';
import { startExchangeSimulator, type SimulatorHandle } from '../simulator/simulator.js';
import { createCcxtExchange } from './ccxt-client.js';
import { CcxtCandleSource } from './ccxt-candle-source.js';

const CANDLES: Candle[] = loadBtcUsdt1h().map(([openTimeMs, open, high, low, close, volume]) => ({
  openTimeMs: openTimeMs!,
  open: open!,
  high: high!,
  low: low!,
  close: close!,
  volume: volume!,
}));
const BTC: SeriesKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const closers: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

/** Reads from the iterator until `count` candles arrived (or fails after `timeoutMs`). */
async function take(it: AsyncIterator<ClosedCandle>, count: number, timeoutMs = 10_000): Promise<ClosedCandle[]> {
  const got: ClosedCandle[] = [];
  const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${got.length}/${count} candles`)), timeoutMs).unref());
  while (got.length < count) {
    const r = await Promise.race([it.next(), deadline]);
    if (r.done === true) throw new Error('source ended early');
    got.push(r.value);
  }
  return got;
}

describe('CcxtCandleSource against the exchange simulator', () => {
  it('seeds over REST, emits closes from pushed klines, and survives a dropped and a silent socket without gaps', async () => {
    const sim: SimulatorHandle = await startExchangeSimulator({
      markets: [{ symbol: 'BTC/USDT', candles: CANDLES, timeframe: '1h' }],
      startTimeMs: T0 + 20 * HOUR + 30 * 60_000,
    });
    closers.push(() => sim.close());
    const exchange = await createCcxtExchange({ exchangeId: 'binance', urls: { rest: sim.restUrl, ws: sim.wsUrl }, timeoutMs: 3_000 });
    const log = recordingLogger();
    const source = new CcxtCandleSource({
      exchange,
      series: [BTC],
      clock: { nowMs: () => sim.nowMs() },
      logger: log,
      seedCount: 5,
      backoffBaseMs: 50,
      backoffMaxMs: 500,
      silenceMs: 2_000,
    });
    closers.push(() => source.close());
    const it = source.closedCandles()[Symbol.asyncIterator]();

    const seeded = await take(it, 5);
    expect(seeded.map((c) => c.candle)).toEqual(CANDLES.slice(15, 20));
    await sim.waitForSubscription('btcusdt@kline_1h', 5_000);

    // Two boundaries pass: the final klines arrive as pushes.
    sim.advanceTo(T0 + 22 * HOUR + 10 * 60_000);
    expect((await take(it, 2)).map((c) => c.candle)).toEqual(CANDLES.slice(20, 22));

    // The socket drops; three candles close while ccxt is away. The redial backfills them.
    sim.faults.dropWebSockets();
    sim.advanceTo(T0 + 25 * HOUR + 10 * 60_000);
    expect((await take(it, 3)).map((c) => c.candle)).toEqual(CANDLES.slice(22, 25));
    expect(log.records.some((r) => r.level === 'warn' && r.obj.errorName === 'NetworkError')).toBe(true);

    // The socket stays open but goes silent across a boundary. The grace timer closes the candle
    // and its final values come over REST (the last websocket update was from 10 minutes in).
    await sim.waitForSubscription('btcusdt@kline_1h', 5_000);
    sim.faults.stallWebSockets({ answerPings: true });
    sim.advanceTo(T0 + 26 * HOUR + 10 * 60_000);
    expect((await take(it, 1)).map((c) => c.candle)).toEqual(CANDLES.slice(25, 26));
    // Still silent: the watchdog closes the socket and the loop redials.
    await expect.poll(() => source.stats.watchdogTrips, { timeout: 8_000 }).toBeGreaterThanOrEqual(1);
    expect(log.records.some((r) => r.level === 'warn' && typeof r.obj.silentForMs === 'number')).toBe(true);
    sim.faults.resumeWebSockets();
    await sim.waitForSubscription('btcusdt@kline_1h', 5_000);
    sim.advanceTo(T0 + 27 * HOUR + 10 * 60_000);
    expect((await take(it, 1)).map((c) => c.candle)).toEqual(CANDLES.slice(26, 27));

    await source.close();
    expect(await it.next()).toEqual({ value: undefined, done: true });
    expect(source.stats.emitted).toBe(12);
  }, 30_000);
});
