import { ExchangeError, timeframeMs, type Broker, type Clock, type Logger, type SeriesKey } from '../../core/index.js';
import { atrGauge } from '../../features/index.js';
import {
  ACCOUNT_STATE_VERSION,
  AccountLedger,
  TradingKernel,
  type AccountState,
  type BrokerFeed,
  type KernelEvent,
  type PaperBrokerState,
  type Reconciler,
  type Trade,
  type TradingKernelConfig,
} from '../../execution/index.js';
import type { AccountStore } from '../../pipeline/index.js';
import type { CandleHistory } from './signal-step.js';
import { TimeOrderedTrader, type TraderItem } from './time-ordered-trader.js';

/**
 * starting: state loaded, not reconciled yet (nothing is sent). trading: reconciled, intents go out.
 * fail-closed: reconciliation (or a step, or saving the state) failed: intents are skipped, reconciliation is retried.
 * halted: the exchange refused our credentials (ExchangeError action 'stop'): nothing is sent until a restart.
 */
export type TraderStatus = 'starting' | 'trading' | 'fail-closed' | 'halted';

/** What became of one candle handed to the trader. */
export type StepOutcome = 'stepped' | 'warmup' | 'late' | 'fail-closed' | 'halted';

/** The venue a mode trades on, built from the saved state at start-up (chosen by src/app/modes.ts). */
export interface Venue {
  readonly broker: Broker;
  /** Brings the venue's reports in before each candle. */
  readonly feed: BrokerFeed;
  /** The kernel's clock (simulated for a simulated venue, wall for a real one). */
  readonly clock: Clock;
  /** A real venue is reconciled at start-up and periodically; a simulated one is restored with the account. */
  readonly reconciler: Reconciler | null;
  /** The venue's own state, persisted with the account (a simulated venue), or null. */
  snapshot(): PaperBrokerState | null;
}

export interface AccountTraderOptions {
  readonly account: string;
  /** Every traded series, in the order that breaks ties between candles of one open time. */
  readonly series: readonly SeriesKey[];
  /** The candle store's read side (time ordering across series). */
  readonly store: CandleHistory;
  readonly logger: Logger;
  readonly kernel: TradingKernelConfig;
  /** Builds the venue, resuming its saved state (null: a fresh account). `priceOf`: the last close the trader saw. */
  readonly venue: (saved: AccountState | null, priceOf: (symbol: string) => number | undefined) => Venue | Promise<Venue>;
  /** Where the account is saved after every step; null keeps it in memory (replay, tests). */
  readonly accountStore: AccountStore | null;
  /** Closed trades and equity points kept in memory (the store holds the full trade history). */
  readonly memory?: { readonly maxTrades?: number; readonly maxPoints?: number };
  /** Candles that opened before this only warm up the signal role: not traded, not stepped (like a backtest's --from). */
  readonly tradeFromMs?: number;
  /** Poll order updates and fills this often besides every step (a reconciled venue); default 10 s; 0: only on steps. */
  readonly pollIntervalMs?: number;
  /** Full reconciliation this often while trading; default 60 s; 0: only at start-up. */
  readonly reconcileIntervalMs?: number;
  /** Retry of a failed reconciliation while fail-closed; default 15 s; 0: never by timer. */
  readonly retryIntervalMs?: number;
  /** Last known price of a symbol (to protect a position found on the exchange); default the last close stepped. */
  readonly referencePriceQuote?: (symbol: string) => number | undefined;
  /** Hears every kernel event (telemetry). */
  readonly onEvent?: (event: KernelEvent) => void;
  /** Hears about each candle handed in and what became of it. */
  readonly onStep?: (item: TraderItem, outcome: StepOutcome, events: readonly KernelEvent[]) => void;
  /** Hears about every status change (health, notifications). */
  readonly onStatus?: (status: TraderStatus, reason: string | null) => void;
}

/**
 * The trader role of every daemon mode (replay, paper, live): the trading kernel over the venue
 * the composition root picked, candles in open-time order across series (TimeOrderedTrader), the
 * account saved after every step, operator controls run in turn with the steps.
 *
 * Start-up is recovery (`AccountTrader.start`): load the account (a state of an unknown version or
 * shape throws AccountStateError: refuse to start), rebuild the venue from it, reconcile a real venue
 * with the exchange — and only then trade. A failed reconciliation leaves the trader fail-closed:
 * intents are skipped with a log line naming why, and reconciliation is retried.
 */
export class AccountTrader extends TimeOrderedTrader {
  readonly kernel: TradingKernel;
  readonly ledger: AccountLedger;
  private readonly venue: Venue;
  private readonly log: Logger;
  private readonly lastClose = new Map<string, number>();
  private readonly unsavedTrades: Trade[] = [];
  private currentStatus: TraderStatus = 'starting';
  private reason: string | null = 'not reconciled yet';
  private reconciledOnce = false;
  private readonly tradeFromMs: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;

  private constructor(
    private readonly options: AccountTraderOptions,
    venue: Venue,
    state: AccountState | null,
  ) {
    super(options);
    this.log = options.logger;
    this.venue = venue;
    const tfMs = timeframeMs(options.series[0]?.timeframe ?? '1h');
    const ledgerOptions = { ...options.memory, onTrade: (t: Trade) => this.unsavedTrades.push(t) };
    this.ledger = state === null ? new AccountLedger(tfMs, ledgerOptions) : AccountLedger.fromJSON(state.ledger, tfMs, ledgerOptions);
    this.kernel = new TradingKernel(
      options.kernel,
      {
        broker: venue.broker,
        feed: venue.feed,
        clock: venue.clock,
        logger: options.logger,
        newAtr: atrGauge,
        onEvent: (e) => {
          this.ledger.on(e);
          options.onEvent?.(e);
        },
      },
      state?.kernel,
    );
    // A resumed account trades on from the candle after its last one, even when that candle
    // opened before this start (a decision redelivered after a crash is still taken).
    const resumeFrom = state === null ? [] : Object.values(state.lastCandleOpenTimeMs).map((t) => t + tfMs);
    this.tradeFromMs = Math.min(
      options.tradeFromMs ?? Number.NEGATIVE_INFINITY,
      ...(resumeFrom.length > 0 ? [Math.min(...resumeFrom)] : [Number.POSITIVE_INFINITY]),
    );
    if (state !== null) {
      for (const [id, t] of Object.entries(state.lastCandleOpenTimeMs)) this.last.set(id, t);
      for (const p of state.kernel.orderManager.positions) if (p.markPriceQuote > 0) this.lastClose.set(p.symbol, p.markPriceQuote);
    }
  }

  static async start(options: AccountTraderOptions): Promise<AccountTrader> {
    const state = options.accountStore === null ? null : await options.accountStore.load();
    options.logger.info(
      {
        account: options.account,
        key: options.accountStore?.key ?? null,
        restored: state !== null,
        equityQuote: state?.kernel.orderManager.cashQuote,
        orders: state?.kernel.orderManager.orders.length ?? 0,
      },
      state === null ? 'trader: no saved account; starting fresh' : 'trader: account restored; reconciling before any order',
    );
    const prices = new Map<string, number>();
    for (const p of state?.kernel.orderManager.positions ?? []) if (p.markPriceQuote > 0) prices.set(p.symbol, p.markPriceQuote);
    let trader: AccountTrader | null = null;
    const venue = await options.venue(state, (symbol) => options.referencePriceQuote?.(symbol) ?? trader?.lastClose.get(symbol) ?? prices.get(symbol));
    trader = new AccountTrader(options, venue, state);
    await trader.exclusive(() => trader.reconcileNow());
    trader.startTimers();
    return trader;
  }

  get status(): TraderStatus {
    return this.currentStatus;
  }

  /** Why the trader is not trading (null while trading). */
  get statusReason(): string | null {
    return this.reason;
  }

  get orderManager(): TradingKernel['om'] {
    return this.kernel.om;
  }

  get riskEngine(): TradingKernel['risk'] {
    return this.kernel.risk;
  }

  /** Full reconciliation, serialised with the steps. Resolves whether it succeeded. */
  reconcile(): Promise<boolean> {
    return this.exclusive(() => this.reconcileNow());
  }

  /** Poll of order updates and fills (a reconciled venue), serialised with the steps. */
  poll(): Promise<void> {
    return this.exclusive(async () => {
      const r = this.venue.reconciler;
      if (r === null || !this.reconciledOnce || this.currentStatus === 'halted') return;
      try {
        await this.kernel.watchKillSwitch(() => r.poll(this.kernel.om));
        this.kernel.drain();
        this.ledger.mark(this.kernel.om.equityQuote(), this.kernel.om.openPositionCount() > 0);
        await this.persist();
      } catch (error) {
        this.onFailure(error, 'poll');
      }
    });
  }

  /**
   * Runs an operator action on the kernel in turn with the steps, then saves the account. The
   * action returns the events it produced (they were already heard by onEvent).
   */
  control<T>(action: (kernel: TradingKernel, candleOpenTimeMs: number) => Promise<T> | T): Promise<T> {
    return this.exclusive(async () => {
      const result = await action(this.kernel, this.ledger.lastTimeMs ?? this.venue.clock.nowMs());
      this.kernel.drain();
      this.ledger.mark(this.kernel.om.equityQuote(), this.kernel.om.openPositionCount() > 0);
      await this.persistQuietly();
      return result;
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
    this.lastClose.set(series.symbol, candle.close);
    let outcome: StepOutcome = 'stepped';
    let events: readonly KernelEvent[] = [];
    const steppedUpTo = this.ledger.lastTimeMs;
    if (candle.openTimeMs < this.tradeFromMs) {
      outcome = 'warmup';
    } else if (steppedUpTo !== null && candle.openTimeMs < steppedUpTo) {
      outcome = 'late';
      this.log.warn({ series: id, openTimeMs: candle.openTimeMs, steppedUpToMs: steppedUpTo }, 'late candle: later candles were already traded; skipped');
    } else if (this.currentStatus === 'halted' || !this.reconciledOnce) {
      outcome = this.currentStatus === 'halted' ? 'halted' : 'fail-closed';
      this.log.warn(
        { series: id, openTimeMs: candle.openTimeMs, intentId: item.intent?.intentId, status: this.currentStatus, why: this.reason },
        `trader ${this.currentStatus}: step skipped, nothing sent (${this.reason ?? ''})`,
      );
    } else {
      let intent = item.intent;
      if (intent !== null && this.currentStatus !== 'trading') {
        this.log.warn({ series: id, intentId: intent.intentId, why: this.reason }, `trader fail-closed: intent skipped, nothing sent (${this.reason ?? ''})`);
        outcome = 'fail-closed';
        intent = null;
      }
      try {
        events = await this.kernel.step({ series, candle, intent });
        this.logDecision(id, events);
      } catch (error) {
        outcome = this.onFailure(error, 'step');
        events = this.kernel.drain();
      }
    }
    await this.persistQuietly();
    this.options.onStep?.(item, outcome, events);
  }

  private logDecision(series: string, events: readonly KernelEvent[]): void {
    for (const e of events) {
      if (e.type !== 'IntentEvaluated') continue;
      this.log.info(
        {
          series,
          intentId: e.intent.intentId,
          targetFraction: e.intent.targetFraction,
          outcome: e.outcome,
          ...(e.clientOrderId !== null ? { clientOrderId: e.clientOrderId } : { reason: { code: e.code, message: e.message } }),
        },
        e.outcome === 'sent' ? 'order placed' : `intent ${e.outcome}`,
      );
    }
  }

  // ---------------------------------------------------------------- status

  private setStatus(status: TraderStatus, reason: string | null): void {
    if (this.currentStatus === 'halted') return; // only a restart leaves halted
    const changed = status !== this.currentStatus || reason !== this.reason;
    this.currentStatus = status;
    this.reason = reason;
    if (!changed) return;
    if (status === 'trading') this.log.info({ account: this.options.account }, 'trader in step with its venue: trading');
    else if (status === 'halted')
      this.log.error({ why: reason }, `trader HALTED: ${reason ?? ''}; nothing will be sent until wick is restarted with working credentials`);
    else if (status === 'fail-closed')
      this.log.error({ why: reason }, `trader fail-closed: ${reason ?? ''}; intents are skipped until reconciliation succeeds`);
    this.options.onStatus?.(status, reason);
  }

  /** Classifies a failure: authentication halts, anything else fails closed. */
  private onFailure(error: unknown, where: string): 'halted' | 'fail-closed' {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof ExchangeError && error.action === 'stop') {
      this.setStatus('halted', `${where}: exchange refused the credentials (${error.code}): ${message}`);
      return 'halted';
    }
    const code = error instanceof ExchangeError ? error.code : error instanceof Error ? error.name : 'ERROR';
    this.setStatus('fail-closed', `${where} failed (${code}): ${message}`);
    return 'fail-closed';
  }

  private startTimers(): void {
    if (this.venue.reconciler === null) return;
    const every = (ms: number | undefined, fallback: number, fn: () => Promise<unknown>): void => {
      const period = ms ?? fallback;
      if (period <= 0) return;
      const t = setInterval(() => {
        if (!this.stopped) void fn().catch((error: unknown) => this.log.error({ err: error }, 'trader timer failed'));
      }, period);
      t.unref();
      this.timers.push(t);
    };
    every(this.options.pollIntervalMs, 10_000, () => (this.currentStatus === 'trading' ? this.poll() : Promise.resolve()));
    every(this.options.reconcileIntervalMs, 60_000, () => (this.currentStatus === 'trading' ? this.reconcile() : Promise.resolve(true)));
    every(this.options.retryIntervalMs, 15_000, () =>
      this.currentStatus === 'fail-closed' || this.currentStatus === 'starting' ? this.reconcile() : Promise.resolve(true),
    );
  }

  // ---------------------------------------------------------------- persistence

  /** The account as it would be saved now. */
  snapshot(): AccountState {
    return {
      schemaVersion: ACCOUNT_STATE_VERSION,
      account: this.options.account,
      savedAtMs: this.venue.clock.nowMs(),
      kernel: this.kernel.toJSON(),
      ledger: this.ledger.toJSON(),
      lastCandleOpenTimeMs: Object.fromEntries(this.last),
      fillCursorMs: this.venue.reconciler?.fillCursorMs ?? {},
      venue: this.venue.snapshot(),
    };
  }

  private async persist(): Promise<void> {
    const store = this.options.accountStore;
    if (store === null) return;
    const trades = this.unsavedTrades.splice(0);
    try {
      await store.save(this.snapshot(), trades);
    } catch (error) {
      this.unsavedTrades.unshift(...trades);
      throw error;
    }
  }

  private async persistQuietly(): Promise<void> {
    try {
      await this.persist();
    } catch (error) {
      // Without a saved state a crash would lose the books: stop trading until a reconcile saves one.
      this.onFailure(error, 'saving the account state');
    }
  }

  private async reconcileNow(): Promise<boolean> {
    if (this.currentStatus === 'halted') return false;
    try {
      const r = this.venue.reconciler;
      if (r !== null) {
        await this.kernel.watchKillSwitch(() => r.reconcile(this.kernel.om));
        this.kernel.drain();
      }
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
}
