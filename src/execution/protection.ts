import type { Candle, Logger, MarketRules, OrderPurpose, OrderRequest, OrderSide } from '../core/index.js';
import { protectiveHit } from './fill-model.js';
import type { KernelEventSink } from './kernel/events.js';
import { isLive } from './order-state.js';
import type { OrderRecords } from './order-records.js';
import type { PositionRecord } from './position-book.js';
import type { RiskDecision, RiskReason } from './risk-engine.js';
import { floorToStep } from './rounding.js';
import type { GuardState, StopConfig } from './stops.js';
import { protectiveLevels, ratchetTrailing } from './stops.js';
import type { Order } from '../core/index.js';

const EPS_QTY = 1e-12;

/** What became of one placement through the broker (after the risk check). */
export type SubmitResult =
  | { readonly status: 'sent'; readonly order: Order }
  | { readonly status: 'denied'; readonly reason: RiskReason }
  | { readonly status: 'rejected'; readonly reason: { readonly code: string; readonly message: string } }
  | { readonly status: 'unknown'; readonly reason: { readonly code: string; readonly message: string } };

/** The order desk protection works through: risk checks, placement and cancellation, market rules. */
export interface OrderDesk {
  checkRisk(
    symbol: string,
    side: OrderSide,
    purpose: OrderPurpose,
    qtyBase: number,
    priceQuote: number,
    positionQtyBase: number,
    intentId?: string | null,
  ): RiskDecision;
  submit(req: OrderRequest): Promise<SubmitResult>;
  cancel(symbol: string, clientOrderId: string): Promise<void>;
  rules(symbol: string): MarketRules;
  supportsNativeStops(symbol: string): boolean;
  orderId(symbol: string, timeMs: number, purpose: OrderPurpose, seq?: number): string;
}

/**
 * A stop on every position: native stop (and take-profit) orders where the broker holds them,
 * otherwise a client-side guard evaluated on every closed candle; trailing stops ratcheted per
 * candle; a stop that cannot be placed triggers an emergency exit. Every protective order and exit
 * is checked by the risk engine first, and a denial is acted on (no order is sent).
 */
export class Protection {
  private emergencies = 0;

  constructor(
    private readonly desk: OrderDesk,
    private readonly records: OrderRecords,
    private readonly stops: StopConfig,
    private readonly log: Logger,
    private readonly emit: KernelEventSink,
  ) {}

  /** Emergency exits sent because a stop could not be placed. */
  get emergencyExitCount(): number {
    return this.emergencies;
  }

  set emergencyExitCount(n: number) {
    this.emergencies = n;
  }

  /** Invariant: an open position has a guard; with native stops, a live stop order for its full size. */
  async ensure(rec: PositionRecord, timeMs: number): Promise<void> {
    if (rec.qtyBase === 0) return;
    const sign = Math.sign(rec.qtyBase);
    const rules = this.desk.rules(rec.symbol);
    if (rec.guard === null || rec.guard.positionSign !== sign) {
      const levels = protectiveLevels(this.stops, sign, rec.avgEntryPriceQuote, rec.entryAtrQuote, rules.tickSize);
      rec.guard = {
        symbol: rec.symbol,
        positionSign: sign,
        stopPriceQuote: levels.stopPriceQuote,
        takeProfitPriceQuote: levels.takeProfitPriceQuote,
        bestPriceQuote: rec.avgEntryPriceQuote,
        atrQuote: rec.entryAtrQuote,
        native: this.desk.supportsNativeStops(rec.symbol),
      };
      if (!rec.guard.native) this.log.info({ symbol: rec.symbol, stopPriceQuote: levels.stopPriceQuote }, 'broker holds no stops: client-side guard armed');
    }
    const g = rec.guard;
    if (!g.native) return;
    const qty = floorToStep(Math.abs(rec.qtyBase), rules.stepSize);
    const exitSide: OrderSide = sign > 0 ? 'sell' : 'buy';
    if (!this.matches(rec.stopOrderId, qty, g.stopPriceQuote)) {
      if (rec.stopOrderId !== null) await this.desk.cancel(rec.symbol, rec.stopOrderId);
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
    if (!Number.isNaN(g.takeProfitPriceQuote) && !this.matches(rec.takeProfitOrderId, qty, g.takeProfitPriceQuote)) {
      if (rec.takeProfitOrderId !== null) await this.desk.cancel(rec.symbol, rec.takeProfitOrderId);
      rec.takeProfitOrderId = null;
      const tp = await this.submitProtective(rec, 'take_profit', 'take_profit_limit', exitSide, qty, g.takeProfitPriceQuote, timeMs);
      if (tp.status === 'sent' && isLive(tp.order.status)) rec.takeProfitOrderId = tp.order.clientOrderId;
      else
        this.log.warn(
          { symbol: rec.symbol, takeProfitPriceQuote: g.takeProfitPriceQuote },
          'take-profit order could not be placed; position stays protected by its stop',
        );
    }
  }

  /**
   * Per closed candle: a client-side guard hit on this candle's range sends its exit (returned);
   * otherwise trailing stops are ratcheted (native ones replaced).
   */
  async onCandle(rec: PositionRecord, candle: Candle): Promise<SubmitResult | null> {
    const g = rec.guard;
    if (rec.qtyBase === 0 || g === null) return null;
    let outcome: SubmitResult | null = null;
    if (!g.native) outcome = await this.evaluateClientGuard(rec, g, candle);
    if (outcome === null && ratchetTrailing(g, this.stops.trailing, candle, this.desk.rules(rec.symbol).tickSize) && g.native) {
      await this.ensure(rec, candle.openTimeMs);
    }
    return outcome;
  }

  async cancelAll(rec: PositionRecord): Promise<void> {
    if (rec.stopOrderId !== null) await this.desk.cancel(rec.symbol, rec.stopOrderId);
    if (rec.takeProfitOrderId !== null) await this.desk.cancel(rec.symbol, rec.takeProfitOrderId);
    rec.stopOrderId = null;
    rec.takeProfitOrderId = null;
  }

  private async evaluateClientGuard(rec: PositionRecord, g: GuardState, candle: Candle): Promise<SubmitResult | null> {
    const hit = protectiveHit(g.positionSign, g.stopPriceQuote, g.takeProfitPriceQuote, candle);
    if (hit === 'none') return null;
    if (rec.pendingOrderId !== null) {
      const pending = this.records.mutable(rec.pendingOrderId);
      if (pending !== undefined && isLive(pending.status) && pending.purpose !== 'entry') return null;
    }
    const purpose = hit === 'stop' ? 'stop' : 'take_profit';
    const level = hit === 'stop' ? g.stopPriceQuote : g.takeProfitPriceQuote;
    this.log.warn({ symbol: rec.symbol, purpose, level, low: candle.low, high: candle.high }, 'client-side guard triggered');
    this.emit({ type: 'StopTriggered', symbol: rec.symbol, purpose, levelQuote: level, native: false, timeMs: candle.openTimeMs });
    const result = await this.sendExit(rec, purpose, candle.openTimeMs);
    if (result.status === 'sent' && isLive(result.order.status)) rec.pendingOrderId = result.order.clientOrderId;
    return result;
  }

  /** A market exit of the whole position, if the risk engine approves it. */
  private async sendExit(rec: PositionRecord, purpose: OrderPurpose, timeMs: number): Promise<SubmitResult> {
    const rules = this.desk.rules(rec.symbol);
    const qty = floorToStep(Math.abs(rec.qtyBase), rules.stepSize);
    const side: OrderSide = rec.qtyBase > 0 ? 'sell' : 'buy';
    const decision = this.desk.checkRisk(rec.symbol, side, purpose, qty, rec.markPriceQuote, rec.qtyBase);
    if (decision.status === 'denied') return decision;
    return this.desk.submit({
      clientOrderId: this.desk.orderId(rec.symbol, timeMs, purpose, rec.protectSeq++),
      symbol: rec.symbol,
      side,
      type: 'market',
      purpose,
      qtyBase: qty,
      reduceOnly: true,
    });
  }

  private matches(id: string | null, qty: number, triggerQuote: number): boolean {
    if (id === null) return false;
    const o = this.records.mutable(id);
    return o !== undefined && isLive(o.status) && Math.abs(o.qtyBase - o.filledQtyBase - qty) <= EPS_QTY && o.triggerPriceQuote === triggerQuote;
  }

  private async submitProtective(
    rec: PositionRecord,
    purpose: 'stop' | 'take_profit',
    type: 'stop_market' | 'take_profit_limit',
    side: OrderSide,
    qty: number,
    triggerQuote: number,
    timeMs: number,
  ): Promise<SubmitResult> {
    const decision = this.desk.checkRisk(rec.symbol, side, purpose, qty, rec.markPriceQuote > 0 ? rec.markPriceQuote : triggerQuote, rec.qtyBase);
    if (decision.status === 'denied') return decision;
    return this.desk.submit({
      clientOrderId: this.desk.orderId(rec.symbol, timeMs, purpose, rec.protectSeq++),
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
    this.emit({ type: 'EmergencyExitSent', symbol: rec.symbol, why, sent: result.status === 'sent' });
    if (result.status === 'sent') rec.pendingOrderId = result.order.clientOrderId;
    else this.log.fatal({ symbol: rec.symbol, reason: result.reason }, 'emergency exit failed: position guarded client-side only');
  }
}
