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
    if (!(config.capacity >= 1) || !(config.refillPerSecond > 0)) throw new RangeError(`token bucket needs capacity >= 1 and refill > 0, got ${JSON.stringify(config)}`);
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
