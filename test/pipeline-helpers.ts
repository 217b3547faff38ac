import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { seriesId, type Candle, type ClosedCandle, type Logger, type OrderIntent, type SeriesKey } from '../src/core/index.js';
import { deleteKeysWithPrefix, startPipeline, type Pipeline, type PipelineOptions, type SignalStep, type TraderStep } from '../src/pipeline/index.js';

export const REDIS_URL = process.env['WICK_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const HOUR = 3_600_000;
export const T0 = Date.UTC(2026, 0, 1);

/** A prefix no other test file or run uses. */
export function uniquePrefix(name: string): string {
  return `wt-${name}-${process.pid}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export async function deleteKeys(admin: Redis, prefix: string): Promise<void> {
  await deleteKeysWithPrefix(admin, prefix);
}

/** Polls `condition` until it holds or the deadline passes (no fixed sleeps). */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function series(symbol: string): SeriesKey {
  return { exchange: 'binance', symbol, timeframe: '1h' };
}

export function candleAt(i: number, close = 100 + i): Candle {
  return { openTimeMs: T0 + i * HOUR, open: close, high: close + 1, low: close - 1, close, volume: 10 + i };
}

export function closed(s: SeriesKey, i: number): ClosedCandle {
  return { series: s, candle: candleAt(i) };
}

export interface Recorder {
  readonly signalCalls: { worker: string; series: string; openTimeMs: number; previous: number | null }[];
  readonly traderCalls: { series: string; openTimeMs: number; intentId: string }[];
  signalStep(worker: string, hook?: (c: ClosedCandle) => Promise<void>): SignalStep;
  readonly traderStep: TraderStep;
}

/** Stub steps that record what they were called with: every candle yields an intent (the trader sees every candle's decision). */
export function recorder(): Recorder {
  const signalCalls: Recorder['signalCalls'] = [];
  const traderCalls: Recorder['traderCalls'] = [];
  return {
    signalCalls,
    traderCalls,
    signalStep: (worker, hook) => async (c, ctx) => {
      await hook?.(c);
      signalCalls.push({ worker, series: seriesId(c.series), openTimeMs: c.candle.openTimeMs, previous: ctx.previousOpenTimeMs });
      const intent: OrderIntent = {
        intentId: `${seriesId(c.series)}:${c.candle.openTimeMs}`,
        series: c.series,
        candleOpenTimeMs: c.candle.openTimeMs,
        referencePriceQuote: c.candle.close,
        targetFraction: c.candle.close % 2 === 0 ? 0.5 : 0,
        reason: 'test',
        signal: 0,
      };
      return intent;
    },
    traderStep: async ({ candle, intent }) => {
      traderCalls.push({ series: seriesId(candle.series), openTimeMs: candle.candle.openTimeMs, intentId: intent?.intentId ?? '' });
    },
  };
}

export interface LogLine {
  level: string;
  msg: string;
  obj: Record<string, unknown>;
}

/** A Logger that keeps its lines (shared by children) so tests can assert on them. */
export function memoryLogger(lines: LogLine[] = [], bindings: Record<string, unknown> = {}): Logger & { lines: LogLine[] } {
  const fn =
    (level: string) =>
    (a: object | string, b?: string): void => {
      if (typeof a === 'string') lines.push({ level, msg: a, obj: { ...bindings } });
      else lines.push({ level, msg: b ?? '', obj: { ...bindings, ...(a as Record<string, unknown>) } });
    };
  return {
    lines,
    trace: fn('trace'),
    debug: fn('debug'),
    info: fn('info'),
    warn: fn('warn'),
    error: fn('error'),
    fatal: fn('fatal'),
    child: (b) => memoryLogger(lines, { ...bindings, ...b }),
  };
}

/** Per series, the open times in call order. */
export function bySeries(calls: readonly { series: string; openTimeMs: number }[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const c of calls) {
    const list = out.get(c.series) ?? [];
    list.push(c.openTimeMs);
    out.set(c.series, list);
  }
  return out;
}

/**
 * Registers the hooks a pipeline test file needs: an admin connection, pipelines stopped and their
 * keys deleted after each test. `start` starts a pipeline against the test Redis and tracks it;
 * push a prefix to `prefixes` to have its keys deleted.
 */
export function pipelineHarness(): {
  start(options: Omit<PipelineOptions, 'redisUrl'>): Promise<Pipeline>;
  readonly prefixes: string[];
  readonly admin: Redis;
} {
  let admin: Redis | undefined;
  const prefixes: string[] = [];
  const running: Pipeline[] = [];
  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
    for (const prefix of prefixes.splice(0)) await deleteKeys(admin as Redis, prefix);
  });
  afterAll(async () => {
    await admin?.quit();
  });
  return {
    async start(options) {
      const p = await startPipeline({ redisUrl: REDIS_URL, ...options });
      running.push(p);
      return p;
    },
    prefixes,
    get admin(): Redis {
      if (admin === undefined) throw new Error('the admin connection opens in beforeAll');
      return admin;
    },
  };
}
