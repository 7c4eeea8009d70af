/**
 * The analysis engine over a run: loads its predictions, evaluates, checks fairness, and explains
 * its model through a predictor process, storing every result with the settings that produced it
 * in `.provenant/runs/<id>/analysis/<kind>-<hash>.json` (hash of kind, settings, the predictions'
 * md5 and, for explanations, the model's md5 and predictor command). An explanation found there
 * is reused instead of recomputed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, isAbsolute, join, relative } from 'node:path';
import { loadConfig, CONFIG_PATH, type ProvenantConfig } from '../config/config';
import { md5File } from '../data/md5';
import { DEFAULT_PYTHON, resolveCommand } from '../runner/command';
import { recordedInterpreter } from '../runner/interpreter';
import { RUNS_DIR, readRun, runDir } from '../runs/store';
import type { RunRecord } from '../runs/types';
import { writeJsonAtomic } from '../util/atomic';
import { ProvenantError } from '../util/errors';
import { isInside } from '../util/paths';
import { loadPredictions, type PredictionData } from './dataset';
import { compare, evaluate, type EvaluateOptions } from './evaluate';
import * as explain from './explain';
import { DEFAULT_FOUR_FIFTHS, DEFAULT_MIN_GROUP_SIZE, attributesWithIntersections, fairness, thresholdExplorer, type FairnessOptions } from './fairness';
import { Predictor } from './predictor';
import { Random } from './random';
import type { ComparisonResult, EvaluationResult, ExplainMethod, ExplanationCost, FairnessResult, PartialDependence, PermutationImportance, ShapleyExplanation, ThresholdExplorer } from './types';

export const ANALYSIS_SCHEMA = 'provenant.analysis/1';
/** Bumped when a computation changes, so older cached results are not reused. */
export const ENGINE_VERSION = 1;

export interface StoredAnalysis<R> {
  schema: typeof ANALYSIS_SCHEMA;
  kind: 'evaluation' | 'comparison' | 'fairness' | ExplainMethod;
  run: string;
  set: string;
  createdAt: string;
  settings: Record<string, unknown>;
  inputs: {
    predictions: { file: string; md5: string; rows: number };
    model: { path: string | null; md5: string } | null;
    predictor: string[] | null;
    features: string[];
    featureSource: string;
  };
  cost: ExplanationCost | null;
  result: R;
  /** Workspace-relative path of this file. */
  file: string;
  /** True when read from the cache rather than computed now. */
  cached?: boolean;
}

export interface EngineOptions {
  config?: ProvenantConfig;
  /** Prediction set (default: holdout). */
  set?: string;
  /** Interpreter for the default predictor (default: the one the run recorded, else config `python`, else python3). */
  python?: string;
  /** Folder holding the `provenant` Python package (put on PYTHONPATH of the default predictor). */
  pythonHelperDir?: string;
  signal?: AbortSignal;
  progress?: explain.Progress;
  /** Reuse a stored explanation with the same key (default true). */
  cache?: boolean;
  /** Predictor timeouts. */
  startTimeoutMs?: number;
  batchTimeoutMs?: number;
  /** Rows per predictor request. */
  batchRows?: number;
}

export interface RunData {
  run: RunRecord;
  config: ProvenantConfig;
  data: PredictionData;
  predictionsMd5: string;
}

export function openRun(root: string, runId: string, options: EngineOptions = {}): RunData {
  const run = readRun(root, runId);
  const config = options.config ?? loadConfig(root);
  const data = loadPredictions(root, run, config, options.set ? { set: options.set } : {});
  const predictionsMd5 = md5File(join(runDir(root, run.id), data.set.file)).md5;
  return { run, config, data, predictionsMd5 };
}

function hashKey(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

function display(root: string, path: string): string {
  return isInside(root, path) ? relative(root, path).split('\\').join('/') : path;
}

function analysisFile(root: string, runId: string, kind: string, key: string): { path: string; file: string } {
  const path = join(runDir(root, runId), 'analysis', `${kind}-${key}.json`);
  return { path, file: `${RUNS_DIR}/${runId}/analysis/${kind}-${key}.json` };
}

function readCached<R>(path: string): StoredAnalysis<R> | null {
  if (!existsSync(path)) return null;
  try {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as StoredAnalysis<R>;
    return stored.schema === ANALYSIS_SCHEMA ? { ...stored, cached: true } : null;
  } catch {
    return null; // a damaged cache entry is recomputed and replaced
  }
}

function store<R>(root: string, rd: RunData, kind: StoredAnalysis<R>['kind'], settings: Record<string, unknown>, extra: Pick<StoredAnalysis<R>, 'inputs' | 'cost' | 'result'>, key: string): StoredAnalysis<R> {
  const { path, file } = analysisFile(root, rd.run.id, kind, key);
  const stored: StoredAnalysis<R> = { schema: ANALYSIS_SCHEMA, kind, run: rd.run.id, set: rd.data.set.name, createdAt: new Date().toISOString(), settings, ...extra, file };
  writeJsonAtomic(path, stored);
  return stored;
}

function baseInputs(rd: RunData): StoredAnalysis<unknown>['inputs'] {
  return {
    predictions: { file: rd.data.file, md5: rd.predictionsMd5, rows: rd.data.rows },
    model: null,
    predictor: null,
    features: rd.data.features.map((f) => f.name),
    featureSource: rd.data.featureSource,
  };
}

// ---------------------------------------------------------------------------------------------
// Evaluation and fairness
// ---------------------------------------------------------------------------------------------

export function evaluateRun(root: string, runId: string, options: EngineOptions & EvaluateOptions = {}): StoredAnalysis<EvaluationResult> {
  const rd = openRun(root, runId, options);
  const result = evaluate(rd.data, options);
  const settings = { threshold: options.threshold ?? 0.5, bootstrap: result.bootstrap, calibrationBins: options.calibrationBins ?? 10 };
  return store(root, rd, 'evaluation', settings, { inputs: baseInputs(rd), cost: null, result }, hashKey(['evaluation', ENGINE_VERSION, settings, rd.predictionsMd5]));
}

export function compareRunsStored(root: string, championId: string, challengerId: string, options: EngineOptions & EvaluateOptions = {}): StoredAnalysis<ComparisonResult> {
  const champion = openRun(root, championId, options);
  const challenger = openRun(root, challengerId, { ...options, config: champion.config });
  const result = compare(champion.data, challenger.data, options);
  const settings = { champion: championId, threshold: options.threshold ?? 0.5, bootstrap: result.bootstrap };
  return store(root, challenger, 'comparison', settings, { inputs: baseInputs(challenger), cost: null, result }, hashKey(['comparison', ENGINE_VERSION, settings, champion.predictionsMd5, challenger.predictionsMd5]));
}

export interface FairnessRunOptions extends EngineOptions, Omit<FairnessOptions, 'privileged'> {
  /** Attributes (default: config `sensitive_attributes`). */
  attributes?: string[];
  intersections?: boolean;
  privileged?: Record<string, string>;
}

export function fairnessOfRun(root: string, runId: string, options: FairnessRunOptions = {}): StoredAnalysis<FairnessResult[]> {
  const rd = openRun(root, runId, options);
  const attributes = attributesOf(rd, options);
  const minGroupSize = options.minGroupSize ?? numberSetting(rd.config.checks.min_group_size) ?? DEFAULT_MIN_GROUP_SIZE;
  const fourFifths = fourFifthsOf(rd.config, options.fourFifths);
  const { privileged: chosen, ...rest } = options;
  const result = attributes.map((a) => fairness(rd.data, a, { ...rest, minGroupSize, fourFifths, ...(chosen?.[a] ? { privileged: chosen[a] } : {}) }));
  const settings = { attributes, threshold: options.threshold ?? 0.5, minGroupSize, fourFifths, ...(options.bins !== undefined ? { bins: options.bins } : {}), privileged: options.privileged ?? {}, bootstrap: result[0]?.bootstrap ?? null };
  return store(root, rd, 'fairness', settings, { inputs: baseInputs(rd), cost: null, result }, hashKey(['fairness', ENGINE_VERSION, settings, rd.predictionsMd5]));
}

/** The four-fifths threshold in force: given, else config `checks.four_fifths`, else 0.8. */
export function fourFifthsOf(config: ProvenantConfig, given?: number): number {
  return given ?? numberSetting(config.checks.four_fifths) ?? DEFAULT_FOUR_FIFTHS;
}

function numberSetting(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function attributesOf(rd: RunData, options: { attributes?: string[]; intersections?: boolean; bins?: number }): string[] {
  const attributes = options.attributes?.length ? options.attributes : rd.config.sensitiveAttributes;
  if (attributes.length === 0) {
    throw new ProvenantError('no sensitive attributes to check', { file: CONFIG_PATH, hint: 'List them under sensitive_attributes: in .provenant/config.yaml, or pass --attribute.', code: 'E_ATTRIBUTE' });
  }
  return attributesWithIntersections(attributes, options.intersections ?? false);
}

export function explorerOfRun(rd: RunData, options: { attributes?: string[]; intersections?: boolean; bins?: number } = {}): ThresholdExplorer[] {
  return attributesOf(rd, options).map((a) => thresholdExplorer(rd.data, a, 100, options.bins));
}

// ---------------------------------------------------------------------------------------------
// Predictor
// ---------------------------------------------------------------------------------------------

/** Saved models the default predictor reads (python/provenant/models.py tells their format by their bytes). */
const MODEL_EXTENSIONS = /\.(pkl|pickle|joblib|sav|skops|cloudpickle)(\.(z|gz|bz2|xz|lzma|lz4))?$/i;

export interface PredictorSpec {
  command: string[];
  env: NodeJS.ProcessEnv;
  source: string;
  model: { path: string | null; md5: string };
}

/**
 * The predictor of a run: `predictor:` of config.yaml (`{run_dir}` stands for the run folder),
 * else `python -m provenant serve <stored model> --features … [--positive-label …]` for a run that
 * stored a pickled model.
 */
export function predictorSpec(root: string, rd: RunData, options: EngineOptions = {}): PredictorSpec {
  const python = options.python ?? recordedInterpreter(rd.run) ?? rd.config.python ?? DEFAULT_PYTHON;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.pythonHelperDir) env.PYTHONPATH = [options.pythonHelperDir, process.env.PYTHONPATH].filter(Boolean).join(delimiter);
  const folder = runDir(root, rd.run.id);
  const artifactsMd5 = createHash('md5').update(rd.run.artifacts.map((a) => `${a.path}:${a.md5}`).join('\n')).digest('hex');
  if (rd.config.predictor !== undefined) {
    const substitute = (s: string) => s.split('{run_dir}').join(folder);
    const configured = typeof rd.config.predictor === 'string' ? substitute(rd.config.predictor) : rd.config.predictor.map(substitute);
    const { exec } = resolveCommand(configured, python);
    return { command: exec, env, source: CONFIG_PATH, model: { path: null, md5: artifactsMd5 } };
  }
  const artifact = rd.run.artifacts.find((a) => a.stored && MODEL_EXTENSIONS.test(a.path));
  if (!artifact?.stored) {
    throw new ProvenantError(`run ${rd.run.id} stored no saved model (pickle, joblib, cloudpickle or skops file), and no predictor is configured`, {
      file: CONFIG_PATH,
      hint: 'Log the model with provenant.log_artifact("model.pkl"), or set predictor: in .provenant/config.yaml to a command that speaks the predictor protocol (`{run_dir}` is replaced by the run folder).',
      code: 'E_NO_PREDICTOR',
    });
  }
  const path = join(folder, artifact.stored);
  if (isAbsolute(artifact.stored) || !isInside(folder, path) || !existsSync(path)) {
    throw new ProvenantError(`the stored model ${artifact.stored} is missing from the run folder`, { file: `${RUNS_DIR}/${rd.run.id}/run.json`, hint: `Restore the run folder from refs/provenant/runs/${rd.run.id}.`, code: 'E_NO_PREDICTOR' });
  }
  const md5 = md5File(path).md5;
  const label = rd.config.positiveLabel;
  const command = [
    python, '-m', 'provenant', 'serve', path,
    '--features', rd.data.features.map((f) => f.name).join(','),
    ...(label !== undefined ? ['--positive-label', String(label)] : []),
    ...(rd.data.task === 'multiclass' ? ['--output', 'probabilities'] : []),
  ];
  const resolved = resolveCommand(command, python).exec;
  return { command: resolved, env, source: `${RUNS_DIR}/${rd.run.id}/${artifact.stored}`, model: { path: `${RUNS_DIR}/${rd.run.id}/${artifact.stored}`, md5 } };
}

/**
 * An open analysis of one run: the predictions loaded once and one predictor process, started on
 * the first explanation and reused by the next ones. `close()` ends the predictor.
 */
export class AnalysisSession {
  private predictor: Predictor | null = null;
  private starting: Promise<Predictor> | null = null;
  readonly spec: PredictorSpec | null;
  private specError: unknown = null;
  /** Multiclass: the predictor's column of each of the data's classes. */
  private columns: number[] | null = null;

  constructor(
    readonly root: string,
    readonly rd: RunData,
    private readonly options: EngineOptions = {},
  ) {
    let spec: PredictorSpec | null = null;
    try {
      spec = predictorSpec(root, rd, options);
    } catch (err) {
      this.specError = err;
    }
    this.spec = spec;
  }

  static open(root: string, runId: string, options: EngineOptions = {}): AnalysisSession {
    return new AnalysisSession(root, openRun(root, runId, options), options);
  }

  /** The running predictor (started now if needed; a cancelled or failed one is replaced). */
  async model(signal?: AbortSignal): Promise<Predictor> {
    if (!this.spec) throw this.specError;
    if (this.predictor && !this.predictor.failed) return this.predictor;
    if (this.predictor) await this.predictor.close();
    this.predictor = null;
    this.starting ??= Predictor.start({
      command: this.spec.command,
      cwd: this.root,
      env: this.spec.env,
      source: this.spec.source,
      ...(signal ? { signal } : {}),
      ...(this.options.startTimeoutMs ? { startTimeoutMs: this.options.startTimeoutMs } : {}),
      ...(this.options.batchTimeoutMs ? { batchTimeoutMs: this.options.batchTimeoutMs } : {}),
      ...(this.options.batchRows ? { batchRows: this.options.batchRows } : {}),
    }).finally(() => (this.starting = null));
    const predictor = await this.starting;
    const announced = predictor.features;
    const ours = this.rd.data.features.map((f) => f.name);
    if (announced && announced.join('\u0000') !== ours.join('\u0000')) {
      await predictor.close();
      throw new ProvenantError(`the predictor expects the features [${announced.join(', ')}] but the run's model inputs are [${ours.join(', ')}] (${this.rd.data.featureSource})`, {
        file: this.spec.source,
        hint: 'Log the model inputs in order as the run param "features" (comma-separated), or make the predictor announce them in that order.',
        code: 'E_PREDICTOR',
      });
    }
    try {
      this.columns = classColumns(this.rd.data, predictor, this.spec.source);
    } catch (err) {
      await predictor.close();
      throw err;
    }
    this.predictor = predictor;
    return predictor;
  }

  async explain(method: 'permutation', settings?: Partial<PermutationRunSettings>, options?: CallOptions): Promise<StoredAnalysis<PermutationImportance[]>>;
  async explain(method: 'pdp', settings?: Partial<DependenceRunSettings>, options?: CallOptions): Promise<StoredAnalysis<PartialDependence[]>>;
  async explain(method: 'shapley', settings?: Partial<ShapleyRunSettings>, options?: CallOptions): Promise<StoredAnalysis<ShapleyExplanation[]>>;
  async explain(method: ExplainMethod, partial: Record<string, unknown> = {}, call: CallOptions = {}): Promise<StoredAnalysis<unknown>> {
    if (!this.spec) throw this.specError;
    const settings = normalizeSettings(method, partial, this.rd);
    const key = hashKey([method, ENGINE_VERSION, settings, this.rd.predictionsMd5, this.spec.model.md5, this.spec.command.slice(1)]);
    const { path } = analysisFile(this.root, this.rd.run.id, method, key);
    if (this.options.cache !== false && call.cache !== false) {
      const cached = readCached<unknown>(path);
      if (cached) return cached;
    }
    const signal = call.signal ?? this.options.signal;
    const progress = call.progress ?? this.options.progress;
    const predictor = await this.model(signal);
    const onAbort = () => void predictor.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    const before = { ...predictor.stats };
    const started = performance.now();
    try {
      const ctx: explain.ExplainContext = { model: predictor, ...(signal ? { signal } : {}), ...(progress ? { progress } : {}) };
      const x = explain.matrixOf(this.rd.data);
      let result: unknown;
      const recorded: Record<string, unknown> = { ...settings };
      const columns = this.columns;
      const width = predictor.width;
      if (columns && method !== 'permutation') {
        // Partial dependence and Shapley values explain one class's probability.
        const column = columns[this.rd.data.classes!.indexOf(settings.class as string)]!;
        ctx.model = explain.classColumn(predictor, width, column);
      }
      if (method === 'permutation') {
        const s = settings as unknown as PermutationRunSettings;
        const rows = subsetRows(this.rd.data.rows, s.maxRows, s.seed);
        const xs = rows ? explain.featureMatrix(this.rd.data.features, rows) : x;
        const truth = columns ? Float64Array.from(this.rd.data.yTrue, (c) => columns[c]!) : this.rd.data.yTrue;
        const y = rows ? Float64Array.from(rows, (i) => truth[i]!) : truth;
        const out = await explain.permutationImportance(xs, y, s, ctx, width);
        result = out.result;
        recorded.baselineScore = out.baseline;
        recorded.rowsUsed = xs.rows;
      } else if (method === 'pdp') {
        const s = settings as unknown as DependenceRunSettings;
        result = await explain.partialDependence(x, s, ctx);
        recorded.rowsUsed = x.rows;
      } else {
        const s = settings as unknown as ShapleyRunSettings;
        const out = await explain.shapley(x, s.rows, s, ctx);
        result = out.result;
        Object.assign(recorded, { algorithmUsed: out.algorithm, backgroundRows: out.background, coalitionsPerRow: out.coalitionsPerRow, permutations: out.permutations });
      }
      const cost: ExplanationCost = {
        modelEvaluations: predictor.stats.rows - before.rows,
        predictorMs: predictor.stats.busyMs - before.busyMs,
        totalMs: performance.now() - started,
      };
      return store(this.root, this.rd, method, recorded, { inputs: { ...baseInputs(this.rd), model: this.spec.model, predictor: this.spec.command.map((a) => display(this.root, a)) }, cost, result }, key);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    const p = this.predictor ?? (await this.starting?.catch(() => null)) ?? null;
    this.predictor = null;
    await p?.close();
  }
}

/**
 * Multiclass: the predictor's probability column of each of the data's classes (matched by
 * label, numbers by value); null for a binary or regression target, whose predictor answers one
 * value a row.
 */
function classColumns(data: PredictionData, predictor: Predictor, source: string): number[] | null {
  const fix = (message: string, hint: string) => new ProvenantError(message, { file: source, hint, code: 'E_PREDICTOR' });
  if (data.task !== 'multiclass') {
    if (predictor.width > 1) throw fix(`the predictor answers the probabilities of ${predictor.width} classes, but the run's target is ${data.task === 'regression' ? 'a regression target' : 'binary'}`, 'Make it answer one value a row (python -m provenant serve … --positive-label L, or --output value).');
    return null;
  }
  const classes = data.classes!;
  const theirs = predictor.classes;
  if (predictor.output !== 'probabilities' || !theirs) {
    throw fix(`the run's target has ${classes.length} classes (${classes.join(', ')}), but the predictor answers ${predictor.output === 'value' ? 'one value' : "one class's probability"} a row`, 'Make it announce output "probabilities" with its classes and answer every class\'s probability (python -m provenant serve … --output probabilities).');
  }
  const same = (a: string, b: string) => a === b || (a.trim() !== '' && b.trim() !== '' && Number(a) === Number(b));
  return classes.map((c) => {
    const k = theirs.findIndex((t) => same(t, c));
    if (k < 0) throw fix(`the model's classes (${theirs.join(', ')}) do not include the class "${c}" of the run's target`, 'Serve the model trained on this target, or log predictions of its classes.');
    return k;
  });
}

export interface CallOptions {
  signal?: AbortSignal;
  progress?: explain.Progress;
  cache?: boolean;
}

export interface PermutationRunSettings extends explain.PermutationSettings {
  /** Rows used (a seeded sample) when the set is larger; null: all. */
  maxRows: number | null;
}
export interface DependenceRunSettings extends explain.DependenceSettings {
  /** Multiclass: the class whose probability is explained (default: the last class). */
  class?: string;
}
export interface ShapleyRunSettings extends explain.ShapleySettings {
  /** Multiclass: the class whose probability is explained (default: the last class). */
  class?: string;
  rows: number[];
}

function subsetRows(n: number, maxRows: number | null, seed: number): Int32Array | null {
  if (maxRows === null || maxRows >= n) return null;
  return new Random(seed + 7919).sample(n, maxRows);
}

function positiveInt(name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new ProvenantError(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`, { code: 'E_USAGE' });
  return v;
}

/** Settings with their defaults filled in and checked: what is hashed and recorded. */
export function normalizeSettings(method: ExplainMethod, p: Record<string, unknown>, rd: RunData): Record<string, unknown> {
  if (method !== 'permutation' && rd.data.task === 'multiclass') {
    // One class's probability is explained: the one asked, else the last class (the positive one of 0/1).
    const classes = rd.data.classes!;
    const chosen = p.class === undefined || p.class === null ? classes[classes.length - 1]! : String(p.class);
    if (!classes.includes(chosen)) throw new ProvenantError(`"${chosen}" is not a class of the target (classes: ${classes.join(', ')})`, { code: 'E_USAGE' });
    return { ...normalizeSettings(method, { ...p, class: undefined }, { ...rd, data: { ...rd.data, task: 'classification' } }), class: chosen };
  }
  const seed = positiveInt('seed', p.seed ?? 0, 0);
  const features = p.features as string[] | undefined;
  if (method === 'permutation') {
    const defaultScoring = rd.data.task === 'regression' ? 'r2' : rd.data.task === 'multiclass' ? 'neg_log_loss' : 'roc_auc';
    const scoring = (p.scoring as string | undefined) ?? defaultScoring;
    if (!['roc_auc', 'accuracy', 'neg_log_loss', 'r2', 'neg_mean_absolute_error'].includes(scoring)) throw new ProvenantError(`unknown scoring "${scoring}" (roc_auc, accuracy, neg_log_loss, r2, neg_mean_absolute_error)`, { code: 'E_USAGE' });
    if (rd.data.task === 'multiclass' && !['accuracy', 'neg_log_loss'].includes(scoring)) throw new ProvenantError(`scoring "${scoring}" does not apply to a target with ${rd.data.classes!.length} classes: use accuracy or neg_log_loss`, { code: 'E_USAGE' });
    return { repeats: positiveInt('repeats', p.repeats ?? 5), seed, scoring, threshold: typeof p.threshold === 'number' ? p.threshold : 0.5, maxRows: p.maxRows === undefined || p.maxRows === null ? null : positiveInt('maxRows', p.maxRows) };
  }
  if (method === 'pdp') {
    const percentiles = (p.percentiles as [number, number] | undefined) ?? [0.05, 0.95];
    if (!(percentiles[0] >= 0 && percentiles[1] <= 1 && percentiles[0] < percentiles[1])) throw new ProvenantError('percentiles must satisfy 0 ≤ low < high ≤ 1', { code: 'E_USAGE' });
    return { gridResolution: positiveInt('gridResolution', p.gridResolution ?? 100, 2), percentiles, maxIceRows: positiveInt('maxIceRows', p.maxIceRows ?? 1000, 0), seed, ...(features ? { features } : {}) };
  }
  const rows = p.rows as number[] | undefined;
  if (!rows || rows.length === 0) throw new ProvenantError('Shapley values need the rows to explain (e.g. --rows 0,5)', { code: 'E_USAGE' });
  const algorithm = (p.algorithm as string | undefined) ?? 'auto';
  if (!['auto', 'exact', 'permutation'].includes(algorithm)) throw new ProvenantError(`unknown Shapley algorithm "${algorithm}" (auto, exact, permutation)`, { code: 'E_USAGE' });
  return { rows, algorithm, backgroundSize: positiveInt('backgroundSize', p.backgroundSize ?? 100), maxEvals: positiveInt('maxEvals', p.maxEvals ?? 500, 3), seed, exactMaxFeatures: positiveInt('exactMaxFeatures', p.exactMaxFeatures ?? 10, 0) };
}
