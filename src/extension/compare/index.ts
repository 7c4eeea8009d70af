/**
 * The compare area: the compare panel (Compare Runs in the Experiments view, the runs table, or
 * `provenant.compareRunIds` with ids), the runs table (Provenant: Open Runs Table), and the
 * read-only snapshot documents behind the code diffs.
 */
import * as vscode from 'vscode';
import type { ProvenantContext } from '../context';
import { requireTrust } from '../workspace';
import { MAX_COMPARE_RUNS } from '../../shared/messages';
import { ComparePanel, registerCompareSerializer, type CompareDeps } from './comparePanel';
import { RunsTablePanel, registerRunsTableSerializer, type RunsTableDeps } from './runsTable';
import { registerSnapshotDocuments } from './snapshots';

export function activateCompare(ctx: ProvenantContext): void {
  const { extension, root, output } = ctx;
  const showRun = (id: string) => vscode.commands.executeCommand('provenant.showRun', id);
  const compareDeps: CompareDeps = { root, log: (m) => output.warn(m), showRun };
  const openCompare = (ids: string[]) => {
    const unique = [...new Set(ids)];
    if (unique.length < 2) {
      void vscode.window.showInformationMessage('Provenant: select two or more runs to compare.');
      return;
    }
    if (unique.length > MAX_COMPARE_RUNS) {
      void vscode.window.showWarningMessage(`Provenant: compare at most ${MAX_COMPARE_RUNS} runs at once.`);
      return;
    }
    ComparePanel.show(extension.extensionUri, unique, compareDeps);
  };
  const starsChanged = new vscode.EventEmitter<unknown>();
  const tableDeps: RunsTableDeps = {
    root,
    listing: () => ({ runs: ctx.runs.runs, problems: ctx.runs.problems }),
    onDidChangeRuns: (listener, thisArg, disposables) => {
      const a = ctx.runs.onDidChange(listener, thisArg);
      const b = starsChanged.event(listener, thisArg);
      const both = vscode.Disposable.from(a, b);
      disposables?.push(both);
      return both;
    },
    workspaceState: extension.workspaceState,
    trusted: () => vscode.workspace.isTrusted,
    log: (m) => output.warn(m),
    compare: openCompare,
    showRun,
    setStar: async (id, starred) => {
      if (!requireTrust('Starring runs')) return;
      const { setStar } = await import('../../core/experiments/stars');
      setStar(root, id, starred);
    },
  };
  const stars = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), '.provenant/stars.json'));
  const fire = () => starsChanged.fire(undefined);
  extension.subscriptions.push(starsChanged, stars, stars.onDidChange(fire), stars.onDidCreate(fire), stars.onDidDelete(fire), registerSnapshotDocuments(root));
  registerCompareSerializer(extension, compareDeps);
  registerRunsTableSerializer(extension, tableDeps);

  ctx.command('provenant.compareRunIds', (ids) => {
    if (Array.isArray(ids) && ids.every((id) => typeof id === 'string')) openCompare(ids as string[]);
  });
  ctx.command('provenant.openRunsTable', () => RunsTablePanel.show(extension.extensionUri, tableDeps));
}
