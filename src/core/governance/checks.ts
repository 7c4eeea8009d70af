/**
 * Governance checks of a run: each gives pass / warn / fail, the evidence it looked at, and what
 * to do, or `error` when it cannot be evaluated (never a silent skip). Thresholds come from
 * `checks:` in `.provenant/config.yaml` (see config/thresholds.ts).
 * Checks only read: the workspace, the run folder, git objects and the DVC cache.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_PATH, loadConfig, type ProvenantConfig } from '../config/config';
import { THRESHOLD_DEFAULTS, isThresholdName, thresholdProblem, type Thresholds } from '../config/thresholds';
import { DVC_DIR, openDvcRepo } from '../data/dvcRepo';
import { md5File } from '../data/md5';
import { hasObject, objectPath } from '../data/objectStore';
import { git, fs } from '../git/repo';
import { readJournal, JOURNAL_PATH } from '../experiments/journal';
import { loadPredictions, type PredictionData } from '../analysis/dataset';
import { evaluate } from '../analysis/evaluate';
import { attributeSpec, fairness } from '../analysis/fairness';
import { readRun, resolveRunId, runFile, RUNS_DIR } from '../runs/store';
import type { DataVersion, RunRecord } from '../runs/types';
import { ProvenantError, describeError } from '../util/errors';
import { resolveInWorkspace } from '../util/paths';
import { locateData } from './dataSources';
import { bytesSource, countRows, fileSource, findOverlapStreaming, type TableSource } from './overlap';
import { readReproduction, VERDICT_LABELS, type ReproductionRecord } from './reproductionRecord';
import { isFullLock, isRequirementsFile, requirementPins } from './requirementPins';

/** `error`: the check could not be evaluated (a file it needs is unreadable); `check --strict` counts it as a failure. */
export type Verdict = 'pass' | 'warn' | 'fail' | 'error';

export const CHECK_IDS = [
  'seed-controlled',
  'data-versioned',
  'code-committed',
  'environment-captured',
  'train-test-disjoint',
  'perfect-score',
  'metric-imbalance',
  'subgroup-gaps',
  'assumptions-logged',
  'reproduced',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export interface CheckResult {
  id: CheckId;
  title: string;
  verdict: Verdict;
  /** What the check looked at and found. */
  evidence: string;
  /** What to do (for pass: what keeps it passing). */
  advice: string;
  /** Workspace-relative file the finding is about, when there is one (for editor diagnostics). */
  file?: string;
}

export interface CheckReport {
  run: string;
  checks: CheckResult[];
  /** The thresholds in force. */
  thresholds: Thresholds;
}

export { THRESHOLD_DEFAULTS, type Thresholds };

/** The thresholds in force: the defaults, overridden by `checks:` (validated when the config was read, and again here for configs built in code). */
export function thresholdsOf(config: ProvenantConfig): Thresholds {
  const out = { ...THRESHOLD_DEFAULTS };
  for (const [key, v] of Object.entries(config.checks)) {
    if (!isThresholdName(key)) throw new ProvenantError(`unknown threshold "${key}" under "checks"`, { file: CONFIG_PATH, code: 'E_CONFIG' });
    const problem = thresholdProblem(key, v);
    if (problem) throw new ProvenantError(problem, { file: CONFIG_PATH, code: 'E_CONFIG' });
    out[key] = v as number;
  }
  return out;
}

const TITLES: Record<CheckId, string> = {
  'seed-controlled': 'Seed controlled',
  'data-versioned': 'Data versioned',
  'code-committed': 'Code committed',
  'environment-captured': 'Environment captured',
  'train-test-disjoint': 'Evaluation data disjoint from training data',
  'perfect-score': 'No suspiciously perfect held-out score',
  'metric-imbalance': 'Metric suited to class imbalance',
  'subgroup-gaps': 'Subgroup gaps (four-fifths rule)',
  'assumptions-logged': 'Assumptions logged',
  reproduced: 'Reproduced',
};

function result(id: CheckId, verdict: Verdict, evidence: string, advice: string, file?: string): CheckResult {
  return { id, title: TITLES[id], verdict, evidence, advice, ...(file ? { file } : {}) };
}

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : Number(v.toFixed(digits)).toString());
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const listOf = (items: string[], max = 5) => (items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`);

/** The training script, if the command names one (for diagnostics). */
function scriptOf(run: RunRecord): string | undefined {
  return run.command.find((a) => /\.(py|R|jl|sh|js|ts)$/.test(a) && !a.startsWith('-'));
}

// ---------------------------------------------------------------------------------------------

function seedControlled(run: RunRecord, rep: ReproductionRecord | null): CheckResult {
  const { root, source, seeded } = run.seeds;
  const from = source === 'generated' ? 'generated and recorded' : source === 'flag' ? 'given with --seed' : 'read from the parameters file';
  if (seeded.length > 0) {
    return result('seed-controlled', 'pass', `Root seed ${root} (${from}); the script seeded ${seeded.join(', ')}; PYTHONHASHSEED=${run.seeds.env.PYTHONHASHSEED ?? 'unset'}.`, 'Keep calling provenant.seed_everything() before any random draw.');
  }
  // A bit-identical re-run is direct evidence that the script's randomness is under control,
  // however it seeds (a random_state in its code, a seed in its params file).
  if (rep?.verdict === 'identical') {
    return result(
      'seed-controlled',
      'pass',
      `Root seed ${root} (${from}); the script reported seeding no library through Provenant, but its reproduction (re-run ${rep.reproduction} on ${rep.finishedAt.slice(0, 10)}) was bit-identical: ${rep.summary}`,
      'Reproduce again after changing the code or the data; calling provenant.seed_everything() makes the seeding explicit.',
    );
  }
  return result(
    'seed-controlled',
    'warn',
    `Root seed ${root} (${from}) was passed as PROVENANT_SEED and PYTHONHASHSEED, but the script reported seeding no library${rep ? ` and its reproduction was not bit-identical (${VERDICT_LABELS[rep.verdict].toLowerCase()})` : ''}.`,
    'Call provenant.seed_everything() at the start of the script (or seed every library from PROVENANT_SEED) so a re-run draws the same numbers.',
    scriptOf(run),
  );
}

async function dataVersioned(root: string, run: RunRecord): Promise<CheckResult> {
  if (run.data.length === 0) {
    return result('data-versioned', 'warn', 'No data dependency was recorded for this run.', 'List the files the model is trained on under data: in .provenant/config.yaml, so every run records their hashes.', CONFIG_PATH);
  }
  const found: string[] = [];
  const lost: string[] = [];
  let cache: string;
  try {
    cache = openDvcRepo(root)?.config.cacheDir ?? join(root, DVC_DIR, 'cache');
    for (const d of run.data) {
      const where = await locateData(root, run, d);
      if (where.where === 'cache') found.push(`${d.path} (${d.md5.slice(0, 12)}, in the DVC cache)`);
      else if (where.where === 'snapshot') found.push(`${d.path} (${d.md5.slice(0, 12)}, committed with the code snapshot)`);
      else lost.push(`${d.path} (${d.md5.slice(0, 12)}${d.md5.endsWith('.dir') && where.missing.length ? `, ${plural(where.missing.length, 'object')} missing` : ''})`);
    }
  } catch (err) {
    return result('data-versioned', 'fail', `The DVC cache could not be searched: ${describeError(err)}`, 'Fix the file named above, then check again.');
  }
  if (lost.length > 0) {
    return result(
      'data-versioned',
      'fail',
      `Hashed but not retrievable: ${listOf(lost)}. Neither the DVC cache (${cache.startsWith(root) ? cache.slice(root.length + 1) : cache}) nor the run's code snapshot holds these bytes.${found.length ? ` Retrievable: ${listOf(found)}.` : ''}`,
      'Track the data with DVC (`dvc add <path>`, then `dvc push`) or commit it, then run again: a version that cannot be fetched cannot be audited or reproduced.',
      CONFIG_PATH,
    );
  }
  return result('data-versioned', 'pass', `Every data dependency is hashed and retrievable: ${listOf(found)}.`, 'Keep the DVC cache (or its remote) for as long as the model must be auditable.');
}

function codeCommitted(run: RunRecord): CheckResult {
  const c = run.code;
  if (!c.dirty) return result('code-committed', 'pass', `The code is commit ${c.baseCommit ?? c.snapshotCommit} exactly (snapshot ${c.snapshotCommit.slice(0, 12)}).`, 'Nothing to do.');
  const files = c.changedFiles.map((f) => `${f.change} ${f.path}`);
  return result(
    'code-committed',
    'warn',
    `${plural(c.changedFiles.length, 'file')} differed from ${c.baseCommit ? `commit ${c.baseCommit.slice(0, 12)}` : 'an empty repository'} (${listOf(files)}); the snapshot ${c.snapshotCommit.slice(0, 12)} holds the exact uncommitted diff.`,
    'Commit the changes before the run that becomes the model, so the code is on a branch and not only in refs/provenant/runs/.',
  );
}

async function environmentCaptured(root: string, run: RunRecord): Promise<CheckResult> {
  const env = run.environment;
  if (!env.python) {
    return result('environment-captured', 'fail', `The interpreter could not be probed: ${env.pythonError ?? 'unknown reason'}.`, 'Set python: in .provenant/config.yaml (or provenant.pythonPath) to a working interpreter and run again.', CONFIG_PATH);
  }
  const packages = Object.keys(env.packages).length;
  const locks = Object.keys(env.lockfiles);
  const base = `${env.python.implementation} ${env.python.version}, ${plural(packages, 'package')} with versions, ${env.os.distro ?? env.os.platform} ${env.os.arch}, fingerprint ${env.fingerprint.slice(0, 12)}`;
  if (locks.length === 0) {
    return result('environment-captured', 'warn', `${base}; no lockfile or requirements file was found at the workspace root.`, 'Commit a lockfile (requirements.txt with pinned versions, poetry.lock, uv.lock, conda environment.yml …) so the environment can be rebuilt, not only described.');
  }
  const fullLocks = locks.filter(isFullLock);
  const pins = await requirementPins(root, run);
  const pinAdvice = 'Pin every requirement to one version (`name==1.2.3`, e.g. with `pip freeze > requirements.txt` or pip-compile), or commit a lockfile (uv.lock, poetry.lock …), so the environment can be rebuilt, not only described.';
  if (fullLocks.length === 0 && pins.unpinned.length > 0) {
    const file = pins.unpinned[0]!.split(':')[0];
    return result(
      'environment-captured',
      'warn',
      `${base}; ${pins.unpinned.length} of ${plural(pins.requirements, 'requirement')} name no exact version, so the environment cannot be rebuilt: ${listOf(pins.unpinned, 8)}.`,
      pinAdvice,
      file,
    );
  }
  if (fullLocks.length === 0 && pins.unreadable.length > 0 && pins.files.length === 0 && locks.every(isRequirementsFile)) {
    return result('environment-captured', 'warn', `${base}; whether the requirements pin the environment is unknown: ${listOf(pins.unreadable)} could not be read as the run recorded it.`, pinAdvice);
  }
  const pinned = pins.files.length ? `; ${plural(pins.requirements, 'requirement')} in ${listOf(pins.files)}${pins.unpinned.length ? ` (unpinned there, but ${listOf(fullLocks)} pins the environment: ${listOf(pins.unpinned, 4)})` : ', each pinned to one version'}` : '';
  return result('environment-captured', 'pass', `${base}; lockfiles ${listOf(locks)}${pinned}.`, 'Keep the lockfile in step with the environment.');
}

// ---------------------------------------------------------------------------------------------
// Train/test overlap

const isTableFile = (p: string) => /\.(csv|tsv)$/i.test(p);

/**
 * Where the run's version of a data file can be streamed from: the workspace copy while its hash
 * still matches, else the DVC cache, else the code snapshot (committed data is held in memory).
 */
async function versionSource(root: string, run: RunRecord, d: DataVersion): Promise<TableSource | null> {
  const abs = resolveInWorkspace(root, d.path, CONFIG_PATH);
  if (existsSync(abs) && statSync(abs).isFile() && md5File(abs).md5 === d.md5) return fileSource(abs, d.path);
  const repo = openDvcRepo(root);
  if (repo && !d.md5.endsWith('.dir') && hasObject(repo.config.cacheDir, d.md5)) {
    const path = objectPath(repo.config.cacheDir, d.md5);
    if (md5File(path).md5 === d.md5) return fileSource(path, d.path);
  }
  try {
    return bytesSource(Buffer.from((await git.readBlob({ fs, dir: root, oid: run.code.snapshotCommit, filepath: d.path })).blob), d.path);
  } catch {
    return null;
  }
}

/** A prediction set restricted to its feature columns; a listed set whose file is gone is an error. */
function predictionSource(root: string, run: RunRecord, name: string): TableSource | null {
  const set = run.predictions.find((p) => p.name === name);
  if (!set) return null;
  const display = `${RUNS_DIR}/${run.id}/${set.file}`;
  if (!/^[\w.-]+$/.test(set.file)) throw new ProvenantError(`the prediction file name "${set.file}" is not a plain file name`, { file: `${RUNS_DIR}/${run.id}/run.json`, code: 'E_PREDICTIONS_CSV' });
  const path = runFile(root, run.id, set.file);
  if (!existsSync(path)) throw new ProvenantError('the predictions file is missing', { file: display, code: 'E_PREDICTIONS_CSV' });
  return fileSource(path, display, set.features);
}

const lines = (rows: number[]) => listOf(rows.map((r) => String(r + 2)), 6);

async function trainTestDisjoint(root: string, run: RunRecord, config: ProvenantConfig, t: Thresholds): Promise<CheckResult> {
  const id = 'train-test-disjoint';
  const evalPaths = new Set(config.evalData.map((p) => p.replace(/\\/g, '/').replace(/^\.\//, '')));
  const tables: { version: DataVersion; source: TableSource; eval: boolean }[] = [];
  const skipped: string[] = [];
  for (const d of run.data) {
    if (!isTableFile(d.path)) {
      skipped.push(`${d.path} (not a CSV/TSV file)`);
      continue;
    }
    const source = await versionSource(root, run, d);
    if (!source) skipped.push(`${d.path} (the run's version is not retrievable)`);
    else tables.push({ version: d, source, eval: evalPaths.has(d.path) });
  }
  const holdoutSet = run.predictions.find((p) => p.name === 'holdout') ?? run.predictions.find((p) => !/^train/i.test(p.name));
  const holdout = holdoutSet ? predictionSource(root, run, holdoutSet.name) : null;
  const holdoutRows = holdout ? await countRows(holdout) : 0;
  const trainSet = run.predictions.find((p) => /^train/i.test(p.name));
  const trainPredictions = trainSet ? predictionSource(root, run, trainSet.name) : null;
  const failures: string[] = [];
  const warnings: string[] = [];
  const notes: string[] = [];
  const columnsNote = (cols: string[]) => `compared on ${plural(cols.length, 'common column')} (${listOf(cols, 8)})`;

  // Declared evaluation files against declared training files.
  for (const e of tables.filter((x) => x.eval)) {
    for (const tr of tables.filter((x) => !x.eval)) {
      const ov = await findOverlapStreaming(e.source, tr.source);
      if (ov.columns.length === 0) {
        warnings.push(`${e.version.path} and ${tr.version.path} have no column in common`);
        continue;
      }
      const n = ov.rowsOfA.length;
      const text = `${n} of ${ov.rowsInA} rows of ${e.version.path} also occur in ${tr.version.path} (${columnsNote(ov.columns)}; lines ${lines(ov.rowsOfA)})`;
      if (n > t.max_overlap_rows) failures.push(text);
      else notes.push(`${e.version.path} vs ${tr.version.path}: ${n} shared rows, ${columnsNote(ov.columns)}`);
    }
  }

  if (holdout && holdoutRows > 0) {
    if (trainPredictions) {
      const ov = await findOverlapStreaming(holdout, trainPredictions);
      if (ov.rowsOfA.length > t.max_overlap_rows) failures.push(`${ov.rowsOfA.length} of ${holdoutRows} held-out rows also occur in the "${trainSet!.name}" prediction set (${columnsNote(ov.columns)})`);
      else notes.push(`held-out vs "${trainSet!.name}" predictions: ${ov.rowsOfA.length} shared rows`);
    }
    const candidates = tables.filter((x) => !x.eval);
    const containing: { path: string; rows: number; duplicated: number[]; columns: string[] }[] = [];
    for (const tr of candidates) {
      const ov = await findOverlapStreaming(holdout, tr.source);
      if (ov.columns.length === 0) {
        notes.push(`${tr.version.path} shares no column with the held-out predictions`);
        continue;
      }
      if (ov.rowsOfA.length > 0) containing.push({ path: tr.version.path, rows: ov.rowsOfA.length, duplicated: ov.duplicatedInB, columns: ov.columns });
      else notes.push(`no held-out row occurs in ${tr.version.path} (${columnsNote(ov.columns)})`);
    }
    if (evalPaths.size > 0) {
      for (const c of containing) {
        const text = `${c.rows} of ${holdoutRows} held-out rows occur in the training file ${c.path} (${columnsNote(c.columns)})`;
        if (c.rows > t.max_overlap_rows) failures.push(text);
      }
    } else if (containing.length >= 2) {
      failures.push(`held-out rows occur in ${containing.length} data files: ${containing.map((c) => `${c.rows} of ${holdoutRows} in ${c.path}`).join(', ')} (${columnsNote(containing[0]!.columns)}), so the evaluation rows were also available for training`);
    } else if (containing.length === 1) {
      const c = containing[0]!;
      const split = `the ${holdoutRows} held-out rows were split inside the script from ${c.path} (${c.rows} found there, ${columnsNote(c.columns)})`;
      if (c.duplicated.length > t.max_overlap_rows) warnings.push(`${split}; ${c.duplicated.length} of them occur more than once in it, so a copy may have gone to training (held-out rows ${lines(c.duplicated.map((r) => r))} of ${holdout.name})`);
      else notes.push(`${split}; none of them has a duplicate there, so no copy crossed the split`);
    }
  }

  const compared = holdout !== null || tables.some((x) => x.eval);
  const skippedText = skipped.length ? ` Not compared: ${listOf(skipped)}.` : '';
  if (failures.length > 0) {
    return result(id, 'fail', `${failures.join('; ')}.${skippedText}`, 'Split the data before training and keep the evaluation rows out of every training file (deduplicate first); declare held-out files with eval_data: in .provenant/config.yaml.', CONFIG_PATH);
  }
  if (!compared) {
    return result(id, 'warn', `Nothing to compare: the run logged no held-out predictions with feature columns and no eval_data file is declared.${skippedText}`, 'Log the held-out predictions with their features (provenant.log_predictions(..., features=...)), or declare held-out files with eval_data: in .provenant/config.yaml.', CONFIG_PATH);
  }
  if (warnings.length > 0) return result(id, 'warn', `${warnings.join('; ')}.${notes.length ? ` ${notes.join('; ')}.` : ''}${skippedText}`, 'Remove duplicate rows before splitting, so no held-out row has a twin in the training part.', CONFIG_PATH);
  if (tables.length === 0 && !trainPredictions) {
    return result(id, 'warn', `The run has held-out predictions but no training data file to compare them with.${skippedText}`, 'List the training data under data: in .provenant/config.yaml.', CONFIG_PATH);
  }
  return result(id, 'pass', `Rows are compared by content (normalized values on common columns, any order, any file name): ${notes.join('; ') || 'no shared rows'}.${skippedText}`, 'Keep the split before any preprocessing that looks at the data as a whole.');
}

// ---------------------------------------------------------------------------------------------
// Predictions: score, imbalance, subgroups

/** The held-out predictions; `error` when the run logged some that cannot be read (then the checks that need them are not evaluated). */
function loadHoldout(root: string, run: RunRecord, config: ProvenantConfig): { data: PredictionData | null; error: { text: string; file: string | undefined } | null } {
  if (run.predictions.length === 0) return { data: null, error: null };
  try {
    return { data: loadPredictions(root, run, config), error: null };
  } catch (err) {
    return { data: null, error: { text: describeError(err), file: err instanceof ProvenantError ? err.file : undefined } };
  }
}

type HoldoutError = ReturnType<typeof loadHoldout>['error'];

function notEvaluated(id: CheckId, error: NonNullable<HoldoutError>): CheckResult {
  return result(id, 'error', `Not evaluated: the held-out predictions could not be read: ${error.text}`, 'Fix or restore the file named above (or re-run the training script), then check again; until then this check counts as failed under --strict.', error.file);
}

const SCORE_METRICS = ['roc_auc', 'accuracy', 'f1', 'pr_auc', 'r2'];

function perfectScore(run: RunRecord, data: PredictionData | null, error: HoldoutError, t: Thresholds): CheckResult {
  const id = 'perfect-score';
  if (error) return notEvaluated(id, error);
  let scores: [string, number][];
  let source: string;
  if (data) {
    const ev = evaluate(data, { bootstrap: { resamples: 0 } });
    scores = SCORE_METRICS.filter((k) => ev.metrics[k]).map((k) => [k, ev.metrics[k]!.value]);
    source = `the ${data.set.name} predictions (${data.rows} rows)`;
  } else {
    scores = SCORE_METRICS.filter((k) => typeof run.metrics[k] === 'number').map((k) => [k, run.metrics[k]!]);
    source = 'the metrics the script logged';
  }
  if (scores.length === 0) return result(id, 'warn', 'No held-out score to look at (no predictions and no accuracy, ROC AUC, F1 or R² metric).', 'Log held-out predictions with provenant.log_predictions(...).', scriptOf(run));
  const high = scores.filter(([, v]) => Number.isFinite(v) && v >= t.perfect_score);
  const text = scores.map(([k, v]) => `${k} ${fmt(v, 4)}`).join(', ');
  if (high.length > 0) {
    return result(id, 'warn', `On ${source}: ${text}; ${high.map(([k]) => k).join(', ')} ≥ ${t.perfect_score}, which real held-out data rarely gives.`, 'Look for leakage: a feature derived from the target, rows shared between training and evaluation, or preprocessing fitted on all data.', scriptOf(run));
  }
  return result(id, 'pass', `On ${source}: ${text} (all below ${t.perfect_score}).`, 'Nothing to do.');
}

function metricImbalance(run: RunRecord, config: ProvenantConfig, data: PredictionData | null, error: HoldoutError, t: Thresholds): CheckResult {
  const id = 'metric-imbalance';
  if (error) return notEvaluated(id, error);
  if (!data) return result(id, 'warn', 'Class balance unknown: the run logged no held-out predictions.', 'Log held-out predictions with provenant.log_predictions(...).', scriptOf(run));
  if (data.task === 'regression') return result(id, 'pass', 'Regression target: class imbalance does not apply.', 'Nothing to do.');
  const share = data.task === 'multiclass' ? Number.NaN : data.yTrue.reduce((a, v) => a + v, 0) / data.rows;
  const majority = data.task === 'multiclass' ? Math.max(...(data.classes ?? []).map((_, c) => data.yTrue.filter((v) => v === c).length / data.rows)) : Math.max(share, 1 - share);
  const key = config.keyMetric ?? (Object.keys(run.metrics).length === 1 ? Object.keys(run.metrics)[0] : undefined);
  const balance = data.task === 'multiclass' ? `${data.classes?.length} classes in ${data.rows} held-out rows (largest ${fmt(majority * 100, 1)}%)` : `positive class ${fmt(share * 100, 1)}% of ${data.rows} held-out rows (majority ${fmt(majority * 100, 1)}%)`;
  if (majority >= t.imbalance_share && (key === undefined || key === 'accuracy')) {
    return result(
      id,
      'fail',
      `${balance}; the key metric is ${key ?? 'not set (so accuracy is what readers see)'}: a constant predictor scores ${fmt(majority * 100, 1)}% accuracy.`,
      'Choose a metric that sees the minority class (ROC AUC, PR AUC, F1, balanced accuracy) as key_metric: in .provenant/config.yaml.',
      CONFIG_PATH,
    );
  }
  if (majority >= t.imbalance_share) return result(id, 'pass', `${balance}; the key metric ${key} is not accuracy.`, 'Report precision/recall alongside it.');
  return result(id, 'pass', `${balance}: below the ${fmt(t.imbalance_share * 100, 0)}% imbalance threshold; key metric ${key ?? 'not set'}.`, 'Nothing to do.');
}

function subgroupGaps(config: ProvenantConfig, data: PredictionData | null, error: HoldoutError, t: Thresholds): CheckResult {
  const id = 'subgroup-gaps';
  if (config.sensitiveAttributes.length === 0) {
    return result(id, 'warn', 'No sensitive attribute is configured, so no subgroup was compared.', 'List them under sensitive_attributes: in .provenant/config.yaml and log them with the predictions.', CONFIG_PATH);
  }
  if (error) return notEvaluated(id, error);
  if (!data) return result(id, 'warn', 'The run logged no held-out predictions, so no subgroup was compared.', 'Log held-out predictions with the sensitive attributes as features.', CONFIG_PATH);
  const failures: string[] = [];
  const warnings: string[] = [];
  const passes: string[] = [];
  for (const attribute of config.sensitiveAttributes) {
    if (!data.raw.has(attributeSpec(attribute).column)) {
      warnings.push(`"${attribute}" is not a column of the predictions`);
      continue;
    }
    let r;
    try {
      r = fairness(data, attribute, { minGroupSize: t.min_group_size, fourFifths: t.four_fifths, bootstrap: { resamples: 200 } });
    } catch (err) {
      warnings.push(`${attribute}: ${describeError(err)}`);
      continue;
    }
    const ff = r.fourFifths;
    const rates = r.groups.map((g) => `${g.group} ${fmt(g.selectionRate)} (n=${g.n})`).join(', ');
    const interval = ff.interval ? ` [${fmt(ff.interval[0])}, ${fmt(ff.interval[1])}]` : '';
    const small = ff.smallGroups.length ? `; groups below ${t.min_group_size} rows (${ff.smallGroups.join(', ')}) make the ratio uncertain` : '';
    const gap = r.equalOpportunityDifference;
    const text = `${attribute}: selection rates ${rates}; lowest/highest ratio ${fmt(ff.ratio)}${interval}${small}; true-positive-rate gap ${fmt(gap)}`;
    if (ff.ratio < t.four_fifths) failures.push(`${text} — below ${t.four_fifths} (four-fifths rule)${ff.flagged.length ? `, adverse impact on ${ff.flagged.join(', ')}` : ''}`);
    else if (gap !== null && gap > t.max_group_gap) warnings.push(`${text} — gap above ${t.max_group_gap}`);
    else passes.push(text);
  }
  const all = [...failures, ...warnings, ...passes].join('; ');
  if (failures.length) return result(id, 'fail', `${all}.`, 'Investigate the features that carry the group (proxies), compare thresholds in the analysis panel\'s threshold explorer, and record the decision and its trade-off in the journal.', CONFIG_PATH);
  if (warnings.length) return result(id, 'warn', `${all}.`, 'Look at the groups in the analysis panel and record how the gap is handled.', CONFIG_PATH);
  return result(id, 'pass', `${all}.`, 'Nothing to do.');
}

function assumptionsLogged(root: string, run: RunRecord): CheckResult {
  const id = 'assumptions-logged';
  const { entries } = readJournal(root);
  const mine = entries.filter((e) => (e.kind === 'assumption' || e.kind === 'decision') && (e.run === run.id || (run.experiment !== null && e.experiment === run.experiment)));
  const assumptions = mine.filter((e) => e.kind === 'assumption');
  if (assumptions.length > 0) {
    return result(id, 'pass', `${plural(assumptions.length, 'assumption')} and ${plural(mine.length - assumptions.length, 'decision')} logged for ${run.experiment ?? 'this run'} (latest: "${assumptions[assumptions.length - 1]!.text.slice(0, 120)}").`, 'Keep logging assumptions as they are made.');
  }
  return result(
    id,
    'warn',
    `No assumption is logged in ${JOURNAL_PATH} for ${run.experiment ? `experiment ${run.experiment}` : 'this run'}${mine.length ? ` (${plural(mine.length, 'decision')} are)` : ''}.`,
    'Log the key assumptions (`provenant note assumption "…"`): what the data represents, what the model may not be used for.',
  );
}

type LoadedReproduction = { rep: ReproductionRecord | null; error: string | null };

function loadReproduction(root: string, run: RunRecord): LoadedReproduction {
  try {
    return { rep: readReproduction(root, run.id), error: null };
  } catch (err) {
    return { rep: null, error: describeError(err) };
  }
}

function reproduced(run: RunRecord, { rep, error }: LoadedReproduction): CheckResult {
  const id = 'reproduced';
  if (error) return result(id, 'fail', `The reproduction record is unreadable: ${error}`, `Reproduce the run again (\`provenant reproduce ${run.id}\`).`);
  if (!rep) return result(id, 'warn', 'This run has not been reproduced.', `Run \`provenant reproduce ${run.id}\` (or "Reproduce Run"): it re-runs the snapshot in an isolated checkout and records the verdict.`);
  const when = `re-run ${rep.reproduction} on ${rep.finishedAt.slice(0, 10)}`;
  const label = VERDICT_LABELS[rep.verdict];
  switch (rep.verdict) {
    case 'identical':
      return result(id, 'pass', `${label} (${when}): ${rep.summary}`, 'Nothing to do.');
    case 'within-tolerance':
      return result(id, 'pass', `${label} (${when}; absolute ${rep.tolerance.absolute}, relative ${rep.tolerance.relative}): ${rep.summary}`, 'Look at the differences listed with the reproduction if the tolerance matters for the decision.');
    case 'unverified':
      return result(id, 'warn', `${label} (${when}): ${rep.summary}`, 'Make the run produce evidence (log metrics or predictions with provenant.log_*, or write its outputs into the workspace), run it and reproduce again.', scriptOf(run));
    case 'missing-input':
      return result(id, 'fail', `${label} (${when}): ${rep.summary}`, `Declare every file the command reads under data: in ${CONFIG_PATH} (committed or tracked with DVC), run again and reproduce.`, CONFIG_PATH);
    default:
      return result(id, 'fail', `${label} (${when}): ${rep.summary}`, 'Find the unseeded randomness or environment drift named in the reproduction, fix it, and run again.', scriptOf(run));
  }
}

// ---------------------------------------------------------------------------------------------

export interface CheckOptions {
  config?: ProvenantConfig;
}

/** Runs every check on a run (an id, a unique part of one, or a name). */
export async function checkRun(root: string, query: string, options: CheckOptions = {}): Promise<CheckReport> {
  const run = readRun(root, resolveRunId(root, query));
  const config = options.config ?? loadConfig(root);
  const t = thresholdsOf(config);
  const { data, error } = loadHoldout(root, run, config);
  const reproduction = loadReproduction(root, run);
  const checks: CheckResult[] = [
    seedControlled(run, reproduction.rep),
    await dataVersioned(root, run),
    codeCommitted(run),
    await environmentCaptured(root, run),
    await trainTestDisjoint(root, run, config, t).catch((err: unknown) =>
      result('train-test-disjoint', 'error', `Not evaluated: ${describeError(err)}`, 'Fix or restore the file named above, then check again; until then this check counts as failed under --strict.', err instanceof ProvenantError && err.file ? err.file : CONFIG_PATH),
    ),
    perfectScore(run, data, error, t),
    metricImbalance(run, config, data, error, t),
    subgroupGaps(config, data, error, t),
    assumptionsLogged(root, run),
    reproduced(run, reproduction),
  ];
  return { run: run.id, checks, thresholds: t };
}

export function worstVerdict(checks: CheckResult[]): Verdict {
  return checks.some((c) => c.verdict === 'error') ? 'error' : checks.some((c) => c.verdict === 'fail') ? 'fail' : checks.some((c) => c.verdict === 'warn') ? 'warn' : 'pass';
}

/** What `check --strict` refuses: a failed check, or one that could not be evaluated. */
export function failsStrict(checks: CheckResult[]): boolean {
  return checks.some((c) => c.verdict === 'fail' || c.verdict === 'error');
}
