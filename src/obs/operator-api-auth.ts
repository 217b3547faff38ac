import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/index.js';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Checks a bearer token in constant time: both sides are hashed first, so the comparison runs on
 * equal-length digests and leaks neither the token's content nor its length.
 */
export function tokenMatches(expected: string, presented: string): boolean {
  return timingSafeEqual(sha256(expected), sha256(presented));
}

/** The token from an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * A short, stable, non-reversible name for a token in audit logs (first 12 hex digits of its
 * SHA-256): tells two tokens apart, never reveals one.
 */
export function tokenFingerprint(token: string): string {
  return `sha256:${sha256(token).toString('hex').slice(0, 12)}`;
}

export interface TokenBucketConfig {
  /** Burst size. */
  readonly capacity: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
}

/**
 * Token buckets keyed by client (address): each request takes one token, tokens come back at a
 * steady rate up to `capacity`. Keyed so a stranger hammering the API cannot lock the operator
 * out; bounded so a flood of addresses cannot grow memory (the least recently used key goes).
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(
    private readonly config: TokenBucketConfig,
    private readonly clock: Clock,
    private readonly maxKeys = 1_000,
  ) {
    if (!(config.capacity >= 1) || !(config.refillPerSecond > 0))
      throw new RangeError(`token bucket needs capacity >= 1 and refill > 0, got ${JSON.stringify(config)}`);
  }

  /** Takes one token for `key`: 0 when allowed, else the seconds until one is available. */
  take(key: string): number {
    const now = this.clock.nowMs();
    const prev = this.buckets.get(key);
    const elapsedS = prev === undefined ? 0 : Math.max(0, now - prev.atMs) / 1000;
    const tokens = prev === undefined ? this.config.capacity : Math.min(this.config.capacity, prev.tokens + elapsedS * this.config.refillPerSecond);
    this.buckets.delete(key);
    if (tokens >= 1) {
      this.remember(key, { tokens: tokens - 1, atMs: now });
      return 0;
    }
    this.remember(key, { tokens, atMs: now });
    return (1 - tokens) / this.config.refillPerSecond;
  }

  private remember(key: string, bucket: { tokens: number; atMs: number }): void {
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }
}

export interface AuthBackoffConfig {
  /** Wrong or missing tokens an address may present before back-off starts. */
  readonly freeFailures: number;
  /** The first back-off; each further failure doubles it. */
  readonly baseBackoffMs: number;
  /** The longest back-off. */
  readonly maxBackoffMs: number;
}

/**
 * Failed authentications per client address, with exponential back-off. It never stands between a
 * correct token and its request: the caller checks the token first and consults this only for a
 * request that failed, so a stranger's flood (even from the operator's own address, e.g. behind a
 * proxy) cannot delay a control. What it buys: failures past the free allowance are answered 429
 * without a log line each, and the answer tells the client how long to stay away. Guessing stays
 * hopeless because the token has at least 16 characters. Bounded like {@link TokenBucketLimiter}.
 */
export class AuthFailureBackoff {
  private readonly entries = new Map<string, { failures: number; lastMs: number }>();

  constructor(
    private readonly config: AuthBackoffConfig,
    private readonly clock: Clock,
    private readonly maxKeys = 1_000,
  ) {
    if (!(config.freeFailures >= 0) || !(config.baseBackoffMs > 0) || !(config.maxBackoffMs >= config.baseBackoffMs)) {
      throw new RangeError(`auth back-off needs freeFailures >= 0 and 0 < baseBackoffMs <= maxBackoffMs, got ${JSON.stringify(config)}`);
    }
  }

  /**
   * Records one failed authentication from `key`. Returns 0 while the address is within its free
   * failures (answer 401), else the seconds it must wait (answer 429); `first` is true on the
   * failure that started or lengthened a back-off from a clean state (log that one only).
   */
  fail(key: string): { waitS: number; first: boolean } {
    const now = this.clock.nowMs();
    const prev = this.entries.get(key);
    // A quiet spell as long as the longest back-off forgives the past.
    const forgiven = prev === undefined || now - prev.lastMs >= this.config.maxBackoffMs;
    const failures = (forgiven ? 0 : prev.failures) + 1;
    this.entries.delete(key);
    this.remember(key, { failures, lastMs: now });
    const over = failures - this.config.freeFailures;
    if (over <= 0) return { waitS: 0, first: false };
    const backoffMs = Math.min(this.config.maxBackoffMs, this.config.baseBackoffMs * 2 ** Math.min(over - 1, 40));
    return { waitS: backoffMs / 1000, first: over === 1 };
  }

  /** A correct token from `key`: its failures are forgotten. */
  succeed(key: string): void {
    this.entries.delete(key);
  }

  private remember(key: string, entry: { failures: number; lastMs: number }): void {
    this.entries.set(key, entry);
    if (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
