import type { Clock } from '../core/index.js';
import type { OperatorErrorEntry } from './operator-api-schemas.js';

/**
 * The recent errors the operator API shows (GET /api/errors): a bounded list, newest first, where
 * a repeat of the same code and component within `coalesceMs` bumps the count of the entry it
 * repeats instead of pushing real problems out of the list. Messages are scrubbed on the way in.
 */
export class RecentErrors {
  private readonly entries: { timeMs: number; firstMs: number; code: string; message: string; component: string | undefined; count: number }[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly options: { readonly capacity?: number; readonly coalesceMs?: number; readonly scrub?: (text: string) => string } = {},
  ) {}

  record(err: unknown, component?: string): void {
    const code =
      typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
        ? (err as { code: string }).code
        : err instanceof Error
          ? err.name
          : 'ERROR';
    const raw = err instanceof Error ? err.message : String(err);
    const message = (this.options.scrub ?? ((t: string) => t))(raw).slice(0, 500);
    const now = this.clock.nowMs();
    const head = this.entries[0];
    const same = this.entries.find((e) => e.code === code && e.component === component);
    if (same !== undefined && now - same.firstMs < (this.options.coalesceMs ?? 300_000)) {
      same.count++;
      same.timeMs = now;
      same.message = message;
      if (same !== head) {
        this.entries.splice(this.entries.indexOf(same), 1);
        this.entries.unshift(same);
      }
      return;
    }
    this.entries.unshift({ timeMs: now, firstMs: now, code, message, component, count: 1 });
    if (this.entries.length > (this.options.capacity ?? 100)) this.entries.pop();
  }

  /** Newest first. */
  list(): OperatorErrorEntry[] {
    return this.entries.map((e) => ({
      timeMs: e.timeMs,
      code: e.code,
      message: e.message,
      ...(e.component !== undefined ? { component: e.component } : {}),
      ...(e.count > 1 ? { count: e.count } : {}),
    }));
  }
}
