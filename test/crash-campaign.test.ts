/**
 * A randomised crash campaign for the live trader (exchange simulator, real ccxt, real Redis): per
 * seed, a random run of decisions (flat, enter, add, exit); at a random step the process "dies"
 * after sending its orders but before its state is saved (the worst moment for a kill -9), and a
 * fresh trader restarts over the saved account and the same venue, gets the unsaved decision
 * redelivered (as the queue does) and trades on. Counted over every seed: orders placed twice under
 * one client id, and positions held without a protective stop — both must be 0.
 */
import fc from 'fast-check';
import { appendFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { AccountState, Trade } from '../src/execution/index.js';
import { AccountStore } from '../src/pipeline/index.js';
import { ACCOUNT, liveHarness, type LiveHarness } from './live-harness.js';

class DyingStore extends AccountStore {
  dead = false;
  override save(state: AccountState, trades?: readonly Trade[]): Promise<void> {
    return this.dead ? Promise.resolve() : super.save(state, trades);
  }
}

const totals = { runs: 0, crashes: 0, duplicates: 0, unprotected: 0, orders: 0 };
afterAll(() => {
  const file = process.env['WICK_TEST_FAULT_FIGURES'];
  if (file !== undefined && file !== '') appendFileSync(file, `${JSON.stringify({ crashCampaign: true, ...totals })}\n`);
});

async function audit(h: LiveHarness): Promise<{ duplicates: number; unprotected: number; orders: number }> {
  const orders = await h.simOrders();
  const perId = new Map<string, number>();
  for (const o of orders) perId.set(o.clientOrderId, (perId.get(o.clientOrderId) ?? 0) + 1);
  const duplicates = [...perId.values()].filter((n) => n > 1).length;
  const base = h.sim.balances().find((b) => b.asset === 'BTC');
  const held = (base?.free ?? 0) + (base?.locked ?? 0);
  // Dust below one step cannot carry a stop; anything above must.
  const protectedByStop = orders.some((o) => o.type === 'STOP_LOSS_LIMIT' && o.status === 'open' && o.side === 'sell');
  return { duplicates, unprotected: held >= 0.00001 && !protectedByStop ? 1 : 0, orders: orders.length };
}

describe('randomised crash campaign (live trader, crash between send and save, restart)', () => {
  it('over 8 seeds: no order twice under one client id, no position without a stop after the restart', async () => {
    const plan = fc.record({
      targets: fc.array(fc.constantFrom<number | null>(null, 0, 0.1, 0.2, 0.3), { minLength: 3, maxLength: 6 }),
      crashAt: fc.nat(5),
    });
    for (const { targets, crashAt } of fc.sample(plan, { numRuns: 8, seed: 1802 })) {
      const at = crashAt % targets.length;
      const h = await liveHarness();
      try {
        const store = new DyingStore(h.redis, h.prefix, ACCOUNT);
        const first = await h.startTrader({ accountStore: store });
        await first.accept(h.decision(0, null));
        for (let i = 0; i < at; i++) await first.accept(h.decision(i + 1, targets[i]!));
        store.dead = true;
        const unsaved = h.decision(at + 1, targets[at]!);
        await first.accept(unsaved);
        await first.stop(); // discarded: its last step was never saved
        totals.crashes++;
        const second = await h.startTrader();
        await second.accept(unsaved); // the queue redelivers the step that was not saved
        for (let i = at + 1; i < targets.length; i++) await second.accept(h.decision(i + 1, targets[i]!));
        const result = await audit(h);
        totals.runs++;
        totals.duplicates += result.duplicates;
        totals.unprotected += result.unprotected;
        totals.orders += result.orders;
        expect(result, JSON.stringify({ targets, at })).toMatchObject({ duplicates: 0, unprotected: 0 });
      } finally {
        await h.close();
      }
    }
    expect(totals.runs).toBe(8);
  }, 240_000);
});
