import { InvariantError } from '../core/index.js';
import { binanceErrors, type BinanceApiError } from './binance-error.js';
import type { PathSegment, PricePath } from './price-path.js';

export const SIM_ORDER_TYPES = ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'] as const;
export type SimOrderType = (typeof SIM_ORDER_TYPES)[number];
export type SimOrderSide = 'BUY' | 'SELL';
export type SimOrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED' | 'REJECTED';
export type SimTimeInForce = 'GTC' | 'IOC' | 'FOK';

/** A market as the engine trades it. `id` is the Binance symbol (BTCUSDT). */
export interface EngineMarket {
  readonly id: string;
  readonly base: string;
  readonly quote: string;
  readonly tickSize: number;
  readonly stepSize: number;
  readonly minQty: number;
  readonly minNotional: number;
  /** MARKET_LOT_SIZE maxQty: the largest market order (BTCUSDT: 128.52). */
  readonly marketMaxQty: number;
  /** LOT_SIZE maxQty. */
  readonly maxQty: number;
  /** PERCENT_PRICE_BY_SIDE: a buy's price within [avg × bidDown, avg × bidUp], a sell's within [avg × askDown, avg × askUp]. */
  readonly percentPriceBySide: { readonly bidUp: number; readonly bidDown: number; readonly askUp: number; readonly askDown: number };
  /** MAX_NUM_ORDERS and MAX_NUM_ALGO_ORDERS: open orders, and open stop/take-profit orders, per symbol. */
  readonly maxNumOrders: number;
  readonly maxNumAlgoOrders: number;
  readonly orderTypes: readonly SimOrderType[];
  readonly path: PricePath;
}

/** Minutes Binance averages the price over for PERCENT_PRICE_BY_SIDE and a market order's NOTIONAL (avgPriceMins). */
export const AVG_PRICE_MINS = 5;

/** An order as the engine keeps it; the REST layer formats it as Binance JSON. */
export interface SimOrder {
  readonly symbol: string;
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly side: SimOrderSide;
  readonly type: SimOrderType;
  readonly timeInForce: SimTimeInForce | undefined;
  /** Limit price; 0 for market types. */
  readonly price: number;
  /** Trigger price; 0 when none. */
  readonly stopPrice: number;
  readonly origQty: number;
  readonly origQuoteOrderQty: number;
  executedQty: number;
  cummulativeQuoteQty: number;
  status: SimOrderStatus;
  readonly timeMs: number;
  updateTimeMs: number;
  /** Stop orders work (sit on the book) only after their trigger; -1 before, like Binance's workingTime. */
  workingTimeMs: number;
  /** Funds held for the order: quote for buys, base for sells. */
  lockRemaining: number;
  readonly lockPerUnit: number;
  /** Partial-fill fault: the rest fills on the next clock advance. */
  pendingRest: boolean;
}

export interface SimTrade {
  readonly id: number;
  readonly orderId: number;
  readonly symbol: string;
  readonly side: SimOrderSide;
  readonly price: number;
  readonly qty: number;
  readonly quoteQty: number;
  readonly commission: number;
  readonly commissionAsset: string;
  readonly timeMs: number;
  readonly isMaker: boolean;
}

export interface PlaceOrderParams {
  readonly symbol: string;
  readonly side: string;
  readonly type: string;
  readonly quantity?: number;
  readonly quoteOrderQty?: number;
  readonly price?: number;
  readonly stopPrice?: number;
  readonly timeInForce?: string;
  readonly newClientOrderId?: string;
}

export interface OrderLookup {
  readonly orderId?: number;
  readonly origClientOrderId?: string;
}

/**
 * Where fees are charged, as on Binance: 'received' (default) takes them from the asset the fill
 * brings in (the base on a buy, the quote on a sell); 'BNB' pays them in BNB at `bnbPriceQuote`
 * with Binance's 25 % discount while the BNB balance lasts, else as 'received'.
 */
export type FeeMode = { readonly kind: 'received' } | { readonly kind: 'BNB'; readonly bnbPriceQuote: number };

export interface EngineOptions {
  readonly markets: readonly EngineMarket[];
  readonly balances: Readonly<Record<string, number>>;
  /** Taker and maker fee rate (0.001 = 0.1 %). */
  readonly feeRate: number;
  /** Default { kind: 'received' }. */
  readonly feeMode?: FeeMode;
  readonly startTimeMs: number;
  /** Binance rejects a client id only while an order with it is open; 'any' also rejects reuse of a closed order's id. */
  readonly duplicateClientOrderIds?: 'open' | 'any';
}

interface Holding {
  free: number;
  locked: number;
}

const CLIENT_ID_RE = /^[.A-Z:/a-z0-9_-]{1,36}$/;
const OPEN: ReadonlySet<SimOrderStatus> = new Set(['NEW', 'PARTIALLY_FILLED']);

/** Round to Binance's 8 decimals so balances do not drift by float error. */
export function round8(x: number): number {
  return Math.round(x * 1e8) / 1e8;
}

function isMultiple(x: number, step: number): boolean {
  if (step <= 0) return true;
  const n = Math.round(x / step);
  // Relative tolerance: 200 / 0.00001 is not an exact float, so an absolute one refuses large sizes.
  return Math.abs(n * step - x) <= Math.max(step, Math.abs(x)) * 1e-12;
}

function floorToStep(x: number, step: number): number {
  return round8(Math.floor(x / step + 1e-9) * step);
}

/**
 * The matching engine: balances, orders and fills against the simulated price path. Infinite
 * liquidity at the path price; market orders take at the current price, resting limits fill at
 * their limit when the path trades through it, stops trigger when the path reaches the stop.
 */
export class ExchangeEngine {
  private readonly markets = new Map<string, EngineMarket>();
  private readonly holdings = new Map<string, Holding>();
  private readonly orders: SimOrder[] = [];
  private readonly trades: SimTrade[] = [];
  private now: number;
  private nextOrderId = 1001;
  private nextTradeId = 5001;
  private partialFault: { fraction: number; remaining: number } | undefined;
  private readonly feeRate: number;
  private readonly feeMode: FeeMode;
  private readonly duplicateScope: 'open' | 'any';

  constructor(opts: EngineOptions) {
    for (const m of opts.markets) this.markets.set(m.id, m);
    for (const [asset, qty] of Object.entries(opts.balances)) this.holdings.set(asset, { free: qty, locked: 0 });
    this.feeRate = opts.feeRate;
    this.feeMode = opts.feeMode ?? { kind: 'received' };
    this.now = opts.startTimeMs;
    this.duplicateScope = opts.duplicateClientOrderIds ?? 'open';
  }

  get nowMs(): number {
    return this.now;
  }

  get fee(): number {
    return this.feeRate;
  }

  marketList(): readonly EngineMarket[] {
    return [...this.markets.values()];
  }

  market(id: string): EngineMarket {
    const m = this.markets.get(id);
    if (m === undefined) throw binanceErrors.invalidSymbol();
    return m;
  }

  priceOf(id: string): number {
    return this.market(id).path.priceAt(this.now);
  }

  /** Binance's avgPrice: the mean price over the last AVG_PRICE_MINS minutes (sampled every 5 s). */
  avgPriceOf(id: string): number {
    const path = this.market(id).path;
    const windowMs = AVG_PRICE_MINS * 60_000;
    const samples = 60;
    let sum = 0;
    for (let i = 0; i < samples; i++) sum += path.priceAt(Math.max(path.startMs, this.now - windowMs + ((i + 1) * windowMs) / samples));
    return sum / samples;
  }

  balances(): ReadonlyArray<{ readonly asset: string; readonly free: number; readonly locked: number }> {
    return [...this.holdings.entries()].map(([asset, h]) => ({ asset, free: round8(h.free), locked: round8(h.locked) }));
  }

  /** Test and control hook: set an asset's free balance. */
  setBalance(asset: string, free: number): void {
    this.holding(asset).free = free;
  }

  /** The next `orders` fills are cut to `fraction` of their size; the rest fills on the next clock advance. */
  injectPartialFills(fraction: number, orders = 1): void {
    if (!(fraction > 0 && fraction < 1)) throw new InvariantError(`partial fill fraction must be in (0, 1), got ${fraction}`);
    this.partialFault = { fraction, remaining: orders };
  }

  clearPartialFills(): void {
    this.partialFault = undefined;
  }

  placeOrder(p: PlaceOrderParams): { order: SimOrder; fills: SimTrade[] } {
    const m = this.market(p.symbol);
    const side = p.side.toUpperCase();
    if (side !== 'BUY' && side !== 'SELL') throw binanceErrors.invalidSide();
    const type = p.type.toUpperCase() as SimOrderType;
    if (!(SIM_ORDER_TYPES as readonly string[]).includes(type) || !m.orderTypes.includes(type)) throw binanceErrors.invalidOrderType();
    const clientOrderId = p.newClientOrderId ?? `sim-${this.nextOrderId}`;
    if (!CLIENT_ID_RE.test(clientOrderId)) throw binanceErrors.illegalValue('newClientOrderId');
    if (this.orders.some((o) => o.clientOrderId === clientOrderId && (this.duplicateScope === 'any' || OPEN.has(o.status)))) {
      throw binanceErrors.duplicateOrder();
    }
    const isLimitType = type === 'LIMIT' || type === 'LIMIT_MAKER' || type === 'STOP_LOSS_LIMIT' || type === 'TAKE_PROFIT_LIMIT';
    const isTrigger = type === 'STOP_LOSS' || type === 'STOP_LOSS_LIMIT' || type === 'TAKE_PROFIT' || type === 'TAKE_PROFIT_LIMIT';
    const current = m.path.priceAt(this.now);

    let timeInForce: SimTimeInForce | undefined;
    if (type === 'LIMIT' || type === 'STOP_LOSS_LIMIT' || type === 'TAKE_PROFIT_LIMIT') {
      if (p.timeInForce === undefined) throw binanceErrors.mandatory('timeInForce');
      if (p.timeInForce !== 'GTC' && p.timeInForce !== 'IOC' && p.timeInForce !== 'FOK') throw binanceErrors.invalidTimeInForce();
      timeInForce = p.timeInForce;
    }
    let price = 0;
    if (isLimitType) {
      if (p.price === undefined || !(p.price > 0)) throw binanceErrors.mandatory('price');
      if (!isMultiple(p.price, m.tickSize)) throw binanceErrors.filterFailure('PRICE_FILTER');
      price = p.price;
    }
    let stopPrice = 0;
    if (isTrigger) {
      if (p.stopPrice === undefined || !(p.stopPrice > 0)) throw binanceErrors.mandatory('stopPrice');
      if (!isMultiple(p.stopPrice, m.tickSize)) throw binanceErrors.filterFailure('PRICE_FILTER');
      stopPrice = p.stopPrice;
    }

    let qty: number;
    let origQuoteOrderQty = 0;
    if (p.quantity !== undefined) {
      qty = p.quantity;
    } else if (type === 'MARKET' && p.quoteOrderQty !== undefined) {
      origQuoteOrderQty = p.quoteOrderQty;
      qty = floorToStep(p.quoteOrderQty / current, m.stepSize);
    } else {
      throw binanceErrors.mandatory('quantity');
    }
    if (!(qty > 0)) throw binanceErrors.mandatory('quantity');
    if (qty < m.minQty || qty > m.maxQty || !isMultiple(qty, m.stepSize)) throw binanceErrors.filterFailure('LOT_SIZE');
    if (type === 'MARKET' && qty > m.marketMaxQty) throw binanceErrors.filterFailure('MARKET_LOT_SIZE');
    const avgPrice = this.avgPriceOf(m.id);
    if (isLimitType) {
      const band = m.percentPriceBySide;
      const [down, up] = side === 'BUY' ? [band.bidDown, band.bidUp] : [band.askDown, band.askUp];
      if (price < avgPrice * down || price > avgPrice * up) throw binanceErrors.filterFailure('PERCENT_PRICE_BY_SIDE');
    }
    const refPrice = isLimitType ? price : type === 'MARKET' ? current : stopPrice;
    // NOTIONAL: a market order's notional is valued at the average price (avgPriceMins), others at their price.
    if (qty * (type === 'MARKET' ? avgPrice : refPrice) < m.minNotional) throw binanceErrors.filterFailure('NOTIONAL');
    const open = this.orders.filter((o) => o.symbol === m.id && OPEN.has(o.status));
    if (open.length >= m.maxNumOrders) throw binanceErrors.filterFailure('MAX_NUM_ORDERS');
    if (isTrigger && open.filter((o) => o.workingTimeMs < 0).length >= m.maxNumAlgoOrders) throw binanceErrors.filterFailure('MAX_NUM_ALGO_ORDERS');

    if (isTrigger && this.triggered(type, side, stopPrice, current)) throw binanceErrors.stopWouldTrigger();
    if (type === 'LIMIT_MAKER' && this.marketable(side, price, current)) throw binanceErrors.wouldTakeImmediately();

    // Funds: limits, stops and market orders all need the full amount up front.
    const lockAsset = side === 'BUY' ? m.quote : m.base;
    // Binance locks price × quantity for a buy: its fee comes out of what the fill brings in.
    const lockPerUnit = side === 'BUY' ? refPrice : 1;
    const needed = round8(qty * lockPerUnit);
    const h = this.holding(lockAsset);
    if (h.free + 1e-12 < needed) throw binanceErrors.insufficientBalance();
    h.free = round8(h.free - needed);
    h.locked = round8(h.locked + needed);

    const order: SimOrder = {
      symbol: m.id,
      orderId: this.nextOrderId++,
      clientOrderId,
      side,
      type,
      timeInForce,
      price,
      stopPrice,
      origQty: qty,
      origQuoteOrderQty,
      executedQty: 0,
      cummulativeQuoteQty: 0,
      status: 'NEW',
      timeMs: this.now,
      updateTimeMs: this.now,
      workingTimeMs: isTrigger ? -1 : this.now,
      lockRemaining: needed,
      lockPerUnit,
      pendingRest: false,
    };
    this.orders.push(order);
    const before = this.trades.length;
    if (type === 'MARKET') {
      this.fill(order, qty, current, this.now, false);
    } else if (!isTrigger && type !== 'LIMIT_MAKER') {
      if (this.marketable(side, price, current)) this.fill(order, qty, current, this.now, false);
      else if (timeInForce === 'IOC' || timeInForce === 'FOK') this.close(order, 'EXPIRED');
    }
    return { order, fills: this.trades.slice(before) };
  }

  cancelOrder(symbol: string, lookup: OrderLookup): SimOrder {
    const order = this.find(symbol, lookup, binanceErrors.cancelUnknownOrder);
    if (!OPEN.has(order.status)) throw binanceErrors.cancelUnknownOrder();
    this.close(order, 'CANCELED');
    return order;
  }

  getOrder(symbol: string, lookup: OrderLookup): SimOrder {
    return this.find(symbol, lookup, binanceErrors.unknownOrder);
  }

  openOrders(symbol?: string): SimOrder[] {
    if (symbol !== undefined) this.market(symbol);
    return this.orders.filter((o) => OPEN.has(o.status) && (symbol === undefined || o.symbol === symbol));
  }

  allOrders(symbol: string): SimOrder[] {
    this.market(symbol);
    return this.orders.filter((o) => o.symbol === symbol);
  }

  myTrades(symbol: string, q: { orderId?: number; startTime?: number; endTime?: number; fromId?: number; limit?: number }): SimTrade[] {
    this.market(symbol);
    const limit = Math.min(q.limit ?? 500, 1000);
    const rows = this.trades.filter(
      (t) =>
        t.symbol === symbol &&
        (q.orderId === undefined || t.orderId === q.orderId) &&
        (q.startTime === undefined || t.timeMs >= q.startTime) &&
        (q.endTime === undefined || t.timeMs <= q.endTime) &&
        (q.fromId === undefined || t.id >= q.fromId),
    );
    return q.startTime === undefined && q.fromId === undefined ? rows.slice(-limit) : rows.slice(0, limit);
  }

  /** Move the clock forward, filling and triggering orders along the price path. */
  advanceTo(toMs: number): void {
    if (toMs < this.now) throw new InvariantError(`simulated clock cannot go back: ${toMs} < ${this.now}`);
    if (toMs === this.now) return;
    const from = this.now;
    for (const order of this.orders) {
      if (order.pendingRest && OPEN.has(order.status)) {
        order.pendingRest = false;
        const m = this.market(order.symbol);
        const px = order.type === 'MARKET' || order.type === 'STOP_LOSS' || order.type === 'TAKE_PROFIT' ? m.path.priceAt(toMs) : order.price;
        this.fill(order, round8(order.origQty - order.executedQty), px, toMs, order.type !== 'MARKET');
      }
    }
    for (const m of this.markets.values()) {
      const working = this.orders.filter((o) => o.symbol === m.id && OPEN.has(o.status) && !o.pendingRest);
      if (working.length === 0) continue;
      for (const seg of m.path.segments(from, toMs)) {
        for (const order of working) {
          if (OPEN.has(order.status)) this.matchSegment(order, seg);
        }
      }
    }
    this.now = toMs;
  }

  private matchSegment(order: SimOrder, seg: PathSegment): void {
    let start = seg;
    if (order.workingTimeMs < 0) {
      const upward = order.type.startsWith('STOP') ? order.side === 'BUY' : order.side === 'SELL';
      const t = upward ? reachUp(seg, order.stopPrice, false) : reachDown(seg, order.stopPrice, false);
      if (t === undefined) return;
      const pt = priceOn(seg, t);
      order.workingTimeMs = t;
      order.updateTimeMs = t;
      if (order.type === 'STOP_LOSS' || order.type === 'TAKE_PROFIT') {
        this.fill(order, order.origQty, pt, t, false);
        return;
      }
      if (this.marketable(order.side, order.price, pt)) {
        this.fill(order, round8(order.origQty - order.executedQty), pt, t, false);
        return;
      }
      start = { fromMs: t, fromPrice: pt, toMs: seg.toMs, toPrice: seg.toPrice };
    }
    // A resting limit fills at its price once the market trades through it.
    const t = order.side === 'BUY' ? reachDown(start, order.price, true) : reachUp(start, order.price, true);
    if (t !== undefined) this.fill(order, round8(order.origQty - order.executedQty), order.price, t, true);
  }

  private triggered(type: SimOrderType, side: SimOrderSide, stopPrice: number, current: number): boolean {
    const upward = type.startsWith('STOP') ? side === 'BUY' : side === 'SELL';
    return upward ? current >= stopPrice : current <= stopPrice;
  }

  private marketable(side: SimOrderSide, limit: number, current: number): boolean {
    return side === 'BUY' ? current <= limit : current >= limit;
  }

  private fill(order: SimOrder, wantQty: number, price: number, timeMs: number, isMaker: boolean): void {
    const m = this.market(order.symbol);
    price = round8(Math.round(price / m.tickSize) * m.tickSize);
    let qty = wantQty;
    if (this.partialFault !== undefined && this.partialFault.remaining > 0 && !order.pendingRest) {
      const part = floorToStep(wantQty * this.partialFault.fraction, m.stepSize);
      if (part > 0 && part < wantQty) {
        qty = part;
        order.pendingRest = true;
        this.partialFault.remaining -= 1;
        if (this.partialFault.remaining <= 0) this.partialFault = undefined;
      }
    }
    const quoteQty = round8(qty * price);
    const base = this.holding(m.base);
    const quote = this.holding(m.quote);
    const received = order.side === 'BUY' ? m.base : m.quote;
    let commissionAsset = received;
    let commission = round8((order.side === 'BUY' ? qty : quoteQty) * this.feeRate);
    if (this.feeMode.kind === 'BNB') {
      const inBnb = round8((quoteQty * this.feeRate * 0.75) / this.feeMode.bnbPriceQuote);
      const bnb = this.holding('BNB');
      if (bnb.free + 1e-12 >= inBnb) {
        bnb.free = round8(bnb.free - inBnb);
        commissionAsset = 'BNB';
        commission = inBnb;
      }
    }
    const feeFromReceived = commissionAsset === received ? commission : 0;
    const release = Math.min(order.lockRemaining, round8(qty * order.lockPerUnit));
    order.lockRemaining = round8(order.lockRemaining - release);
    if (order.side === 'BUY') {
      quote.locked = round8(quote.locked - release);
      quote.free = round8(quote.free + release - quoteQty);
      base.free = round8(base.free + qty - feeFromReceived);
    } else {
      base.locked = round8(base.locked - release);
      base.free = round8(base.free + release - qty);
      quote.free = round8(quote.free + quoteQty - feeFromReceived);
    }
    this.trades.push({
      id: this.nextTradeId++,
      orderId: order.orderId,
      symbol: order.symbol,
      side: order.side,
      price,
      qty,
      quoteQty,
      commission,
      commissionAsset,
      timeMs,
      isMaker,
    });
    order.executedQty = round8(order.executedQty + qty);
    order.cummulativeQuoteQty = round8(order.cummulativeQuoteQty + quoteQty);
    order.updateTimeMs = timeMs;
    if (order.executedQty + 1e-12 >= order.origQty) this.close(order, 'FILLED');
    else order.status = 'PARTIALLY_FILLED';
  }

  private close(order: SimOrder, status: SimOrderStatus): void {
    const m = this.market(order.symbol);
    const h = this.holding(order.side === 'BUY' ? m.quote : m.base);
    h.locked = round8(h.locked - order.lockRemaining);
    h.free = round8(h.free + order.lockRemaining);
    order.lockRemaining = 0;
    order.status = status;
    order.pendingRest = false;
    order.updateTimeMs = Math.max(order.updateTimeMs, this.now);
  }

  private find(symbol: string, lookup: OrderLookup, notFound: () => BinanceApiError): SimOrder {
    this.market(symbol);
    let found: SimOrder | undefined;
    if (lookup.orderId !== undefined) {
      found = this.orders.find((o) => o.symbol === symbol && o.orderId === lookup.orderId);
    } else if (lookup.origClientOrderId !== undefined) {
      // Binance client ids are unique among open orders only: the latest order wins.
      found = this.orders.findLast((o) => o.symbol === symbol && o.clientOrderId === lookup.origClientOrderId);
    } else {
      throw binanceErrors.bothOrderIds();
    }
    if (found === undefined) throw notFound();
    return found;
  }

  private holding(asset: string): Holding {
    let h = this.holdings.get(asset);
    if (h === undefined) {
      h = { free: 0, locked: 0 };
      this.holdings.set(asset, h);
    }
    return h;
  }
}

function priceOn(seg: PathSegment, t: number): number {
  if (seg.toMs === seg.fromMs) return seg.toPrice;
  return seg.fromPrice + ((seg.toPrice - seg.fromPrice) * (t - seg.fromMs)) / (seg.toMs - seg.fromMs);
}

/** First time in the segment the price is at or below x (strictly below when `strict`). */
function reachDown(seg: PathSegment, x: number, strict: boolean): number | undefined {
  const hit = (p: number): boolean => (strict ? p < x : p <= x);
  if (hit(seg.fromPrice)) return seg.fromMs;
  if (!hit(seg.toPrice)) return undefined;
  const f = (seg.fromPrice - x) / (seg.fromPrice - seg.toPrice);
  return Math.min(seg.toMs, Math.max(seg.fromMs, Math.ceil(seg.fromMs + f * (seg.toMs - seg.fromMs))));
}

/** First time in the segment the price is at or above x (strictly above when `strict`). */
function reachUp(seg: PathSegment, x: number, strict: boolean): number | undefined {
  const hit = (p: number): boolean => (strict ? p > x : p >= x);
  if (hit(seg.fromPrice)) return seg.fromMs;
  if (!hit(seg.toPrice)) return undefined;
  const f = (x - seg.fromPrice) / (seg.toPrice - seg.fromPrice);
  return Math.min(seg.toMs, Math.max(seg.fromMs, Math.ceil(seg.fromMs + f * (seg.toMs - seg.fromMs))));
}
