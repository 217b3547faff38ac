import { z } from 'zod';
import { TIMEFRAMES } from '../../core/candle.js';

/**
 * Every setting of wick, in one table: the environment variable, its zod schema (which parses the
 * raw string), its default, whether it is a secret, and what it means. The config loader, the
 * `config/.env.example` file and the README's table are all derived from this list; a test keeps
 * the example file in step with it.
 */
export interface VariableDef<T = unknown> {
  readonly env: string;
  readonly group: string;
  /** Parses the raw string (already trimmed). */
  readonly schema: z.ZodType<T>;
  /** Raw default, as it would be written in .env; undefined = no default (optional or required by mode). */
  readonly defaultRaw?: string;
  /** Shown masked in every message; never logged. */
  readonly secret?: boolean;
  /** What the variable means and what values it takes. */
  readonly doc: string;
  /** Human description of a valid value, used in error messages. */
  readonly expected: string;
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
const fraction = num(0, 1);
const positive = z.coerce.number().positive().finite();
const text = z.string().min(1);
const symbolList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0),
  )
  .pipe(z.array(z.string().regex(/^[A-Z0-9]{2,20}\/[A-Z0-9]{2,20}$/)).min(1));

function v<T>(def: VariableDef<T>): VariableDef<T> {
  return def;
}

export const VARIABLES = [
  // --- mode and safety
  v({
    env: 'WICK_MODE',
    group: 'mode',
    schema: z.enum(['paper', 'live']),
    defaultRaw: 'paper',
    expected: 'one of: paper, live',
    doc: 'paper (default) simulates fills on live market data; live sends real orders and also needs WICK_API_KEY, WICK_API_SECRET and WICK_LIVE_CONFIRM.',
  }),
  v({
    env: 'WICK_LIVE_CONFIRM',
    group: 'mode',
    schema: z.string(),
    expected: 'the exact text I-UNDERSTAND-THIS-TRADES-REAL-MONEY',
    doc: 'Live trading starts only when this equals I-UNDERSTAND-THIS-TRADES-REAL-MONEY (and WICK_MODE=live). Ignored in paper mode.',
  }),
  v({
    env: 'WICK_ROLE',
    group: 'mode',
    schema: z.enum(['all', 'ingest', 'signal', 'trader', 'trainer']),
    defaultRaw: 'all',
    expected: 'one of: all, ingest, signal, trader, trainer',
    doc: 'Which daemon roles this process runs; several processes with different roles can share one Redis (see "Scaling out"). trainer retrains on a schedule (WICK_RETRAIN_EVERY); all includes it when WICK_RETRAIN_EVERY is set.',
  }),
  // --- market
  v({
    env: 'WICK_EXCHANGE',
    group: 'market',
    schema: z.string().regex(/^[a-z0-9]+$/),
    defaultRaw: 'binance',
    expected: 'a ccxt exchange id in lower case, e.g. binance',
    doc: 'ccxt exchange id.',
  }),
  v({
    env: 'WICK_SYMBOLS',
    group: 'market',
    schema: symbolList,
    defaultRaw: 'BTC/USDT,ETH/USDT',
    expected: 'comma-separated ccxt symbols such as BTC/USDT,ETH/USDT',
    doc: 'Markets to trade, comma-separated.',
  }),
  v({
    env: 'WICK_TIMEFRAME',
    group: 'market',
    schema: z.enum(TIMEFRAMES),
    defaultRaw: '1h',
    expected: `one of: ${TIMEFRAMES.join(', ')}`,
    doc: 'Candle timeframe; must match the model.',
  }),
  v({
    env: 'WICK_API_KEY',
    group: 'market',
    schema: z.string().min(8),
    secret: true,
    expected: 'an API key of at least 8 characters',
    doc: 'Exchange API key (live mode only). Give it trade permission only, never withdrawals.',
  }),
  v({
    env: 'WICK_API_SECRET',
    group: 'market',
    schema: z.string().min(8),
    secret: true,
    expected: 'an API secret of at least 8 characters',
    doc: 'Exchange API secret (live mode only).',
  }),
  v({
    env: 'WICK_EXCHANGE_REST_URL',
    group: 'market',
    schema: z.url(),
    expected: 'an http(s) URL',
    doc: 'Override the exchange REST base URL (the local exchange simulator, e.g. http://127.0.0.1:9100). Unset = the real exchange.',
  }),
  v({
    env: 'WICK_EXCHANGE_WS_URL',
    group: 'market',
    schema: z.url(),
    expected: 'a ws(s) URL containing /stream',
    doc: 'Override the exchange websocket URL (with the simulator, e.g. ws://127.0.0.1:9100/stream).',
  }),
  v({
    env: 'WICK_EXCHANGE_TIMEOUT_MS',
    group: 'market',
    schema: int(1000, 120_000),
    defaultRaw: '10000',
    expected: 'an integer from 1000 to 120000',
    doc: 'Timeout of one exchange request, milliseconds.',
  }),
  v({
    env: 'WICK_PLAUSIBLE_MAX_RATIO',
    group: 'market',
    schema: num(1.01, 1000),
    defaultRaw: '5',
    expected: 'a ratio from 1.01 to 1000',
    doc: 'A candle whose high/low, or whose high or low against the previous close, exceeds this ratio is implausible: refused in files, quarantined (with an alert, never traded on) in live ingest.',
  }),
  v({
    env: 'WICK_PLAUSIBLE_MAX_SIGMAS',
    group: 'market',
    schema: num(5, 10_000),
    defaultRaw: '100',
    expected: 'a number from 5 to 10000',
    doc: 'A candle whose high or low moves more than this many times the recent volatility (RMS of the last 200 log returns) from the previous close, and more than 25%, is implausible (as above).',
  }),
  v({
    env: 'WICK_STALE_AFTER_CANDLES',
    group: 'market',
    schema: num(1, 100),
    defaultRaw: '2',
    expected: 'a number from 1 to 100',
    doc: 'A series whose last closed candle is older than this many timeframes makes /health report stale.',
  }),
  // --- infrastructure
  v({
    env: 'WICK_REDIS_URL',
    group: 'infrastructure',
    schema: z.string().regex(/^rediss?:\/\//),
    defaultRaw: 'redis://127.0.0.1:6379',
    secret: false,
    expected: 'a redis:// or rediss:// URL',
    doc: 'Redis 7 holding queues and state. Run it with appendonly yes and maxmemory-policy noeviction.',
  }),
  v({
    env: 'WICK_REDIS_PREFIX',
    group: 'infrastructure',
    schema: z.string().regex(/^[a-zA-Z0-9_-]{1,32}$/),
    defaultRaw: 'wick',
    expected: '1-32 letters, digits, _ or -',
    doc: 'Prefix of every Redis key and queue, so several bots can share a Redis.',
  }),
  v({
    env: 'WICK_SIGNAL_CONCURRENCY',
    group: 'infrastructure',
    schema: int(1, 64),
    defaultRaw: '8',
    expected: 'an integer from 1 to 64',
    doc: 'Candle jobs one signal process runs at once (per-series order holds at any value). Series that close together are inferred in one model call, so many markets want a high value: 64 for hundreds of markets (see "Speed at scale").',
  }),
  v({
    env: 'WICK_HTTP_HOST',
    group: 'infrastructure',
    schema: z.string().min(1),
    defaultRaw: '127.0.0.1',
    expected: 'an interface address such as 127.0.0.1 or 0.0.0.0',
    doc: 'Address of the health/metrics HTTP server. Bound to loopback unless you say otherwise.',
  }),
  v({
    env: 'WICK_SHUTDOWN_TIMEOUT_SECONDS',
    group: 'infrastructure',
    schema: int(1, 600),
    defaultRaw: '30',
    expected: 'an integer from 1 to 600',
    doc: 'After SIGINT/SIGTERM wick stops within this many seconds in every state (Redis or the exchange not answering included), else exits 1; a second signal exits at once (130).',
  }),
  v({
    env: 'WICK_HTTP_PORT',
    group: 'infrastructure',
    schema: int(0, 65535),
    defaultRaw: '8080',
    expected: 'an integer from 0 to 65535',
    doc: 'Port of the health/metrics HTTP server (0 = pick a free one).',
  }),
  v({
    env: 'WICK_API_TOKEN',
    group: 'infrastructure',
    schema: z.string().min(16),
    secret: true,
    expected: 'at least 16 characters',
    doc: 'Bearer token for the operator API; control endpoints are refused while it is unset.',
  }),
  v({
    env: 'WICK_API_TOKEN_FILE',
    group: 'infrastructure',
    schema: text,
    expected: 'a file path',
    doc: 'When WICK_API_TOKEN is unset: read the operator API token from this file, or create it (a random token, mode 0600) when it does not exist. compose.yaml sets /run/wick/api-token; show it with `docker compose exec wick cat /run/wick/api-token`.',
  }),
  v({
    env: 'WICK_WEBHOOK_URL',
    group: 'notifications',
    schema: z.url(),
    secret: true,
    expected: 'an http(s) URL',
    doc: 'POST a JSON message here for fills, stop-outs, the kill switch, stale data and errors (throttled). Treated as a secret: such URLs often carry a token.',
  }),
  v({
    env: 'WICK_TELEGRAM_BOT_TOKEN',
    group: 'notifications',
    schema: z.string().regex(/^\d+:[\w-]{20,}$/),
    secret: true,
    expected: 'a Telegram bot token (digits:characters)',
    doc: 'Telegram bot token for notifications; needs WICK_TELEGRAM_CHAT_ID.',
  }),
  v({
    env: 'WICK_TELEGRAM_CHAT_ID',
    group: 'notifications',
    schema: z.string().regex(/^-?\d+$|^@\w+$/),
    expected: 'a numeric chat id or @channel',
    doc: 'Telegram chat that receives the notifications.',
  }),
  v({
    env: 'WICK_NOTIFY_THROTTLE_SECONDS',
    group: 'notifications',
    schema: int(0, 86_400),
    defaultRaw: '300',
    expected: 'an integer from 0 to 86400',
    doc: 'The same event within this window is sent once, then one summary with a count.',
  }),
  v({
    env: 'WICK_LOG_LEVEL',
    group: 'infrastructure',
    schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    defaultRaw: 'info',
    expected: 'one of: trace, debug, info, warn, error, fatal, silent',
    doc: 'Log level.',
  }),
  v({
    env: 'WICK_LOG_FORMAT',
    group: 'infrastructure',
    schema: z.enum(['auto', 'json', 'pretty']),
    defaultRaw: 'auto',
    expected: 'one of: auto, json, pretty',
    doc: 'auto = human-readable on a terminal, JSON otherwise.',
  }),
  // --- model
  v({
    env: 'WICK_MODEL_DIR',
    group: 'model',
    schema: text,
    defaultRaw: 'models/default',
    expected: 'a path to a model folder (model.onnx + manifest.json)',
    doc: 'Model folder.',
  }),
  v({
    env: 'WICK_EXECUTION_PROVIDER',
    group: 'model',
    schema: z.enum(['auto', 'cpu', 'cuda']),
    defaultRaw: 'auto',
    expected: 'one of: auto, cpu, cuda',
    doc: 'onnxruntime execution provider. auto uses CUDA only for batches above the measured crossover and when CUDA loads.',
  }),
  v({
    env: 'WICK_CUDA_STRICT',
    group: 'model',
    schema: bool,
    defaultRaw: 'false',
    expected: 'true or false',
    doc: 'With cuda: refuse to start when CUDA cannot be loaded instead of falling back to CPU.',
  }),
  v({
    env: 'WICK_MODEL_REGISTRY',
    group: 'model',
    schema: text,
    expected: 'a path to a model registry folder',
    doc: 'Model registry (see "Model lifecycle"). When set, the daemon trades the registry\'s champion instead of WICK_MODEL_DIR and switches to a newly promoted champion between two candles; `wick model` commands use it.',
  }),
  v({
    env: 'WICK_DRIFT_GUARD',
    group: 'model',
    schema: bool,
    defaultRaw: 'true',
    expected: 'true or false',
    doc: "Input-drift guard: no new entries while a window's dissimilarity to the training data is above the threshold calibrated in the model manifest (exits and stops still run). Models without a calibration are not guarded.",
  }),
  v({
    env: 'WICK_RETRAIN_EVERY',
    group: 'model',
    schema: z
      .string()
      .regex(/^(off|[1-9]\d*[hd])$/)
      .transform((v) => (v === 'off' ? null : Number(v.slice(0, -1)) * (v.endsWith('d') ? 86_400_000 : 3_600_000))),
    defaultRaw: 'off',
    expected: 'off, or hours/days such as 12h or 7d',
    doc: "Trainer role: retrain a challenger this often on the candle store's history and promote it only if it beats the champion (needs WICK_MODEL_REGISTRY). off: never.",
  }),
  v({
    env: 'WICK_PROMOTE_MARGIN',
    group: 'model',
    schema: num(0, 10),
    defaultRaw: '0.1',
    expected: 'a number from 0 to 10',
    doc: 'Trainer role: Sharpe ratio the challenger must gain over the champion on the evaluation window (costs included), besides passing the timing test.',
  }),
  v({
    env: 'WICK_RETRAIN_EVAL_DAYS',
    group: 'model',
    schema: int(1, 365),
    defaultRaw: '30',
    expected: 'a whole number of days from 1 to 365',
    doc: "Trainer role: the most recent days held out of the challenger's training, on which challenger and champion are both evaluated.",
  }),
  v({
    env: 'WICK_RETRAIN_EPOCHS',
    group: 'model',
    schema: int(1, 10_000),
    expected: 'a positive whole number',
    doc: "Trainer role: epoch cap for the challenger (default: the champion's).",
  }),
  // --- paper broker and costs
  v({
    env: 'WICK_INITIAL_EQUITY',
    group: 'paper',
    schema: positive,
    defaultRaw: '10000',
    expected: 'a positive number (quote currency)',
    doc: 'Starting quote balance of the paper account (and backtests).',
  }),
  v({
    env: 'WICK_FEE_BPS',
    group: 'paper',
    schema: num(0, 1000),
    defaultRaw: '10',
    expected: 'a number of basis points from 0 to 1000',
    doc: 'Taker fee charged on simulated fills, basis points (10 = 0.1%).',
  }),
  v({
    env: 'WICK_SLIPPAGE_BPS',
    group: 'paper',
    schema: num(0, 1000),
    defaultRaw: '5',
    expected: 'a number of basis points from 0 to 1000',
    doc: 'Adverse slippage on simulated market fills, basis points.',
  }),
  // --- strategy
  v({
    env: 'WICK_ENTRY_THRESHOLD',
    group: 'strategy',
    schema: num(0, 1),
    defaultRaw: '0.002',
    expected: 'a number from 0 to 1',
    doc: 'Ratio (regression) models: go long when the averaged predicted next-candle ratio exceeds 1 + this.',
  }),
  v({
    env: 'WICK_EXIT_THRESHOLD',
    group: 'strategy',
    schema: num(0, 1),
    defaultRaw: '0.002',
    expected: 'a number from 0 to 1',
    doc: 'Ratio models: exit when the averaged predicted ratio falls below 1 - this; between the two bands the position is held.',
  }),
  v({
    env: 'WICK_ENTER_PROBABILITY',
    group: 'strategy',
    schema: num(0.5, 1),
    defaultRaw: '0.55',
    expected: 'a probability from 0.5 to 1',
    doc: 'Probability models: go long when the predicted probability of a rise exceeds this.',
  }),
  v({
    env: 'WICK_EXIT_PROBABILITY',
    group: 'strategy',
    schema: num(0, 0.5),
    defaultRaw: '0.48',
    expected: 'a probability from 0 to 0.5',
    doc: 'Probability models: exit when the predicted probability of a rise falls below this; in between the position is held.',
  }),
  v({
    env: 'WICK_FULL_POSITION_MOVE',
    group: 'strategy',
    schema: num(0.0001, 1),
    defaultRaw: '0.01',
    expected: 'a number from 0.0001 to 1',
    doc: 'Regression models: the averaged predicted move (ratio - 1) at which a position reaches WICK_MAX_POSITION_FRACTION; smaller moves get proportionally smaller positions.',
  }),
  v({
    env: 'WICK_MAX_POSITION_FRACTION',
    group: 'strategy',
    schema: fraction,
    defaultRaw: '0.25',
    expected: 'a fraction from 0 to 1',
    doc: 'Largest position per symbol as a fraction of equity.',
  }),
  v({
    env: 'WICK_THRESHOLDS',
    group: 'strategy',
    schema: z.enum(['calibrated', 'fixed']),
    defaultRaw: 'calibrated',
    expected: 'one of: calibrated, fixed',
    doc: "calibrated: entry and exit levels are quantiles of the model's own validation predictions (WICK_ENTRY_QUANTILE, WICK_EXIT_QUANTILE; needs a model trained with calibration, else the fixed settings apply); fixed: WICK_ENTRY_THRESHOLD/WICK_EXIT_THRESHOLD or the probabilities as given.",
  }),
  v({
    env: 'WICK_ENTRY_QUANTILE',
    group: 'strategy',
    schema: num(0.01, 0.99),
    defaultRaw: '0.99',
    expected: 'a quantile from 0.01 to 0.99',
    doc: 'Calibrated thresholds: go long when the policy statistic exceeds this quantile of its validation values (0.99, chosen by wick tune for the default model = the top 1% of predictions).',
  }),
  v({
    env: 'WICK_EXIT_QUANTILE',
    group: 'strategy',
    schema: num(0.01, 0.99),
    defaultRaw: '0.5',
    expected: 'a quantile from 0.01 to 0.99, below WICK_ENTRY_QUANTILE',
    doc: 'Calibrated thresholds: exit when the policy statistic falls below this quantile of its validation values.',
  }),
  v({
    env: 'WICK_COST_AWARE',
    group: 'strategy',
    schema: bool,
    defaultRaw: 'false',
    expected: 'true or false',
    doc: 'Calibrated thresholds: also require that the validation deciles from the entry level up had a mean forward return above the round-trip costs (2 x (fee + slippage)); if none did, the strategy never enters.',
  }),
  v({
    env: 'WICK_SIZING',
    group: 'strategy',
    schema: z.enum(['proportional', 'vol_target']),
    defaultRaw: 'proportional',
    expected: 'one of: proportional, vol_target',
    doc: "proportional: position = the policy's target fraction of equity; vol_target: position = WICK_TARGET_ANNUAL_VOL / realised annual volatility (from the 14-bar ATR) of equity. Both capped by WICK_MAX_POSITION_FRACTION.",
  }),
  v({
    env: 'WICK_TARGET_ANNUAL_VOL',
    group: 'strategy',
    schema: num(0.01, 5),
    defaultRaw: '0.2',
    expected: 'a number from 0.01 to 5',
    doc: 'vol_target sizing: the annualised volatility one position aims for (0.2 = 20%).',
  }),
  // --- risk
  v({
    env: 'WICK_STOP_LOSS_PCT',
    group: 'risk',
    schema: num(0.001, 0.5),
    defaultRaw: '0.03',
    expected: 'a fraction from 0.001 to 0.5',
    doc: 'Stop-loss distance below entry (0.03 = 3%). Every position has one.',
  }),
  v({
    env: 'WICK_TAKE_PROFIT_PCT',
    group: 'risk',
    schema: num(0.001, 5),
    expected: 'a fraction from 0.001 to 5',
    doc: 'Optional take-profit distance above entry.',
  }),
  v({
    env: 'WICK_TRAILING_STOP_PCT',
    group: 'risk',
    schema: num(0.001, 0.5),
    expected: 'a fraction from 0.001 to 0.5',
    doc: 'Optional trailing stop distance; the stop only ever moves up.',
  }),
  v({
    env: 'WICK_MAX_POSITION_NOTIONAL',
    group: 'risk',
    schema: positive,
    defaultRaw: '5000',
    expected: 'a positive number (quote currency)',
    doc: 'Largest position per symbol, in quote currency.',
  }),
  v({
    env: 'WICK_MAX_TOTAL_EXPOSURE',
    group: 'risk',
    schema: num(0, 10),
    defaultRaw: '1',
    expected: 'a number from 0 to 10 (fraction of equity)',
    doc: 'Largest sum of all positions as a fraction of equity.',
  }),
  v({
    env: 'WICK_MAX_OPEN_POSITIONS',
    group: 'risk',
    schema: int(1, 1000),
    defaultRaw: '5',
    expected: 'an integer from 1 to 1000',
    doc: 'Most positions open at once.',
  }),
  v({
    env: 'WICK_MAX_ORDERS_PER_MINUTE',
    group: 'risk',
    schema: int(1, 10_000),
    defaultRaw: '20',
    expected: 'an integer from 1 to 10000',
    doc: 'Order rate limit across the account.',
  }),
  v({
    env: 'WICK_DAILY_LOSS_LIMIT',
    group: 'risk',
    schema: num(0.001, 1),
    defaultRaw: '0.05',
    expected: 'a fraction from 0.001 to 1',
    doc: 'Loss since the UTC day began, as a fraction of equity, that blocks new entries for the day (exits and stops still run).',
  }),
  v({
    env: 'WICK_MAX_DRAWDOWN',
    group: 'risk',
    schema: num(0.001, 1),
    defaultRaw: '0.2',
    expected: 'a fraction from 0.001 to 1',
    doc: 'Drawdown from the equity peak that trips the kill switch: trading halts until an operator resets it.',
  }),
  v({
    env: 'WICK_STOP_COOLDOWN_MINUTES',
    group: 'risk',
    schema: num(0, 10_080),
    defaultRaw: '60',
    expected: 'a number of minutes from 0 to 10080',
    doc: 'No new entry on a symbol for this long after it was stopped out.',
  }),
] as const satisfies readonly VariableDef[];

export type VariableName = (typeof VARIABLES)[number]['env'];

export const LIVE_CONFIRMATION = 'I-UNDERSTAND-THIS-TRADES-REAL-MONEY';
