/**
 * ROC and precision-recall curves of a score against a 0/1 target, with scikit-learn's
 * definitions (`roc_curve` with drop_intermediate=False, `precision_recall_curve`): one point per
 * distinct score, taken in decreasing order. Long curves are thinned to at most `maxPoints`
 * (keeping the first and last points) for drawing; the area is computed on the full curve.
 */
import { allRows, averagePrecision, rocAuc } from './metrics';

export interface CurvePoint {
  x: number;
  y: number;
  /** The score threshold of this point (decision: score ≥ threshold); null for the (0, 0) start. */
  threshold: number | null;
}

export interface ScoreCurve {
  kind: 'roc' | 'pr';
  /** ROC: fpr → tpr; PR: recall → precision. */
  points: CurvePoint[];
  /** ROC AUC or average precision (NaN when one class is missing). */
  area: number;
  positives: number;
  negatives: number;
}

/** Cumulative true and false positives at each distinct score, highest score first. */
function cumulative(y: Float64Array, s: Float64Array): { tps: number[]; fps: number[]; thresholds: number[]; pos: number; neg: number } {
  const order = Int32Array.from({ length: y.length }, (_, i) => i).sort((a, b) => s[b]! - s[a]! || a - b);
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (y[i] === 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || s[next] !== s[i]) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(s[i]!);
    }
  }
  return { tps, fps, thresholds, pos: tp, neg: fp };
}

/** Keeps at most `max` points, evenly spread, always with the first and the last. */
export function thin<T>(points: T[], max: number): T[] {
  if (points.length <= max || max < 2) return points;
  const out: T[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let k = 0; k < max; k++) out.push(points[Math.round(k * step)]!);
  return out;
}

export function rocCurve(y: Float64Array, s: Float64Array, maxPoints = 400): ScoreCurve {
  const { tps, fps, thresholds, pos, neg } = cumulative(y, s);
  const points: CurvePoint[] = [{ x: 0, y: 0, threshold: null }];
  for (let k = 0; k < tps.length; k++) points.push({ x: neg ? fps[k]! / neg : Number.NaN, y: pos ? tps[k]! / pos : Number.NaN, threshold: thresholds[k]! });
  return { kind: 'roc', points: thin(points, maxPoints), area: rocAuc(y, s, allRows(y.length)), positives: pos, negatives: neg };
}

/** Recall on x, precision on y, from the highest threshold down (every threshold, as scikit-learn ≥ 1.1); starts at (0, 1) like scikit-learn's last point. */
export function precisionRecallCurve(y: Float64Array, s: Float64Array, maxPoints = 400): ScoreCurve {
  const { tps, fps, thresholds, pos, neg } = cumulative(y, s);
  const points: CurvePoint[] = [{ x: 0, y: 1, threshold: null }];
  for (let k = 0; k < tps.length; k++) {
    const predicted = tps[k]! + fps[k]!;
    points.push({ x: pos ? tps[k]! / pos : Number.NaN, y: predicted ? tps[k]! / predicted : 1, threshold: thresholds[k]! });
  }
  return { kind: 'pr', points: thin(points, maxPoints), area: averagePrecision(y, s, allRows(y.length)), positives: pos, negatives: neg };
}
