/**
 * Read-only documents of files as they were in a run's code snapshot:
 * `provenant-snapshot:/<path>?commit=<40 hex>` serves `git show <commit>:<path>` (empty when the
 * file is absent from that snapshot), so VS Code's diff editor can show two runs' versions.
 */
import * as vscode from 'vscode';

export const SNAPSHOT_SCHEME = 'provenant-snapshot';

export function snapshotUri(commit: string, path: string, label: string): vscode.Uri {
  return vscode.Uri.from({ scheme: SNAPSHOT_SCHEME, path: `/${path}`, query: new URLSearchParams({ commit, run: label }).toString() });
}

export function registerSnapshotDocuments(root: string): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(SNAPSHOT_SCHEME, {
    async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
      const commit = new URLSearchParams(uri.query).get('commit') ?? '';
      if (!/^[0-9a-f]{40}$/.test(commit)) return `Provenant: "${commit.slice(0, 60)}" is not a commit id.\n`;
      const path = uri.path.replace(/^\/+/, '');
      const { git, fs } = await import('../../core/git/repo');
      try {
        const { blob } = await git.readBlob({ fs, dir: root, oid: commit, filepath: path });
        return Buffer.from(blob).toString('utf8');
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'NotFoundError') return '';
        throw err;
      }
    },
  });
}
