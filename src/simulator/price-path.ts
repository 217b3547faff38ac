import { InvariantError, type Candle } from '../core/index.js';

/** A scripted price at a moment; the path is linear between points. */
export interface PricePoint {
  readonly timeMs: number;
  readonly price: number;
}

/** One kline as the simulator serves it (REST and websocket). */
export interface SimKline {
  readonly openTimeMs: number;
  /** Inclusive, like Binance: open + interval - 1. */
  readonly closeTimeMs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  /** True once the simulated clock has passed the kline's close time. */
  readonly final: boolean;
}

/** A linear segment of the path, for order matching. */
export interface PathSegment {
  readonly fromMs: number;
  readonly fromPrice: number;
  readonly toMs: number;
  readonly toPrice: number;
}

interface Waypoint {
  readonly t: number;
  readonly p: number;
  /** Cumulative base volume traded up to t (volume is spread evenly inside a candle). */
  readonly v: number;
}

/**
 * The simulated market price as a piecewise-linear function of time. A candle becomes four
 * waypoints (open, first extreme, second extreme, close at its last millisecond) so that a
 * kline of the candle's own timeframe reproduces the candle exactly, a kline of any other
 * interval is consistent with it, and the forming kline grows the way a real one does.
 */
export class PricePath {
  private constructor(private readonly pts: readonly Waypoint[]) {
    if (pts.length === 0) throw new InvariantError('price path needs at least one point');
  }

  static fromCandles(candles: readonly Candle[], timeframeMs: number): PricePath {
    if (!(timeframeMs >= 4)) throw new InvariantError(`timeframe too short: ${timeframeMs} ms`);
    const pts: Waypoint[] = [];
    let cum = 0;
    let prevOpen = -Infinity;
    for (const c of candles) {
      for (const x of [c.openTimeMs, c.open, c.high, c.low, c.close, c.volume]) {
        if (!Number.isFinite(x)) throw new InvariantError(`candle at ${c.openTimeMs} has a non-finite field`);
      }
      if (c.openTimeMs <= prevOpen) throw new InvariantError(`candles not ascending at ${c.openTimeMs}`);
      if (c.openTimeMs < prevOpen + timeframeMs) throw new InvariantError(`candles overlap at ${c.openTimeMs}`);
      prevOpen = c.openTimeMs;
      const t = c.openTimeMs;
      const up = c.close >= c.open;
      const first = up ? c.low : c.high;
      const second = up ? c.high : c.low;
      const third = Math.floor(timeframeMs / 3);
      const last = timeframeMs - 1;
      pts.push({ t, p: c.open, v: cum });
      pts.push({ t: t + third, p: first, v: cum + (c.volume * third) / last });
      pts.push({ t: t + 2 * third, p: second, v: cum + (c.volume * 2 * third) / last });
      cum += c.volume;
      pts.push({ t: t + last, p: c.close, v: cum });
    }
    return new PricePath(pts);
  }

  /** A scripted path; `volumePerHour` base units trade evenly over time (for kline volume). */
  static fromPoints(points: readonly PricePoint[], volumePerHour = 0): PricePath {
    const pts: Waypoint[] = [];
    let prev: PricePoint | undefined;
    let cum = 0;
    for (const pt of points) {
      if (!Number.isFinite(pt.timeMs) || !(pt.price > 0)) throw new InvariantError(`bad price point at ${pt.timeMs}`);
      if (prev !== undefined) {
        if (pt.timeMs <= prev.timeMs) throw new InvariantError(`price points not ascending at ${pt.timeMs}`);
        cum += ((pt.timeMs - prev.timeMs) * volumePerHour) / 3_600_000;
      }
      pts.push({ t: pt.timeMs, p: pt.price, v: cum });
      prev = pt;
    }
    return new PricePath(pts);
  }

  get startMs(): number {
    return this.at(0).t;
  }

  get endMs(): number {
    return this.at(this.pts.length - 1).t;
  }

  priceAt(timeMs: number): number {
    return this.interpolate(timeMs, 'p');
  }

  /** Base volume traded in [fromMs, toMs]. */
  volumeBetween(fromMs: number, toMs: number): number {
    return Math.max(0, this.interpolate(toMs, 'v') - this.interpolate(fromMs, 'v'));
  }

  /** The kline [openTimeMs, openTimeMs + intervalMs) as seen at `nowMs`; undefined if not yet open. */
  kline(openTimeMs: number, intervalMs: number, nowMs: number): SimKline | undefined {
    if (openTimeMs > nowMs) return undefined;
    const closeTimeMs = openTimeMs + intervalMs - 1;
    const end = Math.min(nowMs, closeTimeMs);
    const open = this.priceAt(openTimeMs);
    const close = this.priceAt(end);
    let high = Math.max(open, close);
    let low = Math.min(open, close);
    for (let i = this.firstIndexAfter(openTimeMs); i < this.pts.length; i++) {
      const w = this.at(i);
      if (w.t >= end) break;
      if (w.p > high) high = w.p;
      if (w.p < low) low = w.p;
    }
    return { openTimeMs, closeTimeMs, open, high, low, close, volume: this.volumeBetween(openTimeMs, end), final: nowMs > closeTimeMs };
  }

  /** Linear pieces covering (fromMs, toMs], in time order, for matching orders as time moves. */
  segments(fromMs: number, toMs: number): PathSegment[] {
    const out: PathSegment[] = [];
    if (toMs <= fromMs) return out;
    let t = fromMs;
    let p = this.priceAt(fromMs);
    for (let i = this.firstIndexAfter(fromMs); i < this.pts.length; i++) {
      const w = this.at(i);
      if (w.t >= toMs) break;
      out.push({ fromMs: t, fromPrice: p, toMs: w.t, toPrice: w.p });
      t = w.t;
      p = w.p;
    }
    out.push({ fromMs: t, fromPrice: p, toMs, toPrice: this.priceAt(toMs) });
    return out;
  }

  private at(i: number): Waypoint {
    const w = this.pts[i];
    if (w === undefined) throw new InvariantError(`price path index ${i} out of range`);
    return w;
  }

  /** Index of the first waypoint with t > timeMs (pts.length if none). */
  private firstIndexAfter(timeMs: number): number {
    let lo = 0;
    let hi = this.pts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).t <= timeMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private interpolate(timeMs: number, field: 'p' | 'v'): number {
    const i = this.firstIndexAfter(timeMs);
    if (i === 0) return this.at(0)[field];
    const a = this.at(i - 1);
    if (i === this.pts.length || a.t === timeMs) return a[field];
    const b = this.at(i);
    return a[field] + ((b[field] - a[field]) * (timeMs - a.t)) / (b.t - a.t);
  }
}
