import type { Command } from 'commander';
import { join } from 'node:path';
import { runExperiment } from '../../core/runner/run';
import { listRuns, readRun, resolveRunId } from '../../core/runs/store';
import { loadConfig } from '../../core/config/config';
import { snapshotEnvironment } from '../../core/env/snapshot';
import { diffEnvironments } from '../../core/env/diff';
import { DEFAULT_PYTHON } from '../../core/runner/command';
import { recordedInterpreter } from '../../core/runner/interpreter';
import { recoverInterruptedRuns } from '../../core/runner/recover';
import { describeRun, formatDuration, formatNumber, keyMetricOf, table } from '../format';
import { json, print, workspace } from '../io';

/** The `provenant` Python package ships next to the bundle: dist/cli.js → python/. */
const PYTHON_HELPER_DIR = join(__dirname, '..', 'python');

/** `provenant run`, `provenant runs list|show`, `provenant env`. */
export function registerRunCommands(program: Command): void {
  program
    .command('run')
    .description('run a training command and capture code, data, seed, environment, params, metrics and predictions')
    .option('-n, --name <name>', 'a name for the run')
    .option('-s, --seed <seed>', 'root seed (default: `seed`, else `random_seed`/`random_state`, nested too, in params.yaml; else generated)')
    .option('--python <interpreter>', 'Python interpreter (default: `python` in .provenant/config.yaml, else python3)')
    .option('-q, --quiet', 'do not echo the command\'s output')
    .argument('[command...]', 'the command, after `--` (default: `train` in .provenant/config.yaml)')
    .action(async (command: string[], opts: { name?: string; seed?: string; python?: string; quiet?: boolean }) => {
      const outcome = await runExperiment({
        cwd: process.cwd(),
        ...(command.length ? { command } : {}),
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(opts.python ? { python: opts.python } : {}),
        pythonHelperDir: PYTHON_HELPER_DIR,
        onStep: (message) => process.stderr.write(`provenant: ${message}\n`),
        onStarted: (record) => process.stderr.write(`provenant: run ${record.id} started (seed ${record.seeds.root})\n`),
        ...(opts.quiet ? {} : { onOutput: (stream: 'stdout' | 'stderr', chunk: Buffer) => (stream === 'stdout' ? process.stdout : process.stderr).write(chunk) }),
      });
      const { record, warnings } = outcome;
      for (const warning of warnings) process.stderr.write(`provenant: warning: ${warning}\n`);
      const metrics = Object.entries(record.metrics).slice(0, 6).map(([k, v]) => `${k}=${formatNumber(v)}`).join(' ');
      process.stderr.write(`provenant: run ${record.id} ${record.status} in ${formatDuration(record.durationMs)}${metrics ? `: ${metrics}` : ''}\n`);
      if (record.status !== 'succeeded') process.exitCode = record.exitCode && record.exitCode > 0 ? record.exitCode : 1;
    });

  const runs = program.command('runs').description('read captured runs');
  runs
    .command('list')
    .description('list the runs of this workspace, newest first')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const root = workspace();
      await recoverInterruptedRuns(root);
      const { runs: all, problems } = listRuns(root);
      for (const p of problems) process.stderr.write(`provenant: skipped ${p.file}: ${p.message}\n`);
      if (opts.json) return json(all);
      if (all.length === 0) return print('No runs yet. Start one with `provenant run -- <command>`.');
      const key = loadConfig(root).keyMetric;
      print(
        table(
          ['ID', 'NAME', 'EXPERIMENT', 'STATUS', 'METRIC', 'STARTED', 'DURATION'],
          all.map((r) => {
            const metric = keyMetricOf(r, key);
            return [r.id, r.name === r.id ? '' : r.name, r.experiment ?? '', r.status, metric ? `${metric[0]}=${formatNumber(metric[1])}` : '', r.startedAt.replace('T', ' ').slice(0, 19), formatDuration(r.durationMs)];
          }),
        ),
      );
    });
  runs
    .command('show')
    .description('show everything captured for one run')
    .argument('<run>', 'run id (or a unique part of it, or its name)')
    .option('--json', 'machine-readable output')
    .action((query: string, opts: { json?: boolean }) => {
      const root = workspace();
      const run = readRun(root, resolveRunId(root, query));
      if (opts.json) json(run);
      else print(describeRun(run));
    });

  program
    .command('env')
    .description("snapshot the configured interpreter's environment and show what drifted since the last run")
    .option('--python <interpreter>', 'Python interpreter (default: the one the last run recorded, else `python` of config.yaml, else python3)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { python?: string; json?: boolean }) => {
      const root = workspace();
      const config = loadConfig(root);
      const last = listRuns(root).runs[0];
      // The last run's own interpreter by default, so drift is measured against like for like.
      const current = await snapshotEnvironment(root, opts.python ?? (last && recordedInterpreter(last)) ?? config.python ?? DEFAULT_PYTHON);
      const drift = last ? diffEnvironments(last.environment, current) : null;
      if (opts.json) return json({ environment: current, since: last?.id ?? null, drift });
      print(`python    ${current.python ? `${current.python.version} (${current.python.executable})` : current.pythonError}`);
      print(`packages  ${Object.keys(current.packages).length}`);
      print(`lockfiles ${Object.keys(current.lockfiles).join(', ') || 'none'}`);
      if (!drift) return print('No run yet to compare with.');
      if (drift.same) return print(`No drift since run ${last!.id}.`);
      print(`Drift since run ${last!.id}:`);
      for (const [n, v] of Object.entries(drift.added)) print(`  + ${n} ${v}`);
      for (const [n, v] of Object.entries(drift.removed)) print(`  - ${n} ${v}`);
      for (const [n, c] of Object.entries(drift.changed)) print(`  ~ ${n} ${c.from} → ${c.to}`);
      for (const o of drift.other) print(`  ~ ${o.field}: ${o.from} → ${o.to}`);
    });
}
