/**
 * The parts of a comparison computed from what runs logged beyond their record: metric histories
 * (curves over steps), and from predictions, metrics with bootstrap confidence intervals, the
 * confusion matrix, ROC and precision-recall curves, and the paired champion-vs-challenger
 * difference of each run against the first. Uses the analysis engine's functions; a run without
 * predictions, or whose predictions cannot be read, gets a note instead.
 */
import type { ProvenantConfig } from '../config/config';
import { loadPredictions, type PredictionData } from '../analysis/dataset';
import { compare, evaluate } from '../analysis/evaluate';
import { precisionRecallCurve, rocCurve, type ScoreCurve } from '../analysis/curves';
import type { BootstrapSettings, ComparisonResult, Estimate, EvaluationResult } from '../analysis/types';
import { describeError } from '../util/errors';
import { readMetricHistory } from './store';
import type { MetricPoint, RunRecord } from './types';

export interface RunEvaluation {
  run: string;
  /** Prediction set evaluated, or null when the run has none usable. */
  set: string | null;
  task: EvaluationResult['task'] | null;
  rows: number;
  metrics: Record<string, Estimate>;
  confusion: EvaluationResult['confusion'];
  roc: ScoreCurve | null;
  pr: ScoreCurve | null;
  /** Why something is missing, or null. */
  note: string | null;
}

export interface ComparisonExtras {
  /** Step history of each run's metrics, in the order of the runs. */
  history: MetricPoint[][];
  evaluations: RunEvaluation[];
  /** Each run against the first (index 0 is null): paired bootstrap difference, or null with a note. */
  paired: (ComparisonResult | null)[];
  pairedNotes: (string | null)[];
  bootstrap: BootstrapSettings;
}

export interface ExtrasOptions {
  bootstrap?: Partial<BootstrapSettings>;
  threshold?: number;
  /** Points per ROC/PR curve (default 300). */
  curvePoints?: number;
  /** Points per metric history (default 2000, evenly thinned). */
  historyPoints?: number;
}

function thinHistory(points: MetricPoint[], max: number): MetricPoint[] {
  const byName = new Map<string, MetricPoint[]>();
  for (const p of points) {
    const list = byName.get(p.name) ?? [];
    list.push(p);
    byName.set(p.name, list);
  }
  const out: MetricPoint[] = [];
  for (const list of byName.values()) {
    if (list.length <= max) out.push(...list);
    else for (let k = 0; k < max; k++) out.push(list[Math.round((k * (list.length - 1)) / (max - 1))]!);
  }
  return out;
}

export function comparisonExtras(root: string, runs: RunRecord[], config: ProvenantConfig, options: ExtrasOptions = {}): ComparisonExtras {
  const history = runs.map((r) => thinHistory(readMetricHistory(root, r.id), options.historyPoints ?? 2000));
  const loaded: (PredictionData | null)[] = [];
  const evaluations: RunEvaluation[] = runs.map((run) => {
    const empty: RunEvaluation = { run: run.id, set: null, task: null, rows: 0, metrics: {}, confusion: null, roc: null, pr: null, note: null };
    if (run.predictions.length === 0) {
      loaded.push(null);
      return { ...empty, note: 'no predictions logged' };
    }
    try {
      const data = loadPredictions(root, run, config);
      loaded.push(data);
      const result = evaluate(data, { ...(options.bootstrap ? { bootstrap: options.bootstrap } : {}), ...(options.threshold !== undefined ? { threshold: options.threshold } : {}) });
      const scored = data.task === 'classification' && data.yScore;
      return {
        run: run.id,
        set: data.set.name,
        task: data.task,
        rows: data.rows,
        metrics: result.metrics,
        confusion: result.confusion,
        roc: scored ? rocCurve(data.yTrue, data.yScore!, options.curvePoints ?? 300) : null,
        pr: scored ? precisionRecallCurve(data.yTrue, data.yScore!, options.curvePoints ?? 300) : null,
        note: result.warnings.length ? result.warnings.join(' ') : null,
      };
    } catch (err) {
      loaded.push(null);
      return { ...empty, note: describeError(err) };
    }
  });
  const paired: (ComparisonResult | null)[] = [null];
  const pairedNotes: (string | null)[] = [null];
  for (let i = 1; i < runs.length; i++) {
    const a = loaded[0];
    const b = loaded[i];
    if (!a || !b) {
      paired.push(null);
      pairedNotes.push('needs predictions of both runs');
      continue;
    }
    try {
      paired.push(compare(a, b, { ...(options.bootstrap ? { bootstrap: options.bootstrap } : {}), ...(options.threshold !== undefined ? { threshold: options.threshold } : {}) }));
      pairedNotes.push(null);
    } catch (err) {
      paired.push(null);
      pairedNotes.push(describeError(err));
    }
  }
  const bootstrap = { resamples: 1000, seed: 0, level: 0.95, ...options.bootstrap };
  return { history, evaluations, paired, pairedNotes, bootstrap };
}
