import type { Fill, Order, OrderPurpose } from '../core/index.js';
import type { MutableOrder } from './order-record.js';
import { copyOrder } from './order-record.js';
import { isLive, transition } from './order-state.js';

const EPS_QTY = 1e-12;

/** JSON-safe snapshot of the order records. */
export interface OrderRecordsState {
  readonly duplicateFills: number;
  readonly seenTradeIds: readonly string[];
  readonly orders: readonly Order[];
  readonly fillTotals: readonly { readonly clientOrderId: string; readonly qtyBase: number; readonly notionalQuote: number }[];
}

/** What applying a fill to the records found. */
export type FillRecordResult =
  { readonly status: 'duplicate' } | { readonly status: 'applied'; readonly purpose: OrderPurpose | undefined; readonly known: boolean };

/**
 * Every order the account placed, by client order id, moved along the order state machine; fills
 * applied once per trade id (their totals are the source of an order's filled quantity and
 * average price). Knows nothing of positions or brokers.
 */
export class OrderRecords {
  private readonly book = new Map<string, MutableOrder>();
  private readonly seenTrades = new Set<string>();
  private readonly fillAgg = new Map<string, { qtyBase: number; notionalQuote: number }>();
  private duplicates = 0;

  /** Fills ignored because their trade id was already applied. */
  get duplicateFills(): number {
    return this.duplicates;
  }

  /** The booked order itself (owner's use only). */
  mutable(clientOrderId: string): MutableOrder | undefined {
    return this.book.get(clientOrderId);
  }

  set(order: MutableOrder): void {
    this.book.set(order.clientOrderId, order);
  }

  /** A copy of the order as booked. */
  get(clientOrderId: string): Order | undefined {
    const o = this.book.get(clientOrderId);
    return o === undefined ? undefined : copyOrder(o);
  }

  list(): readonly Order[] {
    return [...this.book.values()].map(copyOrder);
  }

  /** The booked orders themselves, for iteration by the owner. */
  values(): MutableOrder[] {
    return [...this.book.values()];
  }

  /** Whether the order is booked and can still fill. */
  isLive(clientOrderId: string | null): boolean {
    if (clientOrderId === null) return false;
    const o = this.book.get(clientOrderId);
    return o !== undefined && isLive(o.status);
  }

  /** Applies a fill to its order, once per trade id. */
  recordFill(fill: Fill): FillRecordResult {
    if (this.seenTrades.has(fill.tradeId)) {
      this.duplicates++;
      return { status: 'duplicate' };
    }
    this.seenTrades.add(fill.tradeId);
    const order = this.book.get(fill.clientOrderId);
    if (order === undefined) return { status: 'applied', purpose: undefined, known: false };
    let agg = this.fillAgg.get(order.clientOrderId);
    if (agg === undefined) this.fillAgg.set(order.clientOrderId, (agg = { qtyBase: 0, notionalQuote: 0 }));
    agg.qtyBase += fill.qtyBase;
    agg.notionalQuote += fill.qtyBase * fill.priceQuote;
    // Fills are the source of the filled quantity; a status report may have carried it already.
    const fromFills = agg.qtyBase >= order.filledQtyBase - EPS_QTY;
    const filled = fromFills ? agg.qtyBase : order.filledQtyBase;
    const avg = fromFills ? agg.notionalQuote / agg.qtyBase : order.avgFillPriceQuote;
    if (isLive(order.status)) order.status = transition(order.status, filled >= order.qtyBase - EPS_QTY ? 'filled' : 'partially_filled', order.clientOrderId);
    order.filledQtyBase = filled;
    order.avgFillPriceQuote = avg;
    order.updatedAtMs = fill.timeMs;
    return { status: 'applied', purpose: order.purpose, known: true };
  }

  /**
   * Applies a status report. Returns the order's new status when it changed, 'adopted' when the
   * order was not booked (booked now as reported), null when nothing changed (same status, or a
   * late report for a closed order). Illegal transitions throw InvariantError.
   */
  recordReport(report: Order): { readonly changed: 'adopted' | 'status' | null; readonly lateFor?: string } {
    const known = this.book.get(report.clientOrderId);
    if (known === undefined) {
      this.book.set(report.clientOrderId, copyOrder(report));
      return { changed: 'adopted' };
    }
    if (known.status === report.status) return { changed: null };
    // A fill already moved it to filled (or a cancel report arrives for a filled order): keep the terminal state.
    if (!isLive(known.status)) return { changed: null, lateFor: known.status };
    known.status = transition(known.status, report.status, report.clientOrderId);
    if (report.filledQtyBase > known.filledQtyBase) {
      known.filledQtyBase = report.filledQtyBase;
      known.avgFillPriceQuote = report.avgFillPriceQuote;
    }
    if (report.exchangeOrderId !== undefined) known.exchangeOrderId = report.exchangeOrderId;
    known.updatedAtMs = report.updatedAtMs;
    return { changed: 'status' };
  }

  toJSON(): OrderRecordsState {
    return {
      duplicateFills: this.duplicates,
      seenTradeIds: [...this.seenTrades],
      orders: this.list(),
      fillTotals: [...this.fillAgg].map(([clientOrderId, a]) => ({ clientOrderId, qtyBase: a.qtyBase, notionalQuote: a.notionalQuote })),
    };
  }

  static fromJSON(state: OrderRecordsState): OrderRecords {
    const r = new OrderRecords();
    r.duplicates = state.duplicateFills;
    for (const id of state.seenTradeIds) r.seenTrades.add(id);
    for (const o of state.orders) r.book.set(o.clientOrderId, copyOrder(o));
    for (const f of state.fillTotals) r.fillAgg.set(f.clientOrderId, { qtyBase: f.qtyBase, notionalQuote: f.notionalQuote });
    return r;
  }
}
