import * as vscode from 'vscode';
import type { RunRecord } from '../core/runs/types';
import type { RunProblem } from '../core/runs/store';
import type { RunsModel } from './runsModel';
import { currentBranchName } from './workspace';

type Node =
  | { kind: 'experiment'; name: string; current: boolean; runs: RunRecord[] }
  | { kind: 'run'; run: RunRecord }
  | { kind: 'problem'; problem: RunProblem };

const STATUS_ICON: Record<RunRecord['status'], vscode.ThemeIcon> = {
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  succeeded: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  interrupted: new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('charts.orange')),
};

const DETACHED = '(detached HEAD)';

function formatMetric(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

function ago(iso: string): string {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

/** Experiments view: runs grouped by the branch they ran on, the current branch first. */
export class ExperimentsTree implements vscode.TreeDataProvider<Node> {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly root: string, private readonly model: RunsModel, private readonly keyMetric: () => string | undefined) {
    model.onDidChange(() => this.emitter.fire(undefined));
  }

  getChildren(node?: Node): Node[] {
    if (node?.kind === 'experiment') return node.runs.map((run) => ({ kind: 'run', run }));
    if (node) return [];
    if (this.model.runs.length === 0 && this.model.problems.length === 0) return []; // the welcome message shows
    const current = currentBranchName(this.root) ?? DETACHED;
    const groups = new Map<string, RunRecord[]>([[current, []]]);
    for (const run of this.model.runs) {
      const name = run.experiment ?? DETACHED;
      groups.set(name, [...(groups.get(name) ?? []), run]);
    }
    const experiments: Node[] = [...groups]
      .filter(([name, runs]) => runs.length > 0 || name === current)
      .map(([name, runs]) => ({ kind: 'experiment', name, current: name === current, runs }));
    return [...experiments, ...this.model.problems.map((problem): Node => ({ kind: 'problem', problem }))];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'experiment') {
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `experiment:${node.name}`;
      item.iconPath = new vscode.ThemeIcon(node.current ? 'git-branch' : 'source-control');
      item.description = `${node.current ? 'current · ' : ''}${node.runs.length} run${node.runs.length === 1 ? '' : 's'}`;
      item.contextValue = node.current ? 'experiment.current' : 'experiment';
      return item;
    }
    if (node.kind === 'problem') {
      const item = new vscode.TreeItem(`Unreadable run ${node.problem.id}`, vscode.TreeItemCollapsibleState.None);
      item.id = `problem:${node.problem.id}`;
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      item.description = node.problem.file;
      item.tooltip = new vscode.MarkdownString().appendText(node.problem.message);
      item.contextValue = 'problem';
      return item;
    }
    const run = node.run;
    const item = new vscode.TreeItem(run.name, vscode.TreeItemCollapsibleState.None);
    item.id = `run:${run.id}`;
    item.iconPath = STATUS_ICON[run.status];
    const key = this.keyMetric();
    const metric = key && key in run.metrics ? ([key, run.metrics[key]!] as const) : Object.entries(run.metrics)[0];
    item.description = [metric ? `${metric[0]} ${formatMetric(metric[1])}` : run.status, ago(run.startedAt)].join(' · ');
    item.tooltip = runTooltip(run);
    item.contextValue = `run.${run.status}`;
    item.command = { command: 'provenant.showRun', title: 'Show Run Details', arguments: [run.id] };
    item.accessibilityInformation = { label: `Run ${run.name}, ${run.status}${metric ? `, ${metric[0]} ${formatMetric(metric[1])}` : ''}` };
    return item;
  }
}

/** Details on hover; every workspace string goes in as text, never as markdown. */
function runTooltip(run: RunRecord): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown('**').appendText(run.name).appendMarkdown('**  \n');
  md.appendText(`${run.id} · ${run.status}${run.exitCode !== null ? ` (exit ${run.exitCode})` : ''}`).appendMarkdown('  \n');
  md.appendText(`Command: ${run.command.join(' ')}`).appendMarkdown('  \n');
  md.appendText(`Started ${run.startedAt.replace('T', ' ').slice(0, 19)} UTC by ${run.user}`).appendMarkdown('  \n');
  md.appendText(`Code: ${run.code.snapshotCommit.slice(0, 10)}${run.code.dirty ? ` (+${run.code.changedFiles.length} uncommitted)` : ''} · seed ${run.seeds.root}`).appendMarkdown('  \n');
  if (run.data.length) md.appendText(`Data: ${run.data.map((d) => `${d.path} ${d.md5.slice(0, 8)}`).join(', ')}`).appendMarkdown('  \n');
  const metrics = Object.entries(run.metrics).slice(0, 8);
  if (metrics.length) md.appendText(`Metrics: ${metrics.map(([k, v]) => `${k} ${formatMetric(v)}`).join(', ')}`);
  return md;
}
