import type { Fill } from '../core/index.js';
import type { KernelEvent } from './kernel/events.js';
import { TradeJournal, type OpenTrade, type Trade } from './trade-journal.js';

/** `[timestampMs, equityQuote]`: the candle's open time, equity marked at its close. */
export type LedgerEquityPoint = readonly [timestampMs: number, equityQuote: number];

export interface AccountLedgerOptions {
  /** Closed trades kept in memory (default all: a backtest needs every one; a daemon keeps a window). */
  readonly maxTrades?: number;
  /** Equity points and fills kept in memory (default all). */
  readonly maxPoints?: number;
  /** Hears each closed trade (the account store appends it to the full history). */
  readonly onTrade?: (trade: Trade) => void;
}

/** JSON-safe ledger state (persisted with the account). */
export interface AccountLedgerState {
  readonly openTrades: Readonly<Record<string, OpenTrade>>;
  readonly recentTrades: readonly Trade[];
  readonly totalTrades: number;
  readonly equity: readonly LedgerEquityPoint[];
  readonly exposed: readonly boolean[];
  readonly pending: { readonly timeMs: number; readonly equityQuote: number; readonly exposed: boolean } | null;
  readonly feesPaidQuote: number;
  readonly intents: number;
  readonly deniedByRisk: Readonly<Record<string, number>>;
  readonly candlesProcessed: number;
}

/**
 * The account's history, built from kernel events only (so every mode records alike): round-trip
 * trades (from fills), one equity point per candle open time (recorded once every candle of that
 * time was stepped, with the equity after its decisions), fees, decisions and risk denials.
 */
export class AccountLedger {
  private readonly journal: TradeJournal;
  private readonly maxPoints: number;
  private readonly equity: LedgerEquityPoint[] = [];
  private readonly exposed: boolean[] = [];
  private readonly fills: Fill[] = [];
  private readonly denied: Record<string, number> = {};
  private readonly marks = new Map<string, { priceQuote: number; timeMs: number }>();
  private pending: { timeMs: number; equityQuote: number; exposed: boolean } | null = null;
  private feesPaid = 0;
  private intentCount = 0;
  private candles = 0;

  constructor(
    private readonly timeframeMs: number,
    options: AccountLedgerOptions = {},
  ) {
    this.journal = new TradeJournal(options.maxTrades, options.onTrade);
    this.maxPoints = options.maxPoints ?? Number.POSITIVE_INFINITY;
  }

  on(event: KernelEvent): void {
    switch (event.type) {
      case 'OrderFilled':
        this.feesPaid += event.fill.feeQuote;
        this.journal.record(event.fill, event.purpose ?? 'exit');
        this.push(this.fills, event.fill);
        break;
      case 'IntentEvaluated':
        this.intentCount++;
        break;
      case 'RiskDenied':
        if (event.intentId !== null) this.denied[event.reason.code] = (this.denied[event.reason.code] ?? 0) + 1;
        break;
      case 'CandleStepped': {
        const t = event.candle.openTimeMs;
        if (this.pending !== null && t > this.pending.timeMs) this.record(this.pending);
        this.pending = { timeMs: t, equityQuote: event.equityQuote, exposed: event.openPositions > 0 };
        this.candles++;
        this.marks.set(event.series.symbol, { priceQuote: event.candle.close, timeMs: t + this.timeframeMs });
        break;
      }
      default:
        break;
    }
  }

  /** Updates the latest point's equity after something outside a step moved it (an operator's exit fill). */
  mark(equityQuote: number, exposed: boolean): void {
    if (this.pending !== null) this.pending = { ...this.pending, equityQuote, exposed };
  }

  /** Open time of the last candle stepped, or null. */
  get lastTimeMs(): number | null {
    return this.pending?.timeMs ?? null;
  }

  get intents(): number {
    return this.intentCount;
  }

  get deniedByRisk(): Readonly<Record<string, number>> {
    return this.denied;
  }

  get feesPaidQuote(): number {
    return this.feesPaid;
  }

  get candlesProcessed(): number {
    return this.candles;
  }

  /** Closed round trips kept in memory, oldest first. */
  closedTrades(): readonly Trade[] {
    return this.journal.trades;
  }

  get totalTrades(): number {
    return this.journal.totalClosed;
  }

  /** Fills kept in memory, oldest first. */
  fillsSoFar(): readonly Fill[] {
    return this.fills;
  }

  /** Equity curve so far, the current open time included. */
  equityCurve(): readonly LedgerEquityPoint[] {
    return this.pending === null ? this.equity : [...this.equity, [this.pending.timeMs, this.pending.equityQuote]];
  }

  /**
   * Closes the books for a finished run: the last point recorded; positions the data ended on are
   * marked at the last close and reported apart (exitReason 'open'): they are not closed trades.
   * Returns the full curve with its exposure flags.
   */
  finish(): {
    readonly equity: readonly LedgerEquityPoint[];
    readonly exposed: readonly boolean[];
    readonly trades: readonly Trade[];
    readonly openTrades: readonly Trade[];
    readonly fills: readonly Fill[];
  } {
    if (this.pending !== null) {
      this.record(this.pending);
      this.pending = null;
    }
    const closedBefore = this.journal.totalClosed;
    this.journal.closeAll(this.marks);
    const all = this.journal.trades;
    const stillOpen = this.journal.totalClosed - closedBefore;
    const trades = all.slice(0, all.length - stillOpen);
    const openTrades = all.slice(all.length - stillOpen).map((t) => ({ ...t, exitReason: 'open' }));
    return { equity: this.equity, exposed: this.exposed, trades, openTrades, fills: this.fills };
  }

  toJSON(): AccountLedgerState {
    return {
      openTrades: this.journal.openTrades(),
      recentTrades: [...this.journal.trades],
      totalTrades: this.journal.totalClosed,
      equity: [...this.equity],
      exposed: [...this.exposed],
      pending: this.pending,
      feesPaidQuote: this.feesPaid,
      intents: this.intentCount,
      deniedByRisk: { ...this.denied },
      candlesProcessed: this.candles,
    };
  }

  static fromJSON(state: AccountLedgerState, timeframeMs: number, options: AccountLedgerOptions = {}): AccountLedger {
    const l = new AccountLedger(timeframeMs, options);
    l.journal.restore(state.openTrades, state.recentTrades, state.totalTrades);
    for (const p of state.equity.slice(-l.maxPoints)) l.equity.push(p);
    for (const x of state.exposed.slice(-l.maxPoints)) l.exposed.push(x);
    l.pending = state.pending === null ? null : { ...state.pending };
    l.feesPaid = state.feesPaidQuote;
    l.intentCount = state.intents;
    Object.assign(l.denied, state.deniedByRisk);
    l.candles = state.candlesProcessed;
    return l;
  }

  private record(p: { timeMs: number; equityQuote: number; exposed: boolean }): void {
    this.push(this.equity, [p.timeMs, p.equityQuote]);
    this.push(this.exposed, p.exposed);
  }

  private push<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length > this.maxPoints) list.splice(0, list.length - this.maxPoints);
  }
}
