import type { Broker, Candle, Clock, Logger, OrderIntent, Position, SeriesKey } from '../../core/index.js';
import { seriesId, silentLogger, type Order } from '../../core/index.js';
import { OrderManager, type OrderManagerConfig, type OrderManagerState } from '../order-manager.js';
import { isLive } from '../order-state.js';
import { RiskEngine, type RiskConfig, type RiskMode, type RiskState } from '../risk-engine.js';
import type { GuardState } from '../stops.js';
import type { BrokerFeed } from './broker-feed.js';
import type { KernelEvent, KernelEventSink } from './events.js';

export interface TradingKernelConfig {
  readonly orderManager: OrderManagerConfig;
  readonly risk: RiskConfig;
}

export interface TradingKernelDeps {
  readonly broker: Broker;
  /** Brings the broker's fills and order updates in before each candle is stepped. */
  readonly feed: BrokerFeed;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Hears every event as it happens (besides the events each call returns). */
  readonly onEvent?: KernelEventSink;
  /** A fresh volatility gauge per series (the ATR that sizes entries and places ATR stops); see `atrGauge` in src/features. */
  readonly newAtr: () => VolatilityGauge;
}

/** The kernel's view of a streaming ATR (a src/features indicator, injected: execution imports only core). */
export interface VolatilityGauge {
  update(candle: Candle): void;
  /** NaN until warmed up. */
  value(): number;
  /** JSON-safe state (saved with the account, so a restart sizes exactly as an uninterrupted run). */
  snapshot(): (number | null)[];
  restore(state: readonly (number | null)[]): void;
}

/** An operator's reset of the kill switch, kept with the account (who, when, the equity at reset). */
export interface KillSwitchResetRecord {
  readonly by: string;
  readonly atMs: number;
  readonly equityQuote: number;
  readonly previousReason: string | null;
}

/** What the kernel persists: the books, the risk state and the operators' audit trail. */
export interface TradingKernelState {
  readonly orderManager: OrderManagerState;
  readonly risk: RiskState;
  readonly killSwitchResets: readonly KillSwitchResetRecord[];
  /** Volatility gauge state per series id. */
  readonly volatility: Readonly<Record<string, readonly (number | null)[]>>;
}

/** One closed candle and the decision taken on it (null: none, or not allowed to trade). */
export interface KernelInput {
  readonly series: SeriesKey;
  readonly candle: Candle;
  readonly intent: OrderIntent | null;
}

/** Mode-independent view of the account: what every operator surface reads. */
export interface AccountView {
  readonly account: string;
  readonly cashQuote: number;
  readonly equityQuote: number;
  readonly riskState: RiskMode;
  readonly haltReason: string | null;
  readonly entriesPaused: boolean;
  readonly positions: readonly (Position & {
    readonly markPriceQuote: number;
    readonly unrealisedPnlQuote: number;
    readonly guard: Readonly<GuardState> | null;
  })[];
  readonly openOrders: readonly Order[];
  readonly killSwitchResets: readonly KillSwitchResetRecord[];
}

const MAX_AUDIT = 100;

/**
 * The one per-candle trading step of every mode (backtest, replay, paper, live):
 * broker reports in (feed) → client-side stops, trailing, marks, risk equity → the decision sized,
 * risk-checked and sent. Pure: no I/O of its own, time from the Clock, the venue behind the Broker
 * port; what it did comes back as typed past-tense events. Operator controls (pause, resume, close
 * a position, reset the kill switch) go through it too, so every mode gets the same ones.
 */
export class TradingKernel {
  readonly om: OrderManager;
  readonly risk: RiskEngine;
  private readonly feed: BrokerFeed;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly atrs = new Map<string, VolatilityGauge>();
  private readonly newAtr: () => VolatilityGauge;
  private readonly sink: KernelEventSink;
  private readonly resets: KillSwitchResetRecord[];
  private pending: KernelEvent[] = [];

  constructor(config: TradingKernelConfig, deps: TradingKernelDeps, state?: TradingKernelState) {
    this.feed = deps.feed;
    this.clock = deps.clock;
    this.log = (deps.logger ?? silentLogger).child({ component: 'kernel' });
    this.newAtr = deps.newAtr;
    const listener = deps.onEvent;
    const events: KernelEventSink = (e) => {
      this.pending.push(e);
      listener?.(e);
    };
    this.sink = events;
    this.risk = state === undefined ? new RiskEngine(config.risk, deps.clock) : RiskEngine.fromJSON(state.risk, config.risk, deps.clock);
    const omDeps = { broker: deps.broker, risk: this.risk, clock: deps.clock, logger: deps.logger ?? silentLogger, events };
    this.om = state === undefined ? new OrderManager(config.orderManager, omDeps) : OrderManager.fromJSON(state.orderManager, config.orderManager, omDeps);
    this.resets = [...(state?.killSwitchResets ?? [])];
    for (const [id, v] of Object.entries(state?.volatility ?? {})) {
      const gauge = this.newAtr();
      gauge.restore(v);
      this.atrs.set(id, gauge);
    }
  }

  /** Steps one closed candle and its decision; returns what happened. */
  async step(input: KernelInput): Promise<readonly KernelEvent[]> {
    const { series, candle, intent } = input;
    const atr = this.atr(series);
    atr.update(candle);
    await this.feed.sync(series, candle, this.om);
    await this.watchKillSwitch(() => this.om.onCandleClosed(series, candle));
    if (intent !== null) {
      const a = atr.value();
      const outcome = await this.om.onIntent(intent, Number.isFinite(a) ? a : undefined);
      this.emit({
        type: 'IntentEvaluated',
        intent,
        outcome: outcome.status,
        code: outcome.status === 'sent' ? null : outcome.reason.code,
        message: outcome.status === 'sent' ? null : outcome.reason.message,
        clientOrderId: outcome.status === 'sent' ? outcome.order.clientOrderId : null,
      });
    }
    this.emit({
      type: 'CandleStepped',
      series,
      candle,
      equityQuote: this.om.equityQuote(),
      cashQuote: this.om.cashQuote,
      openPositions: this.om.openPositionCount(),
      riskState: this.risk.state,
    });
    return this.drain();
  }

  /** Events produced outside step() (broker reports applied by a poll, reconciliation): hand them out. */
  drain(): readonly KernelEvent[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  // ---------------------------------------------------------------- operator controls

  pauseEntries(by: string): readonly KernelEvent[] {
    this.risk.pauseEntries();
    this.emit({ type: 'EntriesPaused', by, atMs: this.clock.nowMs() });
    return this.drain();
  }

  resumeEntries(by: string): readonly KernelEvent[] {
    this.risk.resumeEntries();
    this.emit({ type: 'EntriesResumed', by, atMs: this.clock.nowMs() });
    return this.drain();
  }

  /** Resets the kill switch (ACTIVE again, peak from current equity) and records who did it, when, at what equity. */
  resetKillSwitch(by: string): readonly KernelEvent[] {
    const record: KillSwitchResetRecord = { by, atMs: this.clock.nowMs(), equityQuote: this.om.equityQuote(), previousReason: this.risk.toJSON().haltReason };
    this.risk.reset();
    this.resets.push(record);
    if (this.resets.length > MAX_AUDIT) this.resets.splice(0, this.resets.length - MAX_AUDIT);
    this.log.warn({ ...record }, 'kill switch reset by operator');
    this.emit({ type: 'KillSwitchReset', ...record });
    return this.drain();
  }

  /**
   * Closes a position at market through the risk engine. A position whose exit is not sent keeps
   * its stop (checked again here). `candleOpenTimeMs` keys the client order id: asking twice on
   * one candle never sends two exits.
   */
  async closePosition(
    symbol: string,
    candleOpenTimeMs: number,
  ): Promise<{ readonly outcome: Awaited<ReturnType<OrderManager['flatten']>>; readonly events: readonly KernelEvent[] }> {
    const outcome = await this.om.flatten(symbol, candleOpenTimeMs);
    if (outcome.status !== 'sent' && (this.om.position(symbol)?.qtyBase ?? 0) !== 0) await this.om.protectAll(candleOpenTimeMs);
    return { outcome, events: this.drain() };
  }

  // ---------------------------------------------------------------- views and state

  view(): AccountView {
    const positions: AccountView['positions'][number][] = [];
    for (const p of this.om.toJSON().positions) {
      if (p.qtyBase === 0) continue;
      const pos = this.om.position(p.symbol) as Position;
      positions.push({ ...pos, markPriceQuote: p.markPriceQuote, unrealisedPnlQuote: this.om.unrealisedPnlQuote(p.symbol), guard: this.om.guard(p.symbol) });
    }
    const risk = this.risk.toJSON();
    return {
      account: this.om.account,
      cashQuote: this.om.cashQuote,
      equityQuote: this.om.equityQuote(),
      riskState: risk.mode,
      haltReason: risk.haltReason,
      entriesPaused: risk.entriesPaused,
      positions,
      openOrders: this.om.orders().filter((o) => isLive(o.status)),
      killSwitchResets: [...this.resets],
    };
  }

  toJSON(): TradingKernelState {
    const volatility: Record<string, (number | null)[]> = {};
    for (const [id, g] of this.atrs) volatility[id] = g.snapshot();
    return { orderManager: this.om.toJSON(), risk: this.risk.toJSON(), killSwitchResets: [...this.resets], volatility };
  }

  /** Runs an action that may move equity (broker reports applied outside a step) and notices a kill switch that fired. */
  async watchKillSwitch<T>(action: () => Promise<T>): Promise<T> {
    const before = this.risk.state;
    const result = await action();
    if (before !== 'HALTED' && this.risk.state === 'HALTED') {
      const reason = this.risk.toJSON().haltReason ?? 'maximum drawdown reached';
      this.log.error({ reason, equityQuote: this.om.equityQuote() }, 'KILL SWITCH: no new entries until an operator resets it');
      this.emit({ type: 'KillSwitchTripped', reason, equityQuote: this.om.equityQuote(), timeMs: this.clock.nowMs() });
    }
    return result;
  }

  private emit(e: KernelEvent): void {
    this.sink(e);
  }

  private atr(series: SeriesKey): VolatilityGauge {
    const id = seriesId(series);
    let atr = this.atrs.get(id);
    if (atr === undefined) {
      atr = this.newAtr();
      this.atrs.set(id, atr);
    }
    return atr;
  }
}
