/**
 * The threshold explorer's arithmetic: per-group selection rate, TPR and FPR on a grid of
 * decision thresholds, and the fairness quantities at one shared threshold or one per group.
 * Pure and dependency-free: the analysis panel imports it to answer slider moves at once.
 */
import type { ThresholdCurve, ThresholdExplorer } from './types';

/** Thresholds 0, 1/steps, …, 1 (rounded to avoid 0.30000000000000004). */
export function thresholdGrid(steps = 100): number[] {
  return Array.from({ length: steps + 1 }, (_, i) => Math.round((i / steps) * 1e6) / 1e6);
}

/** Rates of one group of rows as the threshold moves (decision: score ≥ threshold). */
export function thresholdCurve(group: string, y: ArrayLike<number>, s: ArrayLike<number>, rows: ArrayLike<number>, thresholds: number[]): ThresholdCurve {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    (y[i] === 1 ? pos : neg).push(s[i]!);
  }
  pos.sort((a, b) => a - b);
  neg.sort((a, b) => a - b);
  const atOrAbove = (sorted: number[], t: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return sorted.length - lo;
  };
  const n = rows.length;
  const curve: ThresholdCurve = { group, n, positives: pos.length, selectionRate: [], tpr: [], fpr: [] };
  for (const t of thresholds) {
    const tp = atOrAbove(pos, t);
    const fp = atOrAbove(neg, t);
    curve.selectionRate.push(n ? (tp + fp) / n : 0);
    curve.tpr.push(pos.length ? tp / pos.length : null);
    curve.fpr.push(neg.length ? fp / neg.length : null);
  }
  return curve;
}

export interface GroupAtThreshold {
  group: string;
  threshold: number;
  selectionRate: number;
  tpr: number | null;
  fpr: number | null;
}

export interface ThresholdSummary {
  groups: GroupAtThreshold[];
  /** min / max selection rate (the four-fifths ratio, Fairlearn's demographic parity ratio). */
  disparateImpact: number;
  demographicParityDifference: number;
  /** max − min TPR. */
  equalOpportunityDifference: number | null;
  equalizedOddsDifference: number | null;
  fourFifthsPass: boolean;
}

/** Index of the grid threshold nearest to t. */
export function nearestIndex(thresholds: number[], t: number): number {
  let best = 0;
  for (let i = 1; i < thresholds.length; i++) if (Math.abs(thresholds[i]! - t) < Math.abs(thresholds[best]! - t)) best = i;
  return best;
}

function spread(values: (number | null)[]): number | null {
  const finite = values.filter((v): v is number => v !== null);
  return finite.length ? Math.max(...finite) - Math.min(...finite) : null;
}

/**
 * Fairness at the given thresholds: one number for all groups, or one per group (missing groups
 * take `fallback`); the four-fifths rule at `fourFifths` (config `checks.four_fifths`).
 */
export function summarizeAt(explorer: ThresholdExplorer, thresholds: number | Record<string, number>, fallback = 0.5, fourFifths = 0.8): ThresholdSummary {
  const groups = explorer.groups.map((curve) => {
    const t = typeof thresholds === 'number' ? thresholds : (thresholds[curve.group] ?? fallback);
    const i = nearestIndex(explorer.thresholds, t);
    return { group: curve.group, threshold: explorer.thresholds[i]!, selectionRate: curve.selectionRate[i]!, tpr: curve.tpr[i] ?? null, fpr: curve.fpr[i] ?? null };
  });
  const rates = groups.map((g) => g.selectionRate);
  const max = Math.max(...rates);
  const min = Math.min(...rates);
  const ratio = max === 0 ? Number.NaN : min / max;
  const eo = spread(groups.map((g) => g.tpr));
  const fprSpread = spread(groups.map((g) => g.fpr));
  return {
    groups,
    disparateImpact: ratio,
    demographicParityDifference: max - min,
    equalOpportunityDifference: eo,
    equalizedOddsDifference: eo === null && fprSpread === null ? null : Math.max(eo ?? 0, fprSpread ?? 0),
    fourFifthsPass: !(ratio < fourFifths),
  };
}
