/**
 * Shared set-up of the live end-to-end tests: the exchange simulator (real ccxt client), a real Redis
 * for the trader's state, a LiveTrader driven directly with decisions, captured JSON logs, and the
 * two safety checks every scenario ends with (no duplicate order per client id, no unprotected position).
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { Exchange } from 'ccxt';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { AccountTrader, type AccountTraderOptions } from '../src/app/daemon/account-trader.js';
import type { TraderItem } from '../src/app/daemon/time-ordered-trader.js';
import { exchangeVenue } from '../src/app/modes.js';
import { AccountStore } from '../src/pipeline/index.js';
import type { ClosedCandle, OrderIntent, SeriesKey } from '../src/core/index.js';
import { CcxtBroker } from '../src/execution/brokers/ccxt-broker.js';
import { RateBudget } from '../src/execution/brokers/rate-budget.js';
import { DEFAULT_RISK } from '../src/execution/index.js';
import { createCcxtExchange } from '../src/market/ccxt-client.js';
import { createLogger } from '../src/obs/logger.js';
import { startExchangeSimulator, type SimulatorHandle, type ExchangeSimulatorOptions } from '../src/simulator/simulator.js';

export const REDIS_URL = process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const SYMBOL = 'BTC/USDT';
export const SERIES: SeriesKey = { exchange: 'binance', symbol: SYMBOL, timeframe: '1h' };
export const H = 3_600_000;
export const T0 = Date.UTC(2024, 0, 1);
export const ACCOUNT = 'live-e2e';

export interface LiveHarness {
  readonly sim: SimulatorHandle;
  readonly redis: Redis;
  readonly prefix: string;
  readonly logs: Record<string, unknown>[];
  /** Starts the live composition's trader (fresh ccxt client and CcxtBroker, reconciled venue) over the account saved under `prefix`. */
  startTrader(overrides?: Partial<AccountTraderOptions> & { apiKey?: string; secret?: string }): Promise<AccountTrader>;
  /** Moves the simulator to the close of hour `i` and returns the decision taken on that candle. */
  decision(i: number, targetFraction: number | null): TraderItem;
  /** Every order the simulator holds (allOrders), through a fault-free ccxt client. */
  simOrders(): Promise<Array<{ clientOrderId: string; type: string; side: string; status: string }>>;
  hasLog(pattern: RegExp): boolean;
  close(): Promise<void>;
}

export async function liveHarness(
  options: { prices?: readonly number[]; balances?: Record<string, number>; sim?: Partial<ExchangeSimulatorOptions> } = {},
): Promise<LiveHarness> {
  const prices = options.prices ?? [100, 100, 101, 102, 103, 104, 105, 106];
  const pricePath = prices.map((price, i) => ({ timeMs: T0 + i * H, price }));
  const sim = await startExchangeSimulator({
    markets: [{ symbol: SYMBOL, pricePath }],
    balances: options.balances ?? { USDT: 10_000 },
    startTimeMs: T0 + 60_000,
    ...options.sim,
  });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const prefix = `wick-test-live-${randomUUID()}`;
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ level: 'debug', format: 'json', secrets: [], destination: sink });
  const clients: Exchange[] = [];
  const traders: AccountTrader[] = [];
  const clock = { nowMs: () => sim.nowMs() };
  let checker: Exchange | null = null;

  return {
    sim,
    redis,
    prefix,
    logs,
    async startTrader(overrides = {}) {
      const { apiKey = 'k', secret = 's', ...rest } = overrides;
      const ex = await createCcxtExchange({ exchangeId: 'binance', apiKey, secret, urls: { rest: sim.restUrl, ws: sim.wsUrl }, timeoutMs: 1000 });
      clients.push(ex);
      const broker = await CcxtBroker.create(ex, {
        symbols: [SYMBOL],
        sleep: () => Promise.resolve(),
        rateBudget: new RateBudget({ burst: 1000, perSecond: 1000 }),
        reconcile: { lookups: 3, delayMs: 0, notFoundConfirmations: 2 },
        clock,
        logger,
      });
      const trader = await AccountTrader.start({
        account: ACCOUNT,
        series: [SERIES],
        store: { range: () => Promise.resolve([]) },
        logger: logger.child({ component: 'trader' }),
        kernel: { orderManager: { account: ACCOUNT, initialCashQuote: 10_000 }, risk: DEFAULT_RISK },
        venue: exchangeVenue({ broker, account: ACCOUNT, symbols: [SYMBOL], clock, logger }),
        accountStore: new AccountStore(redis, prefix, ACCOUNT, logger),
        pollIntervalMs: 0,
        reconcileIntervalMs: 0,
        retryIntervalMs: 0,
        referencePriceQuote: () => sim.priceOf(SYMBOL),
        ...rest,
      });
      traders.push(trader);
      return trader;
    },
    decision(i, targetFraction) {
      sim.advanceTo(T0 + (i + 1) * H);
      const close = sim.priceOf(SYMBOL);
      const openTimeMs = T0 + i * H;
      const candle: ClosedCandle = { series: SERIES, candle: { openTimeMs, open: close, high: close, low: close, close, volume: 1 } } as ClosedCandle;
      const intent: OrderIntent | null =
        targetFraction === null
          ? null
          : { intentId: `i-${i}`, series: SERIES, candleOpenTimeMs: openTimeMs, referencePriceQuote: close, targetFraction, reason: 'test', signal: 0.01 };
      return { candle, intent };
    },
    async simOrders() {
      sim.faults.clear();
      checker ??= await createCcxtExchange({ exchangeId: 'binance', apiKey: 'k', secret: 's', urls: { rest: sim.restUrl, ws: sim.wsUrl }, timeoutMs: 2000 });
      const rows = await checker.fetchOrders(SYMBOL);
      return rows.map((o) => ({
        clientOrderId: String(o.clientOrderId),
        type: String((o.info as Record<string, unknown>)['type']),
        side: String(o.side),
        status: String(o.status),
      }));
    },
    hasLog(pattern) {
      return logs.some((l) => pattern.test(String(l['msg'])));
    },
    async close() {
      for (const t of traders) await t.stop();
      for (const c of [...clients, ...(checker !== null ? [checker] : [])]) await c.close();
      await redis.del(`${prefix}:account:${ACCOUNT}:state`, `${prefix}:account:${ACCOUNT}:trades`);
      redis.disconnect();
      await sim.close();
    },
  };
}

/** Every scenario's safety checks: no client id placed twice; every open position protected. */
export async function expectSafe(h: LiveHarness, trader: AccountTrader | null): Promise<{ ordersPlaced: number }> {
  const orders = await h.simOrders();
  const perId = new Map<string, number>();
  for (const o of orders) perId.set(o.clientOrderId, (perId.get(o.clientOrderId) ?? 0) + 1);
  const duplicates = [...perId].filter(([, n]) => n > 1);
  expect(duplicates, 'orders placed twice under one client id').toEqual([]);
  const base = h.sim.balances().find((b) => b.asset === 'BTC');
  const held = (base?.free ?? 0) + (base?.locked ?? 0);
  if (held > 1e-9) {
    const stop = orders.some((o) => o.type === 'STOP_LOSS_LIMIT' && o.status === 'open' && o.side === 'sell');
    const guard = trader?.orderManager.guard(SYMBOL);
    expect(stop || (guard !== null && guard !== undefined && !guard.native), `position of ${held} BTC without a stop`).toBe(true);
  }
  return { ordersPlaced: orders.length };
}

/** Figures of the running test for `npm run test:faults` (scripts/test-faults.ts sets WICK_TEST_FAULT_FIGURES). */
export function recordFigures(scenario: string, figures: Record<string, number | string>): void {
  const file = process.env['WICK_TEST_FAULT_FIGURES'];
  const test = (expect.getState().currentTestName ?? '').split(' > ').join(' ');
  if (file !== undefined && file !== '') appendFileSync(file, `${JSON.stringify({ test, scenario, ...figures })}\n`);
}
