import type { Candle, SeriesKey } from './candle.js';
import type { Fill, Order, OrderIntent, OrderPurpose } from './trading.js';

/** The risk engine's state as events report it (see src/execution/risk-engine.ts). */
export type KernelRiskMode = 'ACTIVE' | 'REDUCING' | 'HALTED';

/** Why the risk engine refused an order: a stable code, a message, details. */
export type KernelRiskReason = { readonly code: string; readonly message: string } & Readonly<Record<string, unknown>>;

/**
 * What the trading kernel (src/execution/kernel) did, in past tense: the one record every mode's telemetry, trade journal,
 * account store and operator view read. Events carry values only (no live objects).
 */
export type KernelEvent =
  | CandleStepped
  | IntentEvaluated
  | OrderSubmitted
  | OrderRejected
  | OrderOutcomeUnknown
  | OrderCanceled
  | OrderFilled
  | StopTriggered
  | RiskDenied
  | EmergencyExitSent
  | PositionClosed
  | KillSwitchTripped
  | KillSwitchReset
  | EntriesPaused
  | EntriesResumed;

export type KernelEventType = KernelEvent['type'];

/** A closed candle was stepped (fills, stops, marks, risk equity; then its decision, if any). */
export interface CandleStepped {
  readonly type: 'CandleStepped';
  readonly series: SeriesKey;
  readonly candle: Candle;
  readonly equityQuote: number;
  readonly cashQuote: number;
  readonly openPositions: number;
  readonly riskState: KernelRiskMode;
}

/** What became of one decision (exactly one per intent handed to the kernel). */
export interface IntentEvaluated {
  readonly type: 'IntentEvaluated';
  readonly intent: OrderIntent;
  readonly outcome: 'sent' | 'skipped' | 'denied' | 'rejected' | 'unknown';
  /** Reason code when not sent (a sizing/skip code, a risk code or a broker code). */
  readonly code: string | null;
  readonly message: string | null;
  readonly clientOrderId: string | null;
}

/** The broker accepted an order. */
export interface OrderSubmitted {
  readonly type: 'OrderSubmitted';
  readonly order: Order;
}

/** The broker refused an order (nothing was placed). */
export interface OrderRejected {
  readonly type: 'OrderRejected';
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly purpose: OrderPurpose;
  readonly code: string;
  readonly message: string;
}

/** The broker's answer did not arrive (timeout): the order is reconciled before anything else is sent for its symbol. */
export interface OrderOutcomeUnknown {
  readonly type: 'OrderOutcomeUnknown';
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly purpose: OrderPurpose;
  readonly code: string;
  readonly message: string;
}

export interface OrderCanceled {
  readonly type: 'OrderCanceled';
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly purpose: OrderPurpose;
}

/** A fill was booked (once per trade id). `purpose` is undefined for a fill of an order the account did not place. */
export interface OrderFilled {
  readonly type: 'OrderFilled';
  readonly fill: Fill;
  readonly purpose: OrderPurpose | undefined;
  /** Position after the fill. */
  readonly positionQtyBase: number;
}

/** A stop or take-profit fired: a native one filled, or a client-side guard sent its exit. */
export interface StopTriggered {
  readonly type: 'StopTriggered';
  readonly symbol: string;
  readonly purpose: 'stop' | 'take_profit';
  readonly levelQuote: number;
  readonly native: boolean;
  readonly timeMs: number;
}

/** The risk engine refused an order; `intentId` when it was a decision's order. */
export interface RiskDenied {
  readonly type: 'RiskDenied';
  readonly symbol: string;
  readonly purpose: OrderPurpose;
  readonly reason: KernelRiskReason;
  readonly intentId: string | null;
}

/** A stop could not be placed: the position is being closed at market. */
export interface EmergencyExitSent {
  readonly type: 'EmergencyExitSent';
  readonly symbol: string;
  readonly why: string;
  readonly sent: boolean;
}

export interface PositionClosed {
  readonly type: 'PositionClosed';
  readonly symbol: string;
  readonly purpose: OrderPurpose | undefined;
  readonly realisedPnlQuote: number;
  readonly timeMs: number;
}

/** The drawdown kill switch fired: no new entries until an operator resets it. */
export interface KillSwitchTripped {
  readonly type: 'KillSwitchTripped';
  readonly reason: string;
  readonly equityQuote: number;
  readonly timeMs: number;
}

/** An operator reset the kill switch (audited). */
export interface KillSwitchReset {
  readonly type: 'KillSwitchReset';
  readonly by: string;
  readonly atMs: number;
  readonly equityQuote: number;
  readonly previousReason: string | null;
}

export interface EntriesPaused {
  readonly type: 'EntriesPaused';
  readonly by: string;
  readonly atMs: number;
}

export interface EntriesResumed {
  readonly type: 'EntriesResumed';
  readonly by: string;
  readonly atMs: number;
}

/** Where the kernel's parts report what they did. */
export type KernelEventSink = (event: KernelEvent) => void;
