import type { Broker, Candle, Clock, Fill, Logger, MarketRules, Order, OrderIntent, OrderPurpose, OrderRequest, OrderSide, Position, SeriesKey } from '../core/index.js';
import { InvariantError, silentLogger } from '../core/index.js';
import { protectiveHit } from './fill-model.js';
import type { MutableOrder } from './order-record.js';
import { copyOrder, makeOrder } from './order-record.js';
import { clientOrderId, isLive, transition } from './order-state.js';
import type { RiskDecision, RiskEngine, RiskReason } from './risk-engine.js';
import { floorToStep, roundToStep } from './rounding.js';
import type { SizingConfig, SizingSkipCode } from './sizing.js';
import { DEFAULT_SIZING, roundOrderQty, targetQtyBase } from './sizing.js';
import type { GuardState, StopConfig } from './stops.js';
import { DEFAULT_STOPS, protectiveLevels, ratchetTrailing } from './stops.js';

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

/** Result of one placement through the broker (internal and for protective orders). */
type SubmitResult = IntentOutcome & { readonly status: 'sent' | 'rejected' | 'unknown' };

interface PositionRecord {
  readonly symbol: string;
  qtyBase: number;
  avgEntryPriceQuote: number;
  realisedPnlQuote: number;
  feesQuote: number;
  openedAtMs: number;
  markPriceQuote: number;
  guard: GuardState | null;
  /** ATR at the last intent, used when the stop is armed after the entry fills. */
  entryAtrQuote: number | undefined;
  stopOrderId: string | null;
  takeProfitOrderId: string | null;
  /** Entry/exit (or client-side stop exit) order in flight. */
  pendingOrderId: string | null;
  /** Makes protective order ids unique when a stop is replaced on one candle. */
  protectSeq: number;
}

const EPS_QTY = 1e-12;

/** JSON-safe snapshot of an OrderManager (NaN and undefined become null). */
export interface OrderManagerState {
  readonly cashQuote: number;
  readonly duplicateFills: number;
  readonly emergencyExits: number;
  readonly seenTradeIds: readonly string[];
  readonly orders: readonly Order[];
  readonly fillTotals: readonly { readonly clientOrderId: string; readonly qtyBase: number; readonly notionalQuote: number }[];
  readonly positions: readonly PositionState[];
}

export interface PositionState {
  readonly symbol: string;
  readonly qtyBase: number;
  readonly avgEntryPriceQuote: number;
  readonly realisedPnlQuote: number;
  readonly feesQuote: number;
  readonly openedAtMs: number;
  readonly markPriceQuote: number;
  readonly entryAtrQuote: number | null;
  readonly stopOrderId: string | null;
  readonly takeProfitOrderId: string | null;
  readonly pendingOrderId: string | null;
  readonly protectSeq: number;
  readonly guard: {
    readonly positionSign: number;
    readonly stopPriceQuote: number;
    readonly takeProfitPriceQuote: number | null;
    readonly bestPriceQuote: number;
    readonly atrQuote: number | null;
    readonly native: boolean;
  } | null;
}

/**
 * Turns intents into orders and keeps the books: sizing → risk → broker, order state machine,
 * fills applied once by trade id, positions with average entry and realised/unrealised PnL (fees in
 * quote, kept apart: realisedPnlQuote is gross, net = realised − fees), and a stop on every
 * position (native when the broker holds stops, otherwise a client-side guard evaluated on every
 * closed candle; a native stop that cannot be placed triggers an emergency exit).
 */
export class OrderManager {
  private readonly broker: Broker;
  private readonly risk: RiskEngine;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly sizing: SizingConfig;
  private readonly stops: StopConfig;
  private readonly allowShort: boolean;
  private readonly band: number;
  private cash: number;
  private readonly books = new Map<string, PositionRecord>();
  private readonly orderBook = new Map<string, MutableOrder>();
  private readonly seenTrades = new Set<string>();
  private readonly fillAgg = new Map<string, { qtyBase: number; notionalQuote: number }>();
  private readonly rulesCache = new Map<string, MarketRules>();
  private duplicates = 0;
  private emergencies = 0;

  constructor(
    private readonly config: OrderManagerConfig,
    deps: OrderManagerDeps,
  ) {
    this.broker = deps.broker;
    this.risk = deps.risk;
    this.clock = deps.clock;
    this.log = (deps.logger ?? silentLogger).child({ component: 'order-manager' });
    this.sizing = config.sizing ?? DEFAULT_SIZING;
    this.stops = config.stops ?? DEFAULT_STOPS;
    this.allowShort = config.allowShort ?? false;
    this.band = config.rebalanceBandFraction ?? 0.05;
    this.cash = config.initialCashQuote;
  }

  // ---------------------------------------------------------------- queries

  get cashQuote(): number {
    return this.cash;
  }

  /** Fills ignored because their trade id was already applied. */
  get duplicateFills(): number {
    return this.duplicates;
  }

  /** Emergency exits sent because a stop could not be placed. */
  get emergencyExitCount(): number {
    return this.emergencies;
  }

  /** Cash plus every position marked at its last price. */
  equityQuote(): number {
    let e = this.cash;
    for (const r of this.books.values()) if (r.qtyBase !== 0) e += r.qtyBase * r.markPriceQuote;
    return e;
  }

  exposureQuote(): number {
    let e = 0;
    for (const r of this.books.values()) if (r.qtyBase !== 0) e += Math.abs(r.qtyBase) * r.markPriceQuote;
    return e;
  }

  openPositionCount(): number {
    let n = 0;
    for (const r of this.books.values()) if (r.qtyBase !== 0) n++;
    return n;
  }

  position(symbol: string): Position | undefined {
    const r = this.books.get(symbol);
    if (r === undefined) return undefined;
    const p: { -readonly [K in keyof Position]: Position[K] } = {
      symbol,
      qtyBase: r.qtyBase,
      avgEntryPriceQuote: r.avgEntryPriceQuote,
      realisedPnlQuote: r.realisedPnlQuote,
      feesQuote: r.feesQuote,
      openedAtMs: r.openedAtMs,
    };
    if (r.guard !== null) {
      p.stopPriceQuote = r.guard.stopPriceQuote;
      if (!Number.isNaN(r.guard.takeProfitPriceQuote)) p.takeProfitPriceQuote = r.guard.takeProfitPriceQuote;
    }
    return p;
  }

  unrealisedPnlQuote(symbol: string): number {
    const r = this.books.get(symbol);
    return r === undefined || r.qtyBase === 0 ? 0 : (r.markPriceQuote - r.avgEntryPriceQuote) * r.qtyBase;
  }

  /** The stop guard of a symbol's position (null when flat): levels, trailing state, native or client-side. */
  guard(symbol: string): Readonly<GuardState> | null {
    return this.books.get(symbol)?.guard ?? null;
  }

  /** A copy of the order as booked. */
  order(clientOrderId: string): Order | undefined {
    const o = this.orderBook.get(clientOrderId);
    return o === undefined ? undefined : copyOrder(o);
  }

  orders(): readonly Order[] {
    return [...this.orderBook.values()].map(copyOrder);
  }

  // ---------------------------------------------------------------- intents

  /**
   * Sizes an intent against the current position and equity, checks risk and sends at most one
   * market order (entry or exit). A flip from long to short only closes on this candle.
   */
  async onIntent(intent: OrderIntent, atrQuote?: number): Promise<IntentOutcome> {
    const symbol = intent.series.symbol;
    const price = intent.referencePriceQuote;
    if (!(price > 0) || !Number.isFinite(intent.targetFraction)) throw new InvariantError(`intent ${intent.intentId} has price ${price}, target ${intent.targetFraction}`);
    const rec = this.book(symbol);
    rec.markPriceQuote = price;
    if (atrQuote !== undefined) rec.entryAtrQuote = atrQuote;
    if (rec.pendingOrderId !== null) {
      const pending = this.orderBook.get(rec.pendingOrderId);
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
      return { status: 'skipped', reason: { code: 'WITHIN_REBALANCE_BAND', message: `re-size of ${symbol} by ${Math.abs(target - cur) * price} quote is inside the band` } };
    }
    const reducing = Math.abs(target) < Math.abs(cur);
    const side: OrderSide = target > cur ? 'buy' : 'sell';
    const sized = roundOrderQty(target === 0 ? Math.abs(cur) : Math.abs(target - cur), price, this.rules(symbol));
    if (sized.status === 'skipped') return sized;
    const purpose: OrderPurpose = reducing ? 'exit' : 'entry';
    const decision = this.checkRisk(symbol, side, purpose, sized.qtyBase, price, cur);
    if (decision.status === 'denied') return decision;
    if (reducing) await this.cancelProtective(rec);
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
      await this.ensureProtection(rec, intent.candleOpenTimeMs);
    }
    return result;
  }

  /**
   * Resolves orders in status `unknown` (a timeout after send) by asking the broker, and applies
   * fills it reports since the order's creation. Returns how many were resolved. An order the
   * venue does not know was never placed: it is booked `rejected`.
   */
  async reconcile(): Promise<number> {
    let resolved = 0;
    for (const o of [...this.orderBook.values()]) {
      if (o.status !== 'unknown') continue;
      const report = await this.broker.fetchOrder(o.symbol, o.clientOrderId);
      if (report === null) {
        o.status = transition(o.status, 'rejected', o.clientOrderId);
        o.updatedAtMs = this.clock.nowMs();
        const rec = this.books.get(o.symbol);
        if (rec !== undefined && rec.qtyBase !== 0) await this.ensureProtection(rec, o.createdAtMs);
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
   * exit for the whole position (allowed in every risk state). `candleOpenTimeMs` keys the client
   * order id, so calling it twice for one candle never sends two exits.
   */
  async flatten(symbol: string, candleOpenTimeMs: number): Promise<IntentOutcome> {
    const rec = this.books.get(symbol);
    if (rec === undefined || rec.qtyBase === 0) return { status: 'skipped', reason: { code: 'NO_CHANGE', message: `${symbol} is flat` } };
    if (rec.pendingOrderId !== null) {
      const pending = this.orderBook.get(rec.pendingOrderId);
      if (pending !== undefined && isLive(pending.status) && pending.purpose !== 'entry') {
        return { status: 'skipped', reason: { code: 'ORDER_PENDING', message: `exit ${pending.clientOrderId} for ${symbol} is still ${pending.status}` } };
      }
    }
    const qty = floorToStep(Math.abs(rec.qtyBase), this.rules(symbol).stepSize);
    const side: OrderSide = rec.qtyBase > 0 ? 'sell' : 'buy';
    const decision = this.checkRisk(symbol, side, 'exit', qty, rec.markPriceQuote, rec.qtyBase);
    if (decision.status === 'denied') return decision;
    await this.cancelProtective(rec);
    const result = await this.submit({ clientOrderId: clientOrderId(this.config.account, symbol, candleOpenTimeMs, 'exit', 1), symbol, side, type: 'market', purpose: 'exit', qtyBase: qty, reduceOnly: true });
    if (result.status === 'sent' && isLive(result.order.status)) rec.pendingOrderId = result.order.clientOrderId;
    else if (result.status !== 'sent') await this.ensureProtection(rec, candleOpenTimeMs);
    return result;
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
    if (this.seenTrades.has(fill.tradeId)) {
      this.duplicates++;
      return false;
    }
    if (!(fill.qtyBase > 0) || !(fill.priceQuote > 0) || !Number.isFinite(fill.feeQuote)) throw new InvariantError(`bad fill ${fill.tradeId}: qty ${fill.qtyBase}, price ${fill.priceQuote}, fee ${fill.feeQuote}`);
    this.seenTrades.add(fill.tradeId);
    const order = this.orderBook.get(fill.clientOrderId);
    let purpose: OrderPurpose | undefined;
    if (order === undefined) {
      this.log.warn({ tradeId: fill.tradeId, clientOrderId: fill.clientOrderId, symbol: fill.symbol }, 'fill for an order this manager did not place; applied to the position');
    } else {
      purpose = order.purpose;
      // Fills are the source of the filled quantity; a status report may have carried it already.
      let agg = this.fillAgg.get(order.clientOrderId);
      if (agg === undefined) this.fillAgg.set(order.clientOrderId, (agg = { qtyBase: 0, notionalQuote: 0 }));
      agg.qtyBase += fill.qtyBase;
      agg.notionalQuote += fill.qtyBase * fill.priceQuote;
      const fromFills = agg.qtyBase >= order.filledQtyBase - EPS_QTY;
      const filled = fromFills ? agg.qtyBase : order.filledQtyBase;
      const avg = fromFills ? agg.notionalQuote / agg.qtyBase : order.avgFillPriceQuote;
      if (isLive(order.status)) order.status = transition(order.status, filled >= order.qtyBase - EPS_QTY ? 'filled' : 'partially_filled', order.clientOrderId);
      order.filledQtyBase = filled;
      order.avgFillPriceQuote = avg;
      order.updatedAtMs = fill.timeMs;
    }
    const rec = this.book(fill.symbol);
    const before = rec.qtyBase;
    this.bookFill(rec, fill);
    if (rec.qtyBase === 0) {
      await this.cancelProtective(rec);
      rec.guard = null;
      if (purpose === 'stop') this.risk.recordStopOut(fill.symbol);
      this.log.info({ symbol: fill.symbol, purpose, realisedPnlQuote: rec.realisedPnlQuote }, 'position closed');
    } else {
      if (Math.sign(before) !== Math.sign(rec.qtyBase)) rec.guard = null;
      await this.ensureProtection(rec, fill.timeMs);
    }
    return true;
  }

  /** Applies an order status report; illegal transitions throw InvariantError. */
  async applyOrderUpdate(report: Order): Promise<void> {
    const known = this.orderBook.get(report.clientOrderId);
    if (known === undefined) {
      this.orderBook.set(report.clientOrderId, copyOrder(report));
      return;
    }
    if (known.status === report.status) return;
    // A fill already moved it to filled (or a cancel report arrives for a filled order): keep the terminal state.
    if (!isLive(known.status)) {
      if (report.status !== known.status) this.log.debug({ clientOrderId: report.clientOrderId, known: known.status, reported: report.status }, 'late report for a closed order');
      return;
    }
    const status = transition(known.status, report.status, report.clientOrderId);
    known.status = status;
    if (report.filledQtyBase > known.filledQtyBase) {
      known.filledQtyBase = report.filledQtyBase;
      known.avgFillPriceQuote = report.avgFillPriceQuote;
    }
    if (report.exchangeOrderId !== undefined) known.exchangeOrderId = report.exchangeOrderId;
    known.updatedAtMs = report.updatedAtMs;
    if (!isLive(status) && status !== 'filled') {
      const rec = this.books.get(report.symbol);
      // A protective order died without filling while the position is open: re-arm.
      if (rec !== undefined && rec.qtyBase !== 0 && (rec.stopOrderId === report.clientOrderId || rec.takeProfitOrderId === report.clientOrderId)) {
        if (rec.stopOrderId === report.clientOrderId) rec.stopOrderId = null;
        if (rec.takeProfitOrderId === report.clientOrderId) rec.takeProfitOrderId = null;
        await this.ensureProtection(rec, report.updatedAtMs);
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
    const rec = this.books.get(series.symbol);
    let outcome: IntentOutcome | null = null;
    if (rec !== undefined) {
      rec.markPriceQuote = candle.close;
      const g = rec.guard;
      if (rec.qtyBase !== 0 && g !== null) {
        if (!g.native) outcome = await this.evaluateClientGuard(rec, g, candle);
        if (outcome === null && ratchetTrailing(g, this.stops.trailing, candle, this.rules(rec.symbol).tickSize) && g.native) {
          await this.ensureProtection(rec, candle.openTimeMs);
        }
      }
    }
    this.risk.onEquity(this.equityQuote());
    return outcome;
  }

  // ---------------------------------------------------------------- internals

  private async evaluateClientGuard(rec: PositionRecord, g: GuardState, candle: Candle): Promise<IntentOutcome | null> {
    const hit = protectiveHit(g.positionSign, g.stopPriceQuote, g.takeProfitPriceQuote, candle);
    if (hit === 'none') return null;
    if (rec.pendingOrderId !== null) {
      const pending = this.orderBook.get(rec.pendingOrderId);
      if (pending !== undefined && isLive(pending.status) && pending.purpose !== 'entry') return null;
    }
    const purpose: OrderPurpose = hit === 'stop' ? 'stop' : 'take_profit';
    this.log.warn({ symbol: rec.symbol, purpose, level: hit === 'stop' ? g.stopPriceQuote : g.takeProfitPriceQuote, low: candle.low, high: candle.high }, 'client-side guard triggered');
    const result = await this.sendExit(rec, purpose, candle.openTimeMs);
    if (result.status === 'sent' && isLive(result.order.status)) rec.pendingOrderId = result.order.clientOrderId;
    return result;
  }

  private async sendExit(rec: PositionRecord, purpose: OrderPurpose, timeMs: number): Promise<SubmitResult> {
    const rules = this.rules(rec.symbol);
    const qty = floorToStep(Math.abs(rec.qtyBase), rules.stepSize);
    const side: OrderSide = rec.qtyBase > 0 ? 'sell' : 'buy';
    this.checkRisk(rec.symbol, side, purpose, qty, rec.markPriceQuote, rec.qtyBase);
    return this.submit({
      clientOrderId: clientOrderId(this.config.account, rec.symbol, timeMs, purpose, rec.protectSeq++),
      symbol: rec.symbol,
      side,
      type: 'market',
      purpose,
      qtyBase: qty,
      reduceOnly: true,
    });
  }

  /** Invariant: an open position has a guard; with native stops, a live stop order for its full size. */
  private async ensureProtection(rec: PositionRecord, timeMs: number): Promise<void> {
    if (rec.qtyBase === 0) return;
    const sign = Math.sign(rec.qtyBase);
    const rules = this.rules(rec.symbol);
    if (rec.guard === null || rec.guard.positionSign !== sign) {
      const levels = protectiveLevels(this.stops, sign, rec.avgEntryPriceQuote, rec.entryAtrQuote, rules.tickSize);
      rec.guard = {
        symbol: rec.symbol,
        positionSign: sign,
        stopPriceQuote: levels.stopPriceQuote,
        takeProfitPriceQuote: levels.takeProfitPriceQuote,
        bestPriceQuote: rec.avgEntryPriceQuote,
        atrQuote: rec.entryAtrQuote,
        native: this.broker.supportsNativeStops(rec.symbol),
      };
      if (!rec.guard.native) this.log.info({ symbol: rec.symbol, stopPriceQuote: levels.stopPriceQuote }, 'broker holds no stops: client-side guard armed');
    }
    const g = rec.guard;
    if (!g.native) return;
    const qty = floorToStep(Math.abs(rec.qtyBase), rules.stepSize);
    const exitSide: OrderSide = sign > 0 ? 'sell' : 'buy';
    if (!this.protectiveMatches(rec.stopOrderId, qty, g.stopPriceQuote)) {
      if (rec.stopOrderId !== null) await this.cancel(rec.symbol, rec.stopOrderId);
      rec.stopOrderId = null;
      const stop = await this.submitProtective(rec, 'stop', 'stop_market', exitSide, qty, g.stopPriceQuote, timeMs);
      // A stop that filled at once (price already through it) has closed the position: nothing to guard.
      if (rec.qtyBase === 0 || (stop.status === 'sent' && stop.order.status === 'filled')) return;
      if (stop.status !== 'sent' || !isLive(stop.order.status)) {
        await this.emergencyExit(rec, timeMs, stop.status === 'sent' ? `stop order ended ${stop.order.status}` : `${stop.reason.code}: ${stop.reason.message}`);
        return;
      }
      rec.stopOrderId = stop.order.clientOrderId;
    }
    if (!Number.isNaN(g.takeProfitPriceQuote) && !this.protectiveMatches(rec.takeProfitOrderId, qty, g.takeProfitPriceQuote)) {
      if (rec.takeProfitOrderId !== null) await this.cancel(rec.symbol, rec.takeProfitOrderId);
      rec.takeProfitOrderId = null;
      const tp = await this.submitProtective(rec, 'take_profit', 'take_profit_limit', exitSide, qty, g.takeProfitPriceQuote, timeMs);
      if (tp.status === 'sent' && isLive(tp.order.status)) rec.takeProfitOrderId = tp.order.clientOrderId;
      else this.log.warn({ symbol: rec.symbol, takeProfitPriceQuote: g.takeProfitPriceQuote }, 'take-profit order could not be placed; position stays protected by its stop');
    }
  }

  private protectiveMatches(id: string | null, qty: number, triggerQuote: number): boolean {
    if (id === null) return false;
    const o = this.orderBook.get(id);
    return o !== undefined && isLive(o.status) && Math.abs(o.qtyBase - o.filledQtyBase - qty) <= EPS_QTY && o.triggerPriceQuote === triggerQuote;
  }

  private submitProtective(rec: PositionRecord, purpose: 'stop' | 'take_profit', type: 'stop_market' | 'take_profit_limit', side: OrderSide, qty: number, triggerQuote: number, timeMs: number): Promise<SubmitResult> {
    this.checkRisk(rec.symbol, side, purpose, qty, rec.markPriceQuote > 0 ? rec.markPriceQuote : triggerQuote, rec.qtyBase);
    return this.submit({
      clientOrderId: clientOrderId(this.config.account, rec.symbol, timeMs, purpose, rec.protectSeq++),
      symbol: rec.symbol,
      side,
      type,
      purpose,
      qtyBase: qty,
      triggerPriceQuote: triggerQuote,
      reduceOnly: true,
    });
  }

  private async emergencyExit(rec: PositionRecord, timeMs: number, why: string): Promise<void> {
    this.emergencies++;
    this.log.error({ symbol: rec.symbol, qtyBase: rec.qtyBase, why }, 'stop could not be placed: emergency exit');
    if (rec.guard !== null) rec.guard.native = false; // keep guarding client-side until the exit fills
    const result = await this.sendExit(rec, 'emergency_exit', timeMs);
    if (result.status === 'sent') rec.pendingOrderId = result.order.clientOrderId;
    else this.log.fatal({ symbol: rec.symbol, reason: result.reason }, 'emergency exit failed: position guarded client-side only');
  }

  private async cancelProtective(rec: PositionRecord): Promise<void> {
    if (rec.stopOrderId !== null) await this.cancel(rec.symbol, rec.stopOrderId);
    if (rec.takeProfitOrderId !== null) await this.cancel(rec.symbol, rec.takeProfitOrderId);
    rec.stopOrderId = null;
    rec.takeProfitOrderId = null;
  }

  private async cancel(symbol: string, id: string): Promise<void> {
    const known = this.orderBook.get(id);
    if (known === undefined || !isLive(known.status)) return;
    const report = await this.broker.cancelOrder(symbol, id);
    // null: the venue does not know the order, so it cannot fill; book it as canceled.
    const status = report === null ? 'canceled' : report.status;
    const k = this.orderBook.get(id);
    if (k !== undefined && isLive(k.status) && status !== k.status) {
      k.status = transition(k.status, status, id);
      k.updatedAtMs = report === null ? this.clock.nowMs() : report.updatedAtMs;
    }
  }

  private checkRisk(symbol: string, side: OrderSide, purpose: OrderPurpose, qtyBase: number, priceQuote: number, positionQtyBase: number): RiskDecision {
    return this.risk.check({
      symbol,
      side,
      purpose,
      qtyBase,
      priceQuote,
      positionQtyBase,
      totalExposureQuote: this.exposureQuote(),
      openPositions: this.openPositionCount(),
    });
  }

  private async submit(req: OrderRequest): Promise<SubmitResult> {
    const existing = this.orderBook.get(req.clientOrderId);
    if (existing !== undefined && existing.status !== 'new' && existing.status !== 'rejected') {
      // Same decision seen again (restart, duplicate intent): never a second order. A rejected
      // request placed nothing, so it may be retried under the same id (a fresh record).
      return { status: 'sent', order: copyOrder(existing) };
    }
    const now = this.clock.nowMs();
    const draft = makeOrder(req, 'submitted', 0, 0, now, now);
    this.orderBook.set(req.clientOrderId, draft);
    const result = await this.broker.placeOrder(req);
    if (result.status === 'accepted') {
      for (const f of result.fills) await this.applyFill(f);
      await this.applyOrderUpdate(result.order);
      return { status: 'sent', order: copyOrder(this.orderBook.get(req.clientOrderId) ?? result.order) };
    }
    const cur = this.orderBook.get(req.clientOrderId) ?? draft;
    cur.status = transition(cur.status, result.status === 'denied' ? 'rejected' : 'unknown', req.clientOrderId);
    this.log.warn({ clientOrderId: req.clientOrderId, symbol: req.symbol, purpose: req.purpose, reason: result.reason }, result.status === 'denied' ? 'order rejected by broker' : 'order outcome unknown: reconcile');
    return result.status === 'denied' ? { status: 'rejected', reason: result.reason } : { status: 'unknown', reason: result.reason };
  }

  private bookFill(rec: PositionRecord, fill: Fill): void {
    const signed = fill.side === 'buy' ? fill.qtyBase : -fill.qtyBase;
    const cur = rec.qtyBase;
    const step = this.rules(rec.symbol).stepSize;
    this.cash -= signed * fill.priceQuote + fill.feeQuote;
    rec.feesQuote += fill.feeQuote;
    if (rec.markPriceQuote === 0) rec.markPriceQuote = fill.priceQuote; // first sight of the symbol
    if (cur === 0 || Math.sign(cur) === Math.sign(signed)) {
      // Toward zero, never to nearest: with the fee taken from the base received (Binance), the
      // held quantity is off the step, and a book rounded up would size every stop and exit above
      // the balance (refused as insufficient funds).
      const held = floorToStep(Math.abs(cur + signed), step);
      const next = held > 0 ? Math.sign(signed) * held : roundToStep(cur + signed, step);
      rec.avgEntryPriceQuote = (Math.abs(cur) * rec.avgEntryPriceQuote + fill.qtyBase * fill.priceQuote) / Math.abs(next);
      if (cur === 0) rec.openedAtMs = fill.timeMs;
      rec.qtyBase = next;
      return;
    }
    const closing = Math.min(fill.qtyBase, Math.abs(cur));
    rec.realisedPnlQuote += closing * (fill.priceQuote - rec.avgEntryPriceQuote) * Math.sign(cur);
    const next = roundToStep(cur + signed, step);
    rec.qtyBase = next === 0 ? 0 : next; // no -0
    if (next === 0) {
      rec.avgEntryPriceQuote = 0;
    } else if (Math.sign(next) !== Math.sign(cur)) {
      rec.avgEntryPriceQuote = fill.priceQuote;
      rec.openedAtMs = fill.timeMs;
    }
  }

  /** Everything needed to resume after a restart (persist as JSON; restore with fromJSON). */
  toJSON(): OrderManagerState {
    const positions: PositionState[] = [];
    for (const r of this.books.values()) {
      const g = r.guard;
      positions.push({
        symbol: r.symbol,
        qtyBase: r.qtyBase,
        avgEntryPriceQuote: r.avgEntryPriceQuote,
        realisedPnlQuote: r.realisedPnlQuote,
        feesQuote: r.feesQuote,
        openedAtMs: r.openedAtMs,
        markPriceQuote: r.markPriceQuote,
        entryAtrQuote: r.entryAtrQuote ?? null,
        stopOrderId: r.stopOrderId,
        takeProfitOrderId: r.takeProfitOrderId,
        pendingOrderId: r.pendingOrderId,
        protectSeq: r.protectSeq,
        guard:
          g === null
            ? null
            : {
                positionSign: g.positionSign,
                stopPriceQuote: g.stopPriceQuote,
                takeProfitPriceQuote: Number.isNaN(g.takeProfitPriceQuote) ? null : g.takeProfitPriceQuote,
                bestPriceQuote: g.bestPriceQuote,
                atrQuote: g.atrQuote ?? null,
                native: g.native,
              },
      });
    }
    return {
      cashQuote: this.cash,
      duplicateFills: this.duplicates,
      emergencyExits: this.emergencies,
      seenTradeIds: [...this.seenTrades],
      orders: this.orders(),
      fillTotals: [...this.fillAgg].map(([clientOrderId, a]) => ({ clientOrderId, qtyBase: a.qtyBase, notionalQuote: a.notionalQuote })),
      positions,
    };
  }

  static fromJSON(state: OrderManagerState, config: OrderManagerConfig, deps: OrderManagerDeps): OrderManager {
    const om = new OrderManager(config, deps);
    om.cash = state.cashQuote;
    om.duplicates = state.duplicateFills;
    om.emergencies = state.emergencyExits;
    for (const id of state.seenTradeIds) om.seenTrades.add(id);
    for (const o of state.orders) om.orderBook.set(o.clientOrderId, copyOrder(o));
    for (const f of state.fillTotals) om.fillAgg.set(f.clientOrderId, { qtyBase: f.qtyBase, notionalQuote: f.notionalQuote });
    for (const p of state.positions) {
      const r = om.book(p.symbol);
      r.qtyBase = p.qtyBase;
      r.avgEntryPriceQuote = p.avgEntryPriceQuote;
      r.realisedPnlQuote = p.realisedPnlQuote;
      r.feesQuote = p.feesQuote;
      r.openedAtMs = p.openedAtMs;
      r.markPriceQuote = p.markPriceQuote;
      r.entryAtrQuote = p.entryAtrQuote ?? undefined;
      r.stopOrderId = p.stopOrderId;
      r.takeProfitOrderId = p.takeProfitOrderId;
      r.pendingOrderId = p.pendingOrderId;
      r.protectSeq = p.protectSeq;
      const g = p.guard;
      r.guard =
        g === null
          ? null
          : {
              symbol: p.symbol,
              positionSign: g.positionSign,
              stopPriceQuote: g.stopPriceQuote,
              takeProfitPriceQuote: g.takeProfitPriceQuote ?? Number.NaN,
              bestPriceQuote: g.bestPriceQuote,
              atrQuote: g.atrQuote ?? undefined,
              native: g.native,
            };
    }
    return om;
  }

  private book(symbol: string): PositionRecord {
    let r = this.books.get(symbol);
    if (r === undefined) {
      r = {
        symbol,
        qtyBase: 0,
        avgEntryPriceQuote: 0,
        realisedPnlQuote: 0,
        feesQuote: 0,
        openedAtMs: 0,
        markPriceQuote: 0,
        guard: null,
        entryAtrQuote: undefined,
        stopOrderId: null,
        takeProfitOrderId: null,
        pendingOrderId: null,
        protectSeq: 0,
      };
      this.books.set(symbol, r);
    }
    return r;
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
