/**
 * Model explanations through any predictor (reference/analysis.md): permutation importance,
 * partial dependence with ICE, and Shapley values (exact enumeration of coalitions for few
 * features, antithetic permutation sampling beyond). Every perturbed row of a step is built in
 * one typed array and sent to the model in large batches; the arithmetic around it is linear.
 */
import { ProvenantError } from '../util/errors';
import type { FeatureColumn, PredictionData } from './dataset';
import * as m from './metrics';
import type { RowBatch } from './predictor';
import { Random } from './random';
import type { PartialDependence, PermutationImportance, ShapleyExplanation } from './types';

/** What the explainers need from a model: predictions for a batch of rows. */
export interface Model {
  predict(batch: RowBatch): Promise<Float64Array>;
}

export interface Progress {
  (done: number, total: number, what: string): void;
}

export interface ExplainContext {
  model: Model;
  signal?: AbortSignal;
  progress?: Progress;
}

/** A model of one class's probability, out of a model answering every class's (width a row). */
export function classColumn(model: Model, width: number, column: number): Model {
  return {
    async predict(b: RowBatch): Promise<Float64Array> {
      const p = await model.predict(b);
      return Float64Array.from({ length: p.length / width }, (_, i) => p[i * width + column]!);
    },
  };
}

/** The model inputs as one row-major matrix. */
export interface Matrix {
  values: Float64Array;
  rows: number;
  columns: number;
  names: string[];
  kinds: FeatureColumn['kind'][];
  categories: (string[] | null)[];
}

export function featureMatrix(features: FeatureColumn[], rows?: ArrayLike<number>): Matrix {
  const n = rows ? rows.length : (features[0]?.values.length ?? 0);
  const cols = features.length;
  const values = new Float64Array(n * cols);
  for (let j = 0; j < cols; j++) {
    const col = features[j]!.values;
    for (let r = 0; r < n; r++) values[r * cols + j] = col[rows ? rows[r]! : r]!;
  }
  return { values, rows: n, columns: cols, names: features.map((f) => f.name), kinds: features.map((f) => f.kind), categories: features.map((f) => f.categories) };
}

function batch(x: Matrix, values: Float64Array): RowBatch {
  return { values, columns: x.columns, categories: x.categories };
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ProvenantError('the analysis was cancelled', { code: 'E_CANCELLED' });
}

function featureIndex(x: Matrix, names: string[] | undefined): number[] {
  if (!names) return x.names.map((_, j) => j);
  return names.map((name) => {
    const j = x.names.indexOf(name);
    if (j < 0) throw new ProvenantError(`"${name}" is not a model feature (features: ${x.names.join(', ')})`, { code: 'E_USAGE' });
    return j;
  });
}

// ---------------------------------------------------------------------------------------------
// Permutation importance
// ---------------------------------------------------------------------------------------------

export type Scoring = 'roc_auc' | 'accuracy' | 'neg_log_loss' | 'r2' | 'neg_mean_absolute_error';

export interface PermutationSettings {
  repeats: number;
  seed: number;
  scoring: Scoring;
  /** Decision threshold for `accuracy`. */
  threshold: number;
}

/**
 * The score of predictions against `y`. With `width` > 1 the predictions are class probabilities
 * (width a row) and `y` the column of each row's true class: accuracy of the most likely class,
 * or the negated multiclass log loss.
 */
export function scorer(scoring: Scoring, y: Float64Array, threshold: number, width = 1): (p: Float64Array) => number {
  const all = m.allRows(y.length);
  if (width > 1) {
    if (scoring === 'accuracy') return (p) => m.multiclassAccuracy(y, m.argmax(p, width), all);
    if (scoring === 'neg_log_loss') return (p) => -m.multiclassLogLoss(y, p, width, all);
    throw new ProvenantError(`scoring "${scoring}" does not apply to ${width} classes: use accuracy or neg_log_loss`, { code: 'E_USAGE' });
  }
  switch (scoring) {
    case 'roc_auc':
      return (p) => m.rocAuc(y, p, all);
    case 'accuracy':
      return (p) => m.accuracy(y, m.decide(p, threshold), all);
    case 'neg_log_loss':
      return (p) => -m.logLoss(y, p, all);
    case 'r2':
      return (p) => m.r2(y, p, all);
    case 'neg_mean_absolute_error':
      return (p) => -m.mae(y, p, all);
  }
}

/** scikit-learn's `permutation_importance`: baseline score − score with column j shuffled, over repeats. */
export async function permutationImportance(x: Matrix, y: Float64Array, settings: PermutationSettings, ctx: ExplainContext, width = 1): Promise<{ result: PermutationImportance[]; baseline: number }> {
  const score = scorer(settings.scoring, y, settings.threshold, width);
  const rng = new Random(settings.seed);
  const { rows: n, columns: cols } = x;
  const total = cols * settings.repeats + 1;
  ctx.progress?.(0, total, 'permutation importance');
  const baseline = score(await ctx.model.predict(batch(x, x.values)));
  const result: PermutationImportance[] = [];
  const order = new Int32Array(n);
  // All repeats of one feature in one request; the next feature's request is built and sent
  // while the model works on the current one.
  const request = (j: number): Promise<Float64Array> => {
    const values = new Float64Array(n * cols * settings.repeats);
    for (let r = 0; r < settings.repeats; r++) {
      for (let i = 0; i < n; i++) order[i] = i;
      rng.shuffle(order);
      const block = values.subarray(r * n * cols, (r + 1) * n * cols);
      block.set(x.values);
      for (let i = 0; i < n; i++) block[i * cols + j] = x.values[order[i]! * cols + j]!;
    }
    return ctx.model.predict(batch(x, values));
  };
  let pending = cols > 0 ? request(0) : null;
  try {
    for (let j = 0; j < cols; j++) {
      checkAbort(ctx.signal);
      const current = pending!;
      pending = j + 1 < cols ? request(j + 1) : null;
      const predictions = await current;
      const drops = Array.from({ length: settings.repeats }, (_, r) => baseline - score(predictions.subarray(r * n * width, (r + 1) * n * width)));
      result.push({ feature: x.names[j]!, importance: m.mean(drops), std: m.std(drops), repeats: drops });
      ctx.progress?.(1 + (j + 1) * settings.repeats, total, 'permutation importance');
    }
  } finally {
    // A failed feature must not leave its prefetched successor unobserved.
    await pending?.catch(() => undefined);
  }
  return { result, baseline };
}

// ---------------------------------------------------------------------------------------------
// Partial dependence and ICE
// ---------------------------------------------------------------------------------------------

export interface DependenceSettings {
  gridResolution: number;
  /** Percentiles bounding a numeric grid. */
  percentiles: [number, number];
  /** ICE curves kept (rows drawn with the seed); the average uses every row. */
  maxIceRows: number;
  seed: number;
  features?: string[];
}

/** scipy's `mstats.mquantiles` with its defaults (alphap = betap = 0.4), as scikit-learn's grid uses. */
export function mquantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  const aleph = n * p + 0.4 + p * (1 - 0.4 - 0.4);
  const k = Math.floor(Math.min(Math.max(aleph, 1), n - 1));
  const gamma = Math.min(Math.max(aleph - k, 0), 1);
  return (1 - gamma) * sorted[k - 1]! + gamma * sorted[k]!;
}

/** The grid of scikit-learn's `_grid_from_X`: the unique values when fewer than the resolution (or categorical), else evenly spaced between percentiles. */
export function dependenceGrid(values: Float64Array, kind: FeatureColumn['kind'], settings: Pick<DependenceSettings, 'gridResolution' | 'percentiles'>): number[] {
  const uniques = [...new Set(values)].sort((a, b) => a - b);
  if (kind === 'categorical' || uniques.length < settings.gridResolution) return uniques;
  const sorted = Float64Array.from(values).sort();
  const lo = mquantile(sorted, settings.percentiles[0]);
  const hi = mquantile(sorted, settings.percentiles[1]);
  if (Math.abs(hi - lo) <= 1e-8 + 1e-5 * Math.abs(hi)) throw new ProvenantError('the percentiles are too close to each other to build the grid', { code: 'E_USAGE' });
  const g = settings.gridResolution;
  // numpy.linspace: start + step * i, with the last point exactly `stop`.
  const step = (hi - lo) / (g - 1);
  return Array.from({ length: g }, (_, i) => (i === g - 1 ? hi : lo + step * i));
}

/** Partial dependence (brute method) and ICE curves for each feature. */
export async function partialDependence(x: Matrix, settings: DependenceSettings, ctx: ExplainContext): Promise<PartialDependence[]> {
  const targets = featureIndex(x, settings.features);
  const { rows: n, columns: cols } = x;
  const iceRows = n <= settings.maxIceRows ? m.allRows(n) : new Random(settings.seed).sample(n, settings.maxIceRows);
  const out: PartialDependence[] = [];
  ctx.progress?.(0, targets.length, 'partial dependence');
  const request = (j: number): { grid: number[]; predictions: Promise<Float64Array> } => {
    const column = Float64Array.from({ length: n }, (_, i) => x.values[i * cols + j]!);
    const grid = dependenceGrid(column, x.kinds[j]!, settings);
    const values = new Float64Array(n * cols * grid.length);
    for (let g = 0; g < grid.length; g++) {
      const block = values.subarray(g * n * cols, (g + 1) * n * cols);
      block.set(x.values);
      for (let i = 0; i < n; i++) block[i * cols + j] = grid[g]!;
    }
    return { grid, predictions: ctx.model.predict(batch(x, values)) };
  };
  // The next feature's rows are built and sent while the model works on the current ones.
  let pending = targets.length ? request(targets[0]!) : null;
  try {
    for (const [t, j] of targets.entries()) {
      checkAbort(ctx.signal);
      const current = pending!;
      pending = t + 1 < targets.length ? request(targets[t + 1]!) : null;
      const { grid } = current;
      const p = await current.predictions;
      const average = grid.map((_, g) => m.mean(p.subarray(g * n, (g + 1) * n)));
      const individual = Array.from(iceRows, (i) => grid.map((_, g) => p[g * n + i]!));
      const cats = x.categories[j];
      out.push({ feature: x.names[j]!, kind: x.kinds[j]!, grid: cats ? grid.map((v) => cats[v]!) : grid, average, individual, rows: Array.from(iceRows) });
      ctx.progress?.(t + 1, targets.length, 'partial dependence');
    }
  } finally {
    await pending?.predictions.catch(() => undefined);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shapley values
// ---------------------------------------------------------------------------------------------

export interface ShapleySettings {
  /** 'auto': exact when there are at most `exactMaxFeatures` features, else permutation sampling. */
  algorithm: 'auto' | 'exact' | 'permutation';
  backgroundSize: number;
  /** Coalitions evaluated per explained row by the permutation estimator (SHAP's max_evals). */
  maxEvals: number;
  seed: number;
  exactMaxFeatures: number;
}

export interface ShapleyRun {
  result: ShapleyExplanation[];
  algorithm: 'exact' | 'permutation';
  background: number[];
  coalitionsPerRow: number;
  permutations: number | null;
}

function factorial(k: number): number {
  let f = 1;
  for (let i = 2; i <= k; i++) f *= i;
  return f;
}

/** Rows x_S ∪ b_{F∖S} for every coalition (bit j of mask set: feature j from x) and background row. */
function coalitionRows(x: Matrix, row: number, background: Int32Array, masks: ArrayLike<number> | boolean[][], exact: boolean): Float64Array {
  const cols = x.columns;
  const B = background.length;
  const count = masks.length;
  const values = new Float64Array(count * B * cols);
  const xi = x.values.subarray(row * cols, (row + 1) * cols);
  for (let c = 0; c < count; c++) {
    const mask = masks[c]!;
    for (let b = 0; b < B; b++) {
      const offset = (c * B + b) * cols;
      values.set(x.values.subarray(background[b]! * cols, (background[b]! + 1) * cols), offset);
      for (let j = 0; j < cols; j++) {
        const fromX = exact ? ((mask as number) >> j) & 1 : (mask as boolean[])[j];
        if (fromX) values[offset + j] = xi[j]!;
      }
    }
  }
  return values;
}

/** Mean over the background of each coalition's predictions. */
function coalitionValues(p: Float64Array, coalitions: number, B: number): Float64Array {
  const v = new Float64Array(coalitions);
  for (let c = 0; c < coalitions; c++) {
    let sum = 0;
    for (let b = 0; b < B; b++) sum += p[c * B + b]!;
    v[c] = sum / B;
  }
  return v;
}

/**
 * Interventional Shapley values of the given rows: v(S) = mean over background rows b of
 * f(x_S, b_{F∖S}). Exact: all 2^M coalitions. Permutation: antithetic pairs of random orders,
 * each contributing v(prefix ∪ j) − v(prefix); efficiency holds exactly either way.
 */
export async function shapley(x: Matrix, rows: number[], settings: ShapleySettings, ctx: ExplainContext): Promise<ShapleyRun> {
  const M = x.columns;
  for (const r of rows) {
    if (!Number.isSafeInteger(r) || r < 0 || r >= x.rows) throw new ProvenantError(`row ${r} is not a row of the predictions (0…${x.rows - 1})`, { code: 'E_USAGE' });
  }
  const exact = settings.algorithm === 'exact' || (settings.algorithm === 'auto' && M <= settings.exactMaxFeatures);
  if (exact && M > 20) throw new ProvenantError(`exact Shapley values over ${M} features need 2^${M} coalitions per row; use the permutation algorithm`, { code: 'E_USAGE' });
  const rng = new Random(settings.seed);
  const background = rng.sample(x.rows, settings.backgroundSize);
  const B = background.length;

  let masks: number[] | boolean[][] = [];
  const sampled: boolean[][] = [];
  let permutations: number | null = null;
  let orders: Int32Array[] = [];
  if (exact) {
    masks = Array.from({ length: 1 << M }, (_, i) => i);
  } else {
    const pairs = Math.max(1, Math.floor((settings.maxEvals - 2) / (2 * Math.max(1, M - 1))));
    permutations = pairs * 2;
    masks = sampled;
    // Coalition 0: empty, 1: full; then the interior prefixes of each order.
    sampled.push(new Array<boolean>(M).fill(false), new Array<boolean>(M).fill(true));
    for (let p = 0; p < pairs; p++) {
      const forward = rng.shuffle(Int32Array.from({ length: M }, (_, i) => i));
      const reverse = Int32Array.from(forward).reverse();
      for (const order of [forward, reverse]) {
        orders.push(order);
        const mask = new Array<boolean>(M).fill(false);
        for (let k = 0; k < M - 1; k++) {
          mask[order[k]!] = true;
          sampled.push([...mask]);
        }
      }
    }
  }
  const weights = Array.from({ length: M }, (_, s) => (factorial(s) * factorial(M - s - 1)) / factorial(M));

  const explain = async (row: number): Promise<ShapleyExplanation> => {
    const p = await ctx.model.predict(batch(x, coalitionRows(x, row, background, masks, exact)));
    const v = coalitionValues(p, masks.length, B);
    const phi = new Float64Array(M);
    let base: number;
    let full: number;
    if (exact) {
      base = v[0]!;
      full = v[(1 << M) - 1]!;
      for (let j = 0; j < M; j++) {
        const bit = 1 << j;
        let sum = 0;
        for (let S = 0; S < 1 << M; S++) {
          if (S & bit) continue;
          let size = 0;
          for (let t = S; t; t &= t - 1) size++;
          sum += weights[size]! * (v[S | bit]! - v[S]!);
        }
        phi[j] = sum;
      }
    } else {
      base = v[0]!;
      full = v[1]!;
      let c = 2;
      for (const order of orders) {
        let previous = base;
        for (let k = 0; k < M; k++) {
          const current = k === M - 1 ? full : v[c++]!;
          phi[order[k]!] += current - previous;
          previous = current;
        }
      }
      for (let j = 0; j < M; j++) phi[j]! /= orders.length;
    }
    const values: Record<string, number> = {};
    const features: Record<string, number | string> = {};
    x.names.forEach((name, j) => {
      values[name] = phi[j]!;
      const raw = x.values[row * M + j]!;
      features[name] = x.categories[j] ? x.categories[j]![raw]! : raw;
    });
    return { row, baseValue: base, prediction: full, values, features };
  };

  // Keep a few rows in flight so the predictor never waits for us.
  const result: ShapleyExplanation[] = new Array(rows.length);
  const window = 3;
  let next = 0;
  let done = 0;
  ctx.progress?.(0, rows.length, 'Shapley values');
  const worker = async () => {
    while (next < rows.length) {
      checkAbort(ctx.signal);
      const k = next++;
      result[k] = await explain(rows[k]!);
      ctx.progress?.(++done, rows.length, 'Shapley values');
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, rows.length) }, worker));
  return { result, algorithm: exact ? 'exact' : 'permutation', background: Array.from(background), coalitionsPerRow: masks.length, permutations };
}

/** Model input matrix of a prediction set, in the model's feature order. */
export function matrixOf(data: PredictionData): Matrix {
  return featureMatrix(data.features);
}
