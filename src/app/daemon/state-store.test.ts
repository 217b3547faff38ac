import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_RISK, OrderManager, RiskEngine } from '../../execution/index.js';
import { ManualClock } from '../../core/index.js';
import { LIVE_STATE_VERSION, LiveStateStore, type LiveTraderState } from './state-store.js';

const redis = new Redis(process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const prefix = `wick-test-state-${process.pid}-${Date.now()}`;
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

function state(): LiveTraderState {
  const clock = new ManualClock(0);
  const risk = new RiskEngine(DEFAULT_RISK, clock);
  const om = new OrderManager({ account: 'a', initialCashQuote: 1000 }, { broker: {} as never, risk, clock });
  return { schemaVersion: LIVE_STATE_VERSION, account: 'a', savedAtMs: 1, orderManager: om.toJSON(), risk: risk.toJSON(), lastCandleOpenTimeMs: { 'x BTC/USDT 1h': 5 }, fillCursorMs: { 'BTC/USDT': 7 } };
}

describe('LiveStateStore', () => {
  it('round-trips a state under <prefix>:live:<account>:state', async () => {
    const store = new LiveStateStore(redis, prefix, 'a');
    expect(await store.load()).toBeNull();
    await store.save(state());
    expect(store.key).toBe(`${prefix}:live:a:state`);
    const back = await store.load();
    expect(back?.orderManager.cashQuote).toBe(1000);
    expect(back?.lastCandleOpenTimeMs).toEqual({ 'x BTC/USDT 1h': 5 });
  });

  it('refuses an unknown schema version, a broken document and another account, saying why', async () => {
    const store = new LiveStateStore(redis, prefix, 'b');
    await redis.set(store.key, JSON.stringify({ ...state(), account: 'b', schemaVersion: 99 }));
    await expect(store.load()).rejects.toThrow(/schema version 99; this wick reads version 1 only/);
    await redis.set(store.key, JSON.stringify({ ...state(), account: 'b', orderManager: { cashQuote: 'lots' } }));
    await expect(store.load()).rejects.toThrow(/does not validate \(orderManager\.cashQuote/);
    await redis.set(store.key, '{not json');
    await expect(store.load()).rejects.toThrow(/is not JSON/);
    await redis.set(store.key, JSON.stringify(state()));
    await expect(store.load()).rejects.toThrow(/belongs to account "a"/);
  });
});
