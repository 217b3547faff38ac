import type { Redis } from 'ioredis';
import type { Logger } from '../core/index.js';
import { parseAccountState, serialiseAccountState, type AccountState, type Trade } from '../execution/index.js';

/** The slice of an ioredis client the store uses. */
export type AccountRedis = Pick<Redis, 'get' | 'multi' | 'lrange' | 'llen' | 'exists' | 'rename'>;

/** One page of the full trade history, oldest first. */
export interface TradePage {
  readonly total: number;
  readonly offset: number;
  readonly trades: readonly Trade[];
}

/**
 * A trading account in Redis, the same for paper and live: `<prefix>:account:<account>:state`
 * (one versioned JSON document, written after every step) and `<prefix>:account:<account>:trades`
 * (every closed trade, appended in the same transaction as the state that closed it, so a crash
 * can neither lose nor double one). Loading validates the document; an unreadable one is refused
 * and left untouched. A live state of the earlier layout (`<prefix>:live:<account>:state`) is read
 * when the account has no state yet.
 */
export class AccountStore {
  readonly key: string;
  readonly tradesKey: string;
  private readonly legacyKey: string;

  constructor(
    private readonly redis: AccountRedis,
    prefix: string,
    readonly account: string,
    private readonly logger?: Logger,
  ) {
    this.key = `${prefix}:account:${account}:state`;
    this.tradesKey = `${prefix}:account:${account}:trades`;
    this.legacyKey = `${prefix}:live:${account}:state`;
  }

  /** The saved state, null for a new account; throws AccountStateError for a state wick cannot use. */
  async load(): Promise<AccountState | null> {
    const raw = await this.redis.get(this.key);
    if (raw !== null) return parseAccountState(raw, this.key, this.account);
    const legacy = await this.redis.get(this.legacyKey);
    return legacy === null ? null : parseAccountState(legacy, this.legacyKey, this.account);
  }

  /** Saves the state and appends the trades it closed, atomically. */
  async save(state: AccountState, closedTrades: readonly Trade[] = []): Promise<void> {
    const tx = this.redis.multi().set(this.key, serialiseAccountState(state));
    if (closedTrades.length > 0) tx.rpush(this.tradesKey, ...closedTrades.map((t) => JSON.stringify(t)));
    const results = await tx.exec();
    const failed = results?.find(([err]) => err !== null);
    if (results === null || failed !== undefined) throw new Error(`saving account state ${this.key} failed: ${failed?.[0]?.message ?? 'transaction aborted'}`);
    this.logger?.debug({ key: this.key, trades: closedTrades.length }, 'account state saved');
  }

  /** A page of the full trade history (oldest first). */
  async trades(offset = 0, limit = 100): Promise<TradePage> {
    const total = await this.redis.llen(this.tradesKey);
    const rows = limit <= 0 ? [] : await this.redis.lrange(this.tradesKey, offset, offset + limit - 1);
    return { total, offset, trades: rows.map((r) => JSON.parse(r) as Trade) };
  }

  /**
   * Starts a new account on purpose (`wick paper --fresh`): the current state and trade history
   * are kept under `…:archived:<atMs>` keys, never deleted. Returns the archive key of the state, or
   * null when there was nothing to archive.
   */
  async archive(atMs: number): Promise<string | null> {
    let archived: string | null = null;
    for (const key of [this.key, this.tradesKey, this.legacyKey]) {
      if ((await this.redis.exists(key)) === 0) continue;
      const to = `${key}:archived:${atMs}`;
      await this.redis.rename(key, to);
      if (key === this.key || (key === this.legacyKey && archived === null)) archived = to;
    }
    if (archived !== null) this.logger?.warn({ archivedAs: archived }, 'account archived: starting a fresh account');
    return archived;
  }
}
