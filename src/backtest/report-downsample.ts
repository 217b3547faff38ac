import type { EquityPoint } from './result.js';

/**
 * Min/max-preserving downsampling for charts: keeps the first and last points and, for each of
 * ⌊(maxPoints - 2) / 2⌋ equal-width index buckets in between, that bucket's lowest and highest
 * point in time order. Peaks, troughs and the deepest drawdown therefore survive, and the output
 * never has more than `maxPoints` points. Curves already short enough come back unchanged.
 */
export function downsampleMinMax(points: readonly EquityPoint[], maxPoints: number): readonly EquityPoint[] {
  if (points.length <= maxPoints || points.length <= 2) return points;
  const first = points[0] as EquityPoint;
  const last = points[points.length - 1] as EquityPoint;
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
  const inner = points.length - 2;
  const out: EquityPoint[] = [first];
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets);
    const to = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (to <= from) continue;
    let lo = from;
    let hi = from;
    for (let i = from + 1; i < to; i++) {
      const v = (points[i] as EquityPoint)[1];
      if (v < (points[lo] as EquityPoint)[1]) lo = i;
      if (v > (points[hi] as EquityPoint)[1]) hi = i;
    }
    if (lo === hi) out.push(points[lo] as EquityPoint);
    else if (lo < hi) out.push(points[lo] as EquityPoint, points[hi] as EquityPoint);
    else out.push(points[hi] as EquityPoint, points[lo] as EquityPoint);
  }
  out.push(last);
  return out;
}
