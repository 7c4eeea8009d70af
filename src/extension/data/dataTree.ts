import * as vscode from 'vscode';
import { join } from 'node:path';
import type { DatasetHistory, VersionUse } from '../../core/data/runData';
import type { OutputStatus, StageStatus } from '../../core/data/status';
import { formatBytes } from '../../core/util/format';
import type { DataModel } from './dataModel';

export type DataNode =
  | { kind: 'dataset'; status: OutputStatus; history: DatasetHistory | undefined }
  | { kind: 'changes'; status: OutputStatus }
  | { kind: 'changedFile'; dataset: OutputStatus; relpath: string; change: 'added' | 'removed' | 'modified' }
  | { kind: 'versions'; dataset: OutputStatus; history: DatasetHistory }
  | { kind: 'version'; dataset: OutputStatus; version: VersionUse }
  | { kind: 'stages'; stages: StageStatus[] }
  | { kind: 'stage'; stage: StageStatus }
  | { kind: 'problem'; status: OutputStatus };

export const STATUS_LOOK: Record<OutputStatus['status'], { icon: string; color: string; label: string }> = {
  unchanged: { icon: 'pass', color: 'testing.iconPassed', label: 'unchanged' },
  modified: { icon: 'diff-modified', color: 'gitDecoration.modifiedResourceForeground', label: 'modified' },
  missing: { icon: 'warning', color: 'gitDecoration.deletedResourceForeground', label: 'missing' },
  'not-in-cache': { icon: 'cloud-download', color: 'charts.orange', label: 'not in cache' },
  error: { icon: 'error', color: 'problemsErrorIcon.foreground', label: 'error' },
};

function shortMd5(md5: string): string {
  return md5.endsWith('.dir') ? `${md5.slice(0, 8)}….dir` : md5.slice(0, 8);
}

function changeCount(s: OutputStatus): number {
  return s.changes ? s.changes.added.length + s.changes.removed.length + s.changes.modified.length : 0;
}

/**
 * Data view: every tracked dataset with a status badge, size and file count; below each, the files
 * that changed and the versions with the runs that used them; then the dvc.yaml stages.
 */
export class DataTree implements vscode.TreeDataProvider<DataNode> {
  private readonly emitter = new vscode.EventEmitter<DataNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly root: string, private readonly model: DataModel) {
    model.onDidChange(() => this.emitter.fire(undefined));
  }

  async getChildren(node?: DataNode): Promise<DataNode[]> {
    if (!node) {
      const snap = await this.model.get();
      const history = new Map(snap.history.map((h) => [h.path, h]));
      const datasets: DataNode[] = snap.outputs.map((status) => (status.path ? { kind: 'dataset', status, history: history.get(status.path) } : { kind: 'problem', status }));
      return snap.stages.length ? [...datasets, { kind: 'stages', stages: snap.stages }] : datasets;
    }
    if (node.kind === 'dataset') {
      const children: DataNode[] = [];
      if (changeCount(node.status) > 0) children.push({ kind: 'changes', status: node.status });
      if (node.history && node.history.versions.length) children.push({ kind: 'versions', dataset: node.status, history: node.history });
      return children;
    }
    if (node.kind === 'changes') {
      const c = node.status.changes!;
      const of = (change: 'added' | 'removed' | 'modified', list: string[]) => list.map((relpath): DataNode => ({ kind: 'changedFile', dataset: node.status, relpath, change }));
      return [...of('modified', c.modified), ...of('added', c.added), ...of('removed', c.removed)];
    }
    if (node.kind === 'versions') return node.history.versions.map((version) => ({ kind: 'version', dataset: node.dataset, version }));
    if (node.kind === 'stages') return node.stages.map((stage) => ({ kind: 'stage', stage }));
    return [];
  }

  getTreeItem(node: DataNode): vscode.TreeItem {
    const icon = (id: string, color?: string) => new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
    switch (node.kind) {
      case 'dataset': {
        const s = node.status;
        const look = STATUS_LOOK[s.status];
        const hasChildren = changeCount(s) > 0 || (node.history?.versions.length ?? 0) > 0;
        const item = new vscode.TreeItem(s.path, hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        const size = [s.nfiles !== undefined ? `${s.nfiles} file${s.nfiles === 1 ? '' : 's'}` : undefined, formatBytes(s.size)].filter(Boolean).join(', ');
        item.description = [look.label, size].filter(Boolean).join(' · ');
        item.iconPath = icon(look.icon, look.color);
        item.resourceUri = vscode.Uri.file(join(this.root, s.path));
        item.contextValue = `dataset-${s.status}`;
        const runs = node.history?.versions.find((v) => v.md5 === s.md5)?.runs ?? [];
        item.tooltip = new vscode.MarkdownString(
          [
            `**${s.path}** — ${look.label}`,
            `Recorded in \`${s.stage ? `${s.file} (${s.stage})` : s.file}\``,
            s.md5 ? `Version \`${s.md5}\`${size ? ` (${size})` : ''}` : '',
            s.changes ? `${s.changes.added.length} added, ${s.changes.removed.length} removed, ${s.changes.modified.length} modified` : '',
            runs.length ? `Used by ${runs.length} run${runs.length === 1 ? '' : 's'}: ${runs.slice(0, 5).map((r) => r.name).join(', ')}` : 'Used by no run yet',
            s.error ?? '',
          ]
            .filter(Boolean)
            .join('\n\n'),
        );
        // A click expands the dataset; Show Changes is its inline action.
        if (!hasChildren && s.status === 'modified') item.command = { command: 'provenant.data.showChanges', title: 'Show Changes', arguments: [node] };
        return item;
      }
      case 'changes': {
        const c = node.status.changes!;
        const item = new vscode.TreeItem('Changes', vscode.TreeItemCollapsibleState.Expanded);
        item.description = `${c.modified.length} modified, ${c.added.length} added, ${c.removed.length} removed`;
        item.iconPath = icon('diff');
        return item;
      }
      case 'changedFile': {
        const item = new vscode.TreeItem(node.relpath, vscode.TreeItemCollapsibleState.None);
        item.description = node.change;
        item.iconPath = icon(node.change === 'added' ? 'diff-added' : node.change === 'removed' ? 'diff-removed' : 'diff-modified', `gitDecoration.${node.change === 'added' ? 'added' : node.change === 'removed' ? 'deleted' : 'modified'}ResourceForeground`);
        item.contextValue = 'dataChangedFile';
        if (node.change !== 'removed') item.resourceUri = vscode.Uri.file(join(this.root, node.dataset.path, ...node.relpath.split('/')));
        item.command = { command: 'provenant.data.openChange', title: 'Open Change', arguments: [node] };
        return item;
      }
      case 'versions': {
        const item = new vscode.TreeItem('Versions', vscode.TreeItemCollapsibleState.Collapsed);
        item.description = `${node.history.versions.length}`;
        item.iconPath = icon('history');
        return item;
      }
      case 'version': {
        const v = node.version;
        const item = new vscode.TreeItem(shortMd5(v.md5), vscode.TreeItemCollapsibleState.None);
        const runs = v.runs.length ? `${v.runs.length} run${v.runs.length === 1 ? '' : 's'}: ${v.runs.slice(0, 3).map((r) => r.name).join(', ')}${v.runs.length > 3 ? ', …' : ''}` : 'no run';
        item.description = [v.current ? 'current' : '', v.inCache ? '' : 'not in cache', runs].filter(Boolean).join(' · ');
        item.iconPath = icon(v.current ? 'circle-filled' : 'circle-outline', v.inCache ? undefined : 'charts.orange');
        item.tooltip = `${v.md5}\n${v.nfiles !== undefined ? `${v.nfiles} files, ` : ''}${formatBytes(v.size)}\n${v.inCache ? 'In the DVC cache' : 'Not in the DVC cache (dvc pull may fetch it)'}\n${v.runs.map((r) => `${r.name} (${r.id}) ${r.status}`).join('\n')}`;
        item.contextValue = v.runs.length && v.inCache ? 'dataVersion-run' : 'dataVersion';
        return item;
      }
      case 'stages': {
        const changed = node.stages.filter((s) => s.status !== 'unchanged').length;
        const item = new vscode.TreeItem('Pipeline stages', vscode.TreeItemCollapsibleState.Expanded);
        item.description = changed ? `${changed} changed` : 'up to date';
        item.iconPath = icon('type-hierarchy');
        return item;
      }
      case 'stage': {
        const s = node.stage;
        const item = new vscode.TreeItem(s.stage, vscode.TreeItemCollapsibleState.None);
        const c = s.changed;
        item.description = s.status === 'error' ? 'error' : c ? `changed: ${[c.cmd && 'cmd', c.deps.length && 'deps', c.params.length && 'params', c.outs.length && 'outs'].filter(Boolean).join(', ')}` : 'unchanged';
        item.iconPath = s.status === 'unchanged' ? icon('pass', 'testing.iconPassed') : s.status === 'error' ? icon('error', 'problemsErrorIcon.foreground') : icon('diff-modified', 'gitDecoration.modifiedResourceForeground');
        item.tooltip = s.error ?? (c ? [c.cmd ? 'cmd changed' : '', c.deps.length ? `deps: ${c.deps.join(', ')}` : '', c.params.length ? `params: ${c.params.join(', ')}` : '', c.outs.length ? `outs: ${c.outs.join(', ')}` : ''].filter(Boolean).join('\n') : `${s.file}: unchanged`);
        return item;
      }
      case 'problem': {
        const item = new vscode.TreeItem(node.status.file || 'Data status', vscode.TreeItemCollapsibleState.None);
        item.description = 'error';
        item.tooltip = node.status.error ?? '';
        item.iconPath = icon('error', 'problemsErrorIcon.foreground');
        if (node.status.file) item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(join(this.root, node.status.file))] };
        return item;
      }
    }
  }
}
