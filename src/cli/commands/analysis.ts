import { Command, Option } from 'commander';
import { join } from 'node:path';
import { resolveRunId } from '../../core/runs/store';
import { AnalysisSession, compareRunsStored, evaluateRun, fairnessOfRun, explorerOfRun, openRun } from '../../core/analysis/engine';
import type { EvaluationResult, Estimate, FairnessResult, PartialDependence, PermutationImportance, ShapleyExplanation } from '../../core/analysis/types';
import { ProvenantError } from '../../core/util/errors';
import { formatNumber, table } from '../format';
import { json, num, print, withCancel, workspace } from '../io';

/** The `provenant` Python package ships next to the bundle: dist/cli.js → python/. */
const PYTHON_HELPER_DIR = join(__dirname, '..', 'python');

const collect = (value: string, previous: string[] = []) => [...previous, value];
const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

function est(e: Estimate | undefined): string {
  if (!e) return '—';
  const v = Number.isFinite(e.value) ? formatNumber(e.value) : 'n/a';
  return e.low === null || e.high === null ? v : `${v}  [${formatNumber(e.low)}, ${formatNumber(e.high)}]`;
}

const rate = (v: number | null) => (v === null || !Number.isFinite(v) ? '—' : v.toFixed(3));

function printEvaluation(r: EvaluationResult, file: string): void {
  print(`Evaluation of run ${r.run} (${r.set}, ${r.rows} rows, ${r.task}${r.threshold !== null ? `, threshold ${r.threshold}` : ''})`);
  print(table(['METRIC', `VALUE  [${Math.round(r.bootstrap.level * 100)}% interval]`], Object.entries(r.metrics).map(([k, e]) => [k, est(e)])));
  if (r.confusion) print(`\nConfusion matrix: TP ${r.confusion.tp}  FP ${r.confusion.fp}  FN ${r.confusion.fn}  TN ${r.confusion.tn}`);
  if (r.classes && r.confusionMatrix) {
    print('\nConfusion matrix (rows: true class, columns: predicted class)');
    print(table(['TRUE \\ PREDICTED', ...r.classes], r.confusionMatrix.map((row, k) => [r.classes![k]!, ...row.map(String)])));
  }
  if (r.perClass) {
    print('\nBy class (one vs rest)');
    print(table(['CLASS', 'PRECISION', 'RECALL', 'F1', 'SUPPORT'], r.perClass.map((c) => [c.class, formatNumber(c.precision), formatNumber(c.recall), formatNumber(c.f1), String(c.support)])));
  }
  if (r.residuals) print(`\nResiduals: mean ${formatNumber(r.residuals.mean)}, std ${formatNumber(r.residuals.std)}, min ${formatNumber(r.residuals.min)}, max ${formatNumber(r.residuals.max)}`);
  print(`\nIntervals: ${r.bootstrap.resamples} bootstrap resamples over rows, seed ${r.bootstrap.seed}. Stored in ${file}`);
  for (const w of r.warnings) print(`warning: ${w}`);
}

function printFairness(r: FairnessResult): void {
  print(`\nFairness by ${r.attribute}${r.threshold !== null ? ` at threshold ${r.threshold}` : ''}`);
  print(
    table(
      ['GROUP', 'N', 'SELECTION RATE', 'TPR', 'FPR', 'ACCURACY'],
      r.groups.map((g) => [g.group, String(g.n), `${rate(g.selectionRate)}${g.selectionRateInterval ? ` [${rate(g.selectionRateInterval[0])}, ${rate(g.selectionRateInterval[1])}]` : ''}`, rate(g.tpr), rate(g.fpr), rate(g.accuracy)]),
    ),
  );
  print(`  demographic parity difference ${rate(r.demographicParityDifference)}, ratio ${rate(r.demographicParityRatio)}`);
  print(`  equal opportunity difference ${rate(r.equalOpportunityDifference)}, equalized odds difference ${rate(r.equalizedOddsDifference)}`);
  print(`  ${r.unprivileged} vs ${r.privileged}: statistical parity difference ${rate(r.statisticalParityDifference)}, disparate impact ${rate(r.disparateImpact)}, average odds difference ${rate(r.averageOddsDifference)}`);
  const ff = r.fourFifths;
  print(`  four-fifths rule: ${ff.pass ? 'pass' : 'FAIL'} (ratio ${rate(ff.ratio)}${ff.interval ? `, interval ${rate(ff.interval[0])}–${rate(ff.interval[1])}` : ''}; fails below ${ff.threshold ?? 0.8}${ff.flagged.length ? `; flagged: ${ff.flagged.join(', ')}` : ''})`);
  for (const w of r.warnings) print(`  warning: ${w}`);
}

/** `provenant eval`, `provenant fairness`, `provenant explain`. */
export function registerAnalysisCommands(program: Command): void {
  program
    .command('eval')
    .description("evaluate a run's predictions: metrics with bootstrap intervals; --against compares with a champion run")
    .argument('<run>', 'run id (or a unique part of it, or its name)')
    .option('--set <name>', 'prediction set (default: holdout)')
    .option('--threshold <t>', 'decision threshold on y_score', num('--threshold', 0, 1), 0.5)
    .option('--resamples <n>', 'bootstrap resamples', num('--resamples', 0, 1e6, true), 1000)
    .option('--seed <n>', 'bootstrap seed', num('--seed', 0, 2 ** 32 - 1, true), 0)
    .option('--level <p>', 'interval level', num('--level', 0, 1), 0.95)
    .option('--against <champion>', 'paired bootstrap of the difference with a champion run on the same rows')
    .option('--json', 'machine-readable output')
    .action((query: string, opts: { set?: string; threshold: number; resamples: number; seed: number; level: number; against?: string; json?: boolean }) => {
      const root = workspace();
      const id = resolveRunId(root, query);
      const common = { threshold: opts.threshold, bootstrap: { resamples: opts.resamples, seed: opts.seed, level: opts.level }, ...(opts.set ? { set: opts.set } : {}) };
      if (opts.against) {
        const stored = compareRunsStored(root, resolveRunId(root, opts.against), id, common);
        if (opts.json) return json(stored.result);
        const r = stored.result;
        print(`Challenger ${r.challenger} vs champion ${r.champion} (${r.rows} paired rows, ${r.bootstrap.resamples} resamples, seed ${r.bootstrap.seed})`);
        print(table(['METRIC', 'CHAMPION', 'CHALLENGER', 'DIFFERENCE [interval]', 'P(NOT BETTER)'], r.metrics.map((m) => [m.metric, formatNumber(m.champion), formatNumber(m.challenger), est(m.difference), m.pNotBetter.toFixed(3)])));
        for (const w of r.warnings) print(`warning: ${w}`);
        return;
      }
      const stored = evaluateRun(root, id, common);
      if (opts.json) return json(stored.result);
      printEvaluation(stored.result, stored.file);
    });

  program
    .command('fairness')
    .description("fairness of a run's decisions for its sensitive attributes: by-group rates, parity metrics, the four-fifths rule")
    .argument('<run>', 'run id (or a unique part of it, or its name)')
    .option('-a, --attribute <name>', 'sensitive attribute (repeatable; default: sensitive_attributes of config.yaml)', collect)
    .option('--intersections', 'also every combination of the attributes')
    .option('--threshold <t>', 'decision threshold on y_score', num('--threshold', 0, 1), 0.5)
    .option('--privileged <attribute=group>', "AIF360's privileged group (repeatable; default: the group selected most)", collect)
    .option('--min-group-size <n>', 'warn for smaller groups (default: checks.min_group_size, else 30)', num('--min-group-size', 1, 1e9, true))
    .option('--bins <n>', 'cut numeric attributes (with more distinct values) into n quantile bins, labelled by interval', num('--bins', 2, 1000, true))
    .option('--resamples <n>', 'bootstrap resamples', num('--resamples', 0, 1e6, true), 1000)
    .option('--seed <n>', 'bootstrap seed', num('--seed', 0, 2 ** 32 - 1, true), 0)
    .option('--explorer', 'print the threshold explorer (per-group rates for thresholds 0…1) instead')
    .option('--set <name>', 'prediction set (default: holdout)')
    .option('--json', 'machine-readable output')
    .action((query: string, opts: { attribute?: string[]; intersections?: boolean; threshold: number; privileged?: string[]; minGroupSize?: number; bins?: number; resamples: number; seed: number; explorer?: boolean; set?: string; json?: boolean }) => {
      const root = workspace();
      const id = resolveRunId(root, query);
      const selection = { ...(opts.attribute ? { attributes: opts.attribute } : {}), intersections: !!opts.intersections, ...(opts.bins ? { bins: opts.bins } : {}) };
      if (opts.explorer) {
        const explorers = explorerOfRun(openRun(root, id, opts.set ? { set: opts.set } : {}), selection);
        if (opts.json) return json(explorers.length === 1 ? explorers[0] : explorers);
        for (const e of explorers) {
          print(`\nThreshold explorer by ${e.attribute} (selection rate / TPR / FPR)`);
          const picks = e.thresholds.map((t, i) => [t, i] as const).filter(([t]) => Math.round(t * 100) % 10 === 0);
          print(table(['THRESHOLD', ...e.groups.map((g) => g.group)], picks.map(([t, i]) => [t.toFixed(2), ...e.groups.map((g) => `${rate(g.selectionRate[i]!)} / ${rate(g.tpr[i] ?? null)} / ${rate(g.fpr[i] ?? null)}`)])));
        }
        return;
      }
      const privileged: Record<string, string> = {};
      for (const p of opts.privileged ?? []) {
        const eq = p.indexOf('=');
        if (eq <= 0) throw new ProvenantError(`--privileged takes attribute=group, got "${p}"`, { code: 'E_USAGE' });
        privileged[p.slice(0, eq)] = p.slice(eq + 1);
      }
      const stored = fairnessOfRun(root, id, {
        ...selection,
        threshold: opts.threshold,
        privileged,
        bootstrap: { resamples: opts.resamples, seed: opts.seed },
        ...(opts.minGroupSize ? { minGroupSize: opts.minGroupSize } : {}),
        ...(opts.set ? { set: opts.set } : {}),
      });
      if (opts.json) return json(stored.result.length === 1 ? stored.result[0] : stored.result);
      for (const r of stored.result) printFairness(r);
      print(`\nIntervals: ${opts.resamples} bootstrap resamples within each group, seed ${opts.seed}. Stored in ${stored.file}`);
    });

  program
    .command('explain')
    .description("explain a run's model through its predictor: permutation importance, partial dependence + ICE, or Shapley values of rows")
    .argument('<run>', 'run id (or a unique part of it, or its name)')
    .addOption(new Option('-m, --method <method>', 'explanation').choices(['permutation', 'pdp', 'shapley']).makeOptionMandatory())
    .option('--rows <i,j>', 'rows of the prediction set to explain (shapley)', list)
    .option('--features <a,b>', 'features to compute partial dependence for (pdp; default: all)', list)
    .option('--repeats <n>', 'shuffles per feature (permutation)', num('--repeats', 1, 1e4, true), 5)
    .option('--scoring <name>', 'score (permutation): roc_auc, accuracy, neg_log_loss, r2, neg_mean_absolute_error')
    .option('--max-rows <n>', 'use a seeded sample of at most n rows (permutation)', num('--max-rows', 1, 1e9, true))
    .option('--grid-resolution <n>', 'grid points per numeric feature (pdp)', num('--grid-resolution', 2, 1e4, true), 100)
    .option('--max-ice <n>', 'ICE curves kept (pdp)', num('--max-ice', 0, 1e6, true), 1000)
    .addOption(new Option('--algorithm <name>', 'Shapley algorithm').choices(['auto', 'exact', 'permutation']).default('auto'))
    .option('--background <n>', 'background rows (shapley)', num('--background', 1, 1e6, true), 100)
    .option('--max-evals <n>', 'coalitions per row for the permutation estimator (shapley)', num('--max-evals', 3, 1e7, true), 500)
    .option('--class <label>', "class whose probability is explained, for a target with several classes (pdp, shapley; default: the last class)")
    .option('--seed <n>', 'seed of shuffles, samples and background', num('--seed', 0, 2 ** 32 - 1, true), 0)
    .option('--python <interpreter>', 'interpreter of the default predictor (default: python of config.yaml)')
    .option('--timeout <seconds>', 'give up on a predictor that answers nothing for this long', num('--timeout', 1, 86400), 120)
    .option('--no-cache', 'recompute even when a stored result has the same settings')
    .option('--set <name>', 'prediction set (default: holdout)')
    .option('--json', 'machine-readable output')
    .action(async (query: string, opts: Record<string, unknown> & { method: 'permutation' | 'pdp' | 'shapley'; json?: boolean; cache: boolean }) => {
      const root = workspace();
      const id = resolveRunId(root, query);
      const progress = process.stderr.isTTY && !opts.json ? (done: number, total: number, what: string) => process.stderr.write(`\r${what}: ${done}/${total}   `) : undefined;
      const session = AnalysisSession.open(root, id, {
        pythonHelperDir: PYTHON_HELPER_DIR,
        cache: opts.cache,
        batchTimeoutMs: (opts.timeout as number) * 1000,
        startTimeoutMs: Math.max(60_000, (opts.timeout as number) * 1000),
        ...(opts.python ? { python: opts.python as string } : {}),
        ...(opts.set ? { set: opts.set as string } : {}),
        ...(progress ? { progress } : {}),
      });
      try {
        await withCancel(async (signal) => {
          if (opts.method === 'permutation') {
            const stored = await session.explain('permutation', { repeats: opts.repeats as number, seed: opts.seed as number, ...(opts.scoring ? { scoring: opts.scoring as 'roc_auc' } : {}), ...(opts.maxRows ? { maxRows: opts.maxRows as number } : {}) }, { signal });
            if (progress) process.stderr.write('\n');
            if (opts.json) return json(stored.result);
            const sorted = [...stored.result].sort((a: PermutationImportance, b: PermutationImportance) => b.importance - a.importance);
            print(`Permutation importance of run ${id} (${stored.settings.scoring}, ${stored.settings.repeats} repeats, seed ${stored.settings.seed}; baseline ${formatNumber(stored.settings.baselineScore as number)})`);
            print(table(['FEATURE', 'IMPORTANCE', 'STD'], sorted.map((r) => [r.feature, formatNumber(r.importance), formatNumber(r.std)])));
            return footer(stored);
          }
          if (opts.method === 'pdp') {
            const stored = await session.explain('pdp', { gridResolution: opts.gridResolution as number, maxIceRows: opts.maxIce as number, seed: opts.seed as number, ...(opts.features ? { features: opts.features as string[] } : {}), ...(opts.class !== undefined ? { class: opts.class as string } : {}) }, { signal });
            if (progress) process.stderr.write('\n');
            if (opts.json) return json(stored.result);
            if (stored.settings.class !== undefined) print(`Probability of class ${stored.settings.class}:`);
            for (const pd of stored.result as PartialDependence[]) {
              const lo = Math.min(...pd.average);
              const hi = Math.max(...pd.average);
              print(`${pd.feature}: ${pd.grid.length} grid points from ${pd.grid[0]} to ${pd.grid[pd.grid.length - 1]}; partial dependence ${formatNumber(lo)} … ${formatNumber(hi)} (range ${formatNumber(hi - lo)}); ${pd.individual.length} ICE curves`);
            }
            return footer(stored);
          }
          if (!opts.rows) throw new ProvenantError('--method shapley needs --rows (e.g. --rows 0,12)', { code: 'E_USAGE' });
          const rows = (opts.rows as string[]).map((r) => num('--rows', 0, 1e9, true)(r));
          const stored = await session.explain('shapley', { rows, algorithm: opts.algorithm as 'auto', backgroundSize: opts.background as number, maxEvals: opts.maxEvals as number, seed: opts.seed as number, ...(opts.class !== undefined ? { class: opts.class as string } : {}) }, { signal });
          if (progress) process.stderr.write('\n');
          if (opts.json) return json(stored.result);
          if (stored.settings.class !== undefined) print(`Probability of class ${stored.settings.class}:`);
          for (const e of stored.result as ShapleyExplanation[]) {
            print(`Row ${e.row}: base value ${formatNumber(e.baseValue)} → prediction ${formatNumber(e.prediction)}`);
            print(table(['FEATURE', 'VALUE', 'SHAPLEY'], Object.entries(e.values).sort(([, a], [, b]) => Math.abs(b) - Math.abs(a)).map(([f, v]) => [f, String(e.features[f]), formatNumber(v)])));
          }
          print(`Algorithm ${stored.settings.algorithmUsed}, background ${(stored.settings.backgroundRows as number[]).length} rows, ${stored.settings.coalitionsPerRow} coalitions per row.`);
          return footer(stored);
        });
      } finally {
        await session.close();
      }
    });
}

function footer(stored: { file: string; cached?: boolean; cost: { modelEvaluations: number; predictorMs: number; totalMs: number } | null }): void {
  const c = stored.cost;
  print(`${stored.cached ? 'From the stored result' : 'Stored in'} ${stored.file}${c ? ` (${c.modelEvaluations.toLocaleString('en-US')} model evaluations, ${Math.round(c.totalMs)} ms)` : ''}`);
}
