/**
 * Evaluation of a run's predictions: classification or regression metrics with bootstrap
 * intervals, the confusion matrix and calibration curve, champion vs challenger by a paired
 * bootstrap, and warnings for scores too good to be true or accuracy under class imbalance.
 */
import { ProvenantError } from '../util/errors';
import type { PredictionData } from './dataset';
import * as m from './metrics';
import type { BootstrapSettings, CalibrationBin, ComparisonMetric, ComparisonResult, Estimate, EvaluationResult } from './types';

export interface EvaluateOptions {
  /** Decision threshold on y_score (default: 0.5; ignored when only y_pred is logged). */
  threshold?: number;
  bootstrap?: Partial<BootstrapSettings>;
  /** Bins of the calibration curve (uniform over [0, 1]). */
  calibrationBins?: number;
}

/** Scores at or above this on held-out data deserve a look for leakage. */
export const SUSPICIOUS_SCORE = 0.99;
/** A majority class this large makes accuracy meaningless on its own. */
export const IMBALANCE_SHARE = 0.9;

export function bootstrapSettings(partial: Partial<BootstrapSettings> = {}): BootstrapSettings {
  const s = { ...m.DEFAULT_BOOTSTRAP, ...partial };
  if (!Number.isSafeInteger(s.resamples) || s.resamples < 0) throw new ProvenantError(`the number of bootstrap resamples must be a non-negative integer, got ${s.resamples}`, { code: 'E_USAGE' });
  if (!(s.level > 0 && s.level < 1)) throw new ProvenantError(`the interval level must lie strictly between 0 and 1, got ${s.level}`, { code: 'E_USAGE' });
  return s;
}

export function checkThreshold(t: number): number {
  if (!Number.isFinite(t) || t < 0 || t > 1) throw new ProvenantError(`the decision threshold must lie in [0, 1], got ${t}`, { code: 'E_USAGE' });
  return t;
}

/** Decisions: y_score ≥ threshold when scores are logged, else the logged y_pred. */
export function decisions(data: PredictionData, threshold: number): Float64Array {
  if (data.yScore) return m.decide(data.yScore, threshold);
  if (data.yPred) return data.yPred;
  throw new ProvenantError('the prediction set has neither y_score nor y_pred', { file: data.file, code: 'E_PREDICTIONS_CSV' });
}

/** Multiclass metrics: accuracy, macro and weighted precision/recall/F1, one-vs-rest ROC AUC and log loss from class probabilities. */
function multiclassFunctions(data: PredictionData): Record<string, m.MetricFn> {
  const y = data.yTrue;
  const d = data.yPred!;
  const k = data.classes!.length;
  const scores = (which: 'precision' | 'recall' | 'f1', average: 'macro' | 'weighted'): m.MetricFn => (i) => m.averaged(m.classScores(y, d, k, i), which, average);
  const out: Record<string, m.MetricFn> = {
    accuracy: (i) => m.multiclassAccuracy(y, d, i),
    precision_macro: scores('precision', 'macro'),
    recall_macro: scores('recall', 'macro'),
    f1_macro: scores('f1', 'macro'),
    precision_weighted: scores('precision', 'weighted'),
    recall_weighted: scores('recall', 'weighted'),
    f1_weighted: scores('f1', 'weighted'),
  };
  const p = data.yProba;
  if (p) {
    out.roc_auc_ovr = (i) => m.rocAucOvr(y, p, k, i);
    out.log_loss = (i) => m.multiclassLogLoss(y, p, k, i);
  }
  return out;
}

/** Metric functions of a data set, by name, over row subsets. */
function metricFunctions(data: PredictionData, threshold: number): Record<string, m.MetricFn> {
  const y = data.yTrue;
  if (data.task === 'multiclass') return multiclassFunctions(data);
  if (data.task === 'regression') {
    const p = data.yPred ?? data.yScore;
    if (!p) throw new ProvenantError('the prediction set has neither y_score nor y_pred', { file: data.file, code: 'E_PREDICTIONS_CSV' });
    return { mae: (i) => m.mae(y, p, i), rmse: (i) => m.rmse(y, p, i), r2: (i) => m.r2(y, p, i) };
  }
  const d = decisions(data, threshold);
  const out: Record<string, m.MetricFn> = {
    accuracy: (i) => m.accuracy(y, d, i),
    precision: (i) => m.precision(y, d, i),
    recall: (i) => m.recall(y, d, i),
    f1: (i) => m.f1(y, d, i),
  };
  const s = data.yScore;
  if (s) {
    out.roc_auc = (i) => m.rocAuc(y, s, i);
    out.pr_auc = (i) => m.averagePrecision(y, s, i);
    if (s.every((v) => v >= 0 && v <= 1)) {
      out.log_loss = (i) => m.logLoss(y, s, i);
      out.brier = (i) => m.brier(y, s, i);
    }
  }
  return out;
}

function calibration(y: Float64Array, p: Float64Array, bins: number): CalibrationBin[] {
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 0; i < y.length; i++) {
    // scikit-learn's calibration_curve: searchsorted(edges[1:-1], p) with side='left'.
    let b = 0;
    while (b < bins - 1 && p[i]! > (b + 1) / bins) b++;
    sumP[b] += p[i]!;
    sumY[b] += y[i]!;
    count[b]++;
  }
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) if (count[b]! > 0) out.push({ predicted: sumP[b]! / count[b]!, observed: sumY[b]! / count[b]!, n: count[b]! });
  return out;
}

export function evaluate(data: PredictionData, options: EvaluateOptions = {}): EvaluationResult {
  const settings = bootstrapSettings(options.bootstrap);
  const threshold = checkThreshold(options.threshold ?? 0.5);
  const rows = m.allRows(data.rows);
  const fns = metricFunctions(data, threshold);
  const metrics: Record<string, Estimate> = {};
  for (const [name, fn] of Object.entries(fns)) metrics[name] = m.estimate(fn, rows, settings);

  const warnings: string[] = [];
  for (const name of ['roc_auc', 'roc_auc_ovr', 'pr_auc', 'accuracy', 'r2']) {
    const v = metrics[name]?.value;
    if (v !== undefined && v >= SUSPICIOUS_SCORE) {
      warnings.push(`${name} is ${v.toFixed(4)} on held-out data: a near-perfect score is a warning sign of leakage (a feature derived from the target, or training rows in the holdout). Check before trusting it.`);
    }
  }
  let positiveRate: number | null = null;
  let confusionCounts: EvaluationResult['confusion'] = null;
  let calibrationBins: CalibrationBin[] | null = null;
  let residuals: EvaluationResult['residuals'] = null;
  let multiclass: Pick<EvaluationResult, 'classes' | 'confusionMatrix' | 'perClass'> = {};
  if (data.task === 'multiclass') {
    const classes = data.classes!;
    const scores = m.classScores(data.yTrue, data.yPred!, classes.length, rows);
    const perClass = classes.map((c, k) => ({ class: c, precision: scores.precision[k]!, recall: scores.recall[k]!, f1: scores.f1[k]!, support: scores.support[k]!, share: scores.support[k]! / data.rows }));
    multiclass = { classes, confusionMatrix: m.confusionMatrix(data.yTrue, data.yPred!, classes.length, rows), perClass };
    const largest = perClass.reduce((a, b) => (b.share > a.share ? b : a));
    if (largest.share >= IMBALANCE_SHARE && metrics.accuracy) {
      warnings.push(`accuracy ${metrics.accuracy.value.toFixed(4)} with class ${largest.class} making up ${(largest.share * 100).toFixed(1)}% of the rows: a constant predictor scores ${largest.share.toFixed(4)}. Judge the model by macro F1 or recall instead.`);
    }
  } else if (data.task === 'classification') {
    positiveRate = m.mean(data.yTrue);
    const majority = Math.max(positiveRate, 1 - positiveRate);
    if (majority >= IMBALANCE_SHARE && metrics.accuracy) {
      warnings.push(
        `accuracy ${metrics.accuracy.value.toFixed(4)} with a ${(majority * 100).toFixed(1)}% majority class: a constant predictor scores ${majority.toFixed(4)}. Judge the model by recall, precision, PR AUC or ROC AUC instead.`,
      );
    }
    confusionCounts = m.confusion(data.yTrue, decisions(data, threshold), rows);
    if (data.yScore && metrics.brier) calibrationBins = calibration(data.yTrue, data.yScore, options.calibrationBins ?? 10);
  } else {
    const p = data.yPred ?? data.yScore!;
    const r = Float64Array.from(data.yTrue, (v, i) => v - p[i]!);
    residuals = { mean: m.mean(r), std: m.std(r), min: Math.min(...r), max: Math.max(...r) };
  }
  return {
    run: data.runId,
    set: data.set.name,
    task: data.task,
    rows: data.rows,
    threshold: data.task === 'classification' && data.yScore ? threshold : null,
    positiveRate,
    metrics,
    confusion: confusionCounts,
    calibration: calibrationBins,
    residuals,
    bootstrap: settings,
    warnings,
    ...multiclass,
  };
}

/** Metrics where lower is better (their "better" direction flips). */
const LOWER_IS_BETTER = new Set(['log_loss', 'brier', 'mae', 'rmse']);

/**
 * Champion vs challenger on the same rows: each resample draws one set of rows and scores both
 * models on it, so the interval of the difference accounts for their correlation.
 */
export function compare(champion: PredictionData, challenger: PredictionData, options: EvaluateOptions = {}): ComparisonResult {
  const settings = bootstrapSettings(options.bootstrap);
  const threshold = checkThreshold(options.threshold ?? 0.5);
  if (champion.rows !== challenger.rows || champion.task !== challenger.task || champion.yTrue.some((v, i) => v !== challenger.yTrue[i])) {
    throw new ProvenantError(`runs ${champion.runId} and ${challenger.runId} were not scored on the same rows (${champion.rows} vs ${challenger.rows} rows, or different targets): a paired comparison needs the same holdout set in the same order`, {
      file: challenger.file,
      hint: 'Compare runs that split the data the same way (same seed and split parameters).',
      code: 'E_NOT_PAIRED',
    });
  }
  const a = metricFunctions(champion, threshold);
  const b = metricFunctions(challenger, threshold);
  const names = Object.keys(a).filter((n) => n in b);
  const rows = m.allRows(champion.rows);
  const draws = names.map(() => new Float64Array(settings.resamples));
  const worse = names.map(() => 0);
  m.forEachResample(rows, settings, (idx, r) => {
    names.forEach((name, k) => {
      const d = b[name]!(idx) - a[name]!(idx);
      draws[k]![r] = d;
      if (LOWER_IS_BETTER.has(name) ? !(d < 0) : !(d > 0)) worse[k]!++;
    });
  });
  const metrics: ComparisonMetric[] = names.map((name, k) => {
    const ca = a[name]!(rows);
    const cb = b[name]!(rows);
    return { metric: name, champion: ca, challenger: cb, difference: m.interval(cb - ca, draws[k]!, settings.level), pNotBetter: settings.resamples ? worse[k]! / settings.resamples : Number.NaN };
  });
  const warnings: string[] = [];
  for (const metric of metrics) {
    const { low, high } = metric.difference;
    if (low !== null && high !== null && low <= 0 && high >= 0) warnings.push(`${metric.metric}: the ${Math.round(settings.level * 100)}% interval of the difference includes 0; the challenger is not shown to differ.`);
  }
  return { champion: champion.runId, challenger: challenger.runId, set: champion.set.name, rows: champion.rows, metrics, bootstrap: settings, warnings };
}
