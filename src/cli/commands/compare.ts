import type { Command } from 'commander';
import { loadConfig } from '../../core/config/config';
import { comparisonMarkdown, comparisonText, compareRunsFull, differenceCounts } from '../../core/runs/compare';
import { readWorkspaceManifest } from '../../core/data/versions';
import { comparisonExtras } from '../../core/runs/compareEvaluation';
import { readRun, resolveRunId } from '../../core/runs/store';
import { ProvenantError } from '../../core/util/errors';
import { formatNumber, table } from '../format';
import { json, print, workspace } from '../io';

/** `provenant compare <run> <run>… [--json|--md]`. */
export function registerCompareCommands(program: Command): void {
  program
    .command('compare')
    .description('what differs between two or more runs: params, metrics (with bootstrap intervals from predictions), seeds, data files, environment and code')
    .argument('<runs...>', 'two or more runs: ids, unique parts of ids, or names (the first is the baseline)')
    .option('--json', 'machine-readable output')
    .option('--md', 'Markdown tables')
    .option('-d, --differences', 'only what differs')
    .option('--no-predictions', 'skip the evaluation of logged predictions (no bootstrap intervals)')
    .action(async (queries: string[], opts: { json?: boolean; md?: boolean; differences?: boolean; predictions: boolean }) => {
      if (opts.json && opts.md) throw new ProvenantError('--json and --md exclude each other', { code: 'E_USAGE' });
      if (queries.length < 2) throw new ProvenantError(`compare needs two or more runs, got ${queries.length}`, { hint: 'provenant runs list shows them.', code: 'E_USAGE' });
      const root = workspace();
      const runs = queries.map((q) => readRun(root, resolveRunId(root, q)));
      const comparison = await compareRunsFull(root, runs, { readManifest: async (oid) => readWorkspaceManifest(root, oid) });
      const extras = opts.predictions && runs.some((r) => r.predictions.length > 0) ? comparisonExtras(root, runs, loadConfig(root)) : null;
      if (opts.json) {
        return json({
          ...comparison,
          ...(extras
            ? {
                evaluation: extras.evaluations.map((e) => ({ run: e.run, set: e.set, task: e.task, rows: e.rows, metrics: e.metrics, confusion: e.confusion, note: e.note })),
                paired: extras.paired.map((p, i) => (p ? p : i === 0 ? null : { note: extras.pairedNotes[i] })),
                bootstrap: extras.bootstrap,
              }
            : {}),
        });
      }
      const options = { differencesOnly: !!opts.differences };
      if (opts.md) return print(comparisonMarkdown(comparison, options).trimEnd());
      const counts = differenceCounts(comparison);
      comparison.summary.forEach((r, i) => print(`[${i + 1}] ${r.id}${r.name !== r.id ? `  "${r.name}"` : ''}  ${r.experiment ?? '(detached)'}  ${r.status}  ${r.startedAt.replace('T', ' ').slice(0, 19)}`));
      print(`Differences: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
      print(comparisonText(comparison, options).trimEnd());
      if (extras) {
        const names = [...new Set(extras.evaluations.flatMap((e) => Object.keys(e.metrics)))];
        if (names.length) {
          const pct = Math.round(extras.bootstrap.level * 100);
          print(`\n## Metrics from predictions (${pct}% bootstrap intervals, ${extras.bootstrap.resamples} resamples)`);
          print(table(['METRIC', ...runs.map((_, i) => `[${i + 1}]`)], names.map((n) => [n, ...extras.evaluations.map((e) => {
            const m = e.metrics[n];
            if (!m) return '—';
            return `${formatNumber(m.value)}${m.low !== null && m.high !== null ? ` [${formatNumber(m.low)}, ${formatNumber(m.high)}]` : ''}`;
          })])));
        }
        extras.evaluations.forEach((e, i) => e.note && print(`[${i + 1}] ${e.note}`));
        extras.paired.forEach((p, i) => {
          if (i === 0) return;
          if (!p) return print(`[${i + 1}] vs [1]: ${extras.pairedNotes[i]}`);
          print(`\n[${i + 1}] vs [1], paired over ${p.rows} rows:`);
          print(table(['METRIC', 'DIFFERENCE', 'INTERVAL', 'P(NOT BETTER)'], p.metrics.map((m) => [m.metric, formatNumber(m.difference.value), m.difference.low === null || m.difference.high === null ? '—' : `[${formatNumber(m.difference.low)}, ${formatNumber(m.difference.high)}]`, Number.isFinite(m.pNotBetter) ? m.pNotBetter.toFixed(3) : '—'])));
        });
      }
    });
}
