import type { Redis } from 'ioredis';
import { z } from 'zod';
import { LockBusyError, newLockToken, whileBusy } from './locks.js';
import { LuaScript, PipelineKeys } from './redis.js';

/**
 * When each model takes over, shared by every signal process through Redis: a list of
 * `{ id, fromMs }`, fromMs non-decreasing. The model for a candle is the last entry whose fromMs is
 * at or before the candle's open time, so every series switches at the same candle time, in every
 * process, whatever order the candles are processed in.
 *
 * A switch is scheduled while holding every series' processing lock (the one the signal worker
 * holds while it decides candles), so no candle is being decided meanwhile; fromMs is the candle
 * after the latest one any series has processed. A candle decided before the switch was scheduled
 * is therefore never re-decided, and every later one reads the new schedule: none decided twice
 * by two models, none skipped.
 */
export interface ModelSwitch {
  readonly id: string;
  /** First candle open time the model decides. */
  readonly fromMs: number;
  readonly scheduledAtMs: number;
}

const scheduleSchema = z.array(z.object({ id: z.string().min(1), fromMs: z.number(), scheduledAtMs: z.number() }));
/** Entries kept: the models a lagging series may still need, and a little history. */
const KEEP = 8;

// KEYS: lock. ARGV: token. Deletes the lock only if it is still ours.
const RELEASE = new LuaScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1);

/** The model in force for a candle: the last switch at or before it (the first one for earlier candles). */
export function modelAt(schedule: readonly ModelSwitch[], openTimeMs: number): ModelSwitch | null {
  let found: ModelSwitch | null = schedule[0] ?? null;
  for (const s of schedule) if (s.fromMs <= openTimeMs) found = s;
  return found;
}

export class ModelSwitchBoard {
  private readonly keys: PipelineKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly options: { readonly lockTtlMs: number; readonly waitMs: number; readonly nowMs: () => number },
  ) {
    this.keys = new PipelineKeys(prefix);
  }

  private get scheduleKey(): string {
    return `${this.keys.prefix}:model:schedule`;
  }

  async read(): Promise<ModelSwitch[]> {
    const raw = await this.redis.get(this.scheduleKey);
    if (raw === null) return [];
    const parsed = scheduleSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) throw new Error(`${this.scheduleKey} holds no valid model schedule; delete the key and promote the model again`);
    return parsed.data;
  }

  /**
   * Schedules `id` from the candle after the latest one processed in any of `seriesIds` (ids as
   * `seriesId()` writes them), unless it is already the last scheduled model. Returns the switch.
   */
  async schedule(id: string, seriesIds: readonly string[], timeframeMs: number): Promise<{ switch: ModelSwitch; changed: boolean }> {
    const { lockTtlMs, waitMs } = this.options;
    const lockKeys = [`${this.keys.prefix}:model:switch-lock`, ...[...new Set(seriesIds)].sort().map((s) => this.keys.seriesLock(s))];
    const token = newLockToken();
    const held: string[] = [];
    try {
      // Always in the same order (switch lock first, then series by id): two schedulers cannot deadlock.
      for (const key of lockKeys) {
        const ok = await whileBusy(waitMs, async () => ((await this.redis.set(key, token, 'PX', lockTtlMs, 'NX')) === 'OK' ? true : undefined));
        if (ok === undefined) throw new LockBusyError(`${key} (scheduling a model switch)`);
        held.push(key);
      }
      const schedule = await this.read();
      const last = schedule.at(-1);
      if (last?.id === id) return { switch: last, changed: false };
      const processed = await Promise.all(seriesIds.map((s) => this.redis.get(this.keys.lastProcessed(s))));
      const latest = Math.max(Number.NEGATIVE_INFINITY, ...processed.filter((v): v is string => v !== null).map(Number));
      const fromMs = Math.max(Number.isFinite(latest) ? latest + timeframeMs : 0, last?.fromMs ?? 0);
      const entry: ModelSwitch = { id, fromMs, scheduledAtMs: this.options.nowMs() };
      await this.redis.set(this.scheduleKey, JSON.stringify([...schedule, entry].slice(-KEEP)));
      return { switch: entry, changed: true };
    } finally {
      for (const key of held.reverse()) await RELEASE.run(this.redis, [key], [token]);
    }
  }
}
