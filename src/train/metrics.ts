/**
 * Evaluation metrics over flat (n, K) predictions and targets. `column` picks one horizon; the
 * direction metrics use the first horizon (the next candle) unless told otherwise.
 */
export function column(values: ArrayLike<number>, width: number, k: number): Float64Array {
  const n = Math.floor(values.length / width);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = values[i * width + k]!;
  return out;
}

export function mse(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  if (pred.length !== target.length) throw new RangeError('mse: length mismatch');
  let s = 0;
  for (let k = 0; k < pred.length; k++) s += (pred[k]! - target[k]!) ** 2;
  return pred.length === 0 ? NaN : s / pred.length;
}

/** MSE of always predicting a zero return (ratio 1): the baseline a regression model must beat. */
export function zeroReturnMse(target: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < target.length; k++) s += target[k]! ** 2;
  return target.length === 0 ? NaN : s / target.length;
}

/**
 * Fraction of samples where sign(predicted return) equals sign(actual return). Samples with an
 * actual return of exactly 0 have no direction and are skipped. For classification pass
 * probability − 0.5 as the prediction.
 */
export function directionalAccuracy(predReturn: ArrayLike<number>, actualReturn: ArrayLike<number>): number {
  if (predReturn.length !== actualReturn.length) throw new RangeError('directionalAccuracy: length mismatch');
  let hit = 0;
  let n = 0;
  for (let k = 0; k < predReturn.length; k++) {
    const a = actualReturn[k]!;
    if (a === 0) continue;
    n++;
    if (predReturn[k]! > 0 === a > 0) hit++;
  }
  return n === 0 ? NaN : hit / n;
}

/** 1 where the return is positive, else 0: targets for direction classification. */
export function directionLabels(returns: ArrayLike<number>): Float32Array {
  const out = new Float32Array(returns.length);
  for (let k = 0; k < returns.length; k++) out[k] = returns[k]! > 0 ? 1 : 0;
  return out;
}

/** Area under the ROC curve via the rank-sum (Mann–Whitney U) statistic, ties given average ranks. */
export function auc(score: ArrayLike<number>, label: ArrayLike<number>): number {
  const n = score.length;
  if (label.length !== n) throw new RangeError('auc: length mismatch');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a]! - score[b]!);
  let rankSumPos = 0;
  let pos = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && score[order[j + 1]!] === score[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (label[order[k]!]! > 0.5) {
        rankSumPos += avgRank;
        pos++;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}
