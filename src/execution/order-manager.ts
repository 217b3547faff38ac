import type {
  Broker,
  Candle,
  Clock,
  Fill,
  Logger,
  MarketRules,
  Order,
  OrderIntent,
  OrderPurpose,
  OrderRequest,
  OrderSide,
  Position,
  SeriesKey,
} from '../core/index.js';
import { InvariantError, silentLogger } from '../core/index.js';
import type { KernelEventSink } from './kernel/events.js';
import { makeOrder } from './order-record.js';
import { copyOrder } from './order-record.js';
import { OrderRecords, type OrderRecordsState } from './order-records.js';
import { clientOrderId, isLive, transition } from './order-state.js';
import { PositionBook, type PositionState } from './position-book.js';
import { Protection, type OrderDesk, type SubmitResult } from './protection.js';
import type { RiskDecision, RiskEngine, RiskReason } from './risk-engine.js';
import { floorToStep } from './rounding.js';
import type { SizingConfig, SizingSkipCode } from './sizing.js';
import { DEFAULT_SIZING, roundOrderQty, targetQtyBase } from './sizing.js';
import type { GuardState, StopConfig } from './stops.js';
import { DEFAULT_STOPS } from './stops.js';

export type { PositionState } from './position-book.js';

export interface OrderManagerConfig {
  /** Account name; part of every client order id. */
  readonly account: string;
  readonly initialCashQuote: number;
  readonly sizing?: SizingConfig;
  readonly stops?: StopConfig;
  /** Allow short targets (only where the market and broker allow them). Default false: long-only spot. */
  readonly allowShort?: boolean;
  /**
   * Re-sizing a held position by less than this fraction of equity is skipped, so that a
   * proportional target moving with every candle does not churn fees. Default 0.05.
   */
  readonly rebalanceBandFraction?: number;
}

export interface OrderManagerDeps {
  readonly broker: Broker;
  readonly risk: RiskEngine;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Hears every kernel event the manager produces (orders, fills, stops, denials). */
  readonly events?: KernelEventSink;
}

export const INTENT_SKIP_CODES = ['NO_CHANGE', 'WITHIN_REBALANCE_BAND', 'ORDER_PENDING'] as const;
export type IntentSkipCode = (typeof INTENT_SKIP_CODES)[number] | SizingSkipCode;

/** What became of an intent (all expected outcomes are values). */
export type IntentOutcome =
  | { readonly status: 'sent'; readonly order: Order }
  | { readonly status: 'skipped'; readonly reason: { readonly code: IntentSkipCode; readonly message: string } }
  | { readonly status: 'denied'; readonly reason: RiskReason }
  | { readonly status: 'rejected'; readonly reason: { readonly code: string; readonly message: string } }
  | { readonly status: 'unknown'; readonly reason: { readonly code: string; readonly message: string } };

/** JSON-safe snapshot of an OrderManager (NaN and undefined become null). */
export interface OrderManagerState extends OrderRecordsState {
  readonly cashQuote: number;
  readonly emergencyExits: number;
  readonly positions: readonly PositionState[];
}

/**
 * Turns intents into orders and keeps the books, by composing one-job parts: sizing → risk →
 * broker for intents and exits; OrderRecords (order state machine, fills once by trade id);
 * PositionBook (cash, positions, PnL); Protection (a stop on every position). Every order — entry,
 * exit, stop, take-profit, emergency exit — passes the risk engine first, and a denial is acted on.
 */
export class OrderManager {
  private readonly broker: Broker;
  private readonly risk: RiskEngine;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly emit: KernelEventSink;
  private readonly sizing: SizingConfig;
  private readonly allowShort: boolean;
  private readonly band: number;
  private books: PositionBook;
  private records: OrderRecords;
  private readonly protection: Protection;
  private readonly rulesCache = new Map<string, MarketRules>();

  constructor(
    private readonly config: OrderManagerConfig,
    deps: OrderManagerDeps,
    state?: OrderManagerState,
  ) {
    this.broker = deps.broker;
    this.risk = deps.risk;
    this.clock = deps.clock;
    this.log = (deps.logger ?? silentLogger).child({ component: 'order-manager' });
    this.emit = deps.events ?? (() => undefined);
    this.sizing = config.sizing ?? DEFAULT_SIZING;
    this.allowShort = config.allowShort ?? false;
    this.band = config.rebalanceBandFraction ?? 0.05;
    this.books = state === undefined ? new PositionBook(config.initialCashQuote) : PositionBook.fromJSON(state.cashQuote, state.positions);
    this.records = state === undefined ? new OrderRecords() : OrderRecords.fromJSON(state);
    const desk: OrderDesk = {
      checkRisk: (...args) => this.checkRisk(...args),
      submit: (req) => this.submit(req),
      cancel: (symbol, id) => this.cancel(symbol, id),
      rules: (symbol) => this.rules(symbol),
      supportsNativeStops: (symbol) => this.broker.supportsNativeStops(symbol),
      orderId: (symbol, timeMs, purpose, seq) => clientOrderId(this.config.account, symbol, timeMs, purpose, seq),
    };
    this.protection = new Protection(desk, this.records, config.stops ?? DEFAULT_STOPS, this.log, this.emit);
    if (state !== undefined) this.protection.emergencyExitCount = state.emergencyExits;
  }

  // ---------------------------------------------------------------- queries

  get account(): string {
    return this.config.account;
  }

  get cashQuote(): number {
    return this.books.cashQuote;
  }

  /** Fills ignored because their trade id was already applied. */
  get duplicateFills(): number {
    return this.records.duplicateFills;
  }

  /** Emergency exits sent because a stop could not be placed. */
  get emergencyExitCount(): number {
    return this.protection.emergencyExitCount;
  }

  equityQuote(): number {
    return this.books.equityQuote();
  }

  exposureQuote(): number {
    return this.books.exposureQuote();
  }

  openPositionCount(): number {
    return this.books.openPositionCount();
  }

  position(symbol: string): Position | undefined {
    return this.books.position(symbol);
  }

  /** Last mark of a symbol (0 before its first candle or fill). */
  markPriceQuote(symbol: string): number {
    return this.books.existing(symbol)?.markPriceQuote ?? 0;
  }

  unrealisedPnlQuote(symbol: string): number {
    return this.books.unrealisedPnlQuote(symbol);
  }

  /** The stop guard of a symbol's position (null when flat): levels, trailing state, native or client-side. */
  guard(symbol: string): Readonly<GuardState> | null {
    return this.books.existing(symbol)?.guard ?? null;
  }

  /** Client ids of the protective orders a position references (reconciliation keeps these). */
  protectiveOrderIds(): ReadonlySet<string> {
    const ids = new Set<string>();
    for (const r of this.books.all()) {
      if (r.stopOrderId !== null) ids.add(r.stopOrderId);
      if (r.takeProfitOrderId !== null) ids.add(r.takeProfitOrderId);
    }
    return ids;
  }

  /** A copy of the order as booked. */
  order(clientOrderId: string): Order | undefined {
    return this.records.get(clientOrderId);
  }

  orders(): readonly Order[] {
    return this.records.list();
  }

  // ---------------------------------------------------------------- intents

  /**
   * Sizes an intent against the current position and equity, checks risk and sends at most one
   * market order (entry or exit). A flip from long to short only closes on this candle.
   */
  async onIntent(intent: OrderIntent, atrQuote?: number): Promise<IntentOutcome> {
    const symbol = intent.series.symbol;
    const price = intent.referencePriceQuote;
    if (!(price > 0) || !Number.isFinite(intent.targetFraction))
      throw new InvariantError(`intent ${intent.intentId} has price ${price}, target ${intent.targetFraction}`);
    const rec = this.books.record(symbol);
    rec.markPriceQuote = price;
    if (atrQuote !== undefined) rec.entryAtrQuote = atrQuote;
    if (rec.pendingOrderId !== null) {
      const pending = this.records.mutable(rec.pendingOrderId);
      if (pending !== undefined && isLive(pending.status)) {
        return { status: 'skipped', reason: { code: 'ORDER_PENDING', message: `order ${pending.clientOrderId} for ${symbol} is still ${pending.status}` } };
      }
      rec.pendingOrderId = null;
    }
    const fraction = intent.targetFraction < 0 && !this.allowShort ? 0 : intent.targetFraction;
    const equity = this.equityQuote();
    const cur = rec.qtyBase;
    let target = targetQtyBase(this.sizing, { targetFraction: fraction, equityQuote: equity, priceQuote: price, atrQuote });
    if (cur !== 0 && target !== 0 && Math.sign(target) !== Math.sign(cur)) target = 0;
    if (target === 0 && cur === 0) return { status: 'skipped', reason: { code: 'NO_CHANGE', message: `${symbol} flat and target flat` } };
    if (target !== 0 && cur !== 0 && Math.abs(target - cur) * price < this.band * equity) {
      return {
        status: 'skipped',
        reason: { code: 'WITHIN_REBALANCE_BAND', message: `re-size of ${symbol} by ${Math.abs(target - cur) * price} quote is inside the band` },
      };
    }
    const reducing = Math.abs(target) < Math.abs(cur);
    const side: OrderSide = target > cur ? 'buy' : 'sell';
    const sized = roundOrderQty(target === 0 ? Math.abs(cur) : Math.abs(target - cur), price, this.rules(symbol));
    if (sized.status === 'skipped') return sized;
    const purpose: OrderPurpose = reducing ? 'exit' : 'entry';
    const decision = this.checkRisk(symbol, side, purpose, sized.qtyBase, price, cur, intent.intentId);
    if (decision.status === 'denied') return decision;
    if (reducing) await this.protection.cancelAll(rec);
    const id = clientOrderId(this.config.account, symbol, intent.candleOpenTimeMs, purpose);
    const result = await this.submit({
      clientOrderId: id,
      symbol,
      side,
      type: 'market',
      purpose,
      qtyBase: sized.qtyBase,
      ...(reducing ? { reduceOnly: true } : {}),
    });
    if (result.status === 'sent') {
      if (isLive(result.order.status)) rec.pendingOrderId = id;
    } else if (result.status === 'unknown') {
      // Blocks further intents for the symbol until reconcile() resolves it: never a second order.
      rec.pendingOrderId = id;
    } else if (reducing) {
      await this.protection.ensure(rec, intent.candleOpenTimeMs);
    }
    return result as IntentOutcome;
  }

  /**
   * Resolves orders in status `unknown` (a timeout after send) by asking the broker, and applies
   * fills it reports since the order's creation. Returns how many were resolved. An order the
   * venue does not know was never placed: it is booked `rejected`.
   */
  async reconcile(): Promise<number> {
    let resolved = 0;
    for (const o of this.records.values()) {
      if (o.status !== 'unknown') continue;
      const report = await this.broker.fetchOrder(o.symbol, o.clientOrderId);
      if (report === null) {
        o.status = transition(o.status, 'rejected', o.clientOrderId);
        o.updatedAtMs = this.clock.nowMs();
        const rec = this.books.existing(o.symbol);
        if (rec !== undefined && rec.qtyBase !== 0) await this.protection.ensure(rec, o.createdAtMs);
      } else {
        if (report.filledQtyBase > 0) {
          for (const f of await this.broker.fetchFills(o.symbol, o.createdAtMs)) if (f.clientOrderId === o.clientOrderId) await this.applyFill(f);
        }
        await this.applyOrderUpdate(report);
      }
      if (o.status !== 'unknown') resolved++;
    }
    return resolved;
  }

  /**
   * Operator or kill-switch follow-up: cancels the symbol's protective orders and sends a market
   * exit for the whole position, if the risk engine approves it. `candleOpenTimeMs` keys the client
   * order id, so calling it twice for one candle never sends two exits. A position whose exit
   * was not sent keeps (or gets back) its stop.
   */
  async flatten(symbol: string, candleOpenTimeMs: number): Promise<IntentOutcome> {
    const rec = this.books.existing(symbol);
    if (rec === undefined || rec.qtyBase === 0) return { status: 'skipped', reason: { code: 'NO_CHANGE', message: `${symbol} is flat` } };
    if (rec.pendingOrderId !== null) {
      const pending = this.records.mutable(rec.pendingOrderId);
      if (pending !== undefined && isLive(pending.status) && pending.purpose !== 'entry') {
        return { status: 'skipped', reason: { code: 'ORDER_PENDING', message: `exit ${pending.clientOrderId} for ${symbol} is still ${pending.status}` } };
      }
    }
    const qty = floorToStep(Math.abs(rec.qtyBase), this.rules(symbol).stepSize);
    const side: OrderSide = rec.qtyBase > 0 ? 'sell' : 'buy';
    const decision = this.checkRisk(symbol, side, 'exit', qty, rec.markPriceQuote, rec.qtyBase);
    if (decision.status === 'denied') return decision;
    await this.protection.cancelAll(rec);
    const result = await this.submit({
      clientOrderId: clientOrderId(this.config.account, symbol, candleOpenTimeMs, 'exit', 1),
      symbol,
      side,
      type: 'market',
      purpose: 'exit',
      qtyBase: qty,
      reduceOnly: true,
    });
    if (result.status === 'sent' && isLive(result.order.status)) rec.pendingOrderId = result.order.clientOrderId;
    else if (result.status !== 'sent') await this.protection.ensure(rec, candleOpenTimeMs);
    return result as IntentOutcome;
  }

  // ---------------------------------------------------------------- broker events

  /** Applies what the broker reported (a PaperBroker candle update, or polled fills/orders live). Fills first. */
  async applyUpdate(update: { readonly orders: readonly Order[]; readonly fills: readonly Fill[] }): Promise<void> {
    for (const f of update.fills) await this.applyFill(f);
    for (const o of update.orders) await this.applyOrderUpdate(o);
  }

  /**
   * Applies one fill, once per tradeId (a duplicate is ignored and counted; returns false). Updates
   * the order, the position and cash, then protection: a stop for a new/changed position, or
   * cancellation of leftover protective orders when flat.
   */
  async applyFill(fill: Fill): Promise<boolean> {
    if (!(fill.qtyBase > 0) || !(fill.priceQuote > 0) || !Number.isFinite(fill.feeQuote))
      throw new InvariantError(`bad fill ${fill.tradeId}: qty ${fill.qtyBase}, price ${fill.priceQuote}, fee ${fill.feeQuote}`);
    const recorded = this.records.recordFill(fill);
    if (recorded.status === 'duplicate') return false;
    const purpose = recorded.purpose;
    if (!recorded.known)
      this.log.warn(
        { tradeId: fill.tradeId, clientOrderId: fill.clientOrderId, symbol: fill.symbol },
        'fill for an order this manager did not place; applied to the position',
      );
    const rec = this.books.record(fill.symbol);
    const before = rec.qtyBase;
    const level = rec.guard;
    this.books.bookFill(rec, fill, this.rules(rec.symbol).stepSize);
    this.emit({ type: 'OrderFilled', fill, purpose, positionQtyBase: rec.qtyBase });
    if ((purpose === 'stop' || purpose === 'take_profit') && level !== null) {
      this.emit({
        type: 'StopTriggered',
        symbol: fill.symbol,
        purpose,
        levelQuote: purpose === 'stop' ? level.stopPriceQuote : level.takeProfitPriceQuote,
        native: true,
        timeMs: fill.timeMs,
      });
    }
    if (rec.qtyBase === 0) {
      await this.protection.cancelAll(rec);
      rec.guard = null;
      if (purpose === 'stop') this.risk.recordStopOut(fill.symbol);
      this.log.info({ symbol: fill.symbol, purpose, realisedPnlQuote: rec.realisedPnlQuote }, 'position closed');
      this.emit({ type: 'PositionClosed', symbol: fill.symbol, purpose, realisedPnlQuote: rec.realisedPnlQuote, timeMs: fill.timeMs });
    } else {
      if (Math.sign(before) !== Math.sign(rec.qtyBase)) rec.guard = null;
      await this.protection.ensure(rec, fill.timeMs);
    }
    return true;
  }

  /** Applies an order status report; illegal transitions throw InvariantError. */
  async applyOrderUpdate(report: Order): Promise<void> {
    const result = this.records.recordReport(report);
    if (result.lateFor !== undefined)
      this.log.debug({ clientOrderId: report.clientOrderId, known: result.lateFor, reported: report.status }, 'late report for a closed order');
    if (result.changed !== 'status') return;
    const status = report.status;
    if (status === 'canceled') this.emit({ type: 'OrderCanceled', clientOrderId: report.clientOrderId, symbol: report.symbol, purpose: report.purpose });
    if (!isLive(status) && status !== 'filled') {
      const rec = this.books.existing(report.symbol);
      // A protective order died without filling while the position is open: re-arm.
      if (rec !== undefined && rec.qtyBase !== 0 && (rec.stopOrderId === report.clientOrderId || rec.takeProfitOrderId === report.clientOrderId)) {
        if (rec.stopOrderId === report.clientOrderId) rec.stopOrderId = null;
        if (rec.takeProfitOrderId === report.clientOrderId) rec.takeProfitOrderId = null;
        await this.protection.ensure(rec, report.updatedAtMs);
      }
    }
  }

  /**
   * Per closed candle, after the broker's fills for it were applied: evaluates client-side guards
   * on this candle's range (with the stop level that held during the candle), then ratchets
   * trailing stops (replacing native ones), marks the position to the close and feeds equity to
   * the risk engine. Returns the exit order sent by a client-side guard, if any.
   */
  async onCandleClosed(series: SeriesKey, candle: Candle): Promise<IntentOutcome | null> {
    const rec = this.books.existing(series.symbol);
    let outcome: SubmitResult | null = null;
    if (rec !== undefined) {
      rec.markPriceQuote = candle.close;
      outcome = await this.protection.onCandle(rec, candle);
    }
    this.risk.onEquity(this.equityQuote());
    return outcome as IntentOutcome | null;
  }

  /** Restores the protection of every open position (after a restart or a reconciliation). */
  async protectAll(timeMs: number): Promise<void> {
    for (const rec of this.books.all()) if (rec.qtyBase !== 0) await this.protection.ensure(rec, timeMs);
  }

  // ---------------------------------------------------------------- internals

  private async cancel(symbol: string, id: string): Promise<void> {
    const known = this.records.mutable(id);
    if (known === undefined || !isLive(known.status)) return;
    const report = await this.broker.cancelOrder(symbol, id);
    // null: the venue does not know the order, so it cannot fill; book it as canceled.
    const status = report === null ? 'canceled' : report.status;
    const k = this.records.mutable(id);
    if (k !== undefined && isLive(k.status) && status !== k.status) {
      k.status = transition(k.status, status, id);
      k.updatedAtMs = report === null ? this.clock.nowMs() : report.updatedAtMs;
      if (status === 'canceled') this.emit({ type: 'OrderCanceled', clientOrderId: id, symbol, purpose: k.purpose });
    }
  }

  private checkRisk(
    symbol: string,
    side: OrderSide,
    purpose: OrderPurpose,
    qtyBase: number,
    priceQuote: number,
    positionQtyBase: number,
    intentId: string | null = null,
  ): RiskDecision {
    const decision = this.risk.check({
      symbol,
      side,
      purpose,
      qtyBase,
      priceQuote,
      positionQtyBase,
      totalExposureQuote: this.exposureQuote(),
      openPositions: this.openPositionCount(),
    });
    if (decision.status === 'denied') {
      this.log.info({ symbol, purpose, reason: decision.reason }, 'order denied by the risk engine');
      this.emit({ type: 'RiskDenied', symbol, purpose, reason: decision.reason, intentId });
    }
    return decision;
  }

  private async submit(req: OrderRequest): Promise<SubmitResult> {
    const existing = this.records.mutable(req.clientOrderId);
    if (existing !== undefined && existing.status !== 'new' && existing.status !== 'rejected') {
      // Same decision seen again (restart, duplicate intent): never a second order. A rejected
      // request placed nothing, so it may be retried under the same id (a fresh record).
      return { status: 'sent', order: copyOrder(existing) };
    }
    const now = this.clock.nowMs();
    const draft = makeOrder(req, 'submitted', 0, 0, now, now);
    this.records.set(draft);
    const result = await this.broker.placeOrder(req);
    if (result.status === 'accepted') {
      this.emit({ type: 'OrderSubmitted', order: copyOrder(result.order) });
      for (const f of result.fills) await this.applyFill(f);
      await this.applyOrderUpdate(result.order);
      return { status: 'sent', order: this.records.get(req.clientOrderId) ?? result.order };
    }
    const cur = this.records.mutable(req.clientOrderId) ?? draft;
    cur.status = transition(cur.status, result.status === 'denied' ? 'rejected' : 'unknown', req.clientOrderId);
    this.log.warn(
      { clientOrderId: req.clientOrderId, symbol: req.symbol, purpose: req.purpose, reason: result.reason },
      result.status === 'denied' ? 'order rejected by broker' : 'order outcome unknown: reconcile',
    );
    const base = { clientOrderId: req.clientOrderId, symbol: req.symbol, purpose: req.purpose, code: result.reason.code, message: result.reason.message };
    this.emit(result.status === 'denied' ? { type: 'OrderRejected', ...base } : { type: 'OrderOutcomeUnknown', ...base });
    return result.status === 'denied' ? { status: 'rejected', reason: result.reason } : { status: 'unknown', reason: result.reason };
  }

  /** Everything needed to resume after a restart (persist as JSON; restore with fromJSON). */
  toJSON(): OrderManagerState {
    return { cashQuote: this.books.cashQuote, emergencyExits: this.protection.emergencyExitCount, ...this.records.toJSON(), positions: this.books.toJSON() };
  }

  static fromJSON(state: OrderManagerState, config: OrderManagerConfig, deps: OrderManagerDeps): OrderManager {
    return new OrderManager(config, deps, state);
  }

  private rules(symbol: string): MarketRules {
    let r = this.rulesCache.get(symbol);
    if (r === undefined) {
      r = this.broker.marketRules(symbol);
      this.rulesCache.set(symbol, r);
    }
    return r;
  }
}
