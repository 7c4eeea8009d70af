/**
 * A run's prediction set (`predictions.csv` + the record's `predictions` entry) as typed columns:
 * the target as 0/1 (classification) or numbers (regression), scores, decisions, model features
 * (numeric as Float64Array, categorical as codes with their categories) and group columns.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { ProvenantConfig } from '../config/config';
import type { PredictionSet, RunRecord } from '../runs/types';
import { RUNS_DIR, runFile } from '../runs/store';
import { ProvenantError, describeError } from '../util/errors';
import type { Task } from './types';

export interface FeatureColumn {
  name: string;
  kind: 'numeric' | 'categorical';
  /** Numeric: the values; categorical: the index into `categories`. */
  values: Float64Array;
  categories: string[] | null;
}

export interface PredictionData {
  runId: string;
  set: PredictionSet;
  /** Workspace-relative path of the CSV, for messages. */
  file: string;
  rows: number;
  task: Task;
  /** 0/1 for classification, the class index (into `classes`) for multiclass, the values for regression. */
  yTrue: Float64Array;
  /** Scores (probability of the positive class, or the regression prediction), or null. */
  yScore: Float64Array | null;
  /** Decisions as logged (0/1 for classification, class index for multiclass; from y_proba's most likely class when only it is logged), or null. */
  yPred: Float64Array | null;
  /** Multiclass: the class labels in order (numeric order for numbers, else text order). */
  classes?: string[];
  /** Multiclass: class probabilities, rows × classes row-major in `classes` order, or null. */
  yProba?: Float64Array | null;
  /** Every column of the CSV as text (features and groups alike), by name. */
  raw: Map<string, string[]>;
  /** Model inputs, in the model's order. */
  features: FeatureColumn[];
  /** Where the feature order came from. */
  featureSource: string;
}

export interface LoadOptions {
  /** Prediction set name (default: `holdout`, else the first). */
  set?: string;
  /** Model inputs in order; default: the rule of `modelFeatureNames`. */
  features?: string[];
}

/**
 * The model's input columns, in order: the run's `features` param (a comma-separated list, as the
 * hiring demo logs it) when present, else the prediction set's feature columns minus the
 * sensitive attributes and the target.
 */
export function modelFeatureNames(run: RunRecord, set: PredictionSet, config: ProvenantConfig): { names: string[]; source: string } {
  const param = run.params.features;
  if (typeof param === 'string' && param.trim()) {
    return { names: param.split(',').map((s) => s.trim()).filter(Boolean), source: 'run param "features"' };
  }
  const excluded = new Set([...config.sensitiveAttributes, ...(config.target ? [config.target] : [])]);
  return { names: set.features.filter((f) => !excluded.has(f)), source: 'prediction features minus sensitive attributes' };
}

export function predictionSet(run: RunRecord, name?: string): PredictionSet {
  const set = name ? run.predictions.find((p) => p.name === name) : (run.predictions.find((p) => p.name === 'holdout') ?? run.predictions[0]);
  if (!set) {
    throw new ProvenantError(name ? `run ${run.id} has no prediction set "${name}" (it has: ${run.predictions.map((p) => p.name).join(', ') || 'none'})` : `run ${run.id} logged no predictions`, {
      file: `${RUNS_DIR}/${run.id}/predictions.json`,
      hint: 'Log holdout predictions from the training script: provenant.log_predictions(y_true, y_score=..., features={...}).',
      code: 'E_NO_PREDICTIONS',
    });
  }
  return set;
}

/**
 * Most distinct values an integer-valued target may have and still be taken as class labels
 * (with three or more, and no fractional prediction logged): above it, a numeric target is a
 * regression target.
 */
export const MAX_CLASSES = 20;

function isNumeric(text: string): boolean {
  return text.trim() !== '' && Number.isFinite(Number(text));
}

function labelIsPositive(value: string, positive: string | number | boolean | undefined): boolean {
  if (positive === undefined) return Number(value) === 1;
  if (typeof positive === 'boolean') return value.toLowerCase() === String(positive) || (isNumeric(value) && Number(value) === (positive ? 1 : 0));
  if (typeof positive === 'number') return isNumeric(value) && Number(value) === positive;
  return value === positive;
}

/** Parses CSV text into columns; errors name the file and the line. */
export function parseCsvColumns(text: string, file: string): { header: string[]; columns: string[][] } {
  let records: string[][];
  try {
    records = parse(text, { bom: true, relax_column_count: false, skip_empty_lines: true }) as string[][];
  } catch (err) {
    throw new ProvenantError(`the predictions file is not valid CSV: ${describeError(err)}`, { file, hint: 'It is written by provenant.log_predictions; re-run the training script to rewrite it.', code: 'E_PREDICTIONS_CSV' });
  }
  if (records.length === 0) throw new ProvenantError('the predictions file is empty', { file, hint: 'Re-run the training script.', code: 'E_PREDICTIONS_CSV' });
  const header = records[0]!;
  const columns = header.map(() => [] as string[]);
  for (let r = 1; r < records.length; r++) {
    const record = records[r]!;
    for (let c = 0; c < header.length; c++) columns[c]!.push(record[c]!);
  }
  return { header, columns };
}

/** Loads a run's prediction set; every problem is a ProvenantError naming the file. */
export function loadPredictions(root: string, run: RunRecord, config: ProvenantConfig, options: LoadOptions = {}): PredictionData {
  const set = predictionSet(run, options.set);
  if (!/^[\w.-]+$/.test(set.file)) throw new ProvenantError(`the prediction file name "${set.file}" is not a plain file name`, { file: `${RUNS_DIR}/${run.id}/run.json`, code: 'E_PREDICTIONS_CSV' });
  const display = `${RUNS_DIR}/${run.id}/${set.file}`;
  const path = runFile(root, run.id, set.file);
  if (!existsSync(path)) throw new ProvenantError('the predictions file is missing', { file: display, hint: 'The run record lists it, but the run folder does not hold it; restore the run folder from refs/provenant/runs/' + run.id + '.', code: 'E_PREDICTIONS_CSV' });
  const { header, columns } = parseCsvColumns(readFileSync(path, 'utf8'), display);
  const raw = new Map<string, string[]>();
  header.forEach((name, i) => raw.set(name, columns[i]!));
  const rows = columns[0]?.length ?? 0;
  if (rows === 0) throw new ProvenantError('the predictions file has a header but no rows', { file: display, hint: 'Log at least one prediction.', code: 'E_PREDICTIONS_CSV' });
  const column = (name: string, role: string): string[] => {
    const values = raw.get(name);
    if (!values) throw new ProvenantError(`the ${role} column "${name}" is missing (columns: ${header.join(', ')})`, { file: display, hint: 'The run record and the CSV disagree; re-run the training script.', code: 'E_PREDICTIONS_CSV' });
    return values;
  };
  const numbers = (name: string, role: string): Float64Array => {
    const values = column(name, role);
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = Number(values[i]);
      if (values[i]!.trim() === '' || !Number.isFinite(v)) {
        throw new ProvenantError(`row ${i + 2}: the ${role} column "${name}" holds "${values[i]!.slice(0, 40)}", not a number`, { file: display, hint: 'Scores and regression targets must be finite numbers.', code: 'E_PREDICTIONS_CSV' });
      }
      out[i] = v;
    }
    return out;
  };

  const truthText = column(set.yTrue, 'target');
  const distinct = new Set(truthText);
  const numericLabels = [...distinct].filter((v) => isNumeric(v));
  if (numericLabels.length && numericLabels.length < distinct.size) {
    const text = [...distinct].filter((v) => !isNumeric(v)).slice(0, 3);
    throw new ProvenantError(`the target column "${set.yTrue}" mixes numbers with text (${text.map((v) => JSON.stringify(v.slice(0, 40))).join(', ')})`, { file: display, hint: 'The predictions file looks damaged; re-run the training script.', code: 'E_TARGET' });
  }
  const task = targetTask(set, truthText, raw, config);
  let yTrue: Float64Array;
  let yScore: Float64Array | null = null;
  let yPred: Float64Array | null = null;
  let classes: string[] | undefined;
  let yProba: Float64Array | null = null;
  if (task === 'multiclass') {
    ({ classes, yTrue, yPred, yProba } = multiclassColumns(set, truthText, column, numbers, display));
    // A recorded score column is evidence too: it must hold numbers even when the task ignores it.
    if (set.yScore) numbers(set.yScore, 'score');
  } else if (task === 'classification') {
    yTrue = Float64Array.from(truthText, (v) => (labelIsPositive(v, config.positiveLabel) ? 1 : 0));
    if (config.positiveLabel === undefined && ![...distinct].every((v) => isNumeric(v) && (Number(v) === 0 || Number(v) === 1))) {
      throw new ProvenantError(`the target column "${set.yTrue}" holds ${[...distinct].map((v) => JSON.stringify(v)).join(' and ')}: which one is the positive class?`, { file: display, hint: 'Set positive_label in .provenant/config.yaml.', code: 'E_TARGET' });
    }
    yScore = set.yScore ? numbers(set.yScore, 'score') : null;
    if (set.yPred) yPred = Float64Array.from(column(set.yPred, 'prediction'), (v) => (labelIsPositive(v, config.positiveLabel) ? 1 : 0));
  } else {
    yTrue = numbers(set.yTrue, 'target');
    yScore = set.yScore ? numbers(set.yScore, 'score') : null;
    if (set.yPred) yPred = numbers(set.yPred, 'prediction');
  }

  const { names, source } = options.features ? { names: options.features, source: 'given' } : modelFeatureNames(run, set, config);
  const features: FeatureColumn[] = names.map((name) => {
    const values = column(name, 'feature');
    if (values.every(isNumeric)) return { name, kind: 'numeric', values: Float64Array.from(values, Number), categories: null };
    const categories = [...new Set(values)].sort();
    const index = new Map(categories.map((c, i) => [c, i]));
    return { name, kind: 'categorical', values: Float64Array.from(values, (v) => index.get(v)!), categories };
  });
  return { runId: run.id, set, file: display, rows, task, yTrue, yScore, yPred, ...(classes ? { classes, yProba } : {}), raw, features, featureSource: source };
}

const isInteger = (text: string) => isNumeric(text) && Number.isInteger(Number(text));

/**
 * The task a target calls for:
 * - `positive_label` set: binary classification, that label against the rest;
 * - two distinct values: binary classification;
 * - labels that are not numbers, or class probabilities logged (`y_proba`): multiclass;
 * - whole numbers with at most MAX_CLASSES distinct values, and no fractional y_pred or y_score:
 *   multiclass;
 * - otherwise (fractions, or many distinct whole numbers): regression.
 */
export function targetTask(set: PredictionSet, truth: string[], raw: Map<string, string[]>, config: ProvenantConfig): Task {
  const distinct = new Set(truth);
  if (config.positiveLabel !== undefined || distinct.size <= 2) return 'classification';
  if (set.yProba || !truth.every(isNumeric)) return 'multiclass';
  if (!truth.every(isInteger) || distinct.size > MAX_CLASSES) return 'regression';
  const fractional = [set.yPred, set.yScore].some((name) => name !== null && (raw.get(name) ?? []).some((v) => !isInteger(v)));
  return fractional ? 'regression' : 'multiclass';
}

/** Class order: numeric when every label is a number, else text order (as numpy's unique sorts them). */
function sortLabels(labels: Iterable<string>): string[] {
  const list = [...new Set(labels)];
  return list.every(isNumeric) ? list.sort((a, b) => Number(a) - Number(b)) : list.sort();
}

/** Index of a label among classes, matching numbers by value (`1` and `1.0` are the same class). */
function classIndex(classes: string[], label: string): number {
  const exact = classes.indexOf(label);
  if (exact >= 0 || !isNumeric(label)) return exact;
  return classes.findIndex((c) => isNumeric(c) && Number(c) === Number(label));
}

function multiclassColumns(
  set: PredictionSet,
  truth: string[],
  column: (name: string, role: string) => string[],
  numbers: (name: string, role: string) => Float64Array,
  file: string,
): { classes: string[]; yTrue: Float64Array; yPred: Float64Array | null; yProba: Float64Array | null } {
  const predText = set.yPred ? column(set.yPred, 'prediction') : null;
  const classes = set.yProba ? sortLabels(set.yProba.classes) : sortLabels([...truth, ...(predText ?? [])]);
  const index = (label: string, role: string, row: number): number => {
    const k = classIndex(classes, label);
    if (k < 0) {
      throw new ProvenantError(`row ${row + 2}: the ${role} "${label.slice(0, 40)}" is not one of the classes of the probabilities (${classes.join(', ')})`, {
        file,
        hint: 'Log y_proba with classes=model.classes_ of a model trained on every class.',
        code: 'E_TARGET',
      });
    }
    return k;
  };
  const yTrue = Float64Array.from(truth, (v, i) => index(v, 'target', i));
  let yProba: Float64Array | null = null;
  if (set.yProba) {
    const k = classes.length;
    yProba = new Float64Array(truth.length * k);
    set.yProba.columns.forEach((name, c) => {
      const to = classIndex(classes, set.yProba!.classes[c]!);
      const values = numbers(name, `probability of class ${set.yProba!.classes[c]}`);
      for (let i = 0; i < values.length; i++) yProba![i * k + to] = values[i]!;
    });
  }
  let yPred: Float64Array | null = predText ? Float64Array.from(predText, (v, i) => index(v, 'prediction', i)) : null;
  if (!yPred && yProba) {
    const k = classes.length;
    yPred = Float64Array.from({ length: truth.length }, (_, i) => {
      let best = 0;
      for (let c = 1; c < k; c++) if (yProba![i * k + c]! > yProba![i * k + best]!) best = c;
      return best;
    });
  }
  if (!yPred) throw new ProvenantError(`the target "${set.yTrue}" has ${classes.length} classes, but the predictions hold neither y_pred nor class probabilities`, { file, hint: 'Log y_pred=model.predict(X), and y_proba=model.predict_proba(X) with classes=model.classes_.', code: 'E_PREDICTIONS_CSV' });
  return { classes, yTrue, yPred, yProba };
}
