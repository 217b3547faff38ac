import { z } from 'zod';
import { ORDER_STATUSES, type Logger } from '../../core/index.js';
import type { OrderManagerState, RiskState } from '../../execution/index.js';

/** Bump when the persisted shape changes; a state of another version is refused, never guessed at. */
export const LIVE_STATE_VERSION = 1;

/** What the live trader persists after every step (one Redis key per account). */
export interface LiveTraderState {
  readonly schemaVersion: typeof LIVE_STATE_VERSION;
  readonly account: string;
  readonly savedAtMs: number;
  readonly orderManager: OrderManagerState;
  readonly risk: RiskState;
  /** Last stepped candle open time per series id. */
  readonly lastCandleOpenTimeMs: Readonly<Record<string, number>>;
  /** Fill polling cursor per symbol: fills are fetched from here on (re-applying one is a no-op). */
  readonly fillCursorMs: Readonly<Record<string, number>>;
}

/** The slice of an ioredis client the store uses (tests hand a real one). */
export interface KeyValueRedis {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
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

const stateSchema = z.object({
  schemaVersion: z.literal(LIVE_STATE_VERSION),
  account: z.string().min(1),
  savedAtMs: z.number(),
  orderManager: orderManagerSchema,
  risk: riskSchema,
  lastCandleOpenTimeMs: z.record(z.string(), z.number()),
  fillCursorMs: z.record(z.string(), z.number()),
});

/** A persisted state wick cannot use: start-up stops rather than trade on a guess. */
export class LiveStateError extends Error {
  override readonly name = 'LiveStateError';
}

/**
 * The live trader's state in Redis: `<prefix>:live:<account>:state`, one JSON document with a
 * schema version, written after every step and validated with zod on load. An unknown version or
 * a document that does not validate is refused with a message that says what to do.
 */
export class LiveStateStore {
  readonly key: string;

  constructor(
    private readonly redis: KeyValueRedis,
    prefix: string,
    private readonly account: string,
    private readonly logger?: Logger,
  ) {
    this.key = `${prefix}:live:${account}:state`;
  }

  async load(): Promise<LiveTraderState | null> {
    const raw = await this.redis.get(this.key);
    if (raw === null) return null;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new LiveStateError(`live state ${this.key} is not JSON; refusing to trade on it (inspect it, then delete the key only if no position or order is open)`);
    }
    const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
    if (version !== LIVE_STATE_VERSION) {
      throw new LiveStateError(`live state ${this.key} has schema version ${JSON.stringify(version)}; this wick reads version ${LIVE_STATE_VERSION} only — run the wick version that wrote it, or flatten and delete the key`);
    }
    const parsed = stateSchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
      throw new LiveStateError(`live state ${this.key} does not validate (${issues.join('; ')}); refusing to trade on it`);
    }
    if (parsed.data.account !== this.account) throw new LiveStateError(`live state ${this.key} belongs to account "${parsed.data.account}", not "${this.account}"`);
    // zod's optional fields carry `| undefined`; the JSON they came from had none.
    return parsed.data as unknown as LiveTraderState;
  }

  async save(state: LiveTraderState): Promise<void> {
    await this.redis.set(this.key, JSON.stringify(state));
    this.logger?.debug({ key: this.key, orders: state.orderManager.orders.length }, 'live state saved');
  }
}
