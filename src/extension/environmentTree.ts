import * as vscode from 'vscode';
import { snapshotEnvironment } from '../core/env/snapshot';
import { diffEnvironments, type EnvironmentDiff } from '../core/env/diff';
import type { EnvironmentSnapshot } from '../core/runs/types';
import type { RunsModel } from './runsModel';

interface Node {
  label: string;
  description?: string;
  tooltip?: string;
  icon?: string;
  color?: string;
  children?: Node[];
  expanded?: boolean;
}

const leaf = (label: string, description?: string, icon?: string): Node => ({ label, ...(description !== undefined ? { description } : {}), ...(icon ? { icon } : {}) });

function bytes(n: number): string {
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

function snapshotNodes(env: EnvironmentSnapshot): Node[] {
  const packages = Object.entries(env.packages);
  return [
    env.python
      ? leaf('Python', `${env.python.implementation} ${env.python.version}`, 'symbol-namespace')
      : { label: 'Python', description: 'not available', tooltip: env.pythonError ?? '', icon: 'warning', color: 'problemsWarningIcon.foreground' },
    ...(env.python ? [leaf('Interpreter', env.python.executable, 'file-binary')] : []),
    { label: 'Packages', description: String(packages.length), icon: 'package', children: packages.map(([name, version]) => leaf(name, version)) },
    {
      label: 'Lockfiles',
      description: String(Object.keys(env.lockfiles).length),
      icon: 'lock',
      children: Object.entries(env.lockfiles).map(([file, md5]) => leaf(file, md5.slice(0, 12))),
    },
    leaf('System', `${env.os.distro ?? env.os.platform} ${env.os.arch}`, 'vm'),
    leaf('CPU', `${env.cpu.cores} × ${env.cpu.model}`, 'chip'),
    leaf('Memory', bytes(env.memoryBytes), 'server'),
    leaf('GPUs', env.gpus.length ? env.gpus.map((g) => `${g.name} (driver ${g.driver}${g.cuda ? `, CUDA ${g.cuda}` : ''})`).join(', ') : 'none', 'circuit-board'),
    leaf('Fingerprint', env.fingerprint.slice(0, 16), 'fingerprint'),
  ];
}

function driftNode(diff: EnvironmentDiff, since: string): Node {
  if (diff.same) return { label: 'No drift', description: `since run ${since}`, icon: 'check', color: 'testing.iconPassed' };
  const children: Node[] = [
    ...Object.entries(diff.added).map(([n, v]) => ({ ...leaf(n, `added ${v}`, 'diff-added'), color: 'gitDecoration.addedResourceForeground' })),
    ...Object.entries(diff.removed).map(([n, v]) => ({ ...leaf(n, `removed ${v}`, 'diff-removed'), color: 'gitDecoration.deletedResourceForeground' })),
    ...Object.entries(diff.changed).map(([n, c]) => ({ ...leaf(n, `${c.from} → ${c.to}`, 'diff-modified'), color: 'gitDecoration.modifiedResourceForeground' })),
    ...diff.other.map((o) => leaf(o.field, `${o.from} → ${o.to}`, 'diff-modified')),
  ];
  return { label: 'Drift', description: `${children.length} change${children.length === 1 ? '' : 's'} since run ${since}`, icon: 'warning', color: 'problemsWarningIcon.foreground', children, expanded: true };
}

/**
 * Environment view: the configured interpreter's snapshot now, and what drifted since the last
 * run. The interpreter is probed only in a trusted workspace, and only when the view is shown.
 */
export class EnvironmentTree implements vscode.TreeDataProvider<Node> {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private current: Promise<EnvironmentSnapshot> | undefined;

  constructor(private readonly root: string, private readonly model: RunsModel, private readonly interpreter: () => string) {
    model.onDidChange(() => this.emitter.fire(undefined));
  }

  refresh(): void {
    this.current = undefined;
    this.emitter.fire(undefined);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (node) return node.children ?? [];
    const last = this.model.runs[0];
    if (!vscode.workspace.isTrusted) {
      const note: Node = { label: 'Restricted Mode', description: 'the interpreter is not started', icon: 'shield', tooltip: 'Trust this workspace to snapshot its Python environment.' };
      return last ? [note, { label: `Recorded by run ${last.name}`, icon: 'history', children: snapshotNodes(last.environment), expanded: true }] : [note];
    }
    this.current ??= snapshotEnvironment(this.root, this.interpreter());
    const env = await this.current;
    return [...snapshotNodes(env), ...(last ? [driftNode(diffEnvironments(last.environment, env), last.name)] : [])];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const state = node.children ? (node.expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed) : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(node.label, state);
    if (node.description !== undefined) item.description = node.description;
    if (node.tooltip) item.tooltip = node.tooltip;
    if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon, node.color ? new vscode.ThemeColor(node.color) : undefined);
    return item;
  }
}

/** Data and Governance views until their features land: empty, so VS Code shows their welcome text. */
export class EmptyTree implements vscode.TreeDataProvider<never> {
  getChildren(): never[] {
    return [];
  }
  getTreeItem(): vscode.TreeItem {
    throw new Error('an empty tree has no items');
  }
}
