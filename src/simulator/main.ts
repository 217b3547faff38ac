/**
 * Runs the exchange simulator as a process (e.g. a compose service):
 *
 *   tsx src/simulator/main.ts --market BTC/USDT=data/BTC_USDT-1h.csv --timeframe 1h --port 8090 --speed 60
 *
 * Flags override environment variables of the same meaning:
 *   --market SYMBOL=CSV (repeatable)   SIM_MARKETS="BTC/USDT=a.csv,ETH/USDT=b.csv"
 *   --timeframe 1h                     SIM_TIMEFRAME        (of every CSV; default 1h)
 *   --host 127.0.0.1                   SIM_HOST             (0.0.0.0 only inside a container network)
 *   --port 8090                        SIM_PORT             (default 8090; 0 = ephemeral)
 *   --speed 60                         SIM_SPEED            (simulated ms per wall ms; 0 = manual clock via POST /__sim/clock)
 *   --start-ms 1704067200000           SIM_START_MS         (default: 200 candles after the first, capped at the last)
 *   --balances USDT=10000,BTC=0        SIM_BALANCES
 *   --fee 0.001                        SIM_FEE_RATE
 *                                      SIM_API_KEY, SIM_API_SECRET (optional: then requests must match)
 *   --align-to-now 1                   SIM_ALIGN_TO_NOW     (shift the CSVs so candle 200 is the hour forming now;
 *                                                            play in real time: a sandbox for `wick live`)
 * Prints one JSON line with the URLs once listening; stops on SIGINT/SIGTERM.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, isTimeframe, timeframeMs, type Timeframe } from '../core/index.js';
import { readCandleCsv } from './candle-file.js';
import { startExchangeSimulator, type SimMarketConfig } from './simulator.js';

export interface SimulatorMainConfig {
  readonly markets: ReadonlyArray<{ readonly symbol: string; readonly csvPath: string }>;
  readonly timeframe: Timeframe;
  readonly host: string;
  readonly port: number;
  readonly speed: number;
  readonly startMs: number | undefined;
  readonly balances: Readonly<Record<string, number>>;
  readonly feeRate: number;
  readonly apiKey: string | undefined;
  readonly apiSecret: string | undefined;
  /** Shift the candles so that the start candle is the hour forming now, and play in real time (a sandbox for `wick live`). */
  readonly alignToNow: boolean;
}

/**
 * Shifts every market's candles by one common offset so that the candle at `startIndex` of the
 * first market opens at the current timeframe boundary: the simulator's clock can then run with
 * the wall clock, as a client like `wick live` (which reads the wall clock) expects of an exchange.
 */
export function alignCandlesToNow(
  markets: readonly SimMarketConfig[],
  tfMs: number,
  nowMs: number,
  startIndex: number,
): { markets: SimMarketConfig[]; offsetMs: number } {
  const anchor = markets[0]?.candles?.[startIndex]?.openTimeMs;
  if (anchor === undefined) return { markets: [...markets], offsetMs: 0 };
  const offsetMs = Math.floor(nowMs / tfMs) * tfMs - anchor;
  return {
    offsetMs,
    markets: markets.map((m) => (m.candles === undefined ? m : { ...m, candles: m.candles.map((c) => ({ ...c, openTimeMs: c.openTimeMs + offsetMs })) })),
  };
}

function pairs(raw: string, what: string): Array<[string, string]> {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const eq = s.indexOf('=');
      if (eq <= 0 || eq === s.length - 1) throw new ConfigError(`${what}: expected KEY=VALUE, got '${s}'`);
      return [s.slice(0, eq), s.slice(eq + 1)];
    });
}

function number(raw: string | undefined, what: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new ConfigError(`${what} must be a number, got '${raw}'`);
  return n;
}

/** Reads flags (which win) and environment into a config; throws ConfigError on bad input. */
export function parseSimulatorArgs(args: readonly string[], env: Readonly<Record<string, string | undefined>>): SimulatorMainConfig {
  const flags = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (!a.startsWith('--')) throw new ConfigError(`unexpected argument '${a}'`);
    const v = args[i + 1];
    if (v === undefined) throw new ConfigError(`${a} needs a value`);
    flags.set(a.slice(2), [...(flags.get(a.slice(2)) ?? []), v]);
    i++;
  }
  const flag = (name: string): string | undefined => flags.get(name)?.at(-1);
  const marketSpecs = flags.get('market')?.join(',') ?? env['SIM_MARKETS'] ?? '';
  const markets = pairs(marketSpecs, 'markets').map(([symbol, csvPath]) => ({ symbol, csvPath }));
  if (markets.length === 0) throw new ConfigError('no markets: pass --market BTC/USDT=path.csv or set SIM_MARKETS');
  const tf = flag('timeframe') ?? env['SIM_TIMEFRAME'] ?? '1h';
  if (!isTimeframe(tf)) throw new ConfigError(`unknown timeframe '${tf}'`);
  const balancesRaw = flag('balances') ?? env['SIM_BALANCES'] ?? 'USDT=10000';
  const balances: Record<string, number> = {};
  for (const [asset, qty] of pairs(balancesRaw, 'balances')) balances[asset] = number(qty, `balance of ${asset}`, 0);
  const startRaw = flag('start-ms') ?? env['SIM_START_MS'];
  return {
    markets,
    timeframe: tf,
    host: flag('host') ?? env['SIM_HOST'] ?? '127.0.0.1',
    port: number(flag('port') ?? env['SIM_PORT'], 'port', 8090),
    speed: number(flag('speed') ?? env['SIM_SPEED'], 'speed', 0),
    startMs: startRaw === undefined ? undefined : number(startRaw, 'start-ms', 0),
    balances,
    feeRate: number(flag('fee') ?? env['SIM_FEE_RATE'], 'fee', 0.001),
    apiKey: env['SIM_API_KEY'] || undefined,
    apiSecret: env['SIM_API_SECRET'] || undefined,
    alignToNow: (flag('align-to-now') ?? env['SIM_ALIGN_TO_NOW'] ?? '0') === '1',
  };
}

async function main(): Promise<void> {
  const cfg = parseSimulatorArgs(process.argv.slice(2), process.env);
  const markets: SimMarketConfig[] = [];
  for (const m of cfg.markets) markets.push({ symbol: m.symbol, candles: await readCandleCsv(m.csvPath), timeframe: cfg.timeframe });
  const tf = timeframeMs(cfg.timeframe);
  let served: SimMarketConfig[] = markets;
  let startTimeMs: number | undefined;
  let speed = cfg.speed;
  if (cfg.alignToNow) {
    // 200 candles of history before "now", then the file plays on in real time.
    const aligned = alignCandlesToNow(markets, tf, Date.now(), Math.min(200, Math.max(0, (markets[0]?.candles?.length ?? 1) - 1)));
    served = aligned.markets;
    startTimeMs = Date.now();
    speed = 1;
  } else {
    const first = markets[0]?.candles ?? [];
    const defaultStart = first.length > 0 ? Math.min((first[0]?.openTimeMs ?? 0) + 200 * tf, first.at(-1)?.openTimeMs ?? 0) : undefined;
    startTimeMs = cfg.startMs ?? defaultStart;
  }
  const sim = await startExchangeSimulator({
    markets: served,
    balances: cfg.balances,
    feeRate: cfg.feeRate,
    host: cfg.host,
    port: cfg.port,
    ...(startTimeMs !== undefined ? { startTimeMs } : {}),
    ...(speed > 0 ? { playbackSpeed: speed } : {}),
    ...(cfg.apiKey !== undefined ? { apiKey: cfg.apiKey } : {}),
    ...(cfg.apiSecret !== undefined ? { apiSecret: cfg.apiSecret } : {}),
  });
  process.stdout.write(
    `${JSON.stringify({ msg: 'exchange simulator listening', restUrl: sim.restUrl, wsUrl: sim.wsUrl, port: sim.port, nowMs: sim.nowMs(), speed })}\n`,
  );
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const entry = process.argv[1];
const invokedDirectly = entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href;
if (invokedDirectly) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  });
}
