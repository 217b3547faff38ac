/** Time comes from a Clock: wall time live, simulated time in replays and backtests. */
export interface Clock {
  nowMs(): number;
}

/** A clock that only moves when told to: backtests, replays and tests. */
export class ManualClock implements Clock {
  constructor(private currentMs = 0) {}
  nowMs(): number {
    return this.currentMs;
  }
  set(ms: number): void {
    this.currentMs = ms;
  }
  advance(ms: number): void {
    this.currentMs += ms;
  }
}
