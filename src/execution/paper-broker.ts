import type { Balance, Broker, Candle, Clock, Fill, MarketRules, Order, OrderRequest, OrderStatus, PlaceOrderResult, SeriesKey } from '../core/index.js';
import { InvariantError } from '../core/index.js';
import type { FillModelConfig } from './fill-model.js';
import { DEFAULT_FILL_MODEL, feeQuote, limitFillPrice, slippedPrice, stopTriggerPrice } from './fill-model.js';
import { makeOrder } from './order-record.js';
import { isStepMultiple } from './rounding.js';

export interface PaperBrokerConfig {
  readonly name?: string;
  readonly rules: Readonly<Record<string, MarketRules>>;
  readonly initialQuote: number;
  readonly fillModel?: FillModelConfig;
  /** Whether this simulated venue holds stop orders (false exercises the client-side guard). Default true. */
  readonly nativeStops?: boolean;
  /** Allow selling more base than held (a short). Default false: spot. */
  readonly allowShort?: boolean;
}

/** What a candle changed: orders whose status changed, and new fills (apply both to the OrderManager). */
export interface BrokerUpdate {
  readonly orders: readonly Order[];
  readonly fills: readonly Fill[];
}

/** JSON-safe state of a PaperBroker (persisted with a paper account so a restart resumes the venue too). */
export interface PaperBrokerState {
  readonly quote: number;
  readonly base: Readonly<Record<string, number>>;
  readonly tradeSeq: number;
  /** Open orders and the most recent closed ones (a repeated client id is recognised). */
  readonly orders: readonly Order[];
  /** The most recent fills. */
  readonly fills: readonly Fill[];
}

/** Closed orders and fills kept in memory (a long paper run must not grow without bound). */
const KEPT_CLOSED = 2_000;

const EMPTY_UPDATE: BrokerUpdate = Object.freeze({ orders: Object.freeze([]) as readonly Order[], fills: Object.freeze([]) as readonly Fill[] });

interface LiveOrder {
  req: OrderRequest;
  status: OrderStatus;
  filledQtyBase: number;
  avgFillPriceQuote: number;
  createdAtMs: number;
  updatedAtMs: number;
}

function snapshot(o: LiveOrder): Order {
  return makeOrder(o.req, o.status, o.filledQtyBase, o.avgFillPriceQuote, o.createdAtMs, o.updatedAtMs);
}

function isStopType(o: LiveOrder): boolean {
  return o.req.type === 'stop_market' || o.req.type === 'stop_loss_limit';
}

/**
 * Simulated venue for paper trading and backtests, driven by closed candles. Market orders wait for
 * the NEXT candle's open; stops and limits rest until the candle range reaches them (rules in
 * fill-model.ts). Per candle, call onCandleOpen (fills market orders at the open), apply its update
 * to the OrderManager (which arms stops for new positions), then onCandleRange (stops first, then
 * take-profits and limits) — or onCandle for both at once. Stops armed between the two calls are
 * checked against the same candle, as they would be live.
 *
 * Stop-limit orders (`stop_loss_limit`) are simulated as stop-market (the limit is ignored), and
 * take_profit_limit as a limit at its trigger price. A market order that cannot be paid for at the
 * fill price (or a spot sell of coins not held) ends `expired` without a fill. Fill times are the
 * candle's open time; trade ids are `<name>-<n>`, deterministic for a run.
 */
export class PaperBroker implements Broker {
  readonly name: string;
  private readonly fill: FillModelConfig;
  private readonly nativeStops: boolean;
  private readonly allowShort: boolean;
  private quote: number;
  private readonly base = new Map<string, number>();
  private readonly live = new Map<string, LiveOrder[]>();
  private readonly all = new Map<string, LiveOrder>();
  private readonly fills: Fill[] = [];
  private tradeSeq = 0;
  private closedIds: string[] = [];
  /** Out-values of rangeFill (avoids an allocation per resting order per candle). */
  private rangePrice = 0;
  private rangeFeeBps = 0;

  constructor(
    private readonly config: PaperBrokerConfig,
    private readonly clock: Clock,
  ) {
    this.name = config.name ?? 'paper';
    this.fill = config.fillModel ?? DEFAULT_FILL_MODEL;
    this.nativeStops = config.nativeStops ?? true;
    this.allowShort = config.allowShort ?? false;
    this.quote = config.initialQuote;
  }

  supportsNativeStops(): boolean {
    return this.nativeStops;
  }

  marketRules(symbol: string): MarketRules {
    const r = this.config.rules[symbol];
    if (r === undefined) throw new InvariantError(`no market rules for ${symbol}`);
    return r;
  }

  /** Signed base position held for a symbol. */
  positionQtyBase(symbol: string): number {
    return this.base.get(symbol) ?? 0;
  }

  placeOrder(req: OrderRequest): Promise<PlaceOrderResult> {
    return Promise.resolve(this.placeOrderSync(req));
  }

  placeOrderSync(req: OrderRequest): PlaceOrderResult {
    const existing = this.all.get(req.clientOrderId);
    if (existing !== undefined) return { status: 'accepted', order: snapshot(existing), fills: [] };
    const rules = this.marketRules(req.symbol);
    if (!(req.qtyBase > 0) || !isStepMultiple(req.qtyBase, rules.stepSize)) {
      return { status: 'denied', reason: { code: 'INVALID_QTY', message: `qty ${req.qtyBase} is not a positive multiple of ${rules.stepSize}` } };
    }
    if (req.qtyBase < rules.minQtyBase) return { status: 'denied', reason: { code: 'BELOW_MIN_QTY', message: `qty ${req.qtyBase} < ${rules.minQtyBase}` } };
    const isStop = req.type === 'stop_market' || req.type === 'stop_loss_limit';
    if (isStop && !this.nativeStops) return { status: 'denied', reason: { code: 'STOPS_UNSUPPORTED', message: `${this.name} holds no stop orders` } };
    if ((isStop || req.type === 'take_profit_limit') && !(req.triggerPriceQuote! > 0)) {
      return { status: 'denied', reason: { code: 'INVALID_PRICE', message: 'stop/take-profit order needs a trigger price' } };
    }
    if (req.type === 'limit' && !(req.limitPriceQuote! > 0))
      return { status: 'denied', reason: { code: 'INVALID_PRICE', message: 'limit order needs a limit price' } };
    const now = this.clock.nowMs();
    const o: LiveOrder = { req, status: 'open', filledQtyBase: 0, avgFillPriceQuote: 0, createdAtMs: now, updatedAtMs: now };
    this.all.set(req.clientOrderId, o);
    let list = this.live.get(req.symbol);
    if (list === undefined) this.live.set(req.symbol, (list = []));
    list.push(o);
    return { status: 'accepted', order: snapshot(o), fills: [] };
  }

  cancelOrder(_symbol: string, clientOrderId: string): Promise<Order | null> {
    const o = this.all.get(clientOrderId);
    if (o === undefined) return Promise.resolve(null);
    if (o.status === 'open' || o.status === 'partially_filled') {
      o.status = 'canceled';
      o.updatedAtMs = this.clock.nowMs();
      this.removeLive(o);
    }
    return Promise.resolve(snapshot(o));
  }

  fetchOrder(_symbol: string, clientOrderId: string): Promise<Order | null> {
    const o = this.all.get(clientOrderId);
    return Promise.resolve(o === undefined ? null : snapshot(o));
  }

  fetchOpenOrders(symbol?: string): Promise<readonly Order[]> {
    const out: Order[] = [];
    for (const [s, list] of this.live) if (symbol === undefined || s === symbol) for (const o of list) out.push(snapshot(o));
    return Promise.resolve(out);
  }

  fetchFills(symbol: string, sinceMs: number): Promise<readonly Fill[]> {
    return Promise.resolve(this.fills.filter((f) => f.symbol === symbol && f.timeMs >= sinceMs));
  }

  fetchBalance(): Promise<Balance> {
    const base: Record<string, number> = {};
    for (const [symbol, qty] of this.base) base[symbol.split('/')[0] ?? symbol] = qty;
    return Promise.resolve({ freeQuote: this.quote, totalQuote: this.quote, base });
  }

  /** Both phases of a candle; use when nothing needs to happen between the open and the range. */
  onCandle(series: SeriesKey, candle: Candle): BrokerUpdate {
    const a = this.onCandleOpen(series, candle);
    const b = this.onCandleRange(series, candle);
    if (a === EMPTY_UPDATE) return b;
    if (b === EMPTY_UPDATE) return a;
    return { orders: [...a.orders, ...b.orders], fills: [...a.fills, ...b.fills] };
  }

  /** Fills queued market orders at this candle's open (± adverse slippage, taker fee). */
  onCandleOpen(series: SeriesKey, candle: Candle): BrokerUpdate {
    const list = this.live.get(series.symbol);
    if (list === undefined || list.length === 0) return EMPTY_UPDATE;
    let out: { orders: Order[]; fills: Fill[] } | null = null;
    // Index loop without a copy: execute() removes the order from `list` when it ends.
    for (let i = 0; i < list.length;) {
      const o = list[i] as LiveOrder;
      if (o.req.type === 'market') {
        out ??= { orders: [], fills: [] };
        this.execute(o, slippedPrice(o.req.side, candle.open, this.fill.slippageBps), this.fill.takerFeeBps, candle.openTimeMs, out);
      }
      if (list[i] === o) i++;
    }
    return out ?? EMPTY_UPDATE;
  }

  /** Checks resting orders against this candle's range: stops first (adverse), then take-profits and limits. */
  onCandleRange(series: SeriesKey, candle: Candle): BrokerUpdate {
    const list = this.live.get(series.symbol);
    if (list === undefined || list.length === 0) return EMPTY_UPDATE;
    let out: { orders: Order[]; fills: Fill[] } | null = null;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < list.length;) {
        const o = list[i] as LiveOrder;
        if (this.rangeFill(o, pass, candle)) {
          out ??= { orders: [], fills: [] };
          this.execute(o, this.rangePrice, this.rangeFeeBps, candle.openTimeMs, out);
        }
        if (list[i] === o) i++;
      }
    }
    return out ?? EMPTY_UPDATE;
  }

  /** Whether `o` fills within the candle's range in this pass (0: stops, 1: limits); sets rangePrice/rangeFeeBps. */
  private rangeFill(o: LiveOrder, pass: number, candle: Candle): boolean {
    if (o.status !== 'open' && o.status !== 'partially_filled') return false;
    if (o.req.type === 'market' || isStopType(o) !== (pass === 0)) return false;
    if (pass === 0) {
      const trigger = stopTriggerPrice(o.req.side, o.req.triggerPriceQuote as number, candle);
      if (Number.isNaN(trigger)) return false;
      this.rangePrice = slippedPrice(o.req.side, trigger, this.fill.slippageBps);
      this.rangeFeeBps = this.fill.takerFeeBps;
      return true;
    }
    const limit = o.req.type === 'take_profit_limit' ? (o.req.triggerPriceQuote as number) : (o.req.limitPriceQuote as number);
    const price = limitFillPrice(o.req.side, limit, candle);
    if (Number.isNaN(price)) return false;
    this.rangePrice = price;
    this.rangeFeeBps = this.fill.makerFeeBps;
    return true;
  }

  private execute(o: LiveOrder, priceQuote: number, feeBps: number, timeMs: number, out: { orders: Order[]; fills: Fill[] }): void {
    const symbol = o.req.symbol;
    const held = this.base.get(symbol) ?? 0;
    let qty = o.req.qtyBase - o.filledQtyBase;
    const sign = o.req.side === 'buy' ? 1 : -1;
    if (o.req.reduceOnly === true) {
      // Reduce-only: never more than the opposite position; nothing left to reduce → canceled.
      const reducible = sign > 0 ? Math.max(0, -held) : Math.max(0, held);
      qty = Math.min(qty, reducible);
      if (!(qty > 0)) return this.finish(o, 'canceled', timeMs, out);
    }
    const fee = feeQuote(qty, priceQuote, feeBps);
    if (sign > 0 && qty * priceQuote + fee > this.quote + 1e-9) return this.finish(o, 'expired', timeMs, out);
    if (sign < 0 && !this.allowShort && qty > held + 1e-12) return this.finish(o, 'expired', timeMs, out);
    this.quote -= sign * qty * priceQuote + fee;
    this.base.set(symbol, held + sign * qty);
    const fill: Fill = {
      tradeId: `${this.name}-${++this.tradeSeq}`,
      clientOrderId: o.req.clientOrderId,
      symbol,
      side: o.req.side,
      qtyBase: qty,
      priceQuote,
      feeQuote: fee,
      timeMs,
    };
    this.fills.push(fill);
    out.fills.push(fill);
    o.avgFillPriceQuote = (o.avgFillPriceQuote * o.filledQtyBase + priceQuote * qty) / (o.filledQtyBase + qty);
    o.filledQtyBase += qty;
    this.finish(o, 'filled', timeMs, out);
  }

  private finish(o: LiveOrder, status: OrderStatus, timeMs: number, out: { orders: Order[]; fills: Fill[] }): void {
    o.status = status;
    o.updatedAtMs = timeMs;
    this.removeLive(o);
    out.orders.push(snapshot(o));
  }

  toJSON(): PaperBrokerState {
    const base: Record<string, number> = {};
    for (const [k, v] of this.base) base[k] = v;
    return { quote: this.quote, base, tradeSeq: this.tradeSeq, orders: [...this.all.values()].map(snapshot), fills: [...this.fills] };
  }

  /** A broker that resumes a persisted state (open orders rest again; ids of closed ones stay known). */
  static fromJSON(state: PaperBrokerState, config: PaperBrokerConfig, clock: Clock): PaperBroker {
    const b = new PaperBroker({ ...config, initialQuote: state.quote }, clock);
    for (const [k, v] of Object.entries(state.base)) b.base.set(k, v);
    b.tradeSeq = state.tradeSeq;
    b.fills.push(...state.fills);
    for (const o of state.orders) {
      const { clientOrderId, symbol, side, type, purpose, qtyBase, limitPriceQuote, triggerPriceQuote, reduceOnly } = o;
      const req: OrderRequest = {
        clientOrderId,
        symbol,
        side,
        type,
        purpose,
        qtyBase,
        ...(limitPriceQuote !== undefined ? { limitPriceQuote } : {}),
        ...(triggerPriceQuote !== undefined ? { triggerPriceQuote } : {}),
        ...(reduceOnly !== undefined ? { reduceOnly } : {}),
      };
      const lo: LiveOrder = {
        req,
        status: o.status,
        filledQtyBase: o.filledQtyBase,
        avgFillPriceQuote: o.avgFillPriceQuote,
        createdAtMs: o.createdAtMs,
        updatedAtMs: o.updatedAtMs,
      };
      b.all.set(clientOrderId, lo);
      if (o.status === 'open' || o.status === 'partially_filled') {
        let list = b.live.get(symbol);
        if (list === undefined) b.live.set(symbol, (list = []));
        list.push(lo);
      } else {
        b.closedIds.push(clientOrderId);
      }
    }
    return b;
  }

  private removeLive(o: LiveOrder): void {
    this.closedIds.push(o.req.clientOrderId);
    if (this.closedIds.length > KEPT_CLOSED * 2) {
      for (const id of this.closedIds.splice(0, this.closedIds.length - KEPT_CLOSED)) this.all.delete(id);
    }
    if (this.fills.length > KEPT_CLOSED * 2) this.fills.splice(0, this.fills.length - KEPT_CLOSED);
    const list = this.live.get(o.req.symbol);
    if (list === undefined) return;
    const i = list.indexOf(o);
    if (i >= 0) list.splice(i, 1);
  }
}
