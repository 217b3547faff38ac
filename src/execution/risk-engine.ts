import type { Clock, OrderPurpose, OrderSide } from '../core/index.js';
import { InvariantError } from '../core/index.js';

/** Stable reason codes of a pre-trade denial, in order of precedence when several apply. */
export const RISK_REASON_CODES = [
  'KILL_SWITCH',
  'ENTRIES_PAUSED',
  'DAILY_LOSS_LIMIT',
  'COOLDOWN_AFTER_STOP',
  'ORDER_RATE_EXCEEDED',
  'NOTIONAL_ABOVE_MAX',
  'EXPOSURE_ABOVE_MAX',
  'TOO_MANY_POSITIONS',
] as const;
export type RiskReasonCode = (typeof RISK_REASON_CODES)[number];

/**
 * ACTIVE: everything allowed within limits. REDUCING: the daily loss limit was hit; only orders that
 * reduce a position until the next UTC day. HALTED: the kill switch (max drawdown from the equity
 * peak) fired; no new entries until an operator calls reset(), but exits, stops, take-profits and
 * emergency exits still go through — a halted bot must still be able to flatten and protect.
 */
export type RiskMode = 'ACTIVE' | 'REDUCING' | 'HALTED';

export interface RiskConfig {
  /** Max |position notional| per symbol after the order, in quote. */
  readonly maxNotionalPerSymbolQuote: number;
  /** Max sum of |position notional| over all symbols after the order, in quote. */
  readonly maxTotalExposureQuote: number;
  readonly maxOpenPositions: number;
  /** Orders per rolling 60 s (by Clock). Protective orders are counted but never denied. */
  readonly maxOrdersPerMinute: number;
  /** Loss from the UTC day's starting equity, as a fraction of it (0.05 = 5 %), that switches to REDUCING. */
  readonly dailyLossLimitFraction: number;
  /** Drawdown from the equity peak, as a fraction of the peak, that fires the kill switch. */
  readonly maxDrawdownFraction: number;
  /** No new entry on a symbol for this long after one of its stops filled. */
  readonly cooldownAfterStopMs: number;
}

export const DEFAULT_RISK: RiskConfig = Object.freeze({
  maxNotionalPerSymbolQuote: Number.POSITIVE_INFINITY,
  maxTotalExposureQuote: Number.POSITIVE_INFINITY,
  maxOpenPositions: Number.POSITIVE_INFINITY,
  maxOrdersPerMinute: 60,
  dailyLossLimitFraction: 1,
  maxDrawdownFraction: 1,
  cooldownAfterStopMs: 0,
});

export interface RiskCheckContext {
  readonly symbol: string;
  readonly side: OrderSide;
  readonly purpose: OrderPurpose;
  readonly qtyBase: number;
  /** Reference price for notional checks. */
  readonly priceQuote: number;
  /** Signed position before the order. */
  readonly positionQtyBase: number;
  /** Sum over all symbols of |position notional| before the order (marked). */
  readonly totalExposureQuote: number;
  /** Number of open (non-zero) positions before the order. */
  readonly openPositions: number;
}

export type RiskReason = { readonly code: RiskReasonCode; readonly message: string } & Readonly<Record<string, unknown>>;
export type RiskDecision = { readonly status: 'approved' } | { readonly status: 'denied'; readonly reason: RiskReason };

export interface RiskState {
  readonly mode: RiskMode;
  readonly entriesPaused: boolean;
  readonly haltReason: string | null;
  readonly peakEquityQuote: number;
  readonly dayIndex: number;
  readonly dayStartEquityQuote: number;
  readonly lastEquityQuote: number;
  /** Times of orders in the rate window, oldest first. */
  readonly orderTimesMs: readonly number[];
  readonly stopOutAtMs: Readonly<Record<string, number>>;
}

const DAY_MS = 86_400_000;
const RATE_WINDOW_MS = 60_000;
const APPROVED: RiskDecision = Object.freeze({ status: 'approved' });
const PROTECTIVE: ReadonlySet<OrderPurpose> = new Set(['stop', 'take_profit', 'emergency_exit']);

function deny(code: RiskReasonCode, message: string, details: Record<string, unknown> = {}): RiskDecision {
  return { status: 'denied', reason: { code, message, ...details } };
}

/** Pre-trade risk checks; every outcome is a value. Feed it equity with onEquity(). */
export class RiskEngine {
  private mode: RiskMode = 'ACTIVE';
  private entriesPaused = false;
  private haltReason: string | null = null;
  private peakEquity = Number.NaN;
  private dayIndex = Number.NaN;
  private dayStartEquity = Number.NaN;
  private lastEquity = Number.NaN;
  private orderTimes: number[] = [];
  private orderHead = 0;
  private readonly stopOutAt = new Map<string, number>();

  constructor(
    readonly config: RiskConfig,
    private readonly clock: Clock,
  ) {}

  get state(): RiskMode {
    return this.mode;
  }

  get paused(): boolean {
    return this.entriesPaused;
  }

  /** Marks equity (realised + unrealised); may switch to REDUCING (daily loss) or HALTED (kill switch). */
  onEquity(equityQuote: number): void {
    if (!Number.isFinite(equityQuote)) throw new InvariantError(`equity must be finite, got ${equityQuote}`);
    const now = this.clock.nowMs();
    this.roll(now, equityQuote);
    this.lastEquity = equityQuote;
    if (!(this.peakEquity >= equityQuote)) this.peakEquity = equityQuote;
    if (this.mode !== 'HALTED' && this.peakEquity > 0 && (this.peakEquity - equityQuote) / this.peakEquity >= this.config.maxDrawdownFraction) {
      this.mode = 'HALTED';
      this.haltReason = `drawdown ${(((this.peakEquity - equityQuote) / this.peakEquity) * 100).toFixed(2)}% from peak ${this.peakEquity} reached the ${this.config.maxDrawdownFraction * 100}% limit`;
    }
    if (this.mode === 'ACTIVE' && this.dayStartEquity > 0 && (this.dayStartEquity - equityQuote) / this.dayStartEquity >= this.config.dailyLossLimitFraction) {
      this.mode = 'REDUCING';
    }
  }

  /** A stop filled on `symbol`: starts its cooldown. */
  recordStopOut(symbol: string): void {
    this.stopOutAt.set(symbol, this.clock.nowMs());
  }

  pauseEntries(): void {
    this.entriesPaused = true;
  }

  resumeEntries(): void {
    this.entriesPaused = false;
  }

  /** Operator reset after the kill switch: ACTIVE again, the peak restarts from current equity. */
  reset(): void {
    this.mode = 'ACTIVE';
    this.haltReason = null;
    this.peakEquity = this.lastEquity;
    this.dayStartEquity = this.lastEquity;
  }

  /**
   * Checks one order. An approved order is counted in the rate window (call check() only for
   * orders you are about to send). Reducing orders are never denied by loss limits or the kill
   * switch; protective ones (stop, take-profit, emergency exit) are never denied at all.
   */
  check(ctx: RiskCheckContext): RiskDecision {
    if (!(ctx.qtyBase > 0) || !(ctx.priceQuote > 0) || !Number.isFinite(ctx.positionQtyBase)) {
      throw new InvariantError(`risk check needs qty > 0 and price > 0 (qty ${ctx.qtyBase}, price ${ctx.priceQuote}, position ${ctx.positionQtyBase})`);
    }
    const now = this.clock.nowMs();
    this.roll(now, this.lastEquity);
    const signed = ctx.side === 'buy' ? ctx.qtyBase : -ctx.qtyBase;
    const after = ctx.positionQtyBase + signed;
    const reducing = Math.abs(after) <= Math.abs(ctx.positionQtyBase) && Math.sign(after) * Math.sign(ctx.positionQtyBase) >= 0;
    if (PROTECTIVE.has(ctx.purpose) && reducing) {
      this.recordOrder(now);
      return APPROVED;
    }
    if (!reducing) {
      if (this.mode === 'HALTED') return deny('KILL_SWITCH', `trading halted: ${this.haltReason ?? 'kill switch'}; operator reset required`);
      if (this.entriesPaused) return deny('ENTRIES_PAUSED', 'entries paused by operator');
      if (this.mode === 'REDUCING') {
        return deny(
          'DAILY_LOSS_LIMIT',
          `daily loss limit (${this.config.dailyLossLimitFraction * 100}%) reached; only reducing orders until the next UTC day`,
          {
            dayStartEquityQuote: this.dayStartEquity,
            equityQuote: this.lastEquity,
          },
        );
      }
      const stoppedAt = this.stopOutAt.get(ctx.symbol);
      if (stoppedAt !== undefined && now < stoppedAt + this.config.cooldownAfterStopMs) {
        return deny('COOLDOWN_AFTER_STOP', `${ctx.symbol} stopped out at ${stoppedAt}; cooldown until ${stoppedAt + this.config.cooldownAfterStopMs}`, {
          cooldownUntilMs: stoppedAt + this.config.cooldownAfterStopMs,
        });
      }
    }
    const rate = this.rateCount(now);
    if (rate >= this.config.maxOrdersPerMinute) {
      return deny('ORDER_RATE_EXCEEDED', `${rate} orders in the last minute (max ${this.config.maxOrdersPerMinute})`, { ordersLastMinute: rate });
    }
    if (!reducing) {
      const notionalAfter = Math.abs(after) * ctx.priceQuote;
      if (notionalAfter > this.config.maxNotionalPerSymbolQuote) {
        return deny('NOTIONAL_ABOVE_MAX', `${ctx.symbol} notional ${notionalAfter} would exceed ${this.config.maxNotionalPerSymbolQuote}`, {
          notionalQuote: notionalAfter,
          maxNotionalQuote: this.config.maxNotionalPerSymbolQuote,
        });
      }
      const exposureAfter = ctx.totalExposureQuote - Math.abs(ctx.positionQtyBase) * ctx.priceQuote + notionalAfter;
      if (exposureAfter > this.config.maxTotalExposureQuote) {
        return deny('EXPOSURE_ABOVE_MAX', `total exposure ${exposureAfter} would exceed ${this.config.maxTotalExposureQuote}`, {
          exposureQuote: exposureAfter,
          maxExposureQuote: this.config.maxTotalExposureQuote,
        });
      }
      if (ctx.positionQtyBase === 0 && ctx.openPositions >= this.config.maxOpenPositions) {
        return deny('TOO_MANY_POSITIONS', `${ctx.openPositions} positions open (max ${this.config.maxOpenPositions})`, { openPositions: ctx.openPositions });
      }
    }
    this.recordOrder(now);
    return APPROVED;
  }

  private roll(now: number, equity: number): void {
    const day = Math.floor(now / DAY_MS);
    if (day === this.dayIndex) return;
    this.dayIndex = day;
    this.dayStartEquity = Number.isNaN(this.lastEquity) ? equity : this.lastEquity;
    if (this.mode === 'REDUCING') this.mode = 'ACTIVE';
  }

  private rateCount(now: number): number {
    const times = this.orderTimes;
    while (this.orderHead < times.length && (times[this.orderHead] as number) <= now - RATE_WINDOW_MS) this.orderHead++;
    if (this.orderHead > 1024 && this.orderHead * 2 > times.length) {
      this.orderTimes = times.slice(this.orderHead);
      this.orderHead = 0;
    }
    return this.orderTimes.length - this.orderHead;
  }

  private recordOrder(now: number): void {
    this.rateCount(now);
    this.orderTimes.push(now);
  }

  toJSON(): RiskState {
    const stopOutAtMs: Record<string, number> = {};
    for (const [k, v] of this.stopOutAt) stopOutAtMs[k] = v;
    return {
      mode: this.mode,
      entriesPaused: this.entriesPaused,
      haltReason: this.haltReason,
      peakEquityQuote: this.peakEquity,
      dayIndex: this.dayIndex,
      dayStartEquityQuote: this.dayStartEquity,
      lastEquityQuote: this.lastEquity,
      orderTimesMs: this.orderTimes.slice(this.orderHead),
      stopOutAtMs,
    };
  }

  static fromJSON(state: RiskState, config: RiskConfig, clock: Clock): RiskEngine {
    const engine = new RiskEngine(config, clock);
    engine.mode = state.mode;
    engine.entriesPaused = state.entriesPaused;
    engine.haltReason = state.haltReason;
    engine.peakEquity = num(state.peakEquityQuote);
    engine.dayIndex = num(state.dayIndex);
    engine.dayStartEquity = num(state.dayStartEquityQuote);
    engine.lastEquity = num(state.lastEquityQuote);
    engine.orderTimes = [...state.orderTimesMs];
    for (const [k, v] of Object.entries(state.stopOutAtMs)) engine.stopOutAt.set(k, v);
    return engine;
  }
}

/** JSON turns NaN into null: read it back as NaN. */
function num(v: number | null): number {
  return v === null ? Number.NaN : v;
}
