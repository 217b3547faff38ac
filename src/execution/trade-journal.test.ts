import { describe, expect, it } from 'vitest';
import type { Fill } from '../core/index.js';
import { TradeJournal } from './trade-journal.js';

let seq = 0;
function fill(side: 'buy' | 'sell', qtyBase: number, priceQuote: number, feeQuote: number, timeMs: number, symbol = 'BTC/USDT'): Fill {
  seq++;
  return { tradeId: `t${seq}`, clientOrderId: `c${seq}`, symbol, side, qtyBase, priceQuote, feeQuote, timeMs };
}

describe('TradeJournal', () => {
  it('one long round trip: prices, fees and net pnl by hand', () => {
    const j = new TradeJournal();
    j.record(fill('buy', 2, 100, 0.2, 1), 'entry');
    j.record(fill('sell', 2, 110, 0.22, 5), 'stop');
    // gross (110 - 100) * 2 = 20; fees 0.42; net 19.58
    expect(j.trades).toHaveLength(1);
    const [t] = j.trades;
    expect(t).toMatchObject({ symbol: 'BTC/USDT', side: 'long', entryTimeMs: 1, entryPrice: 100, exitTimeMs: 5, exitPrice: 110, qty: 2, exitReason: 'stop' });
    expect(t?.fee).toBeCloseTo(0.42, 12);
    expect(t?.pnl).toBeCloseTo(19.58, 12);
  });

  it('scales in and out: weighted entry and exit prices', () => {
    const j = new TradeJournal();
    j.record(fill('buy', 1, 100, 0, 1), 'entry');
    j.record(fill('buy', 3, 120, 0, 2), 'entry');
    j.record(fill('sell', 2, 130, 0, 3), 'exit');
    expect(j.trades).toHaveLength(0);
    j.record(fill('sell', 2, 90, 0, 4), 'exit');
    const [t] = j.trades;
    // entry avg (100 + 360) / 4 = 115; exit avg (260 + 180) / 4 = 110; pnl (130-115)*2 + (90-115)*2 = -20
    expect(t).toMatchObject({ entryPrice: 115, exitPrice: 110, qty: 4, pnl: -20, exitReason: 'signal' });
  });

  it('a flip closes one trade and opens the next, splitting the fee', () => {
    const j = new TradeJournal();
    j.record(fill('buy', 1, 100, 0, 1), 'entry');
    j.record(fill('sell', 3, 100, 3, 2), 'exit');
    expect(j.trades[0]).toMatchObject({ side: 'long', fee: 1, pnl: -1 });
    j.record(fill('buy', 2, 90, 0, 3), 'exit');
    expect(j.trades[1]).toMatchObject({ side: 'short', entryPrice: 100, exitPrice: 90, qty: 2, fee: 2, pnl: 18 });
  });

  it('closes open trades at the marks at the end of the data, without inventing a fee', () => {
    const j = new TradeJournal();
    j.record(fill('buy', 1, 100, 0.1, 1, 'ETH/USDT'), 'entry');
    j.closeAll(new Map([['ETH/USDT', { priceQuote: 105, timeMs: 9 }]]));
    expect(j.trades[0]).toMatchObject({ symbol: 'ETH/USDT', exitPrice: 105, exitTimeMs: 9, fee: 0.1, pnl: 4.9, exitReason: 'end_of_data' });
  });
});
