/**
 * Thresholds of the governance checks (`checks:` in .provenant/config.yaml): their defaults and
 * the values each accepts. A value out of range would silently turn a check off (a four-fifths
 * threshold of -5 passes every model), so anything else is refused when the config is read.
 */

/** `ratio`: (0, 1]; `fraction`: [0, 1]; `count`: an integer ≥ 0; `tolerance`: a finite number ≥ 0. */
export type ThresholdKind = 'ratio' | 'fraction' | 'count' | 'tolerance';

export const THRESHOLD_SPECS = {
  /** A held-out accuracy, ROC AUC, F1 or R² at or above this is suspicious. */
  perfect_score: { default: 0.99, kind: 'fraction', meaning: 'a held-out score at or above it is suspicious' },
  /** Share of the majority class at or above which accuracy alone is unsuited. */
  imbalance_share: { default: 0.9, kind: 'fraction', meaning: 'the majority-class share from which accuracy alone is unsuited' },
  /** Lowest / highest group selection rate below this fails (four-fifths rule). */
  four_fifths: { default: 0.8, kind: 'ratio', meaning: 'the lowest/highest selection-rate ratio below which the subgroup check fails' },
  /** Groups smaller than this are reported as too small for their rates to mean much. */
  min_group_size: { default: 30, kind: 'count', meaning: 'groups with fewer rows are flagged as too small' },
  /** Largest true-positive-rate gap between groups before a warning. */
  max_group_gap: { default: 0.1, kind: 'fraction', meaning: 'the largest true-positive-rate gap between groups before a warning' },
  /** Held-out rows allowed to occur in training data. */
  max_overlap_rows: { default: 0, kind: 'count', meaning: 'held-out rows allowed to occur in training data' },
  /** Reproduction: largest absolute and relative difference counted as "within tolerance". */
  reproduce_abs_tolerance: { default: 1e-9, kind: 'tolerance', meaning: 'the largest absolute difference a reproduction counts as within tolerance' },
  reproduce_rel_tolerance: { default: 1e-6, kind: 'tolerance', meaning: 'the largest relative difference a reproduction counts as within tolerance' },
} as const satisfies Record<string, { default: number; kind: ThresholdKind; meaning: string }>;

export type ThresholdName = keyof typeof THRESHOLD_SPECS;
export type Thresholds = { [K in ThresholdName]: number };

export const THRESHOLD_DEFAULTS: Thresholds = Object.fromEntries(Object.entries(THRESHOLD_SPECS).map(([k, v]) => [k, v.default])) as Thresholds;

export const THRESHOLD_NAMES = Object.keys(THRESHOLD_SPECS) as ThresholdName[];

export function isThresholdName(name: string): name is ThresholdName {
  return Object.prototype.hasOwnProperty.call(THRESHOLD_SPECS, name);
}

const RANGE: Record<ThresholdKind, string> = {
  ratio: 'a number in (0, 1]',
  fraction: 'a number in [0, 1]',
  count: 'a whole number ≥ 0',
  tolerance: 'a number ≥ 0',
};

/** Why `value` is not acceptable for threshold `name`, or null when it is. */
export function thresholdProblem(name: ThresholdName, value: unknown): string | null {
  const spec = THRESHOLD_SPECS[name];
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (spec.kind === 'ratio' ? value > 0 && value <= 1 : spec.kind === 'fraction' ? value >= 0 && value <= 1 : spec.kind === 'count' ? Number.isInteger(value) && value >= 0 : value >= 0);
  if (ok) return null;
  const shown = typeof value === 'string' ? `the string ${JSON.stringify(value)}` : value === null ? 'empty' : typeof value === 'object' ? 'a list or mapping' : String(value);
  return `"checks.${name}" must be ${RANGE[spec.kind]} (${spec.meaning}; default ${spec.default}), not ${shown}`;
}
