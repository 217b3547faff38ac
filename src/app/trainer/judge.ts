/**
 * Champion/challenger decision on the same out-of-sample window, costs included (figures from
 * `wick backtest`: strategy Sharpe and the timing test of its diagnostics).
 */
export interface Evaluation {
  readonly modelId: string;
  readonly sharpe: number | null;
  readonly totalReturn: number | null;
  readonly trades: number;
  /** The timing test: rank 1 of `of` = the real timing beat every shifted copy of the predictions. */
  readonly timing: { readonly rank: number; readonly of: number; readonly pValue: number } | null;
}

export interface Verdict {
  readonly promote: boolean;
  /** Why, in one sentence with the figures (recorded in the registry history and the log). */
  readonly reason: string;
}

const fmt = (x: number | null): string => (x === null ? 'none' : x.toFixed(3));

/**
 * Promote only when the challenger's Sharpe beats the champion's by `margin` (a champion without a
 * Sharpe, e.g. no variation in equity, counts as 0) AND the challenger passes the timing test (its
 * real timing ranks first among the shifted copies). Otherwise say which condition failed.
 */
export function judgeChallenger(champion: Evaluation, challenger: Evaluation, margin: number): Verdict {
  const base = champion.sharpe ?? 0;
  const figures = `challenger Sharpe ${fmt(challenger.sharpe)} (${challenger.trades} trades) vs champion ${fmt(champion.sharpe)} (${champion.trades} trades), margin ${margin}`;
  if (challenger.sharpe === null || !(challenger.sharpe >= base + margin)) return { promote: false, reason: `not better by the margin: ${figures}` };
  const t = challenger.timing;
  if (t === null) return { promote: false, reason: `no timing test could be run on the challenger: ${figures}` };
  if (t.rank !== 1)
    return {
      promote: false,
      reason: `fails the timing test: its real timing ranks ${t.rank} of ${t.of} (p ${t.pValue.toFixed(2)}) against its predictions shifted in time; ${figures}`,
    };
  return { promote: true, reason: `beats the champion by the margin and passes the timing test (rank 1 of ${t.of}): ${figures}` };
}
