import { TERMINAL_ORDER_STATUSES, type Broker, type Candle, type Clock, type Fill, type Logger, type Order, type SeriesKey } from '../core/index.js';
import type { BrokerFeed } from './kernel/broker-feed.js';
import type { OrderManager } from './order-manager.js';
import { parseClientOrderId } from './order-state.js';

export interface ReconcilerOptions {
  readonly broker: Broker;
  /** Account name: only orders whose client id recomputes from it are ours. */
  readonly account: string;
  readonly symbols: readonly string[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Fill polling cursor per symbol (restored from the account state, or a look-back for a fresh account). */
  readonly fillCursorMs: Readonly<Record<string, number>>;
  /** Last known price of a symbol (to book a position found on the exchange). */
  readonly referencePriceQuote: (symbol: string) => number | undefined;
}

/**
 * Keeps the books in step with a real venue. Start-up is recovery (`reconcile`), and before each
 * candle the venue is polled (`sync`, the BrokerFeed of a polled venue). Policy:
 * - open orders: ours (the id parses back to this account) are adopted; foreign ones are left
 *   alone and logged (wick never cancels what it did not place); our protective orders that no
 *   position references any more are cancelled;
 * - our orders the books hold as live but the venue no longer lists are looked up by client id;
 * - fills since the last seen are applied once (by trade id), adopting their order first when the
 *   books lost it (a crash between send and the state write);
 * - balances: a base balance the books do not explain is booked as a position (loud error log)
 *   and gets a stop at once; a position the venue does not hold is booked closed (loud error log).
 * A failure throws: the caller fails closed and retries.
 */
export class Reconciler implements BrokerFeed {
  private readonly cursor: Record<string, number>;

  constructor(private readonly options: ReconcilerOptions) {
    this.cursor = { ...options.fillCursorMs };
  }

  /** Fill polling cursor per symbol (persist it with the account). */
  get fillCursorMs(): Readonly<Record<string, number>> {
    return { ...this.cursor };
  }

  /** BrokerFeed: before a candle is stepped, bring the venue's fills and order updates in. */
  async sync(_series: SeriesKey, _candle: Candle, om: OrderManager): Promise<void> {
    await this.poll(om);
  }

  /** Fills since the cursor (adopting an order of ours the books lost), then the status of live orders. */
  async poll(om: OrderManager): Promise<void> {
    for (const symbol of this.options.symbols) {
      const fills = await this.options.broker.fetchFills(symbol, this.cursor[symbol] ?? 0);
      for (const f of fills) await this.applyFill(om, f);
    }
    for (const o of om.orders()) {
      if (TERMINAL_ORDER_STATUSES.has(o.status) || o.status === 'unknown') continue;
      const report = await this.options.broker.fetchOrder(o.symbol, o.clientOrderId);
      if (report !== null && report.status !== o.status) await om.applyOrderUpdate(report);
    }
    if (om.orders().some((o) => o.status === 'unknown')) await om.reconcile();
  }

  /** Whether a client order id is one this account placed. */
  ours(id: string, symbol: string): boolean {
    return parseClientOrderId(id, this.options.account, symbol) !== null;
  }

  /** Full reconciliation; throws when the books cannot be brought in step (the caller fails closed). */
  async reconcile(om: OrderManager): Promise<void> {
    const { broker, logger: log } = this.options;
    const listed = new Set<string>();
    let adopted = 0;
    let foreign = 0;
    // 1. Open orders: adopt ours, leave foreign ones alone.
    for (const symbol of this.options.symbols) {
      for (const o of await broker.fetchOpenOrders(symbol)) {
        listed.add(o.clientOrderId);
        if (!this.ours(o.clientOrderId, symbol)) {
          foreign++;
          log.warn(
            { clientOrderId: o.clientOrderId, symbol, side: o.side, type: o.type, qtyBase: o.qtyBase },
            'open order wick did not place: left alone (give wick an account of its own)',
          );
          continue;
        }
        const known = om.order(o.clientOrderId);
        if (known === undefined) {
          adopted++;
          log.warn({ clientOrderId: o.clientOrderId, symbol, purpose: o.purpose, type: o.type }, 'adopted an open order of ours the saved state did not know');
          await om.applyOrderUpdate(o);
        } else if (known.status !== o.status && known.status !== 'unknown') {
          await om.applyOrderUpdate(o);
        }
      }
    }
    // 2. Fills since the last seen.
    for (const symbol of this.options.symbols) {
      for (const f of await broker.fetchFills(symbol, this.cursor[symbol] ?? 0)) await this.applyFill(om, f);
    }
    // 3. Orders the books hold as live that the venue does not list as open.
    for (const o of om.orders()) {
      if (TERMINAL_ORDER_STATUSES.has(o.status) || o.status === 'unknown' || listed.has(o.clientOrderId)) continue;
      const report = await broker.fetchOrder(o.symbol, o.clientOrderId);
      if (report !== null) await om.applyOrderUpdate(report);
      else await om.applyOrderUpdate(this.closed(o));
    }
    if (om.orders().some((o) => o.status === 'unknown')) await om.reconcile();
    const stillUnknown = om.orders().filter((o) => o.status === 'unknown');
    if (stillUnknown.length > 0)
      throw new Error(`${stillUnknown.length} order(s) still in unknown state (${stillUnknown.map((o) => o.clientOrderId).join(', ')})`);
    // 4. Balances against positions.
    await this.reconcileBalances(om);
    // 5. Protective orders of ours that no position references: cancel.
    await this.cancelOrphanProtectives(om);
    log.info({ adopted, foreign, positions: om.openPositionCount(), equityQuote: om.equityQuote() }, 'reconciliation done');
  }

  private async applyFill(om: OrderManager, f: Fill): Promise<void> {
    const log = this.options.logger;
    this.cursor[f.symbol] = Math.max(this.cursor[f.symbol] ?? 0, f.timeMs);
    if (om.order(f.clientOrderId) === undefined) {
      if (!this.ours(f.clientOrderId, f.symbol)) {
        log.warn(
          { tradeId: f.tradeId, clientOrderId: f.clientOrderId, symbol: f.symbol },
          'fill of an order wick did not place; not booked (the balance check accounts for it)',
        );
        return;
      }
      const report = await this.options.broker.fetchOrder(f.symbol, f.clientOrderId);
      if (report !== null) {
        log.warn(
          { clientOrderId: f.clientOrderId, symbol: f.symbol, status: report.status },
          'adopted an order of ours the saved state did not know (a crash before the state was written)',
        );
        // Booked as just sent, so that its fills move it along like any other order.
        await om.applyOrderUpdate({ ...report, status: 'submitted', filledQtyBase: 0, avgFillPriceQuote: 0 });
        await om.applyFill(f);
        const now = om.order(f.clientOrderId);
        if (now !== undefined && !TERMINAL_ORDER_STATUSES.has(now.status) && TERMINAL_ORDER_STATUSES.has(report.status)) await om.applyOrderUpdate(report);
        return;
      }
    }
    await om.applyFill(f);
  }

  /** A report for an order the venue does not know: it cannot fill any more. */
  private closed(o: Order): Order {
    this.options.logger.warn(
      { clientOrderId: o.clientOrderId, symbol: o.symbol, status: o.status },
      'order the books hold as live is unknown to the exchange: booked closed',
    );
    return { ...o, status: o.status === 'submitted' || o.status === 'new' ? 'rejected' : 'canceled', updatedAtMs: this.options.clock.nowMs() };
  }

  private async reconcileBalances(om: OrderManager): Promise<void> {
    const balance = await this.options.broker.fetchBalance();
    for (const symbol of this.options.symbols) {
      const base = symbol.split('/')[0] as string;
      const rules = this.options.broker.marketRules(symbol);
      const held = balance.base[base] ?? 0;
      const booked = om.position(symbol)?.qtyBase ?? 0;
      const diff = held - booked;
      const mark = om.markPriceQuote(symbol);
      const price = this.options.referencePriceQuote(symbol) ?? (mark > 0 ? mark : undefined);
      if (Math.abs(diff) < Math.max(rules.stepSize, rules.minQtyBase) || (price !== undefined && Math.abs(diff) * price < rules.minNotionalQuote)) continue;
      if (price === undefined || !(price > 0))
        throw new Error(`${symbol}: the exchange holds ${held} ${base}, wick's books ${booked}, and no price is known to book the difference`);
      const now = this.options.clock.nowMs();
      const qty = Math.floor(Math.abs(diff) / rules.stepSize + 1e-9) * rules.stepSize;
      if (qty <= 0) continue;
      this.options.logger.error(
        { symbol, heldBase: held, bookedBase: booked, diffBase: diff, priceQuote: price },
        diff > 0
          ? `POSITION ON THE EXCHANGE THAT WICK DID NOT KNOW: ${symbol} ${diff} ${base} booked at ${price} and protected with a stop now`
          : `POSITION WICK BOOKED IS NOT ON THE EXCHANGE: ${symbol} ${-diff} ${base} booked closed at ${price}`,
      );
      await om.applyFill({
        tradeId: `reconcile:${symbol}:${now}`,
        clientOrderId: `reconcile:${symbol}`,
        symbol,
        side: diff > 0 ? 'buy' : 'sell',
        qtyBase: qty,
        priceQuote: price,
        feeQuote: 0,
        timeMs: now,
      });
    }
  }

  private async cancelOrphanProtectives(om: OrderManager): Promise<void> {
    const referenced = om.protectiveOrderIds();
    for (const o of om.orders()) {
      if (TERMINAL_ORDER_STATUSES.has(o.status) || (o.purpose !== 'stop' && o.purpose !== 'take_profit') || referenced.has(o.clientOrderId)) continue;
      this.options.logger.warn({ clientOrderId: o.clientOrderId, symbol: o.symbol, purpose: o.purpose }, 'protective order no position needs: cancelled');
      const report = await this.options.broker.cancelOrder(o.symbol, o.clientOrderId);
      await om.applyOrderUpdate(report ?? { ...o, status: 'canceled', updatedAtMs: this.options.clock.nowMs() });
    }
  }
}
