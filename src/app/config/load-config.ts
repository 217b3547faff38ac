import { ConfigError } from '../../core/errors.js';
import type { Timeframe } from '../../core/candle.js';
import { DEFAULT_PLAUSIBILITY, type PlausibilityBounds } from '../../market/candle-plausibility.js';
import { LIVE_CONFIRMATION, VARIABLES, type VariableDef } from './variables.js';

export interface Config {
  readonly mode: 'paper' | 'live';
  readonly role: 'all' | 'ingest' | 'signal' | 'trader' | 'trainer';
  readonly market: {
    readonly exchange: string;
    readonly symbols: readonly string[];
    readonly timeframe: Timeframe;
    readonly restUrl: string | undefined;
    readonly wsUrl: string | undefined;
    readonly timeoutMs: number;
    readonly staleAfterCandles: number;
    readonly plausibility: PlausibilityBounds;
  };
  /** Present only in live mode; never logged (see obs/logger redaction). */
  readonly credentials: { readonly apiKey: string; readonly secret: string } | undefined;
  readonly redis: { readonly url: string; readonly prefix: string; readonly signalConcurrency: number };
  readonly http: { readonly host: string; readonly port: number; readonly apiToken: string | undefined; readonly apiTokenFile: string | undefined };
  readonly log: { readonly level: string; readonly format: 'auto' | 'json' | 'pretty' };
  readonly notify: {
    readonly webhookUrl: string | undefined;
    readonly telegramBotToken: string | undefined;
    readonly telegramChatId: string | undefined;
    readonly throttleMs: number;
  };
  readonly model: {
    readonly dir: string;
    readonly executionProvider: 'auto' | 'cpu' | 'cuda';
    readonly cudaStrict: boolean;
    readonly registry: string | undefined;
    readonly driftGuard: boolean;
  };
  /** The trainer role (model lifecycle): everyMs null = off. */
  readonly retrain: { readonly everyMs: number | null; readonly margin: number; readonly evalDays: number; readonly epochs: number | undefined };
  readonly paper: { readonly initialEquityQuote: number; readonly feeBps: number; readonly slippageBps: number };
  readonly strategy: {
    readonly entryThreshold: number;
    readonly exitThreshold: number;
    readonly enterProbability: number;
    readonly exitProbability: number;
    readonly fullPositionMove: number;
    readonly maxPositionFraction: number;
    readonly thresholds: 'calibrated' | 'fixed';
    readonly entryQuantile: number;
    readonly exitQuantile: number;
    readonly costAware: boolean;
    readonly sizing: 'proportional' | 'vol_target';
    readonly targetAnnualVol: number;
  };
  readonly risk: {
    readonly stopLossPct: number;
    readonly takeProfitPct: number | undefined;
    readonly trailingStopPct: number | undefined;
    readonly maxPositionNotionalQuote: number;
    readonly maxTotalExposure: number;
    readonly maxOpenPositions: number;
    readonly maxOrdersPerMinute: number;
    readonly dailyLossLimit: number;
    readonly maxDrawdown: number;
    readonly stopCooldownMs: number;
  };
}

/** Masks a secret for messages: never more than the length hint. */
export function maskSecret(value: string): string {
  return value.length === 0 ? '(empty)' : `****** (${value.length} characters)`;
}

function showValue(def: VariableDef, raw: string): string {
  return def.secret === true ? maskSecret(raw) : JSON.stringify(raw);
}

/**
 * Reads the configuration from environment variables (a `.env` file is loaded into them first by
 * the CLI). Collects EVERY problem before failing, so one run tells the user all that is wrong.
 * @throws ConfigError listing each invalid variable, its value (secrets masked) and what is expected.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const problems: string[] = [];
  const values = new Map<string, unknown>();
  const known = new Set(VARIABLES.map((d) => d.env));

  for (const name of Object.keys(env).sort()) {
    if (name.startsWith('WICK_') && !known.has(name) && !name.startsWith('WICK_TEST_') && !name.startsWith('WICK_BENCH_')) {
      problems.push(`${name}: unknown variable (a typo?). Known variables are listed in config/.env.example.`);
    }
  }

  for (const def of VARIABLES as readonly VariableDef[]) {
    const given = env[def.env];
    const raw = given !== undefined && given.trim() !== '' ? given.trim() : def.defaultRaw;
    if (raw === undefined) continue;
    const parsed = def.schema.safeParse(raw);
    if (parsed.success) {
      values.set(def.env, parsed.data);
    } else {
      problems.push(`${def.env} = ${showValue(def, raw)}: expected ${def.expected}.`);
    }
  }

  const get = <T>(name: string): T => values.get(name) as T;
  const mode = get<'paper' | 'live' | undefined>('WICK_MODE');
  if (mode === 'live') {
    const missing: string[] = [];
    if (!values.has('WICK_API_KEY') && !problems.some((p) => p.startsWith('WICK_API_KEY'))) missing.push('WICK_API_KEY');
    if (!values.has('WICK_API_SECRET') && !problems.some((p) => p.startsWith('WICK_API_SECRET'))) missing.push('WICK_API_SECRET');
    if (missing.length > 0) {
      problems.push(
        `WICK_MODE = "live" needs exchange keys: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set. Set them, or use WICK_MODE=paper.`,
      );
    }
    if (get<string | undefined>('WICK_LIVE_CONFIRM') !== LIVE_CONFIRMATION) {
      const given = env['WICK_LIVE_CONFIRM'];
      problems.push(
        `WICK_LIVE_CONFIRM ${given === undefined || given === '' ? 'is not set' : `= ${JSON.stringify(given)} is not the confirmation`}: live trading sends real orders; set WICK_LIVE_CONFIRM=${LIVE_CONFIRMATION} to confirm, or use WICK_MODE=paper.`,
      );
    }
  }
  const entryQ = get<number | undefined>('WICK_ENTRY_QUANTILE');
  const exitQ = get<number | undefined>('WICK_EXIT_QUANTILE');
  if (entryQ !== undefined && exitQ !== undefined && !(exitQ < entryQ)) {
    problems.push(`WICK_EXIT_QUANTILE = ${exitQ} must be below WICK_ENTRY_QUANTILE = ${entryQ}: the position is held between the two levels.`);
  }
  if (values.has('WICK_TELEGRAM_BOT_TOKEN') !== values.has('WICK_TELEGRAM_CHAT_ID')) {
    problems.push('WICK_TELEGRAM_BOT_TOKEN and WICK_TELEGRAM_CHAT_ID go together: set both to send Telegram notifications, or neither.');
  }

  if (problems.length > 0) {
    throw new ConfigError(
      `Invalid configuration (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee config/.env.example for every variable, its default and meaning.`,
      problems,
    );
  }

  const live = mode === 'live';
  const config: Config = {
    mode: get('WICK_MODE'),
    role: get('WICK_ROLE'),
    market: {
      exchange: get('WICK_EXCHANGE'),
      symbols: get('WICK_SYMBOLS'),
      timeframe: get('WICK_TIMEFRAME'),
      restUrl: get('WICK_EXCHANGE_REST_URL'),
      wsUrl: get('WICK_EXCHANGE_WS_URL'),
      timeoutMs: get('WICK_EXCHANGE_TIMEOUT_MS'),
      staleAfterCandles: get('WICK_STALE_AFTER_CANDLES'),
      plausibility: { ...DEFAULT_PLAUSIBILITY, maxRatio: get('WICK_PLAUSIBLE_MAX_RATIO'), maxSigmas: get('WICK_PLAUSIBLE_MAX_SIGMAS') },
    },
    credentials: live ? { apiKey: get('WICK_API_KEY'), secret: get('WICK_API_SECRET') } : undefined,
    redis: { url: get('WICK_REDIS_URL'), prefix: get('WICK_REDIS_PREFIX'), signalConcurrency: get('WICK_SIGNAL_CONCURRENCY') },
    http: { host: get('WICK_HTTP_HOST'), port: get('WICK_HTTP_PORT'), apiToken: get('WICK_API_TOKEN'), apiTokenFile: get('WICK_API_TOKEN_FILE') },
    log: { level: get('WICK_LOG_LEVEL'), format: get('WICK_LOG_FORMAT') },
    notify: {
      webhookUrl: get('WICK_WEBHOOK_URL'),
      telegramBotToken: get('WICK_TELEGRAM_BOT_TOKEN'),
      telegramChatId: get('WICK_TELEGRAM_CHAT_ID'),
      throttleMs: get<number>('WICK_NOTIFY_THROTTLE_SECONDS') * 1000,
    },
    model: {
      dir: get('WICK_MODEL_DIR'),
      executionProvider: get('WICK_EXECUTION_PROVIDER'),
      cudaStrict: get('WICK_CUDA_STRICT'),
      registry: get('WICK_MODEL_REGISTRY'),
      driftGuard: get('WICK_DRIFT_GUARD'),
    },
    retrain: {
      everyMs: get('WICK_RETRAIN_EVERY'),
      margin: get('WICK_PROMOTE_MARGIN'),
      evalDays: get('WICK_RETRAIN_EVAL_DAYS'),
      epochs: get('WICK_RETRAIN_EPOCHS'),
    },
    paper: { initialEquityQuote: get('WICK_INITIAL_EQUITY'), feeBps: get('WICK_FEE_BPS'), slippageBps: get('WICK_SLIPPAGE_BPS') },
    strategy: {
      entryThreshold: get('WICK_ENTRY_THRESHOLD'),
      exitThreshold: get('WICK_EXIT_THRESHOLD'),
      enterProbability: get('WICK_ENTER_PROBABILITY'),
      exitProbability: get('WICK_EXIT_PROBABILITY'),
      fullPositionMove: get('WICK_FULL_POSITION_MOVE'),
      maxPositionFraction: get('WICK_MAX_POSITION_FRACTION'),
      thresholds: get('WICK_THRESHOLDS'),
      entryQuantile: get('WICK_ENTRY_QUANTILE'),
      exitQuantile: get('WICK_EXIT_QUANTILE'),
      costAware: get('WICK_COST_AWARE'),
      sizing: get('WICK_SIZING'),
      targetAnnualVol: get('WICK_TARGET_ANNUAL_VOL'),
    },
    risk: {
      stopLossPct: get('WICK_STOP_LOSS_PCT'),
      takeProfitPct: get('WICK_TAKE_PROFIT_PCT'),
      trailingStopPct: get('WICK_TRAILING_STOP_PCT'),
      maxPositionNotionalQuote: get('WICK_MAX_POSITION_NOTIONAL'),
      maxTotalExposure: get('WICK_MAX_TOTAL_EXPOSURE'),
      maxOpenPositions: get('WICK_MAX_OPEN_POSITIONS'),
      maxOrdersPerMinute: get('WICK_MAX_ORDERS_PER_MINUTE'),
      dailyLossLimit: get('WICK_DAILY_LOSS_LIMIT'),
      maxDrawdown: get('WICK_MAX_DRAWDOWN'),
      stopCooldownMs: get<number>('WICK_STOP_COOLDOWN_MINUTES') * 60_000,
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as Record<string, unknown>)) deepFreeze(inner);
  }
  return value;
}

/** The text of config/.env.example, generated from the variable table (a test keeps the file equal to it). */
export function renderEnvExample(): string {
  const lines = [
    '# wick configuration. Copy to .env (next to compose.yaml, or the working directory) and edit.',
    '# Every line is commented out: the value shown is the default, so a copy changes nothing until you',
    '# uncomment a line. Connection settings (WICK_REDIS_URL, WICK_HTTP_HOST/PORT) are set by compose.yaml',
    '# for the containers; uncomment them only when you run wick outside compose.',
    '# Generated from src/app/config/variables.ts by `npm run docs:config`; do not edit by hand.',
  ];
  let group = '';
  for (const def of VARIABLES as readonly VariableDef[]) {
    if (def.group !== group) {
      group = def.group;
      lines.push('', `# --- ${group}`);
    }
    lines.push(`# ${def.doc}`);
    lines.push(`# ${def.env}=${def.defaultRaw ?? ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The README's variable table (between its `variables:start/end` markers), generated like the example file. */
export function renderVariablesTable(): string {
  return (VARIABLES as readonly VariableDef[])
    .map((def) => `| \`${def.env}\` | ${def.defaultRaw !== undefined ? `\`${def.defaultRaw}\`` : '—'} | ${def.doc.replaceAll('|', '\\|')} |`)
    .join('\n');
}

/** compose.yaml's environment block: every variable passed through, empty meaning "wick's default". */
export function renderComposeEnvironment(): string {
  const inContainer: Readonly<Record<string, string>> = { WICK_REDIS_URL: 'redis://redis:6379', WICK_API_TOKEN_FILE: '/run/wick/api-token' };
  return (VARIABLES as readonly VariableDef[])
    .filter((def) => def.env !== 'WICK_HTTP_HOST' && def.env !== 'WICK_HTTP_PORT')
    .map((def) => `  ${def.env}: \${${def.env}:-${inContainer[def.env] ?? ''}}`)
    .join('\n');
}

/** Every secret value of a configuration, for the logger's scrubber. */
export function secretsOf(config: Config): (string | undefined)[] {
  return [config.credentials?.apiKey, config.credentials?.secret, config.http.apiToken, config.notify.webhookUrl, config.notify.telegramBotToken];
}

/**
 * The plausibility bounds from WICK_PLAUSIBLE_* alone, for the file commands (train, features,
 * backtest) that do not load the daemon's configuration. Throws ConfigError on a bad value.
 */
export function plausibilityFromEnv(env: Readonly<Record<string, string | undefined>>): PlausibilityBounds {
  const problems: string[] = [];
  const read = (name: string): number => {
    const def = (VARIABLES as readonly VariableDef[]).find((d) => d.env === name)!;
    const given = env[name];
    const raw = given !== undefined && given.trim() !== '' ? given.trim() : def.defaultRaw!;
    const parsed = def.schema.safeParse(raw);
    if (parsed.success) return parsed.data as number;
    problems.push(`${name} = ${JSON.stringify(raw)}: expected ${def.expected}.`);
    return Number.NaN;
  };
  const bounds = { ...DEFAULT_PLAUSIBILITY, maxRatio: read('WICK_PLAUSIBLE_MAX_RATIO'), maxSigmas: read('WICK_PLAUSIBLE_MAX_SIGMAS') };
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, problems);
  return bounds;
}
