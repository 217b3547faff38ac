/** Waits `ms` milliseconds (injectable so tests never sleep for real). */
export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export interface RateBudgetConfig {
  /** Requests that may go out back to back. */
  readonly burst: number;
  /** Sustained requests per second. */
  readonly perSecond: number;
}

/** Binance spot allows 6,000 weight per minute; wick stays far below with 10 requests/s, bursts of 20. */
export const DEFAULT_RATE_BUDGET: RateBudgetConfig = Object.freeze({ burst: 20, perSecond: 10 });

/**
 * One request budget per exchange account (a token bucket), shared by every caller that uses the
 * account: create ONE per account in the composition root and hand it to each broker. ccxt's own
 * limiter is per client instance, so two instances on one key would each spend the full budget.
 */
export class RateBudget {
  private tokens: number;
  private lastMs: number;
  /** Callers wait in arrival order: a later caller never overtakes one already waiting. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: RateBudgetConfig = DEFAULT_RATE_BUDGET,
    private readonly nowMs: () => number = Date.now,
    private readonly sleep: Sleep = realSleep,
  ) {
    if (!(config.burst >= 1) || !(config.perSecond > 0)) throw new RangeError(`rate budget needs burst >= 1 and perSecond > 0, got ${JSON.stringify(config)}`);
    this.tokens = config.burst;
    this.lastMs = nowMs();
  }

  /** Tokens available now (for metrics and tests). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Resolves when one request may go out (spending one token). */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.takeNow());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Runs `fn` once a token is available. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.take();
    return fn();
  }

  private async takeNow(): Promise<void> {
    for (;;) {
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) * 1000) / this.config.perSecond));
    }
  }

  private refill(): void {
    const now = this.nowMs();
    const elapsed = Math.max(0, now - this.lastMs);
    this.lastMs = now;
    this.tokens = Math.min(this.config.burst, this.tokens + (elapsed * this.config.perSecond) / 1000);
  }
}
