/**
 * Small statistics over paired samples. Pairs where either value is not finite are left out, so
 * callers can pass NaN for "no prediction" or "no realised return yet".
 */

/** The finite pairs of x and y, in order. */
export function finitePairs(x: ArrayLike<number>, y: ArrayLike<number>): { x: Float64Array; y: Float64Array } {
  if (x.length !== y.length) throw new RangeError(`paired samples differ in length: ${x.length} vs ${y.length}`);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const a = x[i] as number;
    const b = y[i] as number;
    if (Number.isFinite(a) && Number.isFinite(b)) {
      xs.push(a);
      ys.push(b);
    }
  }
  return { x: Float64Array.from(xs), y: Float64Array.from(ys) };
}

/** Pearson correlation of the finite pairs; null with fewer than 3 pairs or a constant side. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  const p = finitePairs(x, y);
  const n = p.x.length;
  if (n < 3) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += p.x[i] as number;
    my += p.y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (p.x[i] as number) - mx;
    const dy = (p.y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (!(sxx > 0) || !(syy > 0)) return null;
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/** Ranks 1..n, ties sharing the mean of their ranks (what Spearman's coefficient needs). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1] as number] === values[order[i] as number]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k] as number] = rank;
    i = j + 1;
  }
  return ranks;
}

/** Spearman's rank correlation (Pearson of the tie-averaged ranks) of the finite pairs. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  const p = finitePairs(x, y);
  if (p.x.length < 3) return null;
  return pearson(averageRanks(p.x), averageRanks(p.y));
}

/** Mean of the finite values; null when there are none. */
export function meanOf(values: ArrayLike<number>): number | null {
  let s = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isFinite(v)) {
      s += v;
      n++;
    }
  }
  return n > 0 ? s / n : null;
}
