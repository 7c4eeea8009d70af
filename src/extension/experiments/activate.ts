import * as vscode from 'vscode';
import type { ProvenantContext } from '../context';
import { requireTrust } from '../workspace';
import type { Node } from '../experimentsTree';
import { ProvenantError, describeError } from '../../core/util/errors';
import type { RunRecord } from '../../core/runs/types';

export const COMPARE_SCHEME = 'provenant-compare';

type Core = typeof import('../../core/experiments/experiments');

/** Experiment branches in VS Code: commands, menus, the status bar's menu, refresh on git changes, the comparison document. */
export function activateExperiments(ctx: ProvenantContext): void {
  const experimentsHub = ctx.experiments;
  const { root, output, extension } = ctx;
  // The git code loads on first use, off the activation path.
  let core: Promise<Core> | undefined;
  const load = () => (core ??= import('../../core/experiments/experiments'));
  let refreshTimer: NodeJS.Timeout | undefined;

  const refresh = async () => {
    refreshTimer = undefined;
    try {
      const [{ listExperiments }, { readJournal }, { readStars }] = await Promise.all([load(), import('../../core/experiments/journal'), import('../../core/experiments/stars')]);
      const experiments = await listExperiments(root, { runs: ctx.runs.runs });
      const journal = readJournal(root);
      for (const p of journal.problems) output.warn(`.provenant/journal.jsonl line ${p.line}: ${p.message} (skipped)`);
      let stars = new Set<string>();
      try {
        stars = readStars(root);
      } catch (err) {
        output.warn(describeError(err));
      }
      experimentsHub.set({ experiments, journal: journal.entries, stars });
    } catch (err) {
      output.warn(`Reading experiment branches: ${describeError(err)}`);
    }
  };
  const schedule = () => {
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void refresh(), ctx.settings().get<number>('refreshDelayMs') ?? 300);
  };
  const after = async () => {
    ctx.runs.reload();
    await refresh();
  };
  for (const pattern of ['.git/HEAD', '.git/refs/heads/**', '.git/refs/provenant/archive/**', '.git/packed-refs', '.provenant/journal.jsonl', '.provenant/stars.json']) {
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), pattern));
    extension.subscriptions.push(watcher, watcher.onDidCreate(schedule), watcher.onDidChange(schedule), watcher.onDidDelete(schedule));
  }
  extension.subscriptions.push(ctx.runs.onDidChange(schedule), { dispose: () => refreshTimer && clearTimeout(refreshTimer) });
  setTimeout(() => void refresh(), 0);

  const names = (filter: (e: { archived: boolean; current: boolean }) => boolean) => experimentsHub.snapshot?.experiments.filter(filter).map((e) => e.name) ?? [];
  const experimentOf = (arg: unknown): string | undefined => {
    if (typeof arg === 'string') return arg;
    const node = arg as Node | undefined;
    return node?.kind === 'experiment' ? node.name : undefined;
  };
  const runOf = (arg: unknown): RunRecord | undefined => {
    if (typeof arg === 'string') return ctx.runs.find(arg);
    const node = arg as Node | undefined;
    return node?.kind === 'run' ? node.run : undefined;
  };
  const progress = <T>(title: string, task: () => Promise<T>) => vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Provenant: ${title}` }, task);
  const codeOf = (err: unknown) => (err instanceof ProvenantError ? err.code : '');

  /** Runs a working-tree change; on uncommitted work asks: commit to the current experiment, carry over, or cancel. */
  const withDirtyPrompt = async <T>(title: string, action: (dirty?: 'commit' | 'carry') => Promise<T>): Promise<T | undefined> => {
    try {
      return await progress(title, () => action());
    } catch (err) {
      if (codeOf(err) !== 'E_DIRTY') throw err;
      const current = experimentsHub.snapshot?.experiments.find((e) => e.current)?.name ?? 'the current branch';
      const commit = `Commit to ${current}`;
      const carry = 'Carry Over';
      const choice = await vscode.window.showWarningMessage(`You have uncommitted changes. ${describeError(err).split('\n')[0]}`, { modal: true, detail: `Commit them to ${current} before switching, or carry them over to the other experiment (refused if it changes the same files). Cancel keeps everything as it is.` }, commit, carry);
      if (!choice) {
        output.info(`${title}: cancelled, nothing changed`);
        return undefined;
      }
      return progress(title, () => action(choice === commit ? 'commit' : 'carry'));
    }
  };

  const pickExperiment = async (placeHolder: string, filter: (e: { archived: boolean; current: boolean }) => boolean) => {
    const items = names(filter);
    if (items.length === 0) {
      void vscode.window.showInformationMessage('Provenant: no experiment to choose from.');
      return undefined;
    }
    return vscode.window.showQuickPick(items, { placeHolder });
  };

  const newExperiment = async (fromRun?: RunRecord) => {
    if (!requireTrust('Creating an experiment')) return;
    const name = await vscode.window.showInputBox({
      title: fromRun ? `New experiment from run ${fromRun.name}` : 'New experiment',
      prompt: fromRun ? 'A branch holding exactly the code of that run' : 'A branch from the current commit; your uncommitted changes come along',
      placeHolder: 'e.g. lr-sweep (the prefix exp/ is added)',
      validateInput: (value) => (value.trim() === '' ? 'Enter a name' : /[\s~^:?*[\\]|\.\./.test(value) ? 'No spaces, "..", "~", "^", ":", "?", "*", "[" or "\\"' : undefined),
    });
    if (!name) return;
    const { newExperiment: create } = await load();
    const result = await withDirtyPrompt(`creating ${name}`, (dirty) => create(root, name.trim(), { ...(fromRun ? { from: fromRun.id } : {}), ...(dirty ? { dirty } : {}) }));
    if (!result) return;
    output.info(`Created ${result.name} at ${result.commit}${result.fromRun ? ` (code of run ${result.fromRun})` : ''}${result.backupRef ? `; previous working tree saved on ${result.backupRef}` : ''}`);
    await after();
    void vscode.window.showInformationMessage(`Provenant: switched to new experiment ${result.name}.`);
  };

  const switchTo = async (name: string | undefined) => {
    if (!requireTrust('Switching experiments')) return;
    name ??= await pickExperiment('Switch to experiment', (e) => !e.archived && !e.current);
    if (!name) return;
    const { switchExperiment } = await load();
    const moved = await withDirtyPrompt(`switching to ${name}`, (dirty) => switchExperiment(root, name!, dirty ? { dirty } : {}));
    if (!moved) return;
    output.info(`Switched to ${moved.to}${moved.committed ? `; committed uncommitted work as ${moved.committed}` : ''}${moved.carried.length ? `; carried ${moved.carried.length} file(s)` : ''}${moved.backupRef ? `; backup ${moved.backupRef}` : ''}`);
    await after();
  };

  ctx.command('provenant.exp.new', () => newExperiment());
  ctx.command('provenant.exp.newFromRun', (arg) => {
    const run = runOf(arg);
    return run ? newExperiment(run) : newExperiment();
  });
  ctx.command('provenant.exp.switch', (arg) => switchTo(experimentOf(arg)));
  ctx.command('provenant.exp.merge', async (arg) => {
    if (!requireTrust('Merging experiments')) return;
    const name = experimentOf(arg) ?? (await pickExperiment('Merge (promote) which experiment?', (e) => !e.archived));
    if (!name) return;
    const { mergeExperiment, mainBranch } = await load();
    const main = (await mainBranch(root)) ?? undefined;
    const into = await vscode.window.showQuickPick(
      [main, ...names((e) => !e.archived)].filter((b, i, all): b is string => !!b && b !== name && all.indexOf(b) === i),
      { placeHolder: `Merge ${name} into…` },
    );
    if (!into) return;
    const attempt = (conflicts: 'abort' | 'leave') => withDirtyPrompt(`merging ${name} into ${into}`, (dirty) => mergeExperiment(root, name, { into, conflicts, ...(dirty ? { dirty } : {}) }));
    let result;
    try {
      result = await attempt('abort');
    } catch (err) {
      if (codeOf(err) !== 'E_MERGE_CONFLICT') throw err;
      const leave = 'Resolve in Merge Editor';
      const choice = await vscode.window.showWarningMessage(`Provenant: ${describeError(err).split('\n')[0]}`, { modal: true, detail: 'Nothing has changed. Resolve leaves a normal git conflict state that VS Code\'s merge editor and git understand; Cancel keeps everything as it is.' }, leave);
      if (choice !== leave) return;
      result = await attempt('leave');
    }
    if (!result) return;
    await after();
    if (result.status === 'conflicts') {
      void vscode.commands.executeCommand('workbench.view.scm');
      void vscode.window.showWarningMessage(`Provenant: ${result.conflicts.length} conflicted file(s) in the Source Control view; resolve them, then commit.`);
      return;
    }
    void vscode.window.showInformationMessage(`Provenant: ${result.status === 'up-to-date' ? `${into} already contains ${name}` : `merged ${name} into ${into} (${result.status})`}.`);
  });
  ctx.command('provenant.exp.archive', async (arg) => {
    if (!requireTrust('Archiving experiments')) return;
    const name = experimentOf(arg) ?? (await pickExperiment('Archive which experiment?', (e) => !e.archived && !e.current));
    if (!name) return;
    const reason = await vscode.window.showInputBox({ title: `Archive ${name}`, prompt: 'Why? (kept with the archive and in the journal; nothing is deleted)', placeHolder: 'e.g. no gain over baseline' });
    if (reason === undefined) return;
    const { archiveExperiment } = await load();
    await archiveExperiment(root, name, { reason });
    await after();
  });
  ctx.command('provenant.exp.restore', async (arg) => {
    if (!requireTrust('Restoring experiments')) return;
    const name = experimentOf(arg) ?? (await pickExperiment('Restore which experiment?', (e) => e.archived));
    if (!name) return;
    const { restoreExperiment } = await load();
    await restoreExperiment(root, name);
    await after();
  });
  const logNote = (kind: 'assumption' | 'decision') => async (arg: unknown) => {
    if (!requireTrust(`Logging ${kind === 'assumption' ? 'an assumption' : 'a decision'}`)) return;
    const run = runOf(arg);
    const experiment = experimentOf(arg) ?? run?.experiment ?? undefined;
    const text = await vscode.window.showInputBox({ title: `Log ${kind}${run ? ` for run ${run.name}` : experiment ? ` on ${experiment}` : ''}`, prompt: 'Appended to .provenant/journal.jsonl with the time and your git identity', ignoreFocusOut: true });
    if (!text?.trim()) return;
    const { appendJournal } = await import('../../core/experiments/journal');
    await appendJournal(root, { kind, text, ...(experiment ? { experiment } : {}), ...(run ? { run: run.id } : {}) });
    await refresh();
  };
  ctx.command('provenant.exp.logAssumption', logNote('assumption'));
  ctx.command('provenant.exp.logDecision', logNote('decision'));
  const star = (on: boolean) => async (arg: unknown) => {
    if (!requireTrust('Starring runs')) return;
    const run = runOf(arg);
    if (!run) return;
    const { setStar } = await import('../../core/experiments/stars');
    setStar(root, run.id, on);
    await refresh();
  };
  ctx.command('provenant.exp.star', star(true));
  ctx.command('provenant.exp.unstar', star(false));
  ctx.command('provenant.exp.refresh', () => after());
  ctx.command('provenant.exp.menu', async () => {
    const current = experimentsHub.snapshot?.experiments.find((e) => e.current)?.name;
    const items: (vscode.QuickPickItem & { action: () => unknown })[] = [
      { label: '$(add) New Experiment…', description: current ? `from ${current}` : '', action: () => newExperiment() },
      ...names((e) => !e.archived && !e.current).map((name) => ({ label: `$(git-branch) ${name}`, description: 'switch', action: () => switchTo(name) })),
      { label: '$(beaker) Show Experiments', action: () => vscode.commands.executeCommand('provenant.experiments.focus') },
    ];
    const choice = await vscode.window.showQuickPick(items, { placeHolder: `Current experiment: ${current ?? '(detached HEAD)'} — switch or create` });
    await choice?.action();
  });

  // The plain-text comparison document (provenant-compare:); Compare Runs opens the compare panel.
  const changed = new vscode.EventEmitter<vscode.Uri>();
  extension.subscriptions.push(
    changed,
    vscode.workspace.registerTextDocumentContentProvider(COMPARE_SCHEME, {
      onDidChange: changed.event,
      provideTextDocumentContent: async (uri) => {
        const ids = new URLSearchParams(uri.query).get('runs')?.split(',').filter(Boolean) ?? [];
        const [{ compareRuns, renderComparison }, { readRun }] = await Promise.all([import('../../core/runs/compare'), import('../../core/runs/store')]);
        try {
          const text = renderComparison(compareRuns(ids.map((id) => readRun(root, id))), { differencesOnly: new URLSearchParams(uri.query).get('differences') === '1' });
          return text;
        } catch (err) {
          return `Provenant could not compare these runs: ${describeError(err)}\n`;
        }
      },
    }),
  );
  ctx.command('provenant.exp.compareRuns', async (arg, selection) => {
    const selected = (Array.isArray(selection) ? (selection as unknown[]) : [arg]).map(runOf).filter((r): r is RunRecord => !!r);
    let runs = selected;
    if (runs.length < 2) {
      const picked = await vscode.window.showQuickPick(
        ctx.runs.runs.map((r) => ({ label: r.name, description: `${r.id} · ${r.experiment ?? ''}`, picked: runs.some((s) => s.id === r.id), run: r })),
        { canPickMany: true, placeHolder: 'Select two or more runs to compare' },
      );
      if (!picked) return;
      runs = picked.map((p) => p.run);
    }
    if (runs.length < 2) {
      void vscode.window.showInformationMessage('Provenant: select two or more runs to compare (Ctrl/Cmd-click in the Experiments view).');
      return;
    }
    await vscode.commands.executeCommand('provenant.compareRunIds', runs.map((r) => r.id));
  });
}
