import type { Redis } from 'ioredis';
import { DataError, seriesId, type Candle, type SeriesKey } from '../core/index.js';
import { LuaScript, PipelineKeys } from './redis.js';
import type { CandleStoreReader } from './types.js';

/** A candle as stored: with the wall time the ingest received it, for end-to-end latency. */
export interface StoredCandle {
  readonly candle: Candle;
  readonly ingestedAtMs: number;
}

export interface AppendResult {
  /** New candles written. */
  readonly added: number;
  /** Already stored (same open time): the first write wins, so an append is idempotent. */
  readonly duplicates: number;
  /** New, but at or before the series' last processed open time: stored, never handed to the signal step. */
  readonly late: readonly number[];
}

// KEYS: store, lastProcessed. ARGV: maxCandles, then (openTimeMs, member) pairs.
const APPEND = new LuaScript(
  `local last = redis.call('GET', KEYS[2])
local lastNum = last and tonumber(last) or nil
local added, dup, late = 0, 0, {}
for i = 2, #ARGV, 2 do
  local t = ARGV[i]
  if redis.call('ZCOUNT', KEYS[1], t, t) > 0 then
    dup = dup + 1
  else
    redis.call('ZADD', KEYS[1], t, ARGV[i + 1])
    added = added + 1
    if lastNum and tonumber(t) <= lastNum then late[#late + 1] = t end
  end
end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[1]) + 1))
return {added, dup, late}`,
  2,
);

/** Member encoding: a JSON array, so a member holds the whole candle and doubles round-trip exactly. */
export function encodeStoredCandle(candle: Candle, ingestedAtMs: number): string {
  return JSON.stringify([candle.openTimeMs, candle.open, candle.high, candle.low, candle.close, candle.volume, ingestedAtMs]);
}

export function decodeStoredCandle(member: string): StoredCandle {
  const parsed: unknown = JSON.parse(member);
  if (!Array.isArray(parsed) || parsed.length < 6 || !parsed.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new DataError(`corrupt candle in the candle store: ${member.slice(0, 80)}`);
  }
  const [openTimeMs, open, high, low, close, volume, ingestedAtMs] = parsed as number[];
  return {
    candle: { openTimeMs: openTimeMs!, open: open!, high: high!, low: low!, close: close!, volume: volume! },
    ingestedAtMs: ingestedAtMs ?? 0,
  };
}

export interface CandleStoreOptions {
  /** Bullmq/Redis prefix shared with the pipeline (WICK_REDIS_PREFIX). */
  readonly prefix: string;
  /** Candles kept per series (oldest trimmed); at least the feature window plus warm-up. */
  readonly maxCandles: number;
}

/**
 * The last `maxCandles` closed candles of each series, in Redis: one sorted set per series, scored by
 * open time, each member the whole candle. Enough to rebuild a feature window after a restart, and the
 * source the signal worker reads to process a series strictly in order.
 */
export class CandleStore implements CandleStoreReader {
  readonly keys: PipelineKeys;
  readonly maxCandles: number;

  constructor(
    private readonly redis: Redis,
    options: CandleStoreOptions,
  ) {
    if (!Number.isInteger(options.maxCandles) || options.maxCandles < 1)
      throw new RangeError(`maxCandles must be a positive integer, got ${options.maxCandles}`);
    this.keys = new PipelineKeys(options.prefix);
    this.maxCandles = options.maxCandles;
  }

  /**
   * Idempotent: a candle whose open time is already stored is left as it is. `ingestedAtMs`: one wall
   * time for all, or one per candle.
   */
  async append(series: SeriesKey, candles: Candle | readonly Candle[], ingestedAtMs: number | readonly number[] = Date.now()): Promise<AppendResult> {
    const list = Array.isArray(candles) ? (candles as readonly Candle[]) : [candles as Candle];
    if (list.length === 0) return { added: 0, duplicates: 0, late: [] };
    const id = seriesId(series);
    const args: (string | number)[] = [this.maxCandles];
    list.forEach((c, i) =>
      args.push(String(c.openTimeMs), encodeStoredCandle(c, typeof ingestedAtMs === 'number' ? ingestedAtMs : (ingestedAtMs[i] ?? Date.now()))),
    );
    const [added, duplicates, late] = (await APPEND.run(this.redis, [this.keys.store(id), this.keys.lastProcessed(id)], args)) as [number, number, string[]];
    return { added, duplicates, late: late.map(Number) };
  }

  async range(series: SeriesKey, fromMs: number, toMs: number): Promise<Candle[]> {
    const rows = await this.redis.zrangebyscore(this.keys.store(seriesId(series)), fromMs, toMs);
    return rows.map((r) => decodeStoredCandle(r).candle);
  }

  async last(series: SeriesKey, n: number): Promise<Candle[]> {
    if (n <= 0) return [];
    const rows = await this.redis.zrange(this.keys.store(seriesId(series)), String(-n), '-1');
    return rows.map((r) => decodeStoredCandle(r).candle);
  }

  async lastOpenTime(series: SeriesKey): Promise<number | null> {
    const rows = await this.redis.zrange(this.keys.store(seriesId(series)), '-1', '-1', 'WITHSCORES');
    return rows[1] === undefined ? null : Number(rows[1]);
  }

  /** Deletes a series' candles (tests, operator tooling). */
  async clear(series: SeriesKey): Promise<void> {
    await this.redis.del(this.keys.store(seriesId(series)));
  }
}
