import type { Command } from 'commander';
import { relative, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { dataAdd } from '../../core/data/add';
import { dataCheckout, UnsavedChangesError, type CheckoutOptions } from '../../core/data/checkout';
import { dataDiff } from '../../core/data/diff';
import { openDvcRepo } from '../../core/data/dvcRepo';
import type { HashProgress } from '../../core/data/hashData';
import { runDvcRemote } from '../../core/data/remote';
import { dataHistory } from '../../core/data/runData';
import { dataStatus, isStageStatus, type OutputStatus, type StageStatus } from '../../core/data/status';
import { formatBytes } from '../../core/util/format';
import { table } from '../format';
import { json, print, workspace } from '../io';

const warn = (message: string) => process.stderr.write(`provenant: warning: ${message}\n`);

/** Paths typed relative to the current folder, as workspace-relative paths. */
function toWorkspacePaths(root: string, paths: readonly string[]): string[] {
  return paths.map((p) => relative(root, resolve(process.cwd(), p)).split(sep).join('/') || '.');
}

/** Progress on stderr for long hashing, at most every 2 s, only on a terminal. */
function progressReporter(): ((p: HashProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 2000 || p.filesDone === p.filesTotal) return;
    last = now;
    process.stderr.write(`provenant: hashed ${p.filesDone}/${p.filesTotal} files, ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}\n`);
  };
}

function short(md5: string | undefined): string {
  return md5 ? (md5.endsWith('.dir') ? `${md5.slice(0, 8)}….dir` : md5.slice(0, 8)) : '';
}

function describeChanges(s: OutputStatus): string {
  if (s.error) return s.error.split('\n')[0]!;
  if (s.changes) {
    const c = s.changes;
    return [c.added.length && `${c.added.length} added`, c.removed.length && `${c.removed.length} removed`, c.modified.length && `${c.modified.length} modified`].filter(Boolean).join(', ');
  }
  if (s.status === 'not-in-cache') return `${s.missingObjects ?? 1} object(s) missing from the cache`;
  return '';
}

function printStatus(entries: (OutputStatus | StageStatus)[]): void {
  const outputs = entries.filter((e): e is OutputStatus => !isStageStatus(e));
  const stages = entries.filter(isStageStatus);
  if (outputs.length === 0 && stages.length === 0) return print('Nothing tracked yet. Track data with `provenant data add <path>`.');
  if (outputs.length) {
    print(table(['PATH', 'STATUS', 'RECORDED IN', 'VERSION', 'DETAILS'], outputs.map((s) => [s.path || '—', s.status, s.stage ? `${s.file}:${s.stage}` : s.file, short(s.md5), describeChanges(s)])));
    for (const s of outputs) {
      if (!s.changes) continue;
      for (const f of s.changes.added.slice(0, 20)) print(`  + ${s.path}/${f}`);
      for (const f of s.changes.removed.slice(0, 20)) print(`  - ${s.path}/${f}`);
      for (const f of s.changes.modified.slice(0, 20)) print(`  ~ ${s.path}/${f}`);
    }
  }
  if (stages.length) {
    print('');
    print(
      table(
        ['STAGE', 'STATUS', 'WHAT CHANGED'],
        stages.map((s) => [
          s.stage,
          s.status,
          s.error ??
            (s.changed
              ? [s.changed.cmd && 'cmd', s.changed.deps.length && `deps: ${s.changed.deps.join(', ')}`, s.changed.params.length && `params: ${s.changed.params.join(', ')}`, s.changed.outs.length && `outs: ${s.changed.outs.join(', ')}`]
                  .filter(Boolean)
                  .join('; ')
              : ''),
        ]),
      ),
    );
  }
}

/**
 * `data status` exit code: 2 when an entry is an error (an unreadable DVC file or data, named on
 * stderr); with --quiet, 1 when anything differs from what is recorded (DVC's `status -q`); else 0.
 */
function statusExitCode(entries: (OutputStatus | StageStatus)[], quiet: boolean): number {
  const errors = entries.filter((e) => e.status === 'error');
  for (const e of errors) warn(`${e.file}${isStageStatus(e) ? `:${e.stage}` : e.path ? ` (${e.path})` : ''}: ${(e.error ?? 'error').split('\n')[0]}`);
  if (errors.length) return 2;
  return quiet && entries.some((e) => e.status !== 'unchanged') ? 1 : 0;
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** `provenant data add|status|checkout|diff|runs|push|pull`: a DVC 3 format client. */
export function registerDataCommands(program: Command): void {
  const data = program.command('data').description('version data in DVC 3 format (.dvc files, dvc.yaml/dvc.lock, .dvc/cache)');

  data
    .command('add')
    .description('track files or folders: store them in the DVC cache and write <path>.dvc (creates .dvc/ when missing)')
    .argument('<paths...>', 'files or folders to track')
    .action(async (paths: string[]) => {
      const root = workspace();
      const onProgress = progressReporter();
      const { results, initialized } = await dataAdd(root, toWorkspacePaths(root, paths), { onWarning: warn, ...(onProgress ? { onProgress } : {}) });
      if (initialized) print('Initialized DVC in .dvc/ (config, .gitignore) and wrote .dvcignore.');
      for (const r of results) {
        const what = r.nfiles !== undefined ? `${r.nfiles} file${r.nfiles === 1 ? '' : 's'}, ${formatBytes(r.size)}` : formatBytes(r.size);
        const verb = r.change === 'created' ? 'tracked' : r.change === 'updated' ? 'recorded a new version of' : 'unchanged:';
        print(`${verb} ${r.path} (${what}, ${short(r.md5)}) in ${r.dvcFile}${r.gitignore ? `; added to ${r.gitignore}` : ''}`);
      }
      if (results.some((r) => r.change !== 'unchanged')) print(`Commit the .dvc file${results.length > 1 ? 's' : ''} and .gitignore with git; \`provenant data push\` sends the data to a DVC remote.`);
    });

  data
    .command('status')
    .description('compare the workspace with the versions recorded in .dvc files and dvc.lock, and each dvc.yaml stage with dvc.lock')
    .argument('[targets...]', 'limit to these outputs (paths or .dvc files)')
    .option('--json', 'machine-readable output')
    .option('-q, --quiet', 'print nothing; exit 1 when anything changed (as `dvc status -q`)')
    .action(async (targets: string[], opts: { json?: boolean; quiet?: boolean }) => {
      const root = workspace();
      const onProgress = progressReporter();
      const entries = await dataStatus(root, { targets: toWorkspacePaths(root, targets), ...(onProgress ? { onProgress } : {}) });
      if (opts.json) json(entries);
      else if (!opts.quiet) printStatus(entries);
      process.exitCode = statusExitCode(entries, opts.quiet === true);
    });

  data
    .command('checkout')
    .description('restore workspace copies from the cache: the recorded version, or the one a past run used')
    .argument('[targets...]', 'outputs to restore (default: all)')
    .option('--run <run>', 'restore the data version this run used')
    .option('-f, --force', 'overwrite modifications that are not saved in the cache')
    .action(async (targets: string[], opts: { run?: string; force?: boolean }) => {
      const root = workspace();
      const base: CheckoutOptions = { onWarning: warn, ...(opts.run ? { run: opts.run } : {}) };
      let results;
      try {
        results = await dataCheckout(root, toWorkspacePaths(root, targets), { ...base, force: opts.force === true });
      } catch (err) {
        if (!(err instanceof UnsavedChangesError) || !(await confirm(`${err.message}\nOverwrite them?`))) throw err;
        results = await dataCheckout(root, toWorkspacePaths(root, targets), { ...base, force: true });
      }
      for (const r of results) {
        const n = r.restored.length + r.removed.length;
        print(n === 0 ? `${r.path}: already at ${short(r.md5)} (${r.source})` : `${r.path}: checked out ${short(r.md5)} from ${r.source} (${r.restored.length} written, ${r.removed.length} removed; ${r.linkTypes.join(',')})`);
      }
      if (opts.run) print('The workspace now holds that run\'s data; `provenant data status` shows how it differs from the .dvc files.');
    });

  data
    .command('diff')
    .description('added, removed and modified files between two versions of the data (runs, git revisions or "workspace")')
    .argument('<a>', 'run id, git revision, or workspace')
    .argument('<b>', 'run id, git revision, or workspace')
    .argument('[targets...]', 'limit to these datasets')
    .option('--json', 'machine-readable output')
    .action(async (a: string, b: string, targets: string[], opts: { json?: boolean }) => {
      const root = workspace();
      const result = await dataDiff(root, a, b, toWorkspacePaths(root, targets));
      // An unreadable DVC file makes the diff incomplete: said (naming it) and exit code 2.
      for (const e of result.errors) warn(`cannot read ${e.file}; its datasets are left out of the diff: ${e.error.split('\n')[0]}`);
      if (result.errors.length) process.exitCode = 2;
      if (opts.json) return json(result);
      print(`${result.a} → ${result.b}`);
      if (result.datasets.length === 0) return print(result.errors.length ? 'No readable tracked data on either side.' : 'No tracked data on either side.');
      for (const d of result.datasets) {
        print(`${d.status.padEnd(9)} ${d.path}${d.status === 'modified' ? ` (${short(d.old)} → ${short(d.new)})` : ''}`);
        if (d.error) print(`  ${d.error}`);
        if (d.changes) {
          for (const f of d.changes.added) print(`  + ${f}`);
          for (const f of d.changes.removed) print(`  - ${f}`);
          for (const f of d.changes.modified) print(`  ~ ${f}`);
        }
      }
    });

  data
    .command('runs')
    .description('which runs used which version of each dataset, and whether that version is still in the cache')
    .argument('[paths...]', 'limit to these datasets')
    .option('--json', 'machine-readable output')
    .action((paths: string[], opts: { json?: boolean }) => {
      const root = workspace();
      const history = dataHistory(root, toWorkspacePaths(root, paths));
      if (opts.json) return json(history);
      if (history.length === 0) return print('No data recorded yet.');
      for (const h of history) {
        print(h.path);
        for (const v of h.versions) {
          const size = v.nfiles !== undefined ? `${v.nfiles} files, ${formatBytes(v.size)}` : formatBytes(v.size);
          const runs = v.runs.length ? `used by ${v.runs.map((r) => r.name === r.id ? r.id : `${r.name} (${r.id})`).join(', ')}` : 'used by no run';
          print(`  ${short(v.md5)}  ${size}${v.current ? '  [current]' : ''}  ${v.inCache ? 'in cache' : 'NOT in cache'}  ${runs}`);
        }
      }
    });

  for (const action of ['push', 'pull'] as const) {
    data
      .command(action)
      .description(`${action} cached data ${action === 'push' ? 'to' : 'from'} the DVC remote (runs the dvc executable)`)
      .argument('[targets...]', 'limit to these outputs')
      .option('-r, --remote <name>', 'remote name (default: core.remote)')
      .action(async (targets: string[], opts: { remote?: string }) => {
        const root = workspace();
        const outcome = await runDvcRemote(openDvcRepo(root), root, action, toWorkspacePaths(root, targets), { ...(opts.remote ? { remote: opts.remote } : {}), onOutput: (t) => process.stderr.write(t) });
        print(`dvc ${action} finished (exit code ${outcome.exitCode}).`);
      });
  }
}
