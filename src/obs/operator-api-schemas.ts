import { z } from 'zod';

/**
 * The operator API's shapes, once: request bodies are parsed with these schemas, response types are
 * inferred from them, and /api/openapi.json is generated from them (z.toJSONSchema), so the
 * document cannot drift from the code.
 */
const num = z.number();
const timeMs = z.number().int().describe('UTC epoch milliseconds');

export const candleSchema = z.object({ openTimeMs: timeMs, open: num, high: num, low: num, close: num, volume: num });

export const seriesStatusSchema = z.object({
  id: z.string().describe('series id, e.g. binance.BTC-USDT.1h'),
  symbol: z.string(),
  timeframe: z.string(),
  lastCandle: candleSchema.nullable(),
  /** Recent closed candles, oldest first (the dashboard's price chart). */
  recentCandles: z.array(candleSchema).optional(),
  predictionKind: z.enum(['ratio', 'probability']).optional(),
  /** Predicted close ratio (1.002 = +0.2%) or probability after each recent candle. */
  predictions: z.array(z.object({ candleOpenTimeMs: timeMs, value: num })).optional(),
  /** The policy's decisions: target fraction of equity (0 flat, 1 all in, < 0 short). */
  signals: z.array(z.object({ candleOpenTimeMs: timeMs, targetFraction: num, reason: z.string().optional() })).optional(),
});

export const statusSchema = z.object({
  mode: z.string().describe('paper | live | replay'),
  nowMs: timeMs,
  startedAtMs: timeMs.optional(),
  riskState: z.string().describe('ACTIVE | REDUCING | HALTED'),
  haltReason: z.string().nullable(),
  entriesPaused: z.boolean(),
  equityQuote: num,
  cashQuote: num,
  initialEquityQuote: num.optional(),
  quoteCurrency: z.string().optional(),
  model: z
    .object({
      id: z.string(),
      executionProvider: z.string(),
      driftingSeries: z.array(z.string()).optional().describe('series whose inputs drift from the training data: no new entries there'),
    })
    .nullable(),
  health: z.object({ status: z.enum(['ok', 'degraded', 'unhealthy']), reasons: z.array(z.string()) }).optional(),
  series: z.array(seriesStatusSchema),
  account: z.string().optional().describe('account name: keys the saved state and every client order id'),
  traderStatus: z.string().optional().describe('starting | trading | fail-closed | halted'),
  traderStatusReason: z.string().nullable().optional(),
  tradesTotal: z.number().int().nonnegative().optional().describe('closed trades in the full history (GET /api/trades returns the most recent)'),
  killSwitchResets: z
    .array(z.object({ by: z.string(), atMs: timeMs, equityQuote: num, previousReason: z.string().nullable() }))
    .optional()
    .describe('audit trail of kill-switch resets: who, when, the equity at reset'),
});

export const positionSchema = z.object({
  symbol: z.string(),
  side: z.enum(['long', 'short']),
  qtyBase: num.describe('signed: > 0 long, < 0 short'),
  avgEntryPriceQuote: num,
  markPriceQuote: num,
  unrealisedPnlQuote: num,
  realisedPnlQuote: num,
  feesQuote: num,
  openedAtMs: timeMs,
  stopPriceQuote: num.nullable(),
  takeProfitPriceQuote: num.nullable(),
  stopNative: z.boolean().optional().describe('true: the exchange holds the stop; false: client-side guard'),
});

export const orderSchema = z.object({
  clientOrderId: z.string(),
  exchangeOrderId: z.string().optional(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  type: z.string(),
  purpose: z.string(),
  status: z.string(),
  qtyBase: num,
  filledQtyBase: num,
  avgFillPriceQuote: num,
  limitPriceQuote: num.optional(),
  triggerPriceQuote: num.optional(),
  reduceOnly: z.boolean().optional(),
  createdAtMs: timeMs,
  updatedAtMs: timeMs,
});

export const tradeSchema = z.object({
  symbol: z.string(),
  side: z.enum(['long', 'short']),
  entryTimeMs: timeMs,
  entryPrice: num,
  exitTimeMs: timeMs,
  exitPrice: num,
  qty: num,
  fee: num,
  pnl: num.describe('quote currency, net of fees'),
  exitReason: z.string(),
});

export const equityPointSchema = z.tuple([timeMs, num]).describe('[timestampMs, equityQuote]');

export const errorEntrySchema = z.object({
  timeMs,
  code: z.string(),
  message: z.string(),
  component: z.string().optional(),
  count: z.number().int().positive().optional(),
});

export const closePositionBodySchema = z.strictObject({
  symbol: z.string().regex(/^[A-Z0-9]{2,20}\/[A-Z0-9]{2,20}$/, 'a ccxt symbol such as BTC/USDT'),
});

export const controlResultSchema = z.object({
  ok: z.boolean(),
  action: z.string(),
  riskState: z.string().optional(),
  entriesPaused: z.boolean().optional(),
});

export const closePositionResultSchema = z.object({
  status: z.enum(['sent', 'skipped', 'denied', 'rejected', 'unknown', 'not_found']),
  message: z.string(),
  clientOrderId: z.string().optional(),
});

export const apiErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export type OperatorStatus = z.infer<typeof statusSchema>;
export type OperatorSeriesStatus = z.infer<typeof seriesStatusSchema>;
export type OperatorPosition = z.infer<typeof positionSchema>;
export type OperatorOrder = z.infer<typeof orderSchema>;
export type OperatorTrade = z.infer<typeof tradeSchema>;
export type OperatorEquityPoint = z.infer<typeof equityPointSchema>;
export type OperatorErrorEntry = z.infer<typeof errorEntrySchema>;
export type ClosePositionResult = z.infer<typeof closePositionResultSchema>;
export type ControlResult = z.infer<typeof controlResultSchema>;

interface Route {
  readonly method: 'get' | 'post';
  readonly path: string;
  readonly summary: string;
  readonly response: z.ZodType;
  readonly body?: z.ZodType;
}

export const ROUTES: readonly Route[] = [
  { method: 'get', path: '/api/status', summary: 'Mode, risk state, equity, model and the latest candle/prediction per series', response: statusSchema },
  { method: 'get', path: '/api/positions', summary: 'Open positions with stop and take-profit levels', response: z.array(positionSchema) },
  { method: 'get', path: '/api/orders', summary: 'Open (non-terminal) orders', response: z.array(orderSchema) },
  { method: 'get', path: '/api/trades', summary: 'Closed round trips, oldest first', response: z.array(tradeSchema) },
  { method: 'get', path: '/api/equity', summary: 'Equity curve, one point per bar', response: z.array(equityPointSchema) },
  { method: 'get', path: '/api/errors', summary: 'Recent errors, newest first', response: z.array(errorEntrySchema) },
  { method: 'post', path: '/api/control/pause', summary: 'Pause new entries (exits and stops keep working)', response: controlResultSchema },
  { method: 'post', path: '/api/control/resume', summary: 'Resume new entries', response: controlResultSchema },
  {
    method: 'post',
    path: '/api/control/reset-kill-switch',
    summary: 'Operator reset after the kill switch: ACTIVE again, the peak restarts from current equity',
    response: controlResultSchema,
  },
  {
    method: 'post',
    path: '/api/control/close-position',
    summary: 'Flatten one position with a market exit',
    response: closePositionResultSchema,
    body: closePositionBodySchema,
  },
];

const ERROR_RESPONSES = {
  '400': 'The body did not parse',
  '401': 'Missing or wrong bearer token, or WICK_API_TOKEN unset (reads)',
  '403': 'WICK_API_TOKEN is unset: control endpoints are refused',
  '429':
    'RATE_LIMITED: too many control requests for this token (token bucket per principal); AUTH_BACKOFF: too many failed authentications from this address (exponential back-off; a correct token is never held back)',
  '500': 'Internal error',
} as const;

function jsonSchema(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', unrepresentable: 'any' });
}

/** The OpenAPI 3.0 document of the operator API. */
export function openApiDocument(version = '0.1.0'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
  for (const route of ROUTES) {
    const isControl = route.method === 'post';
    const responses: Record<string, unknown> = { '200': { description: 'OK', content: { 'application/json': { schema: jsonSchema(route.response) } } } };
    for (const [code, description] of Object.entries(ERROR_RESPONSES)) {
      if (!isControl && code === '403') continue;
      if (code === '400' && route.body === undefined) continue;
      responses[code] = { description, content: errorContent };
    }
    if (route.path === '/api/control/close-position')
      responses['404'] = { description: 'No open position for the symbol', content: { 'application/json': { schema: jsonSchema(closePositionResultSchema) } } };
    paths[route.path] = {
      [route.method]: {
        summary: route.summary,
        operationId: route.path.replace('/api/', '').replace(/[/-](\w)/g, (_m, c: string) => c.toUpperCase()),
        security: [{ bearerAuth: [] }],
        ...(route.body !== undefined ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
        responses,
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'wick operator API',
      version,
      description: 'Read the state of a running wick daemon and steer it. Every /api endpoint needs `Authorization: Bearer <WICK_API_TOKEN>`.',
    },
    components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } }, schemas: { Error: jsonSchema(apiErrorSchema) } },
    security: [{ bearerAuth: [] }],
    paths,
  };
}
