import * as vscode from 'vscode';
import { join } from 'node:path';
import type { DataSnapshot, DataModel } from './dataModel';

interface Mark {
  badge: string;
  tooltip: string;
  /** No colour for plain tracked data: a grey label would read as git-ignored. */
  color?: string;
}

/** The Explorer decorations of one snapshot: tracked, modified and missing outputs, and the files changed inside them. */
export function decorationsOf(root: string, snap: DataSnapshot): Map<string, Mark> {
  const marks = new Map<string, Mark>();
  for (const o of snap.outputs) {
    if (!o.path) continue;
    const abs = join(root, o.path);
    if (o.status === 'modified') marks.set(abs, { badge: 'M', tooltip: `Data modified since ${o.file}`, color: 'gitDecoration.modifiedResourceForeground' });
    else if (o.status === 'missing') marks.set(abs, { badge: '!', tooltip: `Tracked by ${o.file}, missing from the workspace`, color: 'gitDecoration.deletedResourceForeground' });
    else if (o.status === 'not-in-cache') marks.set(abs, { badge: 'C', tooltip: `Tracked by ${o.file}, not in the DVC cache`, color: 'charts.orange' });
    else if (o.status === 'unchanged') marks.set(abs, { badge: 'D', tooltip: `Tracked by ${o.file}` });
    for (const f of o.changes?.added ?? []) marks.set(join(abs, ...f.split('/')), { badge: 'A', tooltip: `Not in the version recorded in ${o.file}`, color: 'gitDecoration.untrackedResourceForeground' });
    for (const f of o.changes?.modified ?? []) marks.set(join(abs, ...f.split('/')), { badge: 'M', tooltip: `Modified since the version recorded in ${o.file}`, color: 'gitDecoration.modifiedResourceForeground' });
  }
  return marks;
}

/** Explorer decorations for tracked data: D (tracked), M (modified), ! (missing), C (not in cache), A (added). */
export class DataDecorations implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri[] | undefined>();
  readonly onDidChangeFileDecorations = this.emitter.event;
  private marks = new Map<string, Mark>();
  private readonly subscription: vscode.Disposable;

  constructor(root: string, model: DataModel) {
    this.subscription = model.onDidChange((snap) => {
      const before = [...this.marks.keys()];
      this.marks = decorationsOf(root, snap);
      this.emitter.fire([...new Set([...before, ...this.marks.keys()])].map((p) => vscode.Uri.file(p)));
    });
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== 'file') return undefined;
    const mark = this.marks.get(uri.fsPath);
    if (!mark) return undefined;
    const decoration = new vscode.FileDecoration(mark.badge, mark.tooltip, mark.color ? new vscode.ThemeColor(mark.color) : undefined);
    decoration.propagate = false;
    return decoration;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
