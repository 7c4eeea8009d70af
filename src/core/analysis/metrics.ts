/**
 * Metrics with scikit-learn's definitions, over a subset of rows given by an index array (so a
 * bootstrap resample costs no copy). `y` is 0/1 for classification; `s` a score or prediction.
 */
import { Random } from './random';
import type { BootstrapSettings, Estimate } from './types';

export type Rows = Int32Array;
export type MetricFn = (idx: Rows) => number;

export function allRows(n: number): Rows {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** Confusion counts of decisions `d` (0/1) against `y` (0/1). */
export function confusion(y: Float64Array, d: Float64Array, idx: Rows): { tp: number; fp: number; tn: number; fn: number } {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    if (d[i] === 1) {
      if (y[i] === 1) tp++;
      else fp++;
    } else if (y[i] === 1) fn++;
    else tn++;
  }
  return { tp, fp, tn, fn };
}

export const accuracy = (y: Float64Array, d: Float64Array, idx: Rows): number => {
  const c = confusion(y, d, idx);
  return (c.tp + c.tn) / idx.length;
};

/** scikit-learn with zero_division=0. */
export const precision = (y: Float64Array, d: Float64Array, idx: Rows): number => {
  const c = confusion(y, d, idx);
  return c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp);
};

export const recall = (y: Float64Array, d: Float64Array, idx: Rows): number => {
  const c = confusion(y, d, idx);
  return c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
};

export const f1 = (y: Float64Array, d: Float64Array, idx: Rows): number => {
  const c = confusion(y, d, idx);
  return 2 * c.tp + c.fp + c.fn === 0 ? 0 : (2 * c.tp) / (2 * c.tp + c.fp + c.fn);
};

/** Rows of idx sorted by decreasing score. */
function byScoreDesc(s: Float64Array, idx: Rows): Rows {
  return Int32Array.from(idx).sort((a, b) => s[b]! - s[a]! || a - b);
}

/** ROC AUC (trapezoidal over distinct thresholds, ties handled as scikit-learn); NaN with one class only. */
export function rocAuc(y: Float64Array, s: Float64Array, idx: Rows): number {
  const order = byScoreDesc(s, idx);
  let pos = 0;
  for (let k = 0; k < order.length; k++) pos += y[order[k]!]!;
  const neg = order.length - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  let tp = 0;
  let fp = 0;
  let prevTp = 0;
  let prevFp = 0;
  let area = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (y[i] === 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || s[next] !== s[i]) {
      area += ((fp - prevFp) * (tp + prevTp)) / 2;
      prevTp = tp;
      prevFp = fp;
    }
  }
  return area / (pos * neg);
}

/** Average precision: Σ (R_n − R_{n−1}) P_n over distinct thresholds (scikit-learn's `average_precision_score`). */
export function averagePrecision(y: Float64Array, s: Float64Array, idx: Rows): number {
  const order = byScoreDesc(s, idx);
  let pos = 0;
  for (let k = 0; k < order.length; k++) pos += y[order[k]!]!;
  if (pos === 0) return Number.NaN;
  let tp = 0;
  let seen = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    tp += y[i]!;
    seen++;
    const next = order[k + 1];
    if (next === undefined || s[next] !== s[i]) {
      const r = tp / pos;
      ap += (r - prevRecall) * (tp / seen);
      prevRecall = r;
    }
  }
  return ap;
}

const EPS = 2.220446049250313e-16;

/** Log loss with probabilities clipped to [eps, 1 − eps] (float64 eps, as scikit-learn's `eps='auto'`). */
export function logLoss(y: Float64Array, p: Float64Array, idx: Rows): number {
  let sum = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    const q = Math.min(1 - EPS, Math.max(EPS, p[i]!));
    sum -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return sum / idx.length;
}

export function brier(y: Float64Array, p: Float64Array, idx: Rows): number {
  let sum = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    sum += (p[i]! - y[i]!) ** 2;
  }
  return sum / idx.length;
}

export function mae(y: Float64Array, p: Float64Array, idx: Rows): number {
  let sum = 0;
  for (let k = 0; k < idx.length; k++) sum += Math.abs(y[idx[k]!]! - p[idx[k]!]!);
  return sum / idx.length;
}

export function rmse(y: Float64Array, p: Float64Array, idx: Rows): number {
  let sum = 0;
  for (let k = 0; k < idx.length; k++) sum += (y[idx[k]!]! - p[idx[k]!]!) ** 2;
  return Math.sqrt(sum / idx.length);
}

/** R² (coefficient of determination); NaN when y is constant on the rows. */
export function r2(y: Float64Array, p: Float64Array, idx: Rows): number {
  let mean = 0;
  for (let k = 0; k < idx.length; k++) mean += y[idx[k]!]!;
  mean /= idx.length;
  let res = 0;
  let tot = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    res += (y[i]! - p[i]!) ** 2;
    tot += (y[i]! - mean) ** 2;
  }
  return tot === 0 ? Number.NaN : 1 - res / tot;
}

/** Decisions at a threshold: score ≥ threshold (as the demo and most libraries decide). */
export function decide(s: Float64Array, threshold: number): Float64Array {
  const d = new Float64Array(s.length);
  for (let i = 0; i < s.length; i++) d[i] = s[i]! >= threshold ? 1 : 0;
  return d;
}

/** Linear-interpolated quantile (numpy's default) of finite values; NaN when there are none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(Array.prototype.filter.call(values, (v: number) => Number.isFinite(v)) as number[]).sort();
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** Population standard deviation (numpy's default, as scikit-learn's permutation importance). */
export function std(values: ArrayLike<number>): number {
  const m = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i]! - m) ** 2;
  return Math.sqrt(sum / values.length);
}

export const DEFAULT_BOOTSTRAP: BootstrapSettings = { resamples: 1000, seed: 0, level: 0.95 };

/**
 * Bootstrap resamples over `base` rows (stratified by nothing: plain resampling with replacement).
 * Calls `each(idx)` with every resample, reusing one buffer.
 */
export function forEachResample(base: Rows, settings: BootstrapSettings, each: (idx: Rows, b: number) => void): void {
  const rng = new Random(settings.seed);
  const idx = new Int32Array(base.length);
  for (let b = 0; b < settings.resamples; b++) {
    for (let k = 0; k < base.length; k++) idx[k] = base[rng.int(base.length)]!;
    each(idx, b);
  }
}

/** A metric on `base` with its percentile bootstrap interval (NaN resamples are left out). */
export function estimate(metric: MetricFn, base: Rows, settings: BootstrapSettings): Estimate {
  const value = metric(base);
  if (settings.resamples <= 0 || base.length === 0) return { value, low: null, high: null };
  const draws = new Float64Array(settings.resamples);
  forEachResample(base, settings, (idx, b) => (draws[b] = metric(idx)));
  return interval(value, draws, settings.level);
}

export function interval(value: number, draws: ArrayLike<number>, level: number): Estimate {
  const alpha = (1 - level) / 2;
  const low = quantile(draws, alpha);
  const high = quantile(draws, 1 - alpha);
  return { value, low: Number.isFinite(low) ? low : null, high: Number.isFinite(high) ? high : null };
}

// ---------------------------------------------------------------------------------------------
// Multiclass: `y` and `d` hold class indices 0…k−1; `p` holds k probabilities a row, row-major.
// ---------------------------------------------------------------------------------------------

/** k×k counts: rows are the true class, columns the predicted one (scikit-learn's layout). */
export function confusionMatrix(y: Float64Array, d: Float64Array, k: number, idx: Rows): number[][] {
  const out = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let n = 0; n < idx.length; n++) out[y[idx[n]!]!]![d[idx[n]!]!]!++;
  return out;
}

export interface ClassScores {
  precision: number[];
  recall: number[];
  f1: number[];
  /** True rows of each class. */
  support: number[];
  /** Classes that occur in y or d on these rows (scikit-learn averages over those). */
  present: boolean[];
}

/** Per-class precision, recall and F1 (zero_division=0). */
export function classScores(y: Float64Array, d: Float64Array, k: number, idx: Rows): ClassScores {
  const tp = new Array<number>(k).fill(0);
  const predicted = new Array<number>(k).fill(0);
  const support = new Array<number>(k).fill(0);
  for (let n = 0; n < idx.length; n++) {
    const t = y[idx[n]!]!;
    const p = d[idx[n]!]!;
    support[t]!++;
    predicted[p]!++;
    if (t === p) tp[t]!++;
  }
  const div = (a: number, b: number) => (b === 0 ? 0 : a / b);
  return {
    precision: tp.map((v, c) => div(v, predicted[c]!)),
    recall: tp.map((v, c) => div(v, support[c]!)),
    f1: tp.map((v, c) => div(2 * v, predicted[c]! + support[c]!)),
    support,
    present: support.map((s, c) => s > 0 || predicted[c]! > 0),
  };
}

/** Macro (unweighted) or weighted (by support) average of a per-class score over the classes present. */
export function averaged(scores: ClassScores, which: 'precision' | 'recall' | 'f1', average: 'macro' | 'weighted'): number {
  let sum = 0;
  let weight = 0;
  scores[which].forEach((v, c) => {
    if (!scores.present[c]) return;
    const w = average === 'macro' ? 1 : scores.support[c]!;
    sum += w * v;
    weight += w;
  });
  return weight === 0 ? 0 : sum / weight;
}

export function multiclassAccuracy(y: Float64Array, d: Float64Array, idx: Rows): number {
  let right = 0;
  for (let n = 0; n < idx.length; n++) if (y[idx[n]!] === d[idx[n]!]) right++;
  return right / idx.length;
}

/**
 * One-vs-rest ROC AUC, macro average (`roc_auc_score(multi_class='ovr')`): the binary AUC of
 * each class's probability against membership of that class. NaN when a class is absent.
 */
export function rocAucOvr(y: Float64Array, p: Float64Array, k: number, idx: Rows): number {
  const member = new Float64Array(y.length);
  const score = new Float64Array(y.length);
  let sum = 0;
  for (let c = 0; c < k; c++) {
    for (let n = 0; n < idx.length; n++) {
      const i = idx[n]!;
      member[i] = y[i] === c ? 1 : 0;
      score[i] = p[i * k + c]!;
    }
    const auc = rocAuc(member, score, idx);
    if (Number.isNaN(auc)) return Number.NaN;
    sum += auc;
  }
  return sum / k;
}

/** Multiclass log loss as scikit-learn 1.2 computes it: probabilities clipped to [eps, 1 − eps], rows renormalized. */
export function multiclassLogLoss(y: Float64Array, p: Float64Array, k: number, idx: Rows): number {
  let sum = 0;
  for (let n = 0; n < idx.length; n++) {
    const i = idx[n]!;
    let total = 0;
    for (let c = 0; c < k; c++) total += Math.min(1 - EPS, Math.max(EPS, p[i * k + c]!));
    sum -= Math.log(Math.min(1 - EPS, Math.max(EPS, p[i * k + y[i]!]!)) / total);
  }
  return sum / idx.length;
}

/** The most likely class of each row (the first one on ties, as numpy's argmax). */
export function argmax(p: Float64Array, k: number): Float64Array {
  const rows = p.length / k;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[i * k + c]! > p[i * k + best]!) best = c;
    out[i] = best;
  }
  return out;
}
