/**
 * Results of the analysis engine: evaluation, fairness and explanations. These shapes are what
 * `provenant eval|fairness|explain --json` prints, what the analysis panel receives, and what is
 * stored under `.provenant/runs/<id>/analysis/`. Fields may be added; none is renamed.
 */

/** A value with its bootstrap confidence interval (percentile method). */
export interface Estimate {
  value: number;
  /** Lower and upper bound, or null when the interval is undefined (e.g. a class absent). */
  low: number | null;
  high: number | null;
}

/** How an interval was obtained: resamples over rows, the seed, and the level. */
export interface BootstrapSettings {
  resamples: number;
  seed: number;
  level: number;
}

/** `classification` is binary (a positive class against the rest); `multiclass` has three or more classes. */
export type Task = 'classification' | 'multiclass' | 'regression';

export interface CalibrationBin {
  /** Mean predicted probability of the rows in the bin. */
  predicted: number;
  /** Share of positives among them. */
  observed: number;
  n: number;
}

export interface EvaluationResult {
  run: string;
  set: string;
  task: Task;
  rows: number;
  /** Decision threshold on y_score that gave y_pred (classification with scores). */
  threshold: number | null;
  /** Share of the positive class (classification). */
  positiveRate: number | null;
  metrics: Record<string, Estimate>;
  confusion: { tp: number; fp: number; tn: number; fn: number } | null;
  calibration: CalibrationBin[] | null;
  /** Regression: residual summary (y_true − prediction). */
  residuals: { mean: number; std: number; min: number; max: number } | null;
  bootstrap: BootstrapSettings;
  warnings: string[];
  /** Multiclass: the class labels, in the order of `confusionMatrix` and `perClass`. */
  classes?: string[];
  /** Multiclass: counts, rows the true class and columns the predicted one. */
  confusionMatrix?: number[][];
  /** Multiclass: scores of each class (one-vs-rest), with its share of the rows. */
  perClass?: { class: string; precision: number; recall: number; f1: number; support: number; share: number }[];
}

export interface ComparisonMetric {
  metric: string;
  champion: number;
  challenger: number;
  /** challenger − champion, with its paired bootstrap interval. */
  difference: Estimate;
  /** Share of resamples where the challenger did not beat the champion. */
  pNotBetter: number;
}

export interface ComparisonResult {
  champion: string;
  challenger: string;
  set: string;
  rows: number;
  metrics: ComparisonMetric[];
  bootstrap: BootstrapSettings;
  warnings: string[];
}

export interface GroupMetrics {
  group: string;
  n: number;
  /** Rows with y_true positive. */
  positives: number;
  selectionRate: number;
  tpr: number | null;
  fpr: number | null;
  accuracy: number;
  selectionRateInterval: [number, number] | null;
  tprInterval: [number, number] | null;
  fprInterval: [number, number] | null;
}

export interface FourFifths {
  pass: boolean;
  /** Lowest group selection rate / highest. */
  ratio: number;
  /** Bootstrap interval of that ratio. */
  interval: [number, number] | null;
  /** Groups whose rate is below `threshold` (4/5 by default) of the highest group's. */
  flagged: string[];
  /** Groups smaller than the minimum group size: the ratio means little then. */
  smallGroups: string[];
  minGroupSize: number;
  /** The ratio below which the rule fails (config `checks.four_fifths`, default 0.8); absent in results stored before it was recorded. */
  threshold?: number;
}

export interface FairnessResult {
  attribute: string;
  threshold: number | null;
  groups: GroupMetrics[];
  overall: { n: number; selectionRate: number; tpr: number | null; fpr: number | null };
  demographicParityDifference: number;
  demographicParityRatio: number;
  equalOpportunityDifference: number | null;
  equalOpportunityRatio: number | null;
  equalizedOddsDifference: number | null;
  equalizedOddsRatio: number | null;
  /** Fairlearn `method='to_overall'`: largest gap (difference) / smallest ratio between a group and the overall value. */
  toOverall: { demographicParityDifference: number; demographicParityRatio: number; equalOpportunityDifference: number | null; equalizedOddsDifference: number | null };
  privileged: string;
  unprivileged: string;
  /** AIF360, unprivileged vs privileged. */
  statisticalParityDifference: number;
  disparateImpact: number;
  aif360EqualOpportunityDifference: number | null;
  averageOddsDifference: number | null;
  fourFifths: FourFifths;
  bootstrap: BootstrapSettings;
  warnings: string[];
}

/** Per-group rates as the decision threshold moves (threshold explorer). */
export interface ThresholdCurve {
  group: string;
  n: number;
  positives: number;
  /** selectionRate[i], tpr[i], fpr[i] at thresholds[i]. */
  selectionRate: number[];
  tpr: (number | null)[];
  fpr: (number | null)[];
}

export interface ThresholdExplorer {
  attribute: string;
  thresholds: number[];
  groups: ThresholdCurve[];
  overall: ThresholdCurve;
}

export interface PermutationImportance {
  feature: string;
  importance: number;
  std: number;
  /** Score drop of each repeat. */
  repeats: number[];
}

export interface PartialDependence {
  feature: string;
  kind: 'numeric' | 'categorical';
  grid: (number | string)[];
  average: number[];
  /** ICE: one curve per row (at most `maxIceRows` rows), rows given by `rows`. */
  individual: number[][];
  rows: number[];
}

export interface ShapleyExplanation {
  row: number;
  baseValue: number;
  prediction: number;
  values: Record<string, number>;
  /** The row's feature values, as sent to the model. */
  features: Record<string, number | string>;
}

export type ExplainMethod = 'permutation' | 'pdp' | 'shapley';

/** What every stored explanation records about how it was obtained. */
export interface ExplanationCost {
  /** Rows the model was asked to predict. */
  modelEvaluations: number;
  /** Wall time while the predictor had work outstanding. */
  predictorMs: number;
  /** Wall time of the whole computation. */
  totalMs: number;
}
