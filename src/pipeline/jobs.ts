import { createHash } from 'node:crypto';
import { z } from 'zod';
import { seriesId, TIMEFRAMES, type Candle, type OrderIntent, type SeriesKey } from '../core/index.js';

/** bullmq queue names. */
export const CANDLES_QUEUE = 'candles';
export const INTENTS_QUEUE = 'intents';

const finite = z.number().finite();
const seriesSchema = z.object({
  exchange: z.string().min(1),
  symbol: z.string().min(1),
  timeframe: z.enum(TIMEFRAMES),
});
const price = finite.positive();
const candleSchema = z
  .object({
    openTimeMs: z.number().int().nonnegative(),
    open: price,
    high: price,
    low: price,
    close: price,
    volume: finite.nonnegative(),
  })
  .refine((c) => c.high >= Math.max(c.open, c.close, c.low) && c.low <= Math.min(c.open, c.close), 'high must be >= open, close, low and low <= open, close');

function ascending(list: readonly { readonly openTimeMs: number }[]): boolean {
  return list.every((c, i) => i === 0 || c.openTimeMs > list[i - 1]!.openTimeMs);
}

/**
 * A candles job says "series S has closed candles up to T": it carries 1..n candles of one series,
 * ascending, the last being T. The worker processes the series from its last processed candle up to
 * (at least) T, reading the candle store.
 */
export const candleJobSchema = z.object({
  v: z.literal(1),
  series: seriesSchema,
  candles: z.array(candleSchema).min(1).max(10_000).refine(ascending, 'candles must be strictly ascending by openTimeMs'),
  ingestedAtMs: finite,
});
export type CandleJobData = z.infer<typeof candleJobSchema>;

const intentSchema = z.object({
  intentId: z.string().min(1),
  series: seriesSchema,
  candleOpenTimeMs: z.number().int().nonnegative(),
  referencePriceQuote: finite.positive(),
  targetFraction: finite,
  reason: z.string(),
  signal: finite,
  modelId: z.string().min(1).optional(),
});

/**
 * The decisions of one signal batch for one series, ascending by candle: EVERY processed candle with
 * the intent decided on it, or null. The trader needs every candle, not only those with an intent:
 * its broker fills queued orders at the next open and checks stops on each candle's range, in the
 * same order as a backtest.
 */
export const decisionJobSchema = z.object({
  v: z.literal(2),
  series: seriesSchema,
  decisions: z
    .array(z.object({ candle: candleSchema, intent: intentSchema.nullable(), ingestedAtMs: finite }))
    .min(1)
    .refine((l) => ascending(l.map((x) => x.candle)), 'decisions must be ascending by candle openTimeMs')
    .refine((l) => l.every((x) => x.intent === null || x.intent.candleOpenTimeMs === x.candle.openTimeMs), 'an intent must belong to its candle'),
});
export type DecisionJobData = z.infer<typeof decisionJobSchema>;

/**
 * The decisions of several series that a signal process finished at the same moment (a boundary
 * where many markets close at once), in one job: one queue round trip and one trader job instead
 * of one per series. Each group is exactly a v2 job's content; the trader runs them in order.
 */
export const decisionBatchJobSchema = z.object({
  v: z.literal(3),
  groups: z.array(decisionJobSchema.omit({ v: true })).min(2),
});
export type DecisionBatchJobData = z.infer<typeof decisionBatchJobSchema>;

/** What the intents queue carries: one series' decisions (v2) or several series' (v3). */
export const anyDecisionJobSchema = z.discriminatedUnion('v', [decisionJobSchema, decisionBatchJobSchema]);

/** The per-series groups of either job form, in the order they must run. */
export function decisionGroups(data: z.infer<typeof anyDecisionJobSchema>): readonly Omit<DecisionJobData, 'v'>[] {
  return data.v === 2 ? [data] : data.groups;
}

/** Deterministic, ':'-free: the same "series up to T" is one job while bullmq retains it. */
export function candleJobId(series: SeriesKey, lastOpenTimeMs: number): string {
  return `${seriesId(series)}.${lastOpenTimeMs}`;
}

export function decisionJobId(series: SeriesKey, firstOpenTimeMs: number, lastOpenTimeMs: number): string {
  return firstOpenTimeMs === lastOpenTimeMs ? `${seriesId(series)}.${firstOpenTimeMs}` : `${seriesId(series)}.${firstOpenTimeMs}-${lastOpenTimeMs}`;
}

/** Deterministic, ':'-free id of a batch job: its groups' ids, hashed when long. */
export function decisionBatchJobId(
  groups: readonly { readonly series: SeriesKey; readonly decisions: readonly { readonly candle: { readonly openTimeMs: number } }[] }[],
): string {
  const ids = groups.map((g) => decisionJobId(g.series, g.decisions[0]!.candle.openTimeMs, g.decisions[g.decisions.length - 1]!.candle.openTimeMs)).join(',');
  return `batch.${createHash('sha1').update(ids).digest('hex')}`;
}

export function candleJobData(series: SeriesKey, candles: readonly Candle[], ingestedAtMs: number): CandleJobData {
  return {
    v: 1,
    series: { exchange: series.exchange, symbol: series.symbol, timeframe: series.timeframe },
    candles: candles.map((c) => ({ openTimeMs: c.openTimeMs, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume })),
    ingestedAtMs,
  };
}

export function decisionJobData(
  series: SeriesKey,
  decisions: readonly { readonly candle: Candle; readonly intent: OrderIntent | null; readonly ingestedAtMs: number }[],
): DecisionJobData {
  return {
    v: 2,
    series: { exchange: series.exchange, symbol: series.symbol, timeframe: series.timeframe },
    decisions: decisions.map(({ candle, intent, ingestedAtMs }) => ({
      candle: { openTimeMs: candle.openTimeMs, open: candle.open, high: candle.high, low: candle.low, close: candle.close, volume: candle.volume },
      intent:
        intent === null
          ? null
          : {
              intentId: intent.intentId,
              series: { exchange: intent.series.exchange, symbol: intent.series.symbol, timeframe: intent.series.timeframe },
              candleOpenTimeMs: intent.candleOpenTimeMs,
              referencePriceQuote: intent.referencePriceQuote,
              targetFraction: intent.targetFraction,
              reason: intent.reason,
              signal: intent.signal,
              ...(intent.modelId !== undefined ? { modelId: intent.modelId } : {}),
            },
      ingestedAtMs,
    })),
  };
}

/** First zod issue as one line, for the log. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
