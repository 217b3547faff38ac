import type { Fill, OrderPurpose } from '../core/index.js';

/** One round trip: opened at entry, closed at exit. `fee` is entry + exit fees; `pnl` is net of them. */
export interface Trade {
  readonly symbol: string;
  readonly side: 'long' | 'short';
  readonly entryTimeMs: number;
  readonly entryPrice: number;
  readonly exitTimeMs: number;
  readonly exitPrice: number;
  /** Base-asset quantity, positive for both sides. */
  readonly qty: number;
  /** Quote currency, entry plus exit fees. */
  readonly fee: number;
  /** Quote currency, net of fees. */
  readonly pnl: number;
  /** Why the position closed: 'signal', 'stop', 'take_profit', 'end_of_data', ... */
  readonly exitReason: string;
}

/** A trade still open (JSON-safe; part of the persisted account state). */
export interface OpenTrade {
  side: 'long' | 'short';
  qtyOpen: number;
  qtyMax: number;
  entryNotional: number;
  entryQty: number;
  entryTimeMs: number;
  exitNotional: number;
  exitQty: number;
  fees: number;
  realised: number;
}

const EPS = 1e-12;

const EXIT_REASON: Readonly<Record<OrderPurpose, string>> = {
  entry: 'signal',
  exit: 'signal',
  stop: 'stop',
  take_profit: 'take_profit',
  emergency_exit: 'emergency_exit',
};

/**
 * Builds round-trip trades from fills: a trade opens when a position leaves zero and closes when it
 * returns to zero (a flip closes one and opens the next). Entry and exit prices are quantity-weighted
 * averages over the fills on each side; `fee` is every fee paid on the trade; `pnl` is net of fees.
 * `exitReason` is the purpose of the order whose fill closed the trade.
 */
export class TradeJournal {
  private readonly open = new Map<string, OpenTrade>();
  private readonly closed: Trade[] = [];
  private closedCount = 0;

  /**
   * @param maxKept closed trades kept in memory (the oldest are dropped; a long-running daemon keeps
   *   the full history in its account store). Default: all.
   * @param onClose hears every closed trade, in order.
   */
  constructor(
    private readonly maxKept = Number.POSITIVE_INFINITY,
    private readonly onClose?: (trade: Trade) => void,
  ) {}

  /** Closed trades kept in memory, oldest first (the last `maxKept`). */
  get trades(): readonly Trade[] {
    return this.closed;
  }

  /** Closed trades ever recorded (including those no longer kept). */
  get totalClosed(): number {
    return this.closedCount;
  }

  /** Open trades by symbol (to persist). */
  openTrades(): Readonly<Record<string, OpenTrade>> {
    return Object.fromEntries([...this.open].map(([k, v]) => [k, { ...v }]));
  }

  /** Restores open trades, the count and the recent closed trades of a persisted account. */
  restore(open: Readonly<Record<string, OpenTrade>>, recent: readonly Trade[], totalClosed: number): void {
    for (const [k, v] of Object.entries(open)) this.open.set(k, { ...v });
    this.closed.push(...recent.slice(-this.maxKept));
    this.closedCount = totalClosed;
  }

  record(fill: Fill, purpose: OrderPurpose): void {
    const signed = fill.side === 'buy' ? fill.qtyBase : -fill.qtyBase;
    let remaining = signed;
    let feeLeft = fill.feeQuote;
    while (Math.abs(remaining) > EPS) {
      let t = this.open.get(fill.symbol);
      if (t === undefined) {
        t = {
          side: remaining > 0 ? 'long' : 'short',
          qtyOpen: 0,
          qtyMax: 0,
          entryNotional: 0,
          entryQty: 0,
          entryTimeMs: fill.timeMs,
          exitNotional: 0,
          exitQty: 0,
          fees: 0,
          realised: 0,
        };
        this.open.set(fill.symbol, t);
      }
      const dir = t.side === 'long' ? 1 : -1;
      const qty = Math.abs(remaining);
      if (Math.sign(remaining) === dir) {
        t.qtyOpen += qty;
        t.qtyMax = Math.max(t.qtyMax, t.qtyOpen);
        t.entryNotional += qty * fill.priceQuote;
        t.entryQty += qty;
        t.fees += feeLeft;
        feeLeft = 0;
        remaining = 0;
      } else {
        const closing = Math.min(qty, t.qtyOpen);
        const share = closing / qty;
        const avgEntry = t.entryNotional / t.entryQty;
        t.realised += dir * closing * (fill.priceQuote - avgEntry);
        t.exitNotional += closing * fill.priceQuote;
        t.exitQty += closing;
        t.fees += feeLeft * share;
        feeLeft -= feeLeft * share;
        t.qtyOpen -= closing;
        remaining -= -dir * closing;
        if (t.qtyOpen <= EPS) this.close(fill.symbol, t, fill.timeMs, EXIT_REASON[purpose]);
      }
    }
  }

  /** Closes every open trade at the given marks (exitReason 'end_of_data'; no exit fee is invented). */
  closeAll(marks: ReadonlyMap<string, { readonly priceQuote: number; readonly timeMs: number }>): void {
    for (const [symbol, t] of this.open) {
      const mark = marks.get(symbol);
      if (mark === undefined) continue;
      const dir = t.side === 'long' ? 1 : -1;
      t.realised += dir * t.qtyOpen * (mark.priceQuote - t.entryNotional / t.entryQty);
      t.exitNotional += t.qtyOpen * mark.priceQuote;
      t.exitQty += t.qtyOpen;
      t.qtyOpen = 0;
      this.close(symbol, t, mark.timeMs, 'end_of_data');
    }
  }

  private close(symbol: string, t: OpenTrade, timeMs: number, reason: string): void {
    this.open.delete(symbol);
    const trade: Trade = {
      symbol,
      side: t.side,
      entryTimeMs: t.entryTimeMs,
      entryPrice: t.entryNotional / t.entryQty,
      exitTimeMs: timeMs,
      exitPrice: t.exitNotional / t.exitQty,
      qty: t.qtyMax,
      fee: t.fees,
      pnl: t.realised - t.fees,
      exitReason: reason,
    };
    this.closed.push(trade);
    this.closedCount++;
    if (this.closed.length > this.maxKept) this.closed.splice(0, this.closed.length - this.maxKept);
    this.onClose?.(trade);
  }
}
