import {
  ExchangeError,
  TERMINAL_ORDER_STATUSES,
  type Broker,
  type Clock,
  type Fill,
  type Logger,
  type Order,
  type OrderPurpose,
  type SeriesKey,
} from '../../core/index.js';
import { createIndicator, type StreamingIndicator } from '../../features/index.js';
import { clientOrderId, OrderManager, RiskEngine, type IntentOutcome, type OrderManagerConfig, type RiskConfig } from '../../execution/index.js';
import { LIVE_STATE_VERSION, type LiveStateStore, type LiveTraderState } from './state-store.js';
import type { CandleHistory } from './signal-step.js';
import { TimeOrderedTrader, type TraderItem } from './time-ordered-trader.js';

/**
 * starting: state loaded, not reconciled yet (nothing is sent). trading: reconciled, intents go out.
 * fail-closed: reconciliation (or a step) failed: intents are skipped, reconciliation is retried.
 * halted: the exchange refused our credentials (ExchangeError action 'stop'): nothing is sent until a restart.
 */
export type LiveTraderStatus = 'starting' | 'trading' | 'fail-closed' | 'halted';

export interface LiveTraderOptions {
  readonly broker: Broker;
  readonly series: readonly SeriesKey[];
  /** The candle store's read side (time ordering across series). */
  readonly store: CandleHistory;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Used for a fresh account; a persisted state brings its own books. `account` keys state and client ids. */
  readonly orderManager: OrderManagerConfig;
  readonly risk: RiskConfig;
  readonly stateStore: LiveStateStore;
  /** Candles that opened before this only warm up the signal role. */
  readonly tradeFromMs?: number;
  /** Poll order updates and fills this often besides every step; default 10 s; 0: only on steps. */
  readonly pollIntervalMs?: number;
  /** Full reconciliation this often while trading; default 60 s; 0: only at start-up. */
  readonly reconcileIntervalMs?: number;
  /** Retry of a failed reconciliation while fail-closed; default 15 s; 0: never by timer. */
  readonly retryIntervalMs?: number;
  /** Fresh state: fills of our own orders this far back are adopted at start-up; default 24 h. */
  readonly fillLookbackMs?: number;
  /** Last known price of a symbol (to protect a position found on the exchange); default the last close stepped. */
  readonly referencePriceQuote?: (symbol: string) => number | undefined;
  readonly onStep?: (item: TraderItem, outcome: string | null) => void;
  /** Hears about every status change (health, notifications). */
  readonly onStatus?: (status: LiveTraderStatus, reason: string | null) => void;
}

const ATR_PERIOD = 14;
const PURPOSES: readonly OrderPurpose[] = ['entry', 'exit', 'stop', 'take_profit', 'emergency_exit'];
const ID_SHAPE = /^w[A-Z]_([0-9a-z]+)_([0-9a-z]+)_[0-9a-z]{14}$/;

/**
 * The trader role of live trading: OrderManager + RiskEngine over a real Broker (CcxtBroker), wall
 * clock, the same time ordering as the PaperTrader. Per decision: poll the broker (fills, then
 * order updates), `onCandleClosed` (marks, trailing stops, client-side guards, risk equity), then
 * `onIntent`; the whole state is persisted after every step.
 *
 * Start-up is recovery (`LiveTrader.start`): load the state, reconcile with the exchange, and only
 * then trade. Reconciliation policy (see `reconcile()`):
 * - open orders: ours (the id recomputes from this account: `clientOrderId(account, symbol, t, purpose, seq)`)
 *   are adopted; foreign ones are left alone and logged (wick never cancels what it did not place);
 *   our protective orders that no position references any more are cancelled;
 * - our orders the books hold as live but the exchange no longer lists are looked up by client id;
 * - fills since the last seen are applied once (by trade id), adopting their order first when the
 *   books lost it (a crash between send and the state write);
 * - balances: a base balance the books do not explain is booked as a position (loud error log) and
 *   gets a stop at once; a position the exchange does not hold is booked closed (loud error log).
 * Any failure leaves the trader fail-closed: intents are skipped with a log line naming why, and
 * reconciliation is retried every `retryIntervalMs`.
 */
export class LiveTrader extends TimeOrderedTrader {
  private om: OrderManager;
  private risk: RiskEngine;
  private readonly atrs = new Map<string, StreamingIndicator>();
  private readonly lastClose = new Map<string, number>();
  private fillCursor: Record<string, number> = {};
  private currentStatus: LiveTraderStatus = 'starting';
  private reason: string | null = 'not reconciled yet';
  private reconciledOnce = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private readonly log: Logger;

  private constructor(
    private readonly options: LiveTraderOptions,
    state: LiveTraderState | null,
  ) {
    super(options);
    this.log = options.logger;
    const deps = { broker: options.broker, clock: options.clock, logger: options.logger };
    if (state === null) {
      this.risk = new RiskEngine(options.risk, options.clock);
      this.om = new OrderManager(options.orderManager, { ...deps, risk: this.risk });
      const since = options.clock.nowMs() - (options.fillLookbackMs ?? 86_400_000);
      for (const s of options.series) this.fillCursor[s.symbol] = since;
    } else {
      this.risk = RiskEngine.fromJSON(state.risk, options.risk, options.clock);
      this.om = OrderManager.fromJSON(state.orderManager, options.orderManager, { ...deps, risk: this.risk });
      this.fillCursor = { ...state.fillCursorMs };
      for (const [id, t] of Object.entries(state.lastCandleOpenTimeMs)) this.last.set(id, t);
      for (const p of state.orderManager.positions) if (p.markPriceQuote > 0) this.lastClose.set(p.symbol, p.markPriceQuote);
    }
  }

  /**
   * Loads the persisted state (a state of an unknown version or shape throws LiveStateError: refuse
   * to start), reconciles with the exchange before any order, and starts the poll/reconcile timers.
   * A failed reconciliation does not throw: the trader starts fail-closed and keeps retrying.
   */
  static async start(options: LiveTraderOptions): Promise<LiveTrader> {
    const state = await options.stateStore.load();
    options.logger.info({ key: options.stateStore.key, restored: state !== null, orders: state?.orderManager.orders.length ?? 0 }, state === null ? 'live trader: no saved state; starting fresh' : 'live trader: state restored; reconciling before any order');
    const trader = new LiveTrader(options, state);
    await trader.exclusive(() => trader.reconcileNow());
    trader.startTimers();
    return trader;
  }

  get status(): LiveTraderStatus {
    return this.currentStatus;
  }

  /** Why the trader is not trading (null while trading). */
  get statusReason(): string | null {
    return this.reason;
  }

  get orderManager(): OrderManager {
    return this.om;
  }

  get riskEngine(): RiskEngine {
    return this.risk;
  }

  /** Full reconciliation, serialised with the steps. Resolves whether it succeeded. */
  reconcile(): Promise<boolean> {
    return this.exclusive(() => this.reconcileNow());
  }

  /** Poll of order updates and fills, serialised with the steps. */
  poll(): Promise<void> {
    return this.exclusive(async () => {
      if (!this.reconciledOnce || this.currentStatus === 'halted') return;
      try {
        await this.pollNow();
        await this.persist();
      } catch (error) {
        this.onFailure(error, 'poll');
      }
    });
  }

  /** Stops the timers and waits for the step in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.exclusive(() => undefined);
  }

  protected async step(id: string, item: TraderItem): Promise<void> {
    const { series, candle } = item.candle;
    this.updateAtr(id, item);
    this.lastClose.set(series.symbol, candle.close);
    let outcome: string | null = null;
    if (candle.openTimeMs < (this.options.tradeFromMs ?? Number.NEGATIVE_INFINITY)) {
      outcome = 'warmup';
    } else if (this.currentStatus === 'halted' || !this.reconciledOnce) {
      outcome = this.currentStatus === 'halted' ? 'halted' : 'fail-closed';
      this.log.warn({ series: id, openTimeMs: candle.openTimeMs, intentId: item.intent?.intentId, status: this.currentStatus, why: this.reason }, `live trader ${this.currentStatus}: step skipped, nothing sent (${this.reason ?? ''})`);
    } else {
      try {
        await this.pollNow();
        const guard = await this.om.onCandleClosed(series, candle);
        if (guard !== null) this.logOutcome(id, 'client-side guard exit', guard);
        if (item.intent !== null) {
          if (this.currentStatus !== 'trading') {
            outcome = 'fail-closed';
            this.log.warn({ series: id, intentId: item.intent.intentId, why: this.reason }, `live trader fail-closed: intent skipped, nothing sent (${this.reason ?? ''})`);
          } else {
            const atr = this.atrs.get(id)?.value();
            const result = await this.om.onIntent(item.intent, atr !== undefined && Number.isFinite(atr) ? atr : undefined);
            outcome = result.status === 'sent' ? 'sent' : `${result.status}:${result.reason.code}`;
            this.logOutcome(id, item.intent.intentId, result);
          }
        }
      } catch (error) {
        outcome = this.onFailure(error, 'step');
      }
    }
    await this.persistQuietly();
    this.options.onStep?.(item, outcome);
  }

  private updateAtr(id: string, item: TraderItem): void {
    let atr = this.atrs.get(id);
    if (atr === undefined) {
      atr = createIndicator({ id: 'atr', kind: 'atr', params: { period: ATR_PERIOD } });
      this.atrs.set(id, atr);
    }
    atr.update(item.candle.candle);
  }

  private logOutcome(series: string, intentId: string, result: IntentOutcome): void {
    this.log.info(
      {
        series,
        intentId,
        outcome: result.status,
        ...(result.status === 'sent' ? { clientOrderId: result.order.clientOrderId, side: result.order.side, qtyBase: result.order.qtyBase } : { reason: result.reason }),
      },
      result.status === 'sent' ? 'order placed' : `intent ${result.status}`,
    );
  }

  // ---------------------------------------------------------------- status

  private setStatus(status: LiveTraderStatus, reason: string | null): void {
    if (this.currentStatus === 'halted') return; // only a restart leaves halted
    const changed = status !== this.currentStatus || reason !== this.reason;
    this.currentStatus = status;
    this.reason = reason;
    if (!changed) return;
    if (status === 'trading') this.log.info('live trader reconciled with the exchange: trading');
    else if (status === 'halted') this.log.error({ why: reason }, `live trader HALTED: ${reason ?? ''}; nothing will be sent until wick is restarted with working credentials`);
    else if (status === 'fail-closed') this.log.error({ why: reason }, `live trader fail-closed: ${reason ?? ''}; intents are skipped until reconciliation succeeds`);
    this.options.onStatus?.(status, reason);
  }

  /** Classifies a failure: authentication halts, anything else fails closed. Returns the step outcome. */
  private onFailure(error: unknown, where: string): string {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof ExchangeError && error.action === 'stop') {
      this.setStatus('halted', `${where}: exchange refused the credentials (${error.code}): ${message}`);
      return `halted:${error.code}`;
    }
    const code = error instanceof ExchangeError ? error.code : error instanceof Error ? error.name : 'ERROR';
    this.setStatus('fail-closed', `${where} failed (${code}): ${message}`);
    return `fail-closed:${code}`;
  }

  private startTimers(): void {
    const every = (ms: number | undefined, fallback: number, fn: () => Promise<unknown>): void => {
      const period = ms ?? fallback;
      if (period <= 0) return;
      const t = setInterval(() => {
        if (!this.stopped) void fn().catch((error: unknown) => this.log.error({ err: error }, 'live trader timer failed'));
      }, period);
      t.unref();
      this.timers.push(t);
    };
    every(this.options.pollIntervalMs, 10_000, () => (this.currentStatus === 'trading' ? this.poll() : Promise.resolve()));
    every(this.options.reconcileIntervalMs, 60_000, () => (this.currentStatus === 'trading' ? this.reconcile() : Promise.resolve(true)));
    every(this.options.retryIntervalMs, 15_000, () => (this.currentStatus === 'fail-closed' || this.currentStatus === 'starting' ? this.reconcile() : Promise.resolve(true)));
  }

  // ---------------------------------------------------------------- persistence

  private snapshot(): LiveTraderState {
    return {
      schemaVersion: LIVE_STATE_VERSION,
      account: this.options.orderManager.account,
      savedAtMs: this.options.clock.nowMs(),
      // JSON round trip: NaN → null and no undefined fields, exactly what a load will see.
      orderManager: JSON.parse(JSON.stringify(this.om.toJSON())) as LiveTraderState['orderManager'],
      risk: this.risk.toJSON(),
      lastCandleOpenTimeMs: Object.fromEntries(this.last),
      fillCursorMs: { ...this.fillCursor },
    };
  }

  private async persist(): Promise<void> {
    await this.options.stateStore.save(this.snapshot());
  }

  private async persistQuietly(): Promise<void> {
    try {
      await this.persist();
    } catch (error) {
      // Without a saved state a crash would lose the books: stop trading until a reconcile saves one.
      this.onFailure(error, 'saving the live state');
    }
  }

  // ---------------------------------------------------------------- exchange sync

  /** The purpose an id of ours encodes, or null for an order this account did not place. */
  private ours(id: string, symbol: string): OrderPurpose | null {
    const m = ID_SHAPE.exec(id);
    if (m === null) return null;
    const t = parseInt(m[1] as string, 36);
    const seq = parseInt(m[2] as string, 36);
    if (!Number.isSafeInteger(t) || !Number.isSafeInteger(seq)) return null;
    for (const purpose of PURPOSES) if (clientOrderId(this.options.orderManager.account, symbol, t, purpose, seq) === id) return purpose;
    return null;
  }

  private symbols(): string[] {
    return [...new Set(this.options.series.map((s) => s.symbol))];
  }

  /** Fills since the cursor (adopting an order of ours the books lost), then status of live orders. */
  private async pollNow(): Promise<void> {
    for (const symbol of this.symbols()) {
      const fills = await this.options.broker.fetchFills(symbol, this.fillCursor[symbol] ?? 0);
      for (const f of fills) await this.applyFill(f);
    }
    for (const o of this.om.orders()) {
      if (TERMINAL_ORDER_STATUSES.has(o.status) || o.status === 'unknown') continue;
      const report = await this.options.broker.fetchOrder(o.symbol, o.clientOrderId);
      if (report !== null && report.status !== o.status) await this.om.applyOrderUpdate(report);
    }
    if (this.om.orders().some((o) => o.status === 'unknown')) await this.om.reconcile();
  }

  private async applyFill(f: Fill): Promise<void> {
    this.fillCursor[f.symbol] = Math.max(this.fillCursor[f.symbol] ?? 0, f.timeMs);
    if (this.om.order(f.clientOrderId) === undefined) {
      if (this.ours(f.clientOrderId, f.symbol) === null) {
        this.log.warn({ tradeId: f.tradeId, clientOrderId: f.clientOrderId, symbol: f.symbol }, 'fill of an order wick did not place; not booked (the balance check accounts for it)');
        return;
      }
      const report = await this.options.broker.fetchOrder(f.symbol, f.clientOrderId);
      if (report !== null) {
        this.log.warn({ clientOrderId: f.clientOrderId, symbol: f.symbol, status: report.status }, 'adopted an order of ours the saved state did not know (a crash before the state was written)');
        // Booked as just sent, so that its fills move it along like any other order.
        await this.om.applyOrderUpdate({ ...report, status: 'submitted', filledQtyBase: 0, avgFillPriceQuote: 0 });
        await this.om.applyFill(f);
        const now = this.om.order(f.clientOrderId);
        if (now !== undefined && !TERMINAL_ORDER_STATUSES.has(now.status) && TERMINAL_ORDER_STATUSES.has(report.status)) await this.om.applyOrderUpdate(report);
        return;
      }
    }
    await this.om.applyFill(f);
  }

  private async reconcileNow(): Promise<boolean> {
    if (this.currentStatus === 'halted') return false;
    try {
      await this.reconcileSteps();
      this.reconciledOnce = true;
      this.setStatus('trading', null);
      return true;
    } catch (error) {
      this.onFailure(error, 'reconciliation');
      return false;
    } finally {
      await this.persistQuietly();
    }
  }

  private async reconcileSteps(): Promise<void> {
    const { broker } = this.options;
    const listed = new Set<string>();
    let adopted = 0;
    let foreign = 0;
    // 1. Open orders: adopt ours, leave foreign ones alone.
    for (const symbol of this.symbols()) {
      for (const o of await broker.fetchOpenOrders(symbol)) {
        listed.add(o.clientOrderId);
        if (this.ours(o.clientOrderId, symbol) === null) {
          foreign++;
          this.log.warn({ clientOrderId: o.clientOrderId, symbol, side: o.side, type: o.type, qtyBase: o.qtyBase }, 'open order wick did not place: left alone (give wick an account of its own)');
          continue;
        }
        const known = this.om.order(o.clientOrderId);
        if (known === undefined) {
          adopted++;
          this.log.warn({ clientOrderId: o.clientOrderId, symbol, purpose: o.purpose, type: o.type }, 'adopted an open order of ours the saved state did not know');
          await this.om.applyOrderUpdate(o);
        } else if (known.status !== o.status && known.status !== 'unknown') {
          await this.om.applyOrderUpdate(o);
        }
      }
    }
    // 2. Fills since the last seen.
    for (const symbol of this.symbols()) {
      for (const f of await broker.fetchFills(symbol, this.fillCursor[symbol] ?? 0)) await this.applyFill(f);
    }
    // 3. Orders the books hold as live that the exchange does not list as open.
    for (const o of this.om.orders()) {
      if (TERMINAL_ORDER_STATUSES.has(o.status) || o.status === 'unknown' || listed.has(o.clientOrderId)) continue;
      const report = await broker.fetchOrder(o.symbol, o.clientOrderId);
      if (report !== null) await this.om.applyOrderUpdate(report);
      else await this.om.applyOrderUpdate(this.closed(o));
    }
    if (this.om.orders().some((o) => o.status === 'unknown')) await this.om.reconcile();
    const stillUnknown = this.om.orders().filter((o) => o.status === 'unknown');
    if (stillUnknown.length > 0) throw new Error(`${stillUnknown.length} order(s) still in unknown state (${stillUnknown.map((o) => o.clientOrderId).join(', ')})`);
    // 4. Balances against positions.
    await this.reconcileBalances();
    // 5. Protective orders of ours that no position references: cancel.
    await this.cancelOrphanProtectives();
    this.log.info({ adopted, foreign, positions: this.om.openPositionCount(), equityQuote: this.om.equityQuote() }, 'reconciliation done');
  }

  /** A report for an order the venue does not know: it cannot fill any more. */
  private closed(o: Order): Order {
    this.log.warn({ clientOrderId: o.clientOrderId, symbol: o.symbol, status: o.status }, 'order the books hold as live is unknown to the exchange: booked closed');
    return { ...o, status: o.status === 'submitted' || o.status === 'new' ? 'rejected' : 'canceled', updatedAtMs: this.options.clock.nowMs() };
  }

  private async reconcileBalances(): Promise<void> {
    const balance = await this.options.broker.fetchBalance();
    for (const symbol of this.symbols()) {
      const base = symbol.split('/')[0] as string;
      const rules = this.options.broker.marketRules(symbol);
      const held = balance.base[base] ?? 0;
      const booked = this.om.position(symbol)?.qtyBase ?? 0;
      const diff = held - booked;
      const price = this.options.referencePriceQuote?.(symbol) ?? this.lastClose.get(symbol);
      if (Math.abs(diff) < Math.max(rules.stepSize, rules.minQtyBase) || (price !== undefined && Math.abs(diff) * price < rules.minNotionalQuote)) continue;
      if (price === undefined || !(price > 0)) throw new Error(`${symbol}: the exchange holds ${held} ${base}, wick's books ${booked}, and no price is known to book the difference`);
      const now = this.options.clock.nowMs();
      const qty = Math.floor(Math.abs(diff) / rules.stepSize + 1e-9) * rules.stepSize;
      if (qty <= 0) continue;
      this.log.error(
        { symbol, heldBase: held, bookedBase: booked, diffBase: diff, priceQuote: price },
        diff > 0
          ? `POSITION ON THE EXCHANGE THAT WICK DID NOT KNOW: ${symbol} ${diff} ${base} booked at ${price} and protected with a stop now`
          : `POSITION WICK BOOKED IS NOT ON THE EXCHANGE: ${symbol} ${-diff} ${base} booked closed at ${price}`,
      );
      await this.om.applyFill({ tradeId: `reconcile:${symbol}:${now}`, clientOrderId: `reconcile:${symbol}`, symbol, side: diff > 0 ? 'buy' : 'sell', qtyBase: qty, priceQuote: price, feeQuote: 0, timeMs: now });
    }
  }

  private async cancelOrphanProtectives(): Promise<void> {
    const referenced = new Set<string>();
    for (const p of this.om.toJSON().positions) {
      if (p.stopOrderId !== null) referenced.add(p.stopOrderId);
      if (p.takeProfitOrderId !== null) referenced.add(p.takeProfitOrderId);
    }
    for (const o of this.om.orders()) {
      if (TERMINAL_ORDER_STATUSES.has(o.status) || (o.purpose !== 'stop' && o.purpose !== 'take_profit') || referenced.has(o.clientOrderId)) continue;
      this.log.warn({ clientOrderId: o.clientOrderId, symbol: o.symbol, purpose: o.purpose }, 'protective order no position needs: cancelled');
      const report = await this.options.broker.cancelOrder(o.symbol, o.clientOrderId);
      await this.om.applyOrderUpdate(report ?? { ...o, status: 'canceled', updatedAtMs: this.options.clock.nowMs() });
    }
  }
}

