import { z } from 'zod';
import { ORDER_STATUSES } from '../core/index.js';
import type { AccountLedgerState } from './account-ledger.js';
import type { TradingKernelState } from './kernel/trading-kernel.js';
import type { PaperBrokerState } from './paper-broker.js';

/**
 * The one persisted shape of a trading account, paper and live alike. Bump the version when the
 * shape changes; a state of an unknown version is refused, never guessed at. Version 1 (live only:
 * books, risk, cursors) is read and upgraded.
 */
export const ACCOUNT_STATE_VERSION = 2;

export interface AccountState {
  readonly schemaVersion: typeof ACCOUNT_STATE_VERSION;
  readonly account: string;
  readonly savedAtMs: number;
  /** Books, risk state (kill switch, pause) and the kill-switch reset audit trail. */
  readonly kernel: TradingKernelState;
  /** Equity curve, open trades, recent trades and counts (the full trade history is kept apart, paged). */
  readonly ledger: AccountLedgerState;
  /** Last stepped candle open time per series id. */
  readonly lastCandleOpenTimeMs: Readonly<Record<string, number>>;
  /** Fill polling cursor per symbol (a polled venue). */
  readonly fillCursorMs: Readonly<Record<string, number>>;
  /** The simulated venue's own state (paper), null for a real venue. */
  readonly venue: PaperBrokerState | null;
}

// NaN and undefined became null in JSON: numbers that may be NaN come back as NaN.
const nanNumber = z
  .number()
  .nullable()
  .transform((v) => v ?? Number.NaN);

const orderSchema = z.object({
  clientOrderId: z.string().min(1),
  symbol: z.string().min(1),
  side: z.enum(['buy', 'sell']),
  type: z.enum(['market', 'limit', 'stop_loss_limit', 'stop_market', 'take_profit_limit']),
  purpose: z.enum(['entry', 'exit', 'stop', 'take_profit', 'emergency_exit']),
  qtyBase: z.number(),
  limitPriceQuote: z.number().optional(),
  triggerPriceQuote: z.number().optional(),
  reduceOnly: z.boolean().optional(),
  exchangeOrderId: z.string().optional(),
  status: z.enum(ORDER_STATUSES),
  filledQtyBase: z.number(),
  avgFillPriceQuote: nanNumber,
  createdAtMs: z.number(),
  updatedAtMs: z.number(),
});

const fillSchema = z.object({
  tradeId: z.string().min(1),
  clientOrderId: z.string(),
  symbol: z.string().min(1),
  side: z.enum(['buy', 'sell']),
  qtyBase: z.number(),
  priceQuote: z.number(),
  feeQuote: z.number(),
  timeMs: z.number(),
});

const positionSchema = z.object({
  symbol: z.string().min(1),
  qtyBase: z.number(),
  avgEntryPriceQuote: z.number(),
  realisedPnlQuote: z.number(),
  feesQuote: z.number(),
  openedAtMs: z.number(),
  markPriceQuote: z.number(),
  entryAtrQuote: z.number().nullable(),
  stopOrderId: z.string().nullable(),
  takeProfitOrderId: z.string().nullable(),
  pendingOrderId: z.string().nullable(),
  protectSeq: z.number().int().nonnegative(),
  guard: z
    .object({
      positionSign: z.number(),
      stopPriceQuote: z.number(),
      takeProfitPriceQuote: z.number().nullable(),
      bestPriceQuote: z.number(),
      atrQuote: z.number().nullable(),
      native: z.boolean(),
    })
    .nullable(),
});

const orderManagerSchema = z.object({
  cashQuote: z.number(),
  duplicateFills: z.number().int().nonnegative(),
  emergencyExits: z.number().int().nonnegative(),
  seenTradeIds: z.array(z.string()),
  orders: z.array(orderSchema),
  fillTotals: z.array(z.object({ clientOrderId: z.string(), qtyBase: z.number(), notionalQuote: z.number() })),
  positions: z.array(positionSchema),
});

const riskSchema = z.object({
  mode: z.enum(['ACTIVE', 'REDUCING', 'HALTED']),
  entriesPaused: z.boolean(),
  haltReason: z.string().nullable(),
  peakEquityQuote: nanNumber,
  dayIndex: nanNumber,
  dayStartEquityQuote: nanNumber,
  lastEquityQuote: nanNumber,
  orderTimesMs: z.array(z.number()),
  stopOutAtMs: z.record(z.string(), z.number()),
});

const tradeSchema = z.object({
  symbol: z.string(),
  side: z.enum(['long', 'short']),
  entryTimeMs: z.number(),
  entryPrice: z.number(),
  exitTimeMs: z.number(),
  exitPrice: z.number(),
  qty: z.number(),
  fee: z.number(),
  pnl: z.number(),
  exitReason: z.string(),
});

const openTradeSchema = z.object({
  side: z.enum(['long', 'short']),
  qtyOpen: z.number(),
  qtyMax: z.number(),
  entryNotional: z.number(),
  entryQty: z.number(),
  entryTimeMs: z.number(),
  exitNotional: z.number(),
  exitQty: z.number(),
  fees: z.number(),
  realised: z.number(),
});

const ledgerSchema = z.object({
  openTrades: z.record(z.string(), openTradeSchema),
  recentTrades: z.array(tradeSchema),
  totalTrades: z.number().int().nonnegative(),
  equity: z.array(z.tuple([z.number(), z.number()])),
  exposed: z.array(z.boolean()),
  pending: z.object({ timeMs: z.number(), equityQuote: z.number(), exposed: z.boolean() }).nullable(),
  feesPaidQuote: z.number(),
  intents: z.number().int().nonnegative(),
  deniedByRisk: z.record(z.string(), z.number()),
  candlesProcessed: z.number().int().nonnegative(),
});

const resetSchema = z.object({ by: z.string(), atMs: z.number(), equityQuote: z.number(), previousReason: z.string().nullable() });

const venueSchema = z.object({
  quote: z.number(),
  base: z.record(z.string(), z.number()),
  tradeSeq: z.number().int().nonnegative(),
  orders: z.array(orderSchema),
  fills: z.array(fillSchema),
});

export const accountStateSchema = z.object({
  schemaVersion: z.literal(ACCOUNT_STATE_VERSION),
  account: z.string().min(1),
  savedAtMs: z.number(),
  kernel: z.object({
    orderManager: orderManagerSchema,
    risk: riskSchema,
    killSwitchResets: z.array(resetSchema),
    volatility: z.record(z.string(), z.array(z.number().nullable())).default({}),
  }),
  ledger: ledgerSchema,
  lastCandleOpenTimeMs: z.record(z.string(), z.number()),
  fillCursorMs: z.record(z.string(), z.number()),
  venue: venueSchema.nullable(),
});

/** Version 1: what the live trader saved before paper shared the schema. */
const stateV1Schema = z.object({
  schemaVersion: z.literal(1),
  account: z.string().min(1),
  savedAtMs: z.number(),
  orderManager: orderManagerSchema,
  risk: riskSchema,
  lastCandleOpenTimeMs: z.record(z.string(), z.number()),
  fillCursorMs: z.record(z.string(), z.number()),
});

export const EMPTY_LEDGER: AccountLedgerState = Object.freeze({
  openTrades: {},
  recentTrades: [],
  totalTrades: 0,
  equity: [],
  exposed: [],
  pending: null,
  feesPaidQuote: 0,
  intents: 0,
  deniedByRisk: {},
  candlesProcessed: 0,
});

/** A persisted state wick cannot use: start-up stops rather than trade on a guess. */
export class AccountStateError extends Error {
  override readonly name = 'AccountStateError';
}

/**
 * Parses a stored account document. Throws AccountStateError (saying what to do) for text that is
 * not JSON, an unknown schema version, a document that does not validate, or another account's state.
 */
export function parseAccountState(raw: string, where: string, account: string): AccountState {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new AccountStateError(
      `account state ${where} is not JSON; refusing to trade on it (inspect it; then delete the key only if no position or order is open, or start paper with --fresh)`,
    );
  }
  const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== ACCOUNT_STATE_VERSION && version !== 1) {
    throw new AccountStateError(
      `account state ${where} has schema version ${JSON.stringify(version)}; this wick reads versions 1 and ${ACCOUNT_STATE_VERSION} only — run the wick version that wrote it, or flatten and delete the key`,
    );
  }
  const parsed = version === 1 ? stateV1Schema.safeParse(json) : accountStateSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new AccountStateError(
      `account state ${where} does not validate (${issues.join('; ')}); refusing to trade on it — inspect the key, and delete it only if no position or order is open`,
    );
  }
  if (parsed.data.account !== account) throw new AccountStateError(`account state ${where} belongs to account "${parsed.data.account}", not "${account}"`);
  if (parsed.data.schemaVersion === 1) {
    const v1 = parsed.data;
    return {
      schemaVersion: ACCOUNT_STATE_VERSION,
      account: v1.account,
      savedAtMs: v1.savedAtMs,
      kernel: { orderManager: v1.orderManager, risk: v1.risk, killSwitchResets: [], volatility: {} },
      ledger: EMPTY_LEDGER,
      lastCandleOpenTimeMs: v1.lastCandleOpenTimeMs,
      fillCursorMs: v1.fillCursorMs,
      venue: null,
    } as unknown as AccountState;
  }
  // zod's optional fields carry `| undefined`; the JSON they came from had none.
  return parsed.data as unknown as AccountState;
}

/** The state as a load will see it: a JSON round trip turns NaN into null and drops undefined fields. */
export function serialiseAccountState(state: AccountState): string {
  return JSON.stringify(state);
}
