/**
 * Paper persistence against a real Redis: the paper account (books, resting stops in the simulated
 * venue, ledger, trade history, risk state) survives a restart — also a crash in the middle of a
 * step — and continues exactly as an uninterrupted run; a corrupt record is refused and left
 * untouched; `--fresh` archives the account and starts a new one.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountTrader } from '../src/app/daemon/account-trader.js';
import type { TraderItem } from '../src/app/daemon/time-ordered-trader.js';
import { simulatedVenue } from '../src/app/modes.js';
import { silentLogger, type Candle, type ClosedCandle, type SeriesKey } from '../src/core/index.js';
import { AccountStateError, DEFAULT_RISK, type AccountState, type Trade } from '../src/execution/index.js';
import { readCandles } from '../src/market/candle-csv.js';
import { SAMPLE_DATA_DIR } from '../src/market/candle-csv-shared-data.js';
import { AccountStore, deleteKeysWithPrefix } from '../src/pipeline/index.js';

const REDIS_URL = process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SERIES: SeriesKey = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const ACCOUNT = 'paper';
const N = 240;
let redis: Redis;
let candles: Candle[];
const prefixes: string[] = [];

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  candles = (await readCandles(`${SAMPLE_DATA_DIR}/BTC_USDT-1h.csv`)).slice(0, N);
});
afterAll(async () => {
  for (const p of prefixes) await deleteKeysWithPrefix(redis, p);
  redis.disconnect();
});

function newPrefix(): string {
  const p = `wick-test-paper-${randomUUID()}`;
  prefixes.push(p);
  return p;
}

/** A moving-average decision per candle: enough entries, exits and stop-outs to exercise the books. */
function item(i: number): TraderItem {
  const candle = candles[i] as Candle;
  const closes = candles.slice(Math.max(0, i - 20), i + 1).map((c) => c.close);
  const fast = closes.slice(-5).reduce((a, b) => a + b, 0) / Math.min(5, closes.length);
  const slow = closes.reduce((a, b) => a + b, 0) / closes.length;
  const target = i < 20 ? null : fast > slow ? 0.6 : 0;
  return {
    candle: { series: SERIES, candle } as ClosedCandle,
    intent:
      target === null
        ? null
        : {
            intentId: `i-${i}`,
            series: SERIES,
            candleOpenTimeMs: candle.openTimeMs,
            referencePriceQuote: candle.close,
            targetFraction: target,
            reason: 'ma',
            signal: fast / slow - 1,
          },
  };
}

function start(store: AccountStore, tradeFromMs?: number): Promise<AccountTrader> {
  return AccountTrader.start({
    ...(tradeFromMs !== undefined ? { tradeFromMs } : {}),
    account: ACCOUNT,
    series: [SERIES],
    store: { range: () => Promise.resolve([]) },
    logger: silentLogger,
    kernel: { orderManager: { account: ACCOUNT, initialCashQuote: 10_000, stops: { stopLoss: { kind: 'pct', pct: 0.015 } } }, risk: DEFAULT_RISK },
    venue: simulatedVenue({
      rules: { 'BTC/USDT': { symbol: 'BTC/USDT', tickSize: 0.01, stepSize: 0.00001, minQtyBase: 0.00001, minNotionalQuote: 5 } },
      fillModel: { slippageBps: 5, takerFeeBps: 10, makerFeeBps: 10 },
      initialCashQuote: 10_000,
      timeframe: '1h',
    }),
    accountStore: store,
    memory: { maxTrades: 5, maxPoints: 50 },
  });
}

async function run(trader: AccountTrader, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await trader.accept(item(i));
}

/** What must be the same after a restart: equity, cash, positions, open orders, all trades, risk. */
async function account(trader: AccountTrader, store: AccountStore) {
  const view = trader.kernel.view();
  const history = await store.trades(0, 10_000);
  return {
    equity: view.equityQuote,
    cash: view.cashQuote,
    positions: view.positions,
    openOrders: view.openOrders,
    risk: trader.kernel.risk.toJSON(),
    trades: history.trades,
    total: history.total,
    ledger: trader.ledger.toJSON(),
  };
}

/** A store whose saves stop: the process dies after the step's orders, before its state was written. */
class DyingStore extends AccountStore {
  dead = false;
  override save(state: AccountState, trades?: readonly Trade[]): Promise<void> {
    return this.dead ? Promise.resolve() : super.save(state, trades);
  }
}

describe('paper account in Redis (restart, crash, corrupt record, --fresh)', () => {
  let reference: Awaited<ReturnType<typeof account>>;

  beforeAll(async () => {
    const store = new AccountStore(redis, newPrefix(), ACCOUNT);
    const trader = await start(store);
    await run(trader, 0, N);
    reference = await account(trader, store);
    // The run must trade for the comparisons below to mean something; memory keeps a window only.
    expect(reference.total).toBeGreaterThan(4);
    expect(trader.ledger.closedTrades().length).toBeLessThanOrEqual(5);
    expect(reference.trades).toHaveLength(reference.total);
  });

  it('restarted (the old process simply gone) at several points, it ends with the same equity, positions, orders and trades', async () => {
    for (const cut of [37, 120, 201]) {
      const store = new AccountStore(redis, newPrefix(), ACCOUNT);
      await run(await start(store), 0, cut); // never stopped: a kill -9 leaves no goodbye
      const resumed = await start(store);
      expect(resumed.status).toBe('trading');
      await run(resumed, cut, N);
      expect(await account(resumed, store)).toEqual(reference);
    }
  });

  it('a crash after a step sent its orders but before its state was saved: the redelivered candle doubles nothing', async () => {
    const prefix = newPrefix();
    const dying = new DyingStore(redis, prefix, ACCOUNT);
    const first = await start(dying);
    await run(first, 0, 60);
    dying.dead = true;
    await run(first, 60, 62); // steps 60 and 61 happen, nothing of them is saved
    const store = new AccountStore(redis, prefix, ACCOUNT);
    // Restarted later (paper trades from the start-up hour): the saved account still resumes right after its last candle.
    const resumed = await start(store, (candles[70] as Candle).openTimeMs);
    await run(resumed, 60, N); // the pipeline redelivers the unsaved decisions
    expect(await account(resumed, store)).toEqual(reference);
  });

  it('a position resumed after a restart still has its stop resting in the simulated venue', async () => {
    const store = new AccountStore(redis, newPrefix(), ACCOUNT);
    const first = await start(store);
    let cut = 21;
    for (; cut < N; cut++) {
      await first.accept(item(cut - 1));
      if ((first.orderManager.position('BTC/USDT')?.qtyBase ?? 0) > 0) break;
    }
    const resumed = await start(store);
    const stops = resumed.kernel.view().openOrders.filter((o) => o.purpose === 'stop');
    expect(resumed.orderManager.position('BTC/USDT')?.qtyBase).toBeGreaterThan(0);
    expect(stops).toHaveLength(1);
    expect(stops[0]?.qtyBase).toBeCloseTo(resumed.orderManager.position('BTC/USDT')?.qtyBase ?? 0, 9);
  });

  it('refuses a corrupt record or an unknown schema version with what to do, and leaves it untouched', async () => {
    for (const raw of ['{"schemaVersion":2,"account":"paper"', JSON.stringify({ schemaVersion: 7, account: ACCOUNT })]) {
      const prefix = newPrefix();
      const store = new AccountStore(redis, prefix, ACCOUNT);
      await redis.set(store.key, raw);
      const refused = await start(store).then(
        () => null,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(AccountStateError);
      expect((refused as Error).message).toMatch(/refusing to trade on it|run the wick version that wrote it/);
      expect(await redis.get(store.key)).toBe(raw);
    }
  });

  it('--fresh archives the account (never deletes it) and starts a new one at the initial equity', async () => {
    const prefix = newPrefix();
    const store = new AccountStore(redis, prefix, ACCOUNT);
    await run(await start(store), 0, 120);
    const before = await redis.get(store.key);
    const archived = await store.archive(1_234);
    expect(archived).toBe(`${store.key}:archived:1234`);
    expect(await redis.get(`${store.key}:archived:1234`)).toBe(before);
    expect(await redis.llen(`${store.tradesKey}:archived:1234`)).toBeGreaterThan(0);
    const fresh = await start(store);
    expect(fresh.kernel.view().equityQuote).toBe(10_000);
    expect((await store.trades()).total).toBe(0);
  });
});
