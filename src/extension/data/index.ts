import * as vscode from 'vscode';
import { join, relative, sep } from 'node:path';
import { dataAdd } from '../../core/data/add';
import { dataCheckout, UnsavedChangesError, type CheckoutOptions } from '../../core/data/checkout';
import { isDvcRepo, openDvcRepo } from '../../core/data/dvcRepo';
import type { HashProgress } from '../../core/data/hashData';
import { objectPath, readDirObject } from '../../core/data/objectStore';
import { runDvcRemote } from '../../core/data/remote';
import type { OutputStatus } from '../../core/data/status';
import { describeError, ProvenantError } from '../../core/util/errors';
import type { ProvenantContext } from '../context';
import { requireTrust } from '../workspace';
import { DataModel } from './dataModel';
import { formatBytes } from '../../core/util/format';
import { DataTree, type DataNode } from './dataTree';
import { DataDecorations } from './decorations';

/**
 * Track and Checkout write to the workspace and to the cache folder that `.dvc/config` names (which
 * could be anywhere): in Restricted Mode they refuse, like everything that writes or executes.
 */
const requireTrustToWrite = (action: string): boolean => requireTrust(action, ': it writes to the workspace and to the DVC cache that .dvc/config points at.');

/** Runs a hashing job with a cancellable notification showing files and bytes done. */
function withHashingProgress<T>(title: string, job: (signal: AbortSignal, onProgress: (p: HashProgress) => void) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const controller = new AbortController();
    const sub = token.onCancellationRequested(() => controller.abort());
    let reported = 0;
    try {
      return await job(controller.signal, (p) => {
        const pct = p.bytesTotal > 0 ? (100 * p.bytesDone) / p.bytesTotal : p.filesTotal > 0 ? (100 * p.filesDone) / p.filesTotal : 0;
        progress.report({ increment: Math.max(0, pct - reported), message: `${p.filesDone}/${p.filesTotal} files, ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}` });
        reported = Math.max(reported, pct);
      });
    } finally {
      sub.dispose();
    }
  });
}

function uriArgs(args: unknown[]): vscode.Uri[] {
  const [first, second] = args;
  if (Array.isArray(second) && second.every((u) => u instanceof vscode.Uri)) return second as vscode.Uri[];
  return first instanceof vscode.Uri ? [first] : [];
}

function datasetOf(arg: unknown): OutputStatus | undefined {
  const node = arg as DataNode | undefined;
  if (node?.kind === 'dataset') return node.status;
  if (node?.kind === 'version' || node?.kind === 'changedFile') return node.dataset;
  return undefined;
}

/** The Data view, its commands and the Explorer decorations. */
export function activateData(ctx: ProvenantContext): void {
  const { root, output, extension } = ctx;
  const model = new DataModel(ctx);
  const tree = new DataTree(root, model);
  const decorations = new DataDecorations(root, model);
  extension.subscriptions.push(
    model,
    decorations,
    vscode.window.createTreeView('provenant.data', { treeDataProvider: tree, showCollapseAll: true }),
    vscode.window.registerFileDecorationProvider(decorations),
    model.onDidChange((snap) => {
      void vscode.commands.executeCommand('setContext', 'provenant.data.trackedPaths', snap.outputs.filter((o) => o.path).map((o) => join(root, o.path)));
      void vscode.commands.executeCommand('setContext', 'provenant.data.hasDvc', isDvcRepo(root));
    }),
  );
  // Explorer badges without opening the view: computed once, off the activation path.
  const warmUp = setTimeout(() => {
    if (isDvcRepo(root)) void model.get().catch(() => undefined);
  }, 1500);
  extension.subscriptions.push({ dispose: () => clearTimeout(warmUp) });

  const rel = (uri: vscode.Uri) => relative(root, uri.fsPath).split(sep).join('/');
  const pickDataset = async (placeHolder: string, filter: (o: OutputStatus) => boolean = () => true): Promise<OutputStatus | undefined> => {
    const snap = await model.get();
    const items = snap.outputs.filter((o) => o.path && filter(o)).map((o) => ({ label: o.path, description: `${o.status} · ${o.file}`, o }));
    if (items.length === 0) {
      void vscode.window.showInformationMessage('Provenant: no tracked dataset here.');
      return undefined;
    }
    return (await vscode.window.showQuickPick(items, { placeHolder }))?.o;
  };

  ctx.command('provenant.data.refresh', () => model.refresh());

  ctx.command('provenant.data.track', async (...args: unknown[]) => {
    if (!requireTrustToWrite('Track')) return;
    let uris = uriArgs(args);
    const dataset = datasetOf(args[0]);
    if (dataset) uris = [vscode.Uri.file(join(root, dataset.path))];
    if (uris.length === 0) {
      uris = (await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: true, canSelectMany: true, defaultUri: vscode.Uri.file(root), openLabel: 'Track with DVC' })) ?? [];
    }
    if (uris.length === 0) return;
    const paths = uris.map(rel);
    const { results, initialized } = await withHashingProgress(`Tracking ${paths.join(', ')}`, (signal, onProgress) => dataAdd(root, paths, { signal, onProgress, onWarning: (m) => output.warn(m) }));
    if (initialized) output.info('Initialized DVC: .dvc/config, .dvc/.gitignore, .dvcignore');
    for (const r of results) output.info(`Track: ${r.path} ${r.change} in ${r.dvcFile} (${r.md5}, ${r.nfiles !== undefined ? `${r.nfiles} files, ` : ''}${formatBytes(r.size)})${r.gitignore ? `; added to ${r.gitignore}` : ''}`);
    const changed = results.filter((r) => r.change !== 'unchanged');
    void vscode.window.showInformationMessage(
      changed.length ? `Provenant: tracked ${changed.map((r) => r.path).join(', ')}: commit ${changed.map((r) => r.dvcFile).join(', ')} with git.` : 'Provenant: the tracked data is unchanged.',
    );
    await model.refresh();
  });

  const checkout = async (paths: string[], options: CheckoutOptions, what: string) => {
    const run = (force: boolean) => withHashingProgress(what, (signal, onProgress) => dataCheckout(root, paths, { ...options, force, signal, onProgress, onWarning: (m) => output.warn(m) }));
    let results;
    try {
      results = await run(false);
    } catch (err) {
      if (!(err instanceof UnsavedChangesError)) throw err;
      const shown = err.paths.slice(0, 8).join('\n');
      const choice = await vscode.window.showWarningMessage(
        `Checkout would overwrite ${err.paths.length} change${err.paths.length === 1 ? '' : 's'} that are not saved in the DVC cache.`,
        { modal: true, detail: `${shown}${err.paths.length > 8 ? '\n…' : ''}\n\nTrack them first to keep them.` },
        'Overwrite',
      );
      if (choice !== 'Overwrite') return;
      results = await run(true);
    }
    for (const r of results) output.info(`Checkout: ${r.path} ← ${r.md5} from ${r.source} (${r.restored.length} written, ${r.removed.length} removed; ${r.linkTypes.join(',')})`);
    void vscode.window.showInformationMessage(`Provenant: checked out ${results.map((r) => r.path).join(', ')}${options.run ? ` as used by run ${options.run}` : ''}.`);
    await model.refresh();
  };

  ctx.command('provenant.data.checkout', async (...args: unknown[]) => {
    if (!requireTrustToWrite('Checkout')) return;
    let paths = uriArgs(args).map(rel);
    const dataset = datasetOf(args[0]) ?? (paths.length ? undefined : await pickDataset('Dataset to restore from the cache'));
    if (dataset) paths = [dataset.path];
    if (paths.length === 0) return;
    await checkout(paths, {}, `Checking out ${paths.join(', ')}`);
  });

  ctx.command('provenant.data.checkoutRun', async (...args: unknown[]) => {
    if (!requireTrustToWrite('Checkout')) return;
    const node = args[0] as DataNode | undefined;
    const snap = await model.get();
    let dataset = datasetOf(node) ?? uriArgs(args).map(rel).map((p) => snap.outputs.find((o) => o.path === p)).find(Boolean);
    dataset ??= await pickDataset('Dataset to restore');
    if (!dataset) return;
    const history = snap.history.find((h) => h.path === dataset!.path);
    const versions = node?.kind === 'version' ? [node.version] : history?.versions ?? [];
    const items = versions.flatMap((v) =>
      v.runs.map((r) => ({ label: r.name, description: `${r.id} · ${r.status} · ${r.startedAt.replace('T', ' ').slice(0, 16)}`, detail: `${v.md5}${v.current ? ' (current version)' : ''}${v.inCache ? '' : ' — not in the cache'}`, run: r.id })),
    );
    if (items.length === 0) {
      void vscode.window.showInformationMessage(`Provenant: no run used ${dataset.path} yet.`);
      return;
    }
    const picked = items.length === 1 && node?.kind === 'version' ? items[0] : await vscode.window.showQuickPick(items, { placeHolder: `Restore ${dataset.path} as a run used it`, matchOnDescription: true });
    if (!picked) return;
    await checkout([dataset.path], { run: picked.run }, `Checking out ${dataset.path} as run ${picked.label} used it`);
  });

  /** Opens one changed file: a diff against the recorded version, or the file (added) or the cached copy (removed). */
  const openChange = async (dataset: OutputStatus, relpath: string, change: 'added' | 'removed' | 'modified') => {
    const repo = openDvcRepo(root);
    const workspaceUri = vscode.Uri.file(relpath === '' ? join(root, dataset.path) : join(root, dataset.path, ...relpath.split('/')));
    if (change === 'added') return vscode.window.showTextDocument(workspaceUri, { preview: true });
    if (!repo || !dataset.md5) throw new ProvenantError(`the recorded version of ${dataset.path} is not in the cache`, { code: 'E_NOT_IN_CACHE' });
    const legacy = false;
    let oid = dataset.md5;
    if (relpath !== '') {
      const entry = readDirObject(repo.config.cacheDir, dataset.md5, legacy)?.find((e) => e.relpath === relpath);
      if (!entry) throw new ProvenantError(`${dataset.path}/${relpath} is not in the recorded version's manifest (or the manifest is not in the cache)`, { code: 'E_NOT_IN_CACHE' });
      oid = entry.md5;
    }
    const cached = vscode.Uri.file(objectPath(repo.config.cacheDir, oid, legacy));
    if (change === 'removed') return vscode.window.showTextDocument(cached, { preview: true });
    return vscode.commands.executeCommand('vscode.diff', cached, workspaceUri, `${relpath || dataset.path} (recorded ↔ workspace)`);
  };

  ctx.command('provenant.data.openChange', (arg: unknown) => {
    const node = arg as DataNode | undefined;
    if (node?.kind === 'changedFile') return openChange(node.dataset, node.relpath, node.change);
    return undefined;
  });

  ctx.command('provenant.data.showChanges', async (...args: unknown[]) => {
    const snap = await model.get();
    let dataset = datasetOf(args[0]) ?? uriArgs(args).map(rel).map((p) => snap.outputs.find((o) => o.path === p)).find(Boolean);
    dataset ??= await pickDataset('Dataset whose changes to show');
    if (!dataset) return;
    const fresh = snap.outputs.find((o) => o.path === dataset!.path && o.file === dataset!.file) ?? dataset;
    if (fresh.status === 'modified' && !fresh.changes && !fresh.md5?.endsWith('.dir')) return openChange(fresh, '', 'modified');
    const c = fresh.changes;
    if (!c || c.added.length + c.removed.length + c.modified.length === 0) {
      void vscode.window.showInformationMessage(`Provenant: ${fresh.path} is ${fresh.status === 'modified' ? 'modified, but its recorded manifest is not in the cache' : fresh.status.replace(/-/g, ' ')}.`);
      return;
    }
    const items = [
      ...c.modified.map((f) => ({ label: `$(diff-modified) ${f}`, description: 'modified', f, change: 'modified' as const })),
      ...c.added.map((f) => ({ label: `$(diff-added) ${f}`, description: 'added', f, change: 'added' as const })),
      ...c.removed.map((f) => ({ label: `$(diff-removed) ${f}`, description: 'removed', f, change: 'removed' as const })),
    ];
    output.info(`Changes in ${fresh.path} since ${fresh.file}: ${c.modified.length} modified, ${c.added.length} added, ${c.removed.length} removed`);
    const picked = await vscode.window.showQuickPick(items, { placeHolder: `${fresh.path}: changes since the version in ${fresh.file}` });
    if (picked) await openChange(fresh, picked.f, picked.change);
  });

  for (const action of ['push', 'pull'] as const) {
    ctx.command(`provenant.data.${action}`, async () => {
      if (!requireTrust(action === 'push' ? 'Push Data' : 'Pull Data')) return;
      const repo = openDvcRepo(root);
      output.info(`dvc ${action}: starting`);
      try {
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `dvc ${action}`, cancellable: true }, async (_p, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          const outcome = await runDvcRemote(repo, root, action, [], { signal: controller.signal, onOutput: (t) => output.append(t) });
          output.info(`dvc ${action}: finished (exit code ${outcome.exitCode})`);
        });
      } catch (err) {
        output.error(`dvc ${action}: ${describeError(err)}`);
        throw err;
      }
      void vscode.window.showInformationMessage(`Provenant: dvc ${action} finished.`);
      if (action === 'pull') await model.refresh();
    });
  }
}
