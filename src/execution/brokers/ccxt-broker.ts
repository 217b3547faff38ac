import type { z } from 'zod';
import type { Balance, Broker, Clock, Fill, Logger, MarketRules, Order, OrderRequest, PlaceOrderResult } from '../../core/index.js';
import { ConfigError, ExchangeError, InvariantError, silentLogger } from '../../core/index.js';
import { MAX_CLIENT_ORDER_ID_LENGTH } from '../order-state.js';
import { ceilToStep, floorToStep } from '../rounding.js';
import { classifyExchangeError, scrubSecrets, type ExchangeCallPhase, type ExchangeErrorVerdict } from './classify-exchange-error.js';
import {
  ccxtBalanceSchema,
  ccxtMarketSchema,
  ccxtOrderSchema,
  ccxtTradeSchema,
  feeQuoteOf,
  fillOf,
  marketRulesOf,
  orderStatusOf,
  orderTypeOf,
  purposeOf,
  type CcxtMarket,
  type CcxtOrder,
  type CcxtTrade,
} from './ccxt-payloads.js';
import type { CcxtExchangeLike } from './exchange-like.js';
import { RateBudget, realSleep, type Sleep } from './rate-budget.js';

export interface CcxtBrokerRetryConfig {
  /** Attempts per call for retryable failures (rate limits, network errors on reads), first one included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface CcxtBrokerReconcileConfig {
  /** Lookups by client id after an order request's outcome became unknown. */
  readonly lookups: number;
  /** Wait before each lookup (the venue may need a moment to show a just-accepted order). */
  readonly delayMs: number;
  /** "Order does not exist" answers needed before the order counts as never placed (then re-sent once). */
  readonly notFoundConfirmations: number;
}

export interface CcxtBrokerOptions {
  /** Symbols this broker trades: `fetchOpenOrders()` without a symbol asks each. */
  readonly symbols: readonly string[];
  /** Broker name in logs; default `ccxt`. */
  readonly name?: string;
  /** A sell stop's limit sits this fraction below its trigger (a buy stop's above); default 0.005. */
  readonly stopLimitSlippageFraction?: number;
  /** A take-profit's limit sits this fraction past its trigger toward the market; default 0 (limit = trigger). */
  readonly takeProfitLimitSlippageFraction?: number;
  readonly retry?: CcxtBrokerRetryConfig;
  readonly reconcile?: CcxtBrokerReconcileConfig;
  /** The account's request budget, shared by every caller on the same key; default a private one. */
  readonly rateBudget?: RateBudget;
  /** Backoff waits (tests inject a fast one). */
  readonly sleep?: Sleep;
  readonly clock?: Clock;
  /** Last known price, to check a market order's min notional before sending; without it the venue checks. */
  readonly referencePriceQuote?: (symbol: string) => number | undefined;
  /** Whether the venue holds native stops; default true (Binance spot STOP_LOSS_LIMIT). */
  readonly nativeStops?: boolean;
  /** Quote currency of `fetchBalance()`; default the quote of the first symbol. */
  readonly quoteCurrency?: string;
  /** Extra strings to scrub from messages (the exchange's apiKey/secret are always scrubbed). */
  readonly secrets?: readonly string[];
  readonly logger?: Logger;
}

export const DEFAULT_CCXT_RETRY: CcxtBrokerRetryConfig = Object.freeze({ attempts: 4, baseDelayMs: 250, maxDelayMs: 4_000 });
export const DEFAULT_CCXT_RECONCILE: CcxtBrokerReconcileConfig = Object.freeze({ lookups: 5, delayMs: 500, notFoundConfirmations: 2 });

/** What the broker sends for one request, after precision and minimum checks. */
interface PreparedOrder {
  readonly request: OrderRequest;
  readonly ccxtType: 'market' | 'limit';
  readonly amount: number;
  readonly price: number | undefined;
  readonly triggerPrice: number | undefined;
  readonly params: Readonly<Record<string, unknown>>;
}

type Denied = Extract<PlaceOrderResult, { status: 'denied' }>;
type Lookup =
  { readonly kind: 'found'; readonly result: PlaceOrderResult } | { readonly kind: 'absent' } | { readonly kind: 'unknown'; readonly reason: string };

const MAX_ORDER_ID_CACHE = 10_000;
const TRADES_PAGE = 500;

function denied(code: string, message: string): Denied {
  return { status: 'denied', reason: { code, message } };
}

/**
 * The Broker port over ccxt's unified API, for Binance spot: deterministic client order ids on
 * every order, precision and minimums checked before sending, protective stops as STOP_LOSS_LIMIT,
 * every exchange failure classified once (`classifyExchangeError`): retried with the same client
 * id, reconciled by client id when the outcome is unknown (never re-sent blind), denied with a
 * code, or thrown as `ExchangeError('stop')` (credentials: the daemon halts trading). Every call
 * spends the account's shared `RateBudget`. Construct with `CcxtBroker.create` (loads markets).
 */
export class CcxtBroker implements Broker {
  readonly name: string;
  private readonly budget: RateBudget;
  private readonly sleep: Sleep;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly retry: CcxtBrokerRetryConfig;
  private readonly reconcileCfg: CcxtBrokerReconcileConfig;
  private readonly stopSlip: number;
  private readonly tpSlip: number;
  private readonly secrets: readonly (string | undefined)[];
  private readonly quote: string;
  /** exchange order id → client order id (trades carry only the former). */
  private readonly clientIdByOrderId = new Map<string, string>();

  private constructor(
    private readonly exchange: CcxtExchangeLike,
    private readonly options: CcxtBrokerOptions,
    private readonly markets: ReadonlyMap<string, CcxtMarket>,
  ) {
    this.name = options.name ?? 'ccxt';
    this.budget = options.rateBudget ?? new RateBudget();
    this.sleep = options.sleep ?? realSleep;
    this.clock = options.clock ?? { nowMs: () => Date.now() };
    this.log = (options.logger ?? silentLogger).child({ component: 'broker', broker: this.name });
    this.retry = options.retry ?? DEFAULT_CCXT_RETRY;
    this.reconcileCfg = options.reconcile ?? DEFAULT_CCXT_RECONCILE;
    this.stopSlip = options.stopLimitSlippageFraction ?? 0.005;
    this.tpSlip = options.takeProfitLimitSlippageFraction ?? 0;
    this.secrets = [exchange.apiKey, exchange.secret, ...(options.secrets ?? [])];
    const first = markets.get(options.symbols[0] ?? '');
    this.quote = options.quoteCurrency ?? first?.quote ?? 'USDT';
  }

  /** Loads the exchange's markets (with retries) and checks that every configured symbol exists. */
  static async create(exchange: CcxtExchangeLike, options: CcxtBrokerOptions): Promise<CcxtBroker> {
    if (options.symbols.length === 0) throw new ConfigError('CcxtBroker needs at least one symbol');
    const slip = options.stopLimitSlippageFraction ?? 0.005;
    if (!(slip >= 0 && slip < 0.5)) throw new ConfigError(`stopLimitSlippageFraction must be in [0, 0.5), got ${slip}`);
    const probe = new CcxtBroker(exchange, options, new Map());
    const loaded = await probe.call('read', 'loadMarkets', () => exchange.loadMarkets());
    const markets = new Map<string, CcxtMarket>();
    for (const symbol of options.symbols) {
      const parsed = ccxtMarketSchema.safeParse(loaded[symbol]);
      if (!parsed.success)
        throw new ConfigError(
          `market ${symbol} is unknown to the exchange or lacks precision/limits`,
          parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
        );
      markets.set(symbol, parsed.data);
    }
    return new CcxtBroker(exchange, options, markets);
  }

  supportsNativeStops(symbol: string): boolean {
    return (this.options.nativeStops ?? true) && this.market(symbol).spot !== false;
  }

  marketRules(symbol: string): MarketRules {
    return marketRulesOf(this.market(symbol));
  }

  async placeOrder(request: OrderRequest): Promise<PlaceOrderResult> {
    const prepared = this.prepare(request);
    if ('status' in prepared) return prepared;
    return this.send(prepared);
  }

  async fetchOrder(symbol: string, clientOrderId: string): Promise<Order | null> {
    this.market(symbol);
    const raw = await this.lookupRaw(symbol, clientOrderId);
    return raw === null ? null : this.toOrder(raw, clientOrderId);
  }

  /** Cancels by client id; returns the order's final state, or null when the venue does not know it. */
  async cancelOrder(symbol: string, clientOrderId: string): Promise<Order | null> {
    this.market(symbol);
    try {
      const raw = await this.call('read', 'cancelOrder', () => this.exchange.cancelOrder(undefined, symbol, { origClientOrderId: clientOrderId }));
      // Binance answers a cancel with the cancel request's own id as clientOrderId: keep the order's.
      return this.toOrder(this.parseOrder(raw, 'cancelOrder'), clientOrderId);
    } catch (err) {
      if (!(err instanceof ExchangeError) || err.code !== 'ORDER_NOT_FOUND') throw err;
      // Already gone (filled, canceled) or never placed: report what the venue knows.
      return this.fetchOrder(symbol, clientOrderId);
    }
  }

  async fetchOpenOrders(symbol?: string): Promise<readonly Order[]> {
    const symbols = symbol !== undefined ? [symbol] : this.options.symbols;
    const out: Order[] = [];
    for (const s of symbols) {
      this.market(s);
      const rows = await this.call('read', 'fetchOpenOrders', () => this.exchange.fetchOpenOrders(s));
      for (const row of rows) {
        const o = this.parseOrder(row, 'fetchOpenOrders');
        out.push(this.toOrder(o, o.clientOrderId ?? `x${String(o.id ?? '')}`));
      }
    }
    return out;
  }

  /** Fills since `sinceMs` (fetchMyTrades, paged), each with its order's client id and the fee in quote. */
  async fetchFills(symbol: string, sinceMs: number): Promise<readonly Fill[]> {
    const market = this.market(symbol);
    const seen = new Set<string>();
    const fills: Fill[] = [];
    // First page by time; later pages by trade id (Binance: `fromId` excludes startTime), so a busy
    // millisecond is never cut in half and no page is fetched twice.
    let page: { since: number | undefined; params: Record<string, unknown> } = { since: sinceMs, params: {} };
    for (;;) {
      const { since, params } = page;
      const rows = await this.call('read', 'fetchMyTrades', () => this.exchange.fetchMyTrades(symbol, since, TRADES_PAGE, params));
      let fresh = 0;
      let maxId = -1;
      for (const row of rows) {
        const t = this.parse(ccxtTradeSchema, row, 'fetchMyTrades');
        const id = t.id === undefined || t.id === null ? undefined : String(t.id);
        if (id === undefined || seen.has(id)) continue;
        seen.add(id);
        fresh++;
        if (/^\d+$/.test(id)) maxId = Math.max(maxId, Number(id));
        if (t.timestamp !== undefined && t.timestamp !== null && t.timestamp < sinceMs) continue;
        const clientOrderId = await this.clientIdOfTrade(symbol, t);
        fills.push(fillOf(t, clientOrderId, symbol, t.side ?? 'buy', this.feeQuote(t, market), this.clock.nowMs(), market.base));
      }
      if (rows.length < TRADES_PAGE || fresh === 0 || maxId < 0) break;
      page = { since: undefined, params: { fromId: maxId + 1 } };
    }
    return fills.sort((a, b) => a.timeMs - b.timeMs);
  }

  async fetchBalance(): Promise<Balance> {
    const raw = await this.call('read', 'fetchBalance', () => this.exchange.fetchBalance());
    const b = this.parse(ccxtBalanceSchema, raw, 'fetchBalance');
    const base: Record<string, number> = {};
    for (const [asset, total] of Object.entries(b.total)) {
      if (asset !== this.quote && typeof total === 'number' && total > 0) base[asset] = total;
    }
    return Object.freeze({ freeQuote: b.free[this.quote] ?? 0, totalQuote: b.total[this.quote] ?? 0, base: Object.freeze(base) });
  }

  // ---- placement -------------------------------------------------------------------------------

  /** Precision and minimums, checked here because ccxt sends whatever it is given. */
  private prepare(req: OrderRequest): PreparedOrder | Denied {
    if (req.clientOrderId.length === 0 || req.clientOrderId.length > MAX_CLIENT_ORDER_ID_LENGTH || !/^[.A-Z:/a-z0-9_-]+$/.test(req.clientOrderId)) {
      return denied('INVALID_CLIENT_ORDER_ID', `client order id '${req.clientOrderId}' must be 1-${MAX_CLIENT_ORDER_ID_LENGTH} chars of [.A-Z:/a-z0-9_-]`);
    }
    if (!this.markets.has(req.symbol)) return denied('BAD_SYMBOL', `${req.symbol} is not configured for this broker`);
    const rules = this.marketRules(req.symbol);
    if (!(req.qtyBase > 0) || !Number.isFinite(req.qtyBase)) return denied('BELOW_MIN_QTY', `quantity must be positive, got ${req.qtyBase}`);
    const amount = floorToStep(req.qtyBase, rules.stepSize);
    if (!(amount > 0) || amount < rules.minQtyBase)
      return denied('BELOW_MIN_QTY', `${req.qtyBase} ${req.symbol} truncates to ${amount}, below the minimum ${rules.minQtyBase} (step ${rules.stepSize})`);

    const tick = rules.tickSize;
    const sell = req.side === 'sell';
    // Away from the market: a sell limit/stop rounds down, a buy up (a worse price, never a skipped fill).
    const away = (p: number): number => (sell ? floorToStep(p, tick) : ceilToStep(p, tick));
    const params: Record<string, unknown> = { clientOrderId: req.clientOrderId };
    let ccxtType: 'market' | 'limit';
    let price: number | undefined;
    let triggerPrice: number | undefined;
    switch (req.type) {
      case 'market':
        ccxtType = 'market';
        break;
      case 'limit': {
        if (!(req.limitPriceQuote !== undefined && req.limitPriceQuote > 0)) return denied('INVALID_PRICE', 'limit order needs a positive limit price');
        ccxtType = 'limit';
        // Never pay more (buy) or take less (sell) than asked.
        price = sell ? ceilToStep(req.limitPriceQuote, tick) : floorToStep(req.limitPriceQuote, tick);
        break;
      }
      case 'stop_market':
      case 'stop_loss_limit': {
        if (!(req.triggerPriceQuote !== undefined && req.triggerPriceQuote > 0)) return denied('INVALID_PRICE', 'stop order needs a positive trigger price');
        ccxtType = 'limit';
        triggerPrice = away(req.triggerPriceQuote);
        const limit =
          req.type === 'stop_loss_limit' && req.limitPriceQuote !== undefined
            ? req.limitPriceQuote
            : triggerPrice * (sell ? 1 - this.stopSlip : 1 + this.stopSlip);
        price = away(limit);
        params['stopLossPrice'] = triggerPrice;
        break;
      }
      case 'take_profit_limit': {
        if (!(req.triggerPriceQuote !== undefined && req.triggerPriceQuote > 0))
          return denied('INVALID_PRICE', 'take-profit order needs a positive trigger price');
        ccxtType = 'limit';
        // A take-profit is away from the market on the other side: a sell's trigger rounds up.
        triggerPrice = sell ? ceilToStep(req.triggerPriceQuote, tick) : floorToStep(req.triggerPriceQuote, tick);
        price = away(req.limitPriceQuote ?? triggerPrice * (sell ? 1 - this.tpSlip : 1 + this.tpSlip));
        params['takeProfitPrice'] = triggerPrice;
        break;
      }
    }
    if (price !== undefined && !(price > 0)) return denied('INVALID_PRICE', `price rounds to ${price} at tick ${tick}`);
    // Every other filter the exchange publishes, checked here so a refusal never costs a request
    // (or, for a protective stop, the time to find out).
    if (rules.maxQtyBase !== undefined && amount > rules.maxQtyBase)
      return denied('ABOVE_MAX_QTY', `${amount} ${req.symbol} is above the exchange's maximum order quantity ${rules.maxQtyBase} (LOT_SIZE)`);
    if (ccxtType === 'market' && rules.marketMaxQtyBase !== undefined && amount > rules.marketMaxQtyBase) {
      return denied(
        'ABOVE_MAX_QTY',
        `${amount} ${req.symbol} is above the exchange's maximum market order quantity ${rules.marketMaxQtyBase} (MARKET_LOT_SIZE); split it or use a limit order`,
      );
    }
    const lastPrice = this.options.referencePriceQuote?.(req.symbol);
    const band = rules.percentPriceBySide;
    if (price !== undefined && band !== undefined && lastPrice !== undefined && lastPrice > 0) {
      const [down, up] = sell ? [band.askDown, band.askUp] : [band.bidDown, band.bidUp];
      if (price < lastPrice * down || price > lastPrice * up) {
        return denied(
          'PRICE_OUT_OF_BAND',
          `${req.side} price ${price} is outside [${lastPrice * down}, ${lastPrice * up}], the exchange's band around the market price ${lastPrice} (PERCENT_PRICE_BY_SIDE)`,
        );
      }
    }
    const refPrice = price ?? lastPrice;
    if (refPrice !== undefined && refPrice > 0 && amount * refPrice < rules.minNotionalQuote) {
      return denied(
        'BELOW_MIN_NOTIONAL',
        `${amount} × ${refPrice} = ${amount * refPrice} ${this.market(req.symbol).quote} is below the minimum notional ${rules.minNotionalQuote}`,
      );
    }
    return { request: req, ccxtType, amount, price, triggerPrice, params };
  }

  /** Sends, retries, reconciles: the one place an order request goes out. */
  private async send(p: PreparedOrder): Promise<PlaceOrderResult> {
    const { request: req } = p;
    let attempt = 0;
    let resynced = false;
    let resent = false;
    for (;;) {
      let verdict: ExchangeErrorVerdict | undefined;
      let raw: unknown;
      try {
        raw = await this.budget.run(() => this.exchange.createOrder(req.symbol, p.ccxtType, req.side, p.amount, p.price, { ...p.params }));
      } catch (err) {
        verdict = classifyExchangeError(err, 'after-send', this.secrets);
      }
      // An unreadable answer to an accepted order is an adapter bug: parseOrder throws InvariantError.
      if (verdict === undefined) return this.accepted(this.parseOrder(raw, 'createOrder'), p);
      const ctx = { clientOrderId: req.clientOrderId, symbol: req.symbol, code: verdict.code, errorClass: verdict.errorClass, attempt };
      switch (verdict.action) {
        case 'stop':
          this.log.fatal(ctx, 'exchange refused the credentials: stop trading');
          throw new ExchangeError('stop', verdict.code, `createOrder ${req.symbol}: ${verdict.message}`);
        case 'deny':
          this.log.warn(ctx, 'order denied by the exchange');
          return denied(verdict.code, verdict.message);
        case 'retry': {
          if (verdict.code === 'CLOCK_SKEW') {
            if (resynced || !(await this.resyncClock())) return denied('CLOCK_SKEW', verdict.message);
            resynced = true;
            continue;
          }
          attempt++;
          if (attempt >= this.retry.attempts) {
            // A rate-limited request was refused, not executed: nothing was placed.
            this.log.warn(ctx, 'order not placed: retries exhausted');
            return denied(verdict.code, `${verdict.message} (after ${attempt} attempts)`);
          }
          this.log.info(ctx, 'retrying order with the same client id');
          await this.sleep(this.backoffMs(attempt));
          continue;
        }
        case 'reconcile': {
          this.log.warn(ctx, 'order outcome unknown: looking it up by client id');
          const found = await this.reconcilePlacement(p);
          if (found.kind === 'found') return found.result;
          if (found.kind === 'absent' && !resent) {
            // The venue confirmed it never got the order: the one re-send, under the same client id.
            resent = true;
            this.log.warn(ctx, 'order confirmed absent: re-sending once with the same client id');
            continue;
          }
          const why = found.kind === 'absent' ? 'absent after the re-send' : found.reason;
          return { status: 'unknown', reason: { code: verdict.code, message: `${verdict.message}; reconcile: ${why}` } };
        }
      }
    }
  }

  /** Looks a just-sent order up by client id: found, confirmed absent, or still unknown. */
  private async reconcilePlacement(p: PreparedOrder): Promise<Lookup> {
    const { symbol, clientOrderId } = p.request;
    let notFound = 0;
    let lastReason = 'no answer';
    for (let i = 0; i < this.reconcileCfg.lookups; i++) {
      await this.sleep(i === 0 ? this.reconcileCfg.delayMs : Math.max(this.reconcileCfg.delayMs, this.backoffMs(i)));
      let raw: unknown;
      try {
        raw = await this.budget.run(() => this.exchange.fetchOrder(undefined, symbol, { origClientOrderId: clientOrderId }));
      } catch (err) {
        const v = classifyExchangeError(err, 'read', this.secrets);
        if (v.action === 'stop') throw new ExchangeError('stop', v.code, `fetchOrder ${symbol}: ${v.message}`);
        if (v.code === 'ORDER_NOT_FOUND') {
          if (++notFound >= this.reconcileCfg.notFoundConfirmations) return { kind: 'absent' };
          continue;
        }
        if (v.code === 'CLOCK_SKEW') await this.resyncClock();
        lastReason = `${v.code}: ${v.message}`;
        continue;
      }
      return { kind: 'found', result: await this.accepted(this.parseOrder(raw, 'fetchOrder'), p) };
    }
    return { kind: 'unknown', reason: lastReason };
  }

  /** An accepted order with its fills: from the response's trades, else from the account's trades. */
  private async accepted(o: CcxtOrder, p: PreparedOrder): Promise<PlaceOrderResult> {
    const req = p.request;
    const market = this.market(req.symbol);
    const base = this.toOrder(o, req.clientOrderId);
    const order: Order = { ...base, type: req.type, purpose: req.purpose, qtyBase: p.amount, ...this.pricesOf(p) };
    let fills: Fill[] = [];
    const filled = o.filled ?? 0;
    const avg = order.avgFillPriceQuote;
    if (o.trades !== undefined && o.trades !== null && o.trades.length > 0) {
      fills = o.trades.map((t) => fillOf(t, req.clientOrderId, req.symbol, req.side, this.feeQuote(t, market, avg), base.updatedAtMs, market.base));
    } else if (filled > 0) {
      // toOrder remembered exchange id → client id, so these trades map to this order without a lookup.
      try {
        fills = (await this.fetchFills(req.symbol, base.createdAtMs - 1)).filter((f) => f.clientOrderId === req.clientOrderId);
      } catch (err) {
        if (err instanceof ExchangeError && err.action === 'stop') throw err;
        // The order exists: report it; its fills arrive with the next fetchFills poll (applied once by trade id).
        this.log.warn(
          { clientOrderId: req.clientOrderId, code: err instanceof ExchangeError ? err.code : 'UNEXPECTED_ERROR' },
          'order accepted, fills not fetched yet',
        );
      }
    }
    return { status: 'accepted', order, fills };
  }

  private pricesOf(p: PreparedOrder): Pick<OrderRequest, 'limitPriceQuote' | 'triggerPriceQuote'> {
    const out: { limitPriceQuote?: number; triggerPriceQuote?: number } = {};
    if (p.price !== undefined) out.limitPriceQuote = p.price;
    if (p.triggerPrice !== undefined) out.triggerPriceQuote = p.triggerPrice;
    return out;
  }

  /** ccxt binance signs with `now - timeDifference`: re-measure it. False when this client cannot. */
  private async resyncClock(): Promise<boolean> {
    const ex = this.exchange;
    if (ex.loadTimeDifference === undefined) return false;
    try {
      await this.budget.run(async () => ex.loadTimeDifference?.());
      this.log.warn({}, 'clock skew: re-measured the exchange time difference');
      return true;
    } catch (err) {
      this.log.error({ code: classifyExchangeError(err, 'read', this.secrets).code }, 'could not re-measure the exchange time difference');
      return false;
    }
  }

  // ---- reads -----------------------------------------------------------------------------------

  private async lookupRaw(symbol: string, clientOrderId: string): Promise<CcxtOrder | null> {
    try {
      const raw = await this.call('read', 'fetchOrder', () => this.exchange.fetchOrder(undefined, symbol, { origClientOrderId: clientOrderId }));
      return this.parseOrder(raw, 'fetchOrder');
    } catch (err) {
      if (err instanceof ExchangeError && err.code === 'ORDER_NOT_FOUND') return null;
      throw err;
    }
  }

  /**
   * One exchange call under the rate budget, with retries for what the classification says may be
   * retried; everything else (and exhausted retries) is thrown as an ExchangeError with the
   * verdict's action and code.
   */
  private async call<T>(phase: ExchangeCallPhase, what: string, fn: () => Promise<T>): Promise<T> {
    let attempt = 0;
    let resynced = false;
    for (;;) {
      let verdict: ExchangeErrorVerdict;
      try {
        return await this.budget.run(fn);
      } catch (err) {
        verdict = classifyExchangeError(err, phase, this.secrets);
      }
      if (verdict.action === 'retry') {
        if (verdict.code === 'CLOCK_SKEW') {
          if (!resynced && (await this.resyncClock())) {
            resynced = true;
            continue;
          }
          throw new ExchangeError('deny', 'CLOCK_SKEW', `${what}: ${verdict.message}`);
        }
        attempt++;
        if (attempt < this.retry.attempts) {
          this.log.info({ what, code: verdict.code, attempt }, 'retrying exchange call');
          await this.sleep(this.backoffMs(attempt));
          continue;
        }
      }
      if (verdict.action === 'stop') this.log.fatal({ what, code: verdict.code }, 'exchange refused the credentials: stop trading');
      throw new ExchangeError(verdict.action, verdict.code, `${what}: ${verdict.message}`);
    }
  }

  private backoffMs(attempt: number): number {
    return Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  }

  // ---- mapping ---------------------------------------------------------------------------------

  private market(symbol: string): CcxtMarket {
    const m = this.markets.get(symbol);
    if (m === undefined) throw new InvariantError(`CcxtBroker: ${symbol} is not one of its symbols (${this.options.symbols.join(', ')})`);
    return m;
  }

  private parse<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
    const r = schema.safeParse(raw);
    if (r.success) return r.data;
    const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.map(String).join('.')}: ${i.message}`);
    // A payload wick cannot read is a broken invariant of the adapter, not a venue decision.
    throw new InvariantError(scrubSecrets(`ccxt ${what} returned an unexpected payload (${issues.join('; ')})`, this.secrets));
  }

  private parseOrder(raw: unknown, what: string): CcxtOrder {
    return this.parse(ccxtOrderSchema, raw, what);
  }

  private toOrder(o: CcxtOrder, clientOrderId: string): Order {
    const now = this.clock.nowMs();
    const filled = o.filled ?? 0;
    const trigger = o.triggerPrice ?? o.stopPrice ?? undefined;
    const hasTrigger = trigger !== undefined && trigger !== null && trigger > 0;
    const type = orderTypeOf(o.type, hasTrigger);
    const avg = o.average ?? (filled > 0 && o.cost !== undefined && o.cost !== null ? o.cost / filled : 0);
    const createdAtMs = o.timestamp ?? now;
    const exchangeOrderId = o.id === undefined || o.id === null ? undefined : String(o.id);
    if (exchangeOrderId !== undefined) this.rememberOrderId(exchangeOrderId, clientOrderId);
    const order: { -readonly [K in keyof Order]: Order[K] } = {
      clientOrderId,
      symbol: o.symbol,
      side: o.side,
      type,
      purpose: purposeOf(clientOrderId, type),
      qtyBase: o.amount ?? filled,
      status: orderStatusOf(o.status, filled),
      filledQtyBase: filled,
      avgFillPriceQuote: avg,
      createdAtMs,
      updatedAtMs: o.lastUpdateTimestamp ?? o.lastTradeTimestamp ?? createdAtMs,
    };
    if (exchangeOrderId !== undefined) order.exchangeOrderId = exchangeOrderId;
    if (type !== 'market' && o.price !== undefined && o.price !== null && o.price > 0) order.limitPriceQuote = o.price;
    if (hasTrigger) order.triggerPriceQuote = trigger;
    return order;
  }

  private rememberOrderId(orderId: string, clientOrderId: string): void {
    if (this.clientIdByOrderId.size >= MAX_ORDER_ID_CACHE) {
      const oldest = this.clientIdByOrderId.keys().next().value;
      if (oldest !== undefined) this.clientIdByOrderId.delete(oldest);
    }
    this.clientIdByOrderId.set(orderId, clientOrderId);
  }

  /** Trades carry the exchange order id only: map it to the client id, asking for the order once. */
  private async clientIdOfTrade(symbol: string, t: CcxtTrade): Promise<string> {
    if (t.clientOrderId !== undefined && t.clientOrderId !== null) return t.clientOrderId;
    if (t.order === undefined || t.order === null) throw new InvariantError(`trade ${String(t.id)} on ${symbol} has no order id`);
    const orderId = String(t.order);
    const known = this.clientIdByOrderId.get(orderId);
    if (known !== undefined) return known;
    const raw = await this.call('read', 'fetchOrder', () => this.exchange.fetchOrder(orderId, symbol));
    const o = this.parseOrder(raw, 'fetchOrder');
    const clientOrderId = o.clientOrderId ?? `x${orderId}`;
    this.rememberOrderId(orderId, clientOrderId);
    return clientOrderId;
  }

  private feeQuote(t: CcxtTrade, market: CcxtMarket, fallbackPrice = 0): number {
    const fee = feeQuoteOf(t.fee, market.base, market.quote, t.price > 0 ? t.price : fallbackPrice);
    if (fee !== undefined) return fee;
    // A fee in a third asset (e.g. BNB) has no price here: book 0 and say so.
    this.log.warn({ tradeId: String(t.id), feeCurrency: t.fee?.currency, feeCost: t.fee?.cost }, 'fee in a third asset: not converted to quote');
    return 0;
  }
}
