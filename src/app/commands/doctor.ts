import path from 'node:path';
import { Redis } from 'ioredis';
import { ConfigError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { ccxtMarketSchema, marketRulesOf } from '../../execution/brokers/ccxt-payloads.js';
import { classifyExchangeError, scrubSecrets } from '../../execution/brokers/classify-exchange-error.js';
import { createCcxtExchange } from '../../market/ccxt-client.js';
import { OnnxSignalModel } from '../../model/onnx-signal-model.js';
import { UsageError, type CliCommand, type CliContext } from '../command.js';
import { loadConfig, type Config } from '../config/load-config.js';

const HELP = `Usage: wick doctor

Checks what the daemon needs, one line each (✓ ok, ! warning, ✗ failure, with what to do):
  redis        WICK_REDIS_URL answers; appendonly on and maxmemory-policy noeviction (warnings otherwise)
  model        WICK_MODEL_DIR loads on the CPU and its timeframe matches WICK_TIMEFRAME
  provider     the configured execution provider (WICK_EXECUTION_PROVIDER); a CUDA fallback is reported
  exchange     WICK_EXCHANGE answers loadMarkets
  clock        exchange time vs this machine: ! above 1 s, ✗ above 5 s
  market       tick, step and minimums of each of WICK_SYMBOLS
  keys         live mode only: the balance is readable (permission) and withdrawals are disabled

Exit status: 0 when nothing failed (warnings allowed), 1 when a check failed, 2 for an invalid configuration.
Secrets are never printed. WICK_EXCHANGE_REST_URL / WICK_EXCHANGE_WS_URL point it at the local simulator.

Example:
  wick doctor`;

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do, for warnings and failures. */
  readonly fix?: string;
}

/** The ccxt calls the doctor makes (a ccxt Exchange satisfies it). */
export interface DoctorExchange {
  loadMarkets(): Promise<Record<string, unknown>>;
  fetchTime(): Promise<number | undefined>;
  fetchBalance(): Promise<unknown>;
  close?(): Promise<unknown>;
}

export interface DoctorDeps {
  readonly createExchange?: (config: Config) => Promise<DoctorExchange>;
  readonly nowMs?: () => number;
  /** Upper bound for any one check. */
  readonly checkTimeoutMs?: number;
}

const MARK: Readonly<Record<CheckStatus, string>> = { pass: '✓', warn: '!', fail: '✗' };

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** host:port of a Redis URL, without user or password. */
function redisWhere(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}${u.pathname.length > 1 ? u.pathname : ''}`;
  } catch {
    return '(unparsable URL)';
  }
}

function errText(err: unknown, secrets: readonly (string | undefined)[]): string {
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return scrubSecrets(msg, secrets).replace(/\s+/g, ' ').slice(0, 240);
}

async function checkRedis(config: Config, timeoutMs: number): Promise<CheckResult[]> {
  const where = redisWhere(config.redis.url);
  const secrets = [safePassword(config.redis.url)];
  const redis = new Redis(config.redis.url, {
    lazyConnect: true,
    connectTimeout: Math.min(2_000, timeoutMs),
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // reported through the failed command below
  const out: CheckResult[] = [];
  try {
    const t = Date.now();
    await withTimeout(redis.connect(), timeoutMs, 'redis');
    await withTimeout(redis.ping(), timeoutMs, 'redis');
    out.push({ name: 'redis', status: 'pass', detail: `${where} answers PING (${Date.now() - t} ms)` });
  } catch (err) {
    redis.disconnect();
    return [
      {
        name: 'redis',
        status: 'fail',
        detail: `${where} unreachable: ${errText(err, secrets)}`,
        fix: 'start Redis >= 7 (e.g. `docker compose up -d redis`) or set WICK_REDIS_URL to a reachable one',
      },
    ];
  }
  try {
    const aof = (await withTimeout(redis.config('GET', 'appendonly'), timeoutMs, 'redis')) as string[];
    const policy = (await withTimeout(redis.config('GET', 'maxmemory-policy'), timeoutMs, 'redis')) as string[];
    const appendonly = aof[1] ?? '?';
    const evict = policy[1] ?? '?';
    out.push(
      appendonly === 'yes'
        ? { name: 'redis', status: 'pass', detail: 'persistence: appendonly yes' }
        : {
            name: 'redis',
            status: 'warn',
            detail: `persistence: appendonly ${appendonly}: orders and positions are lost if Redis restarts`,
            fix: 'run redis-server with --appendonly yes (CONFIG SET appendonly yes)',
          },
    );
    out.push(
      evict === 'noeviction'
        ? { name: 'redis', status: 'pass', detail: 'maxmemory-policy noeviction' }
        : {
            name: 'redis',
            status: 'warn',
            detail: `maxmemory-policy ${evict}: Redis may evict queue and state keys`,
            fix: 'set maxmemory-policy noeviction (CONFIG SET maxmemory-policy noeviction)',
          },
    );
  } catch (err) {
    out.push({
      name: 'redis',
      status: 'warn',
      detail: `could not read the configuration (CONFIG GET): ${errText(err, secrets)}`,
      fix: 'check by hand that appendonly is yes and maxmemory-policy is noeviction',
    });
  } finally {
    redis.disconnect();
  }
  return out;
}

function safePassword(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p === '' ? undefined : decodeURIComponent(p);
  } catch {
    return undefined;
  }
}

async function checkModel(config: Config, cwd: string, timeoutMs: number): Promise<CheckResult[]> {
  const dir = path.resolve(cwd, config.model.dir);
  const out: CheckResult[] = [];
  let cpu: OnnxSignalModel;
  try {
    cpu = await withTimeout(OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger: silentLogger }), timeoutMs, 'model load');
  } catch (err) {
    return [
      {
        name: 'model',
        status: 'fail',
        detail: `${dir} does not load: ${errText(err, [])}`,
        fix: 'set WICK_MODEL_DIR to a folder made by `wick train` (model.onnx + manifest.json)',
      },
    ];
  }
  try {
    const m = cpu.manifest;
    out.push({
      name: 'model',
      status: 'pass',
      detail: `${m.modelId} loads on the CPU (window ${m.windowLength}, ${m.featureCount} features, horizons ${m.horizons.join('/')})`,
    });
    out.push(
      m.timeframe === config.market.timeframe
        ? { name: 'model', status: 'pass', detail: `timeframe ${m.timeframe} matches WICK_TIMEFRAME` }
        : {
            name: 'model',
            status: 'fail',
            detail: `model timeframe ${m.timeframe} but WICK_TIMEFRAME=${config.market.timeframe}`,
            fix: `set WICK_TIMEFRAME=${m.timeframe} or use a model trained on ${config.market.timeframe} candles`,
          },
    );
  } finally {
    await cpu.close();
  }
  const wanted = config.model.executionProvider;
  if (wanted === 'cpu') {
    out.push({ name: 'provider', status: 'pass', detail: 'cpu (WICK_EXECUTION_PROVIDER=cpu)' });
    return out;
  }
  try {
    const m = await withTimeout(
      OnnxSignalModel.load(dir, { executionProvider: wanted, cudaStrict: config.model.cudaStrict, logger: silentLogger }),
      timeoutMs,
      'model load',
    );
    const got = m.info.executionProvider;
    await m.close();
    out.push(
      got === 'cpu'
        ? {
            name: 'provider',
            status: 'warn',
            detail: `${wanted} requested, running on cpu (CUDA did not load or was not faster)`,
            fix: 'fine for live candles; for CUDA install onnxruntime-node with CUDA binaries (see README) and check the driver',
          }
        : { name: 'provider', status: 'pass', detail: `${wanted}: ${got}` },
    );
  } catch (err) {
    out.push({
      name: 'provider',
      status: 'fail',
      detail: `${wanted} could not start: ${errText(err, [])}`,
      fix: 'install the CUDA runtime onnxruntime-node needs, or set WICK_CUDA_STRICT=false / WICK_EXECUTION_PROVIDER=cpu',
    });
  }
  return out;
}

async function defaultExchange(config: Config): Promise<DoctorExchange> {
  const { restUrl, wsUrl } = config.market;
  if ((restUrl === undefined) !== (wsUrl === undefined)) throw new ConfigError('set both WICK_EXCHANGE_REST_URL and WICK_EXCHANGE_WS_URL, or neither');
  return createCcxtExchange({
    exchangeId: config.market.exchange,
    timeoutMs: config.market.timeoutMs,
    ...(config.credentials !== undefined ? { apiKey: config.credentials.apiKey, secret: config.credentials.secret } : {}),
    ...(restUrl !== undefined && wsUrl !== undefined ? { urls: { rest: restUrl, ws: wsUrl } } : {}),
  });
}

const restrictionsSchema = (raw: unknown): { withdrawals: boolean | undefined; trading: boolean | undefined } => {
  const r = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const b = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
  return { withdrawals: b(r['enableWithdrawals']), trading: b(r['enableSpotAndMarginTrading']) };
};

async function checkExchange(config: Config, deps: DoctorDeps, timeoutMs: number): Promise<CheckResult[]> {
  const secrets = [config.credentials?.apiKey, config.credentials?.secret];
  const name = config.market.exchange;
  let ex: DoctorExchange;
  try {
    ex = await (deps.createExchange ?? defaultExchange)(config);
  } catch (err) {
    return [
      {
        name: 'exchange',
        status: 'fail',
        detail: `could not create the ${name} client: ${errText(err, secrets)}`,
        fix: 'check WICK_EXCHANGE and the WICK_EXCHANGE_*_URL overrides',
      },
    ];
  }
  const out: CheckResult[] = [];
  try {
    let markets: Record<string, unknown>;
    try {
      markets = await withTimeout(ex.loadMarkets(), timeoutMs, 'loadMarkets');
      out.push({ name: 'exchange', status: 'pass', detail: `${name} reachable (${Object.keys(markets).length} markets)` });
    } catch (err) {
      out.push({
        name: 'exchange',
        status: 'fail',
        detail: `${name} unreachable: ${errText(err, secrets)}`,
        fix: 'check the network, the exchange status page, or the simulator URL',
      });
      return out;
    }
    out.push(await checkClock(ex, deps.nowMs ?? Date.now, timeoutMs, secrets));
    for (const symbol of config.market.symbols) {
      const parsed = ccxtMarketSchema.safeParse(markets[symbol]);
      if (!parsed.success) {
        out.push({
          name: 'market',
          status: 'fail',
          detail: `${symbol}: not listed by ${name} (or no precision/limits)`,
          fix: 'fix WICK_SYMBOLS (ccxt symbols such as BTC/USDT)',
        });
        continue;
      }
      const r = marketRulesOf(parsed.data);
      out.push({
        name: 'market',
        status: 'pass',
        detail: `${symbol}: tick ${r.tickSize}, step ${r.stepSize}, min qty ${r.minQtyBase}, min notional ${r.minNotionalQuote} ${parsed.data.quote}`,
      });
    }
    if (config.credentials !== undefined) out.push(...(await checkKeys(ex, timeoutMs, secrets)));
    else out.push({ name: 'keys', status: 'pass', detail: `not checked: WICK_MODE=${config.mode} uses no keys` });
  } finally {
    await ex.close?.().catch(() => undefined);
  }
  return out;
}

export async function checkClock(ex: DoctorExchange, nowMs: () => number, timeoutMs: number, secrets: readonly (string | undefined)[]): Promise<CheckResult> {
  try {
    const before = nowMs();
    const serverMs = await withTimeout(ex.fetchTime(), timeoutMs, 'fetchTime');
    const after = nowMs();
    if (serverMs === undefined) return { name: 'clock', status: 'warn', detail: 'the exchange reported no time', fix: 'keep this machine synced with NTP' };
    const skew = serverMs - (before + after) / 2;
    const text = `exchange ${skew >= 0 ? 'ahead by' : 'behind by'} ${Math.abs(Math.round(skew))} ms (round trip ${after - before} ms)`;
    const fix = 'sync this machine with NTP (timedatectl set-ntp true / chrony); signed requests fail beyond the recvWindow';
    // The exchange read its clock somewhere inside the round trip, so only the skew that no reading
    // time could explain counts: a slow round trip alone never flags a well-synced clock.
    const provenSkew = serverMs > after ? serverMs - after : serverMs < before ? before - serverMs : 0;
    if (provenSkew > 5_000) return { name: 'clock', status: 'fail', detail: text, fix };
    if (provenSkew > 1_000) return { name: 'clock', status: 'warn', detail: text, fix };
    return { name: 'clock', status: 'pass', detail: text };
  } catch (err) {
    return { name: 'clock', status: 'fail', detail: `fetchTime failed: ${errText(err, secrets)}`, fix: 'check the exchange connection' };
  }
}

async function checkKeys(ex: DoctorExchange, timeoutMs: number, secrets: readonly (string | undefined)[]): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  try {
    await withTimeout(ex.fetchBalance(), timeoutMs, 'fetchBalance');
    out.push({ name: 'keys', status: 'pass', detail: 'API key accepted: balance readable' });
  } catch (err) {
    const v = classifyExchangeError(err, 'read', secrets);
    const fix =
      v.action === 'stop'
        ? 'check WICK_API_KEY / WICK_API_SECRET, the key’s IP whitelist and that it may read the account'
        : v.code === 'CLOCK_SKEW'
          ? 'sync this machine with NTP'
          : 'retry later; check the exchange status';
    return [{ name: 'keys', status: 'fail', detail: `fetchBalance refused (${v.code}): ${v.message.slice(0, 200)}`, fix }];
  }
  const implicit = (ex as unknown as Record<string, unknown>)['sapiGetAccountApiRestrictions'];
  if (typeof implicit !== 'function') {
    out.push({
      name: 'keys',
      status: 'warn',
      detail: 'could not check withdrawal permission (not a Binance client)',
      fix: 'make sure the key cannot withdraw (exchange API settings)',
    });
    return out;
  }
  try {
    const raw: unknown = await withTimeout(Promise.resolve((implicit as () => unknown).call(ex)), timeoutMs, 'apiRestrictions');
    const r = restrictionsSchema(raw);
    if (r.withdrawals === true)
      out.push({
        name: 'keys',
        status: 'warn',
        detail: 'the key can WITHDRAW funds',
        fix: 'disable withdrawals for this API key: a trading bot never needs them',
      });
    else if (r.withdrawals === false) out.push({ name: 'keys', status: 'pass', detail: 'withdrawals disabled for this key' });
    else
      out.push({
        name: 'keys',
        status: 'warn',
        detail: 'could not check withdrawal permission (no answer field)',
        fix: 'make sure the key cannot withdraw (exchange API settings)',
      });
    if (r.trading === false)
      out.push({ name: 'keys', status: 'fail', detail: 'spot trading is NOT enabled for this key', fix: 'enable "Spot & Margin Trading" for the key' });
  } catch (err) {
    // The URL in ccxt's message carries the signed query: name the failure only.
    out.push({
      name: 'keys',
      status: 'warn',
      detail: `could not check withdrawal permission (${classifyExchangeError(err, 'read', secrets).errorClass})`,
      fix: 'make sure the key cannot withdraw (exchange API settings)',
    });
  }
  return out;
}

/** Runs every check (independent ones concurrently) and returns the lines in a fixed order. */
export async function runDoctorChecks(config: Config, cwd: string, deps: DoctorDeps = {}): Promise<readonly CheckResult[]> {
  const timeoutMs = deps.checkTimeoutMs ?? Math.max(15_000, config.market.timeoutMs * 2);
  const [redis, model, exchange] = await Promise.all([
    checkRedis(config, timeoutMs),
    checkModel(config, cwd, timeoutMs),
    checkExchange(config, deps, timeoutMs),
  ]);
  return [...redis, ...model, ...exchange];
}

export function formatDoctorReport(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length), 8);
  const lines = results.map((r) => {
    const head = `${MARK[r.status]} ${r.name.padEnd(width)}  ${r.detail}`;
    return r.status !== 'pass' && r.fix !== undefined ? `${head}\n  ${' '.repeat(width)}  → ${r.fix}` : head;
  });
  const fails = results.filter((r) => r.status === 'fail').length;
  const warns = results.filter((r) => r.status === 'warn').length;
  lines.push('', fails > 0 ? `${fails} check(s) failed, ${warns} warning(s).` : warns > 0 ? `All checks passed, ${warns} warning(s).` : 'All checks passed.');
  return `${lines.join('\n')}\n`;
}

export function createDoctorCommand(deps: DoctorDeps = {}): CliCommand {
  return {
    name: 'doctor',
    help: HELP,
    async run(args: readonly string[], ctx: CliContext): Promise<number> {
      if (args.length > 0) throw new UsageError(`wick doctor takes no arguments, got: ${args.join(' ')}`);
      let config: Config;
      try {
        config = loadConfig(ctx.env);
      } catch (err) {
        if (err instanceof ConfigError) {
          ctx.stderr.write(`✗ config    ${err.message}\n`);
          return 2;
        }
        throw err;
      }
      ctx.stdout.write(`wick doctor: mode ${config.mode}, ${config.market.exchange} ${config.market.symbols.join(',')} ${config.market.timeframe}\n`);
      const results = await runDoctorChecks(config, ctx.cwd, deps);
      ctx.stdout.write(formatDoctorReport(results));
      return results.some((r) => r.status === 'fail') ? 1 : 0;
    },
  };
}

export const command: CliCommand = createDoctorCommand();
