/**
 * The deflated Sharpe ratio (Bailey & López de Prado, 2014): the probability that a strategy's true
 * Sharpe ratio exceeds what the best of N unskilled trials would show by luck, given the length,
 * skewness and kurtosis of its returns. All Sharpe ratios here are per bar (not annualised).
 */

const EULER_GAMMA = 0.5772156649015329;

/** Standard normal CDF (Zelen & Severo 26.2.17 via erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile needs 0 < p < 1, got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Sharpe ratio, skewness and (non-excess) kurtosis of per-bar returns; null with < 3 returns or none varying. */
export function returnMoments(returns: readonly number[]): { sharpe: number; skew: number; kurtosis: number; n: number } | null {
  const n = returns.length;
  if (n < 3) return null;
  const mean = returns.reduce((s, r) => s + r, 0) / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const r of returns) {
    const d = r - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  if (!(m2 > 1e-24)) return null;
  return { sharpe: mean / Math.sqrt(m2), skew: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2), n };
}

/** Expected maximum of N per-bar Sharpe ratios of unskilled trials whose Sharpe ratios vary with `variance`. */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (trials <= 1) return 0;
  return Math.sqrt(variance) * ((1 - EULER_GAMMA) * normalQuantile(1 - 1 / trials) + EULER_GAMMA * normalQuantile(1 - 1 / (trials * Math.E)));
}

/**
 * Probabilistic Sharpe ratio: P(true Sharpe > benchmark) for a per-bar Sharpe `sharpe` measured on
 * n returns with the given skewness and kurtosis.
 */
export function probabilisticSharpe(m: { sharpe: number; skew: number; kurtosis: number; n: number }, benchmark: number): number {
  const denom = Math.sqrt(Math.max(1e-12, 1 - m.skew * m.sharpe + ((m.kurtosis - 1) / 4) * m.sharpe * m.sharpe));
  return normalCdf(((m.sharpe - benchmark) * Math.sqrt(m.n - 1)) / denom);
}

/**
 * Deflated Sharpe ratio of the chosen trial: its probabilistic Sharpe ratio against the expected
 * best Sharpe of `trialSharpes.length` unskilled trials (variance taken across the trials).
 */
export function deflatedSharpe(chosen: { sharpe: number; skew: number; kurtosis: number; n: number }, trialSharpes: readonly number[]): number {
  const k = trialSharpes.length;
  const mean = trialSharpes.reduce((s, x) => s + x, 0) / Math.max(1, k);
  const variance = k > 1 ? trialSharpes.reduce((s, x) => s + (x - mean) ** 2, 0) / (k - 1) : 0;
  return probabilisticSharpe(chosen, expectedMaxSharpe(k, variance));
}
