/**
 * The content of an audit packet's report, gathered from the workspace: `report.json` is this
 * object, `report.html` its rendering (reportView.ts). Section by section it follows
 * reference/audit.md: identity, data lineage, training provenance, experiment history,
 * evaluation, explainability, fairness, assumptions, checks, reproduction, integrity.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type ProvenantConfig } from '../config/config';
import { listExperiments, type ExperimentInfo } from '../experiments/experiments';
import { readJournal, type JournalEntry } from '../experiments/journal';
import { readStars } from '../experiments/stars';
import { evaluateRun, fairnessOfRun, type StoredAnalysis } from '../analysis/engine';
import type { EvaluationResult, FairnessResult, PartialDependence, PermutationImportance, ShapleyExplanation, ComparisonResult } from '../analysis/types';
import { checkRun, type CheckResult } from '../governance/checks';
import { locateData } from '../governance/dataSources';
import { readReproduction, type ReproductionRecord } from '../governance/reproductionRecord';
import { VERDICT_LABELS, reproducedOk } from '../governance/verdicts';
import { listRuns, readRun, resolveRunId, runDir } from '../runs/store';
import type { DataVersion, RunRecord } from '../runs/types';
import { describeError } from '../util/errors';

export const REPORT_SCHEMA = 'provenant.report/1';

export interface ReportRunSummary {
  id: string;
  name: string;
  experiment: string | null;
  status: RunRecord['status'];
  startedAt: string;
  keyMetric: { name: string; value: number } | null;
  starred: boolean;
  reproduction: RunRecord['reproduction'] | null;
}

export interface PacketReport {
  schema: typeof REPORT_SCHEMA;
  generatedAt: string;
  generator: string;
  identity: {
    model: string;
    version: string;
    run: string;
    experiment: string | null;
    owner: string;
    date: string;
    command: string[];
    target: string | null;
    positiveLabel: string | number | boolean | null;
    keyMetric: string | null;
  };
  data: (DataVersion & { retrievableFrom: 'cache' | 'snapshot' | 'nowhere'; role: 'training' | 'evaluation' })[];
  split: Record<string, string | number | boolean | null>;
  training: {
    code: RunRecord['code'];
    seeds: RunRecord['seeds'];
    params: RunRecord['params'];
    environment: {
      python: string;
      packages: number;
      keyPackages: Record<string, string>;
      lockfiles: Record<string, string>;
      os: string;
      cpu: string;
      gpus: string[];
      fingerprint: string;
    };
    startedAt: string;
    endedAt: string | null;
    durationMs: number | null;
    user: string;
    host: string;
    status: RunRecord['status'];
    exitCode: number | null;
  };
  history: {
    experiments: Pick<ExperimentInfo, 'name' | 'archived' | 'current' | 'runs' | 'ahead' | 'behind' | 'reason' | 'archivedAt'>[];
    runs: ReportRunSummary[];
    /** Archive, restore and merge (promotion) events of the journal. */
    events: JournalEntry[];
    comparisons: { champion: string; challenger: string; file: string }[];
  };
  metrics: Record<string, number>;
  evaluation: StoredAnalysis<EvaluationResult> | null;
  comparisons: StoredAnalysis<ComparisonResult>[];
  fairness: StoredAnalysis<FairnessResult[]> | null;
  explanations: {
    importance: StoredAnalysis<PermutationImportance[]> | null;
    dependence: StoredAnalysis<PartialDependence[]> | null;
    local: StoredAnalysis<ShapleyExplanation[]>[];
  };
  assumptions: JournalEntry[];
  checks: CheckResult[];
  reproduction: ReproductionRecord | null;
  /** Why a section is empty, for the reader. */
  notes: string[];
}

const KEY_PACKAGES = ['numpy', 'scipy', 'pandas', 'scikit-learn', 'torch', 'tensorflow', 'xgboost', 'lightgbm', 'catboost', 'shap', 'fairlearn'];

function storedAnalyses(root: string, runId: string): StoredAnalysis<unknown>[] {
  const dir = join(runDir(root, runId), 'analysis');
  if (!existsSync(dir)) return [];
  const out: StoredAnalysis<unknown>[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.json')) continue;
    try {
      const parsed = JSON.parse(readFileSync(join(dir, name), 'utf8')) as StoredAnalysis<unknown>;
      if (parsed.schema === 'provenant.analysis/1' && parsed.run === runId) out.push(parsed);
    } catch {
      // an unreadable analysis file is left out (and named in the notes by the caller's count)
    }
  }
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

const latest = <T>(items: StoredAnalysis<unknown>[], kind: string): StoredAnalysis<T> | null => (items.filter((i) => i.kind === kind).pop() as StoredAnalysis<T> | undefined) ?? null;

export interface GatherOptions {
  config?: ProvenantConfig;
  /** Compute evaluation and fairness when the run has predictions but none is stored (default true). */
  computeMissing?: boolean;
  generator?: string;
}

/** Gathers the report of a run (an id, a unique part of one, or a name). */
export async function gatherReport(root: string, query: string, options: GatherOptions = {}): Promise<PacketReport> {
  const id = resolveRunId(root, query);
  const run = readRun(root, id);
  const config = options.config ?? loadConfig(root);
  const notes: string[] = [];

  let analyses = storedAnalyses(root, id);
  if ((options.computeMissing ?? true) && run.predictions.length > 0) {
    if (!analyses.some((a) => a.kind === 'evaluation')) {
      try {
        evaluateRun(root, id, { config });
      } catch (err) {
        notes.push(`Evaluation could not be computed: ${describeError(err)}`);
      }
    }
    if (!analyses.some((a) => a.kind === 'fairness') && config.sensitiveAttributes.length > 0) {
      try {
        fairnessOfRun(root, id, { config });
      } catch (err) {
        notes.push(`Fairness could not be computed: ${describeError(err)}`);
      }
    }
    analyses = storedAnalyses(root, id);
  }
  if (run.predictions.length === 0) notes.push('The run logged no predictions: evaluation, fairness and explanations need them.');
  if (!analyses.some((a) => a.kind === 'permutation' || a.kind === 'pdp' || a.kind === 'shapley')) notes.push('No explanation has been computed for this run (Open Analysis → Explain, or `provenant explain`); explanations run the model, so the export does not start them.');

  const evalPaths = new Set(config.evalData);
  const data: PacketReport['data'] = [];
  for (const d of run.data) data.push({ ...d, retrievableFrom: (await locateData(root, run, d)).where, role: evalPaths.has(d.path) ? 'evaluation' : 'training' });
  const split = Object.fromEntries(Object.entries(run.params).filter(([k]) => /^(split|data)\.|test_size|holdout|validation/i.test(k)));

  const { runs: all } = listRuns(root);
  const stars = (() => {
    try {
      return readStars(root);
    } catch {
      return new Set<string>();
    }
  })();
  let experiments: ExperimentInfo[] = [];
  try {
    experiments = await listExperiments(root, { runs: all });
  } catch (err) {
    notes.push(`Experiment branches could not be listed: ${describeError(err)}`);
  }
  const { entries } = readJournal(root);
  const key = config.keyMetric;
  const summary = (r: RunRecord): ReportRunSummary => {
    const name = key && key in r.metrics ? key : Object.keys(r.metrics)[0];
    return { id: r.id, name: r.name, experiment: r.experiment, status: r.status, startedAt: r.startedAt, keyMetric: name ? { name, value: r.metrics[name]! } : null, starred: stars.has(r.id), reproduction: r.reproduction ?? null };
  };
  const relevant = new Set([run.experiment, ...experiments.map((e) => e.name)]);
  const comparisons: StoredAnalysis<ComparisonResult>[] = analyses.filter((a) => a.kind === 'comparison') as StoredAnalysis<ComparisonResult>[];
  const comparedElsewhere: { champion: string; challenger: string; file: string }[] = [];
  for (const r of all) {
    for (const a of storedAnalyses(root, r.id).filter((x) => x.kind === 'comparison')) {
      const c = a.result as ComparisonResult;
      comparedElsewhere.push({ champion: c.champion, challenger: c.challenger, file: a.file });
    }
  }

  const env = run.environment;
  const { checks } = await checkRun(root, id, { config });
  let reproduction: ReproductionRecord | null = null;
  try {
    reproduction = readReproduction(root, id);
  } catch (err) {
    notes.push(describeError(err));
  }
  if (!reproduction) notes.push('The run has not been reproduced: run `provenant reproduce` (or "Reproduce Run") before exporting for a verdict.');
  else if (!reproducedOk(reproduction.verdict)) notes.push(`The reproduction does not confirm this run (${VERDICT_LABELS[reproduction.verdict].toLowerCase()}): ${reproduction.summary}`);

  return {
    schema: REPORT_SCHEMA,
    generatedAt: new Date().toISOString(),
    generator: options.generator ?? 'Provenant',
    identity: {
      model: run.name,
      version: run.id,
      run: run.id,
      experiment: run.experiment,
      owner: run.user,
      date: run.endedAt ?? run.startedAt,
      command: run.command,
      target: config.target ?? null,
      positiveLabel: config.positiveLabel ?? null,
      keyMetric: config.keyMetric ?? null,
    },
    data,
    split,
    training: {
      code: run.code,
      seeds: run.seeds,
      params: run.params,
      environment: {
        python: env.python ? `${env.python.implementation} ${env.python.version}` : `not captured (${env.pythonError ?? 'unknown'})`,
        packages: Object.keys(env.packages).length,
        keyPackages: Object.fromEntries(KEY_PACKAGES.filter((p) => env.packages[p]).map((p) => [p, env.packages[p]!])),
        lockfiles: env.lockfiles,
        os: `${env.os.distro ?? env.os.platform} (${env.os.platform} ${env.os.release}, ${env.os.arch})`,
        cpu: `${env.cpu.cores} × ${env.cpu.model}`,
        gpus: env.gpus.map((g) => `${g.name}, driver ${g.driver}, CUDA ${g.cuda ?? '—'}`),
        fingerprint: env.fingerprint,
      },
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      durationMs: run.durationMs,
      user: run.user,
      host: run.host,
      status: run.status,
      exitCode: run.exitCode,
    },
    history: {
      experiments: experiments.map((e) => ({ name: e.name, archived: e.archived, current: e.current, runs: e.runs, ahead: e.ahead, behind: e.behind, ...(e.reason ? { reason: e.reason } : {}), ...(e.archivedAt ? { archivedAt: e.archivedAt } : {}) })),
      runs: all.filter((r) => r.id === id || relevant.has(r.experiment)).map(summary),
      events: entries.filter((e) => e.kind === 'archive' || e.kind === 'restore' || e.kind === 'merge'),
      comparisons: comparedElsewhere,
    },
    metrics: run.metrics,
    evaluation: latest<EvaluationResult>(analyses, 'evaluation'),
    comparisons,
    fairness: latest<FairnessResult[]>(analyses, 'fairness'),
    explanations: {
      importance: latest<PermutationImportance[]>(analyses, 'permutation'),
      dependence: latest<PartialDependence[]>(analyses, 'pdp'),
      local: analyses.filter((a) => a.kind === 'shapley') as StoredAnalysis<ShapleyExplanation[]>[],
    },
    assumptions: entries.filter((e) => (e.kind === 'assumption' || e.kind === 'decision') && (e.run === id || e.experiment === run.experiment || e.experiment === null)),
    checks,
    reproduction,
    notes,
  };
}
