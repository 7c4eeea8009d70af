import type { Command } from 'commander';
import {
  archiveExperiment,
  listExperiments,
  mergeExperiment,
  newExperiment,
  restoreExperiment,
  switchExperiment,
  type DirtyPolicy,
  type MoveResult,
} from '../../core/experiments/experiments';
import { appendJournal, readJournal, JOURNAL_PATH, type JournalKind } from '../../core/experiments/journal';
import { resumeSwitch, type LateEdits } from '../../core/experiments/journaledSwitch';
import { interruptedSwitchMessage } from '../../core/experiments/switchState';
import { listPaths } from '../../core/experiments/gitops';
import { resolveRunId } from '../../core/runs/store';
import { ProvenantError } from '../../core/util/errors';
import { table } from '../format';
import { json, print, workspace } from '../io';

function policy(opts: { commit?: boolean; carry?: boolean }): DirtyPolicy | undefined {
  if (opts.commit && opts.carry) throw new ProvenantError('--commit and --carry exclude each other', { hint: 'Choose one.', code: 'E_USAGE' });
  return opts.commit ? 'commit' : opts.carry ? 'carry' : undefined;
}

function reportLate(late: LateEdits | null | undefined): void {
  if (late) process.stderr.write(`provenant: ${late.paths.length} file(s) changed while the working tree was being switched; their content is saved on ${late.ref}: ${listPaths(late.paths)}\n`);
}

function reportMove(moved: MoveResult): void {
  reportLate(moved.lateEdits);
  if (moved.committed) process.stderr.write(`provenant: committed the uncommitted work on ${moved.from ?? 'detached HEAD'} as ${moved.committed.slice(0, 10)}\n`);
  if (moved.carried.length) process.stderr.write(`provenant: carried ${moved.carried.length} uncommitted file(s) along\n`);
  if (moved.backupRef) process.stderr.write(`provenant: the working tree as it was is saved on ${moved.backupRef}\n`);
  if (moved.engine === 'native') process.stderr.write('provenant: (done through the git executable)\n');
}

const dirtyOptions = (cmd: Command) =>
  cmd
    .option('--commit', 'commit uncommitted changes to the current experiment first')
    .option('--carry', 'keep uncommitted changes in the working tree and take them along')
    .option('-m, --message <message>', 'commit message for --commit');

/** `provenant exp new|list|switch|merge|archive|restore` and `provenant note`. */
export function registerExperimentCommands(program: Command): void {
  const exp = program.command('exp').description('experiment branches: create, list, switch, merge, archive, restore');

  dirtyOptions(
    exp
      .command('new')
      .description('create an experiment branch (prefix from config, default exp/) from HEAD or from a past run\'s code, and switch to it')
      .argument('<name>', 'experiment name (the prefix is added when missing)')
      .option('--from <run|ref>', 'start from a run\'s exact code snapshot (id, part of one, or name), or a git ref/commit'),
  )
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { from?: string; commit?: boolean; carry?: boolean; message?: string; json?: boolean }) => {
      const root = workspace();
      const dirty = policy(opts);
      const result = await newExperiment(root, name, { ...(opts.from ? { from: opts.from } : {}), ...(dirty ? { dirty } : {}), ...(opts.message ? { message: opts.message } : {}) });
      if (opts.json) return json(result);
      reportMove(result);
      print(`Switched to new experiment ${result.name} at ${result.commit.slice(0, 10)}${result.fromRun ? ` (the code of run ${result.fromRun})` : ''}`);
    });

  exp
    .command('list')
    .description('experiments with their runs, the current one marked, ahead/behind main, last run')
    .option('--json', 'machine-readable output: [{ name, ref, current, archived, ahead, behind, runs }]')
    .action(async (opts: { json?: boolean }) => {
      const root = workspace();
      const interrupted = interruptedSwitchMessage(root);
      if (interrupted) process.stderr.write(`provenant: warning: ${interrupted}\n`);
      const all = await listExperiments(root);
      if (opts.json) return json(all);
      print(
        table(
          ['', 'EXPERIMENT', 'AHEAD', 'BEHIND', 'RUNS', 'LAST RUN'],
          all.map((e) => [
            e.current ? '*' : e.archived ? 'a' : '',
            e.archived ? `${e.name} (archived${e.reason ? `: ${e.reason}` : ''})` : e.name,
            e.ahead === null ? '—' : String(e.ahead),
            e.behind === null ? '—' : String(e.behind),
            String(e.runs.length),
            e.lastRun ? `${e.lastRun.id} ${e.lastRun.status}` : '',
          ]),
        ),
      );
    });

  dirtyOptions(exp.command('switch').description('switch to an experiment; uncommitted changes need --commit or --carry').argument('[name]', 'experiment or branch name'))
    .option('--continue', 'finish a switch that was interrupted (killed, crashed)')
    .option('--abort', 'roll an interrupted switch back to exactly where it started')
    .option('--json', 'machine-readable output')
    .action(async (name: string | undefined, opts: { commit?: boolean; carry?: boolean; message?: string; json?: boolean; continue?: boolean; abort?: boolean }) => {
      const root = workspace();
      if (opts.continue || opts.abort) {
        if (opts.continue && opts.abort) throw new ProvenantError('--continue and --abort exclude each other', { hint: 'Choose one.', code: 'E_USAGE' });
        if (name) throw new ProvenantError(`--${opts.continue ? 'continue' : 'abort'} takes no experiment name`, { hint: 'It resumes the interrupted switch recorded in the repository.', code: 'E_USAGE' });
        const resumed = await resumeSwitch(root, opts.continue ? 'continue' : 'abort');
        if (opts.json) return json(resumed);
        reportLate(resumed.late);
        const { from, to } = resumed.state;
        const side = (s: { branch: string | null; commit: string | null }) => s.branch ?? s.commit?.slice(0, 10) ?? '(no commit)';
        print(resumed.mode === 'continue' ? `Finished the switch to ${side(to)}` : `Rolled back the switch to ${side(to)}: back on ${side(from)} as before`);
        return;
      }
      if (!name) throw new ProvenantError('name the experiment to switch to', { hint: '`provenant exp list` shows them.', code: 'E_USAGE' });
      const dirty = policy(opts);
      const moved = await switchExperiment(root, name, { ...(dirty ? { dirty } : {}), ...(opts.message ? { message: opts.message } : {}) });
      if (opts.json) return json(moved);
      reportMove(moved);
      print(moved.from === moved.to ? `Already on ${moved.to}` : `Switched to ${moved.to}`);
    });

  exp
    .command('merge')
    .description('merge ("promote") an experiment into main (or --into): fast-forward or three-way')
    .argument('<name>', 'experiment name')
    .option('--into <branch>', 'target branch (default: main, else master)')
    .option('--conflicts <mode>', 'on conflicts: abort (nothing changes) or leave (a normal git conflict state for the merge editor)', 'abort')
    .option('--commit', 'commit uncommitted changes on the target branch first')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { into?: string; conflicts: string; commit?: boolean; json?: boolean }) => {
      if (opts.conflicts !== 'abort' && opts.conflicts !== 'leave') throw new ProvenantError(`--conflicts must be "abort" or "leave", not "${opts.conflicts}"`, { code: 'E_USAGE', hint: 'abort: nothing changes on conflicts; leave: resolve them in VS Code or with git.' });
      const root = workspace();
      const result = await mergeExperiment(root, name, { conflicts: opts.conflicts, ...(opts.into ? { into: opts.into } : {}), ...(opts.commit ? { dirty: 'commit' as const } : {}) });
      if (opts.json) return json(result);
      if (result.switched) reportMove(result.switched);
      reportLate(result.lateEdits);
      switch (result.status) {
        case 'up-to-date':
          return print(`${result.into} already contains ${result.name}`);
        case 'fast-forward':
          return print(`Fast-forwarded ${result.into} to ${result.name} (${result.commit!.slice(0, 10)})`);
        case 'merged':
          return print(`Merged ${result.name} into ${result.into} (${result.commit!.slice(0, 10)})`);
        case 'conflicts':
          print(`Conflicts merging ${result.name} into ${result.into}, left for you to resolve (VS Code's merge editor, or git):`);
          for (const f of result.conflicts) print(`  ${f}`);
          print('Then commit, or abort with `git merge --abort`.');
          process.exitCode = 1;
      }
    });

  exp
    .command('archive')
    .description('move an experiment to refs/provenant/archive/<name> (kept, with its runs, for the audit trail)')
    .argument('<name>', 'experiment name')
    .option('--reason <text>', 'why it is archived')
    .action(async (name: string, opts: { reason?: string }) => {
      const result = await archiveExperiment(workspace(), name, opts.reason ? { reason: opts.reason } : {});
      print(`Archived ${result.name} (${result.ref})`);
    });

  exp
    .command('restore')
    .description('bring an archived experiment back as a branch')
    .argument('<name>', 'experiment name')
    .action(async (name: string) => {
      const result = await restoreExperiment(workspace(), name);
      print(`Restored ${result.name} at ${result.tip.slice(0, 10)}`);
    });

  const note = program.command('note').description(`log an assumption or a decision in ${JOURNAL_PATH} (shown under the experiment and in the audit packet)`);
  for (const kind of ['assumption', 'decision'] as JournalKind[]) {
    note
      .command(kind)
      .description(`log ${kind === 'assumption' ? 'an assumption' : 'a decision'}`)
      .argument('<text...>', 'the text')
      .option('--run <run>', 'the run it is about (id, part of one, or name)')
      .option('--experiment <name>', 'the experiment (default: the current branch)')
      .action(async (words: string[], opts: { run?: string; experiment?: string }) => {
        const root = workspace();
        const entry = await appendJournal(root, {
          kind,
          text: words.join(' '),
          ...(opts.run ? { run: resolveRunId(root, opts.run) } : {}),
          ...(opts.experiment ? { experiment: opts.experiment } : {}),
        });
        print(`Logged ${entry.kind} on ${entry.experiment ?? '(detached HEAD)'}${entry.run ? `, run ${entry.run}` : ''}`);
      });
  }
  note
    .command('list')
    .description('the journal, oldest first')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      const { entries, problems } = readJournal(workspace());
      for (const p of problems) process.stderr.write(`provenant: skipped ${JOURNAL_PATH} line ${p.line}: ${p.message}\n`);
      if (opts.json) return json(entries);
      if (entries.length === 0) return print('No notes yet. Log one with `provenant note assumption <text>` or `provenant note decision <text>`.');
      print(table(['TIME', 'KIND', 'EXPERIMENT', 'RUN', 'AUTHOR', 'TEXT'], entries.map((e) => [e.time.replace('T', ' ').slice(0, 19), e.kind, e.experiment ?? '', e.run ?? '', e.author, e.text])));
    });
}
