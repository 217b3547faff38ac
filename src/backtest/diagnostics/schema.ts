import { z } from 'zod';
import { metricsSchema, parseBacktestResult, type BacktestResult } from '../result.js';
import type { BacktestDiagnostics } from './index.js';

const num = z.number().refine(Number.isFinite, 'must be a finite number');
const maybe = num.nullable();

const icSchema = z.object({ horizon: z.number().int().positive(), n: z.number().int().nonnegative(), pearson: maybe, rank: maybe });
const variantSchema = z.object({ shift: z.number().int(), sharpe: maybe, totalReturn: maybe, trades: z.number().int().nonnegative() });

/** The `diagnostics` block of a result file (see diagnostics/index.ts for the meaning of each field). */
export const diagnosticsSchema = z.object({
  signal: z.object({
    kind: z.enum(['ratio', 'probability']),
    ic: z.array(icSchema),
    deciles: z.array(z.object({ decile: z.number().int(), n: z.number().int().nonnegative(), meanSignal: maybe, meanRealised: maybe, hitRate: maybe })),
    calibration: z.array(z.object({ fromP: num, toP: num, n: z.number().int().nonnegative(), meanP: maybe, observedUp: maybe })).nullable(),
  }),
  bySymbol: z.array(z.object({ symbol: z.string(), ic: z.array(icSchema) })),
  timing: z
    .object({
      metric: z.literal('sharpe'),
      real: variantSchema,
      shifted: z.array(variantSchema),
      rank: z.number().int().positive(),
      of: z.number().int().positive(),
      pValue: num,
    })
    .nullable(),
  trading: z.object({
    trades: z.number().int().nonnegative(),
    avgHoldingHours: maybe,
    exitsByReason: z.record(z.string(), num),
    annualTurnover: maybe,
    timeInMarket: maybe,
    avgCapitalDeployed: maybe,
    feesPaidQuote: num,
    feesShareOfGrossProfit: maybe,
  }),
  baselines: z.array(z.object({ name: z.string(), metrics: metricsSchema, timeInMarket: maybe, avgCapitalDeployed: maybe, feesShareOfGrossProfit: maybe })),
});

type Assignable<T, U extends T> = U;
export type _DiagnosticsSchemaMatches = Assignable<BacktestDiagnostics, z.infer<typeof diagnosticsSchema>>;

/** A result (see result.ts) that may carry the diagnostics block `wick backtest` adds. */
export type DiagnosedResult = BacktestResult & { readonly diagnostics?: BacktestDiagnostics };

/** Parses a result file's JSON including its diagnostics block when there is one; throws a ZodError naming the bad field. */
export function parseDiagnosedResult(json: unknown): DiagnosedResult {
  const result = parseBacktestResult(json);
  const raw = (json as { diagnostics?: unknown }).diagnostics;
  if (raw === undefined) return result;
  return { ...result, diagnostics: diagnosticsSchema.parse(raw) as BacktestDiagnostics };
}
