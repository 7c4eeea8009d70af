import * as vscode from 'vscode';
import type { RunRecord } from '../core/runs/types';
import type { RunProblem } from '../core/runs/store';
import type { ExperimentInfo } from '../core/experiments/experiments';
import type { JournalEntry } from '../core/experiments/journal';
import type { RunsModel } from './runsModel';
import { currentBranchName } from './workspace';
import type { ExperimentsHub } from './experiments/hub';

export type Node =
  | { kind: 'experiment'; name: string; current: boolean; runs: RunRecord[]; info?: ExperimentInfo; notes: JournalEntry[] }
  | { kind: 'archived'; experiments: Node[] }
  | { kind: 'run'; run: RunRecord; archived: boolean; starred: boolean }
  | { kind: 'note'; entry: JournalEntry; index: number }
  | { kind: 'problem'; problem: RunProblem };

const STATUS_ICON: Record<RunRecord['status'], vscode.ThemeIcon> = {
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  succeeded: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  interrupted: new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('charts.orange')),
};
const STATUS_ICON_NAME: Record<RunRecord['status'], string> = { running: 'sync', succeeded: 'pass', failed: 'error', interrupted: 'debug-stop' };

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

/**
 * Experiments view: experiment branches (current first, archived ones in their own group), each
 * with its runs (status, key metric, star) and its journal notes. Until the branch list is read
 * (or without git), runs are grouped by the branch they ran on.
 */
export class ExperimentsTree implements vscode.TreeDataProvider<Node> {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(
    private readonly root: string,
    private readonly model: RunsModel,
    private readonly experimentsHub: ExperimentsHub,
    private readonly keyMetric: () => string | undefined,
  ) {
    model.onDidChange(() => this.emitter.fire(undefined));
    experimentsHub.onDidChange(() => this.emitter.fire(undefined));
  }

  getParent(): undefined {
    return undefined;
  }

  getChildren(node?: Node): Node[] {
    const stars = this.experimentsHub.snapshot?.stars ?? new Set<string>();
    if (node?.kind === 'experiment') {
      const archived = node.info?.archived ?? false;
      return [
        ...node.runs.map((run): Node => ({ kind: 'run', run, archived, starred: stars.has(run.id) })),
        ...node.notes.map((entry, index): Node => ({ kind: 'note', entry, index })),
      ];
    }
    if (node?.kind === 'archived') return node.experiments;
    if (node) return [];
    const snapshot = this.experimentsHub.snapshot;
    const problems = this.model.problems.map((problem): Node => ({ kind: 'problem', problem }));
    if (!snapshot) return [...this.byRunBranch(), ...problems];
    const live = snapshot.experiments.filter((e) => !e.archived);
    const archived = snapshot.experiments.filter((e) => e.archived);
    if (this.model.runs.length === 0 && this.model.problems.length === 0 && live.length <= 1 && archived.length === 0 && snapshot.journal.length === 0) return []; // the welcome message shows
    const runsById = new Map(this.model.runs.map((r) => [r.id, r]));
    const notesOf = (name: string | null) => snapshot.journal.filter((e) => e.experiment === name);
    const toNode = (e: ExperimentInfo): Node => ({ kind: 'experiment', name: e.name, current: e.current, info: e, runs: e.runs.map((id) => runsById.get(id)).filter((r): r is RunRecord => !!r), notes: notesOf(e.name) });
    const known = new Set(snapshot.experiments.map((e) => e.name));
    // Runs of branches that no longer exist (deleted with git) or of a detached HEAD keep a group of their own.
    const orphans = new Map<string, RunRecord[]>();
    for (const run of this.model.runs) {
      const name = run.experiment ?? DETACHED;
      if (!known.has(name)) orphans.set(name, [...(orphans.get(name) ?? []), run]);
    }
    const current = currentBranchName(this.root);
    if (current === null && !orphans.has(DETACHED)) orphans.set(DETACHED, []);
    const orphanNodes = [...orphans].map(([name, runs]): Node => ({ kind: 'experiment', name, current: name === DETACHED && current === null, runs, notes: notesOf(name === DETACHED ? null : name) }));
    const nodes: Node[] = [...orphanNodes.filter((n) => n.kind === 'experiment' && n.current), ...live.map(toNode), ...orphanNodes.filter((n) => n.kind === 'experiment' && !n.current)];
    if (archived.length) nodes.push({ kind: 'archived', experiments: archived.map(toNode) });
    return [...nodes, ...problems];
  }

  /** Runs grouped by the branch they ran on, the current branch first (before branches are read). */
  private byRunBranch(): Node[] {
    if (this.model.runs.length === 0 && this.model.problems.length === 0) return [];
    const current = currentBranchName(this.root) ?? DETACHED;
    const groups = new Map<string, RunRecord[]>([[current, []]]);
    for (const run of this.model.runs) {
      const name = run.experiment ?? DETACHED;
      groups.set(name, [...(groups.get(name) ?? []), run]);
    }
    return [...groups]
      .filter(([name, runs]) => runs.length > 0 || name === current)
      .map(([name, runs]): Node => ({ kind: 'experiment', name, current: name === current, runs, notes: [] }));
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'experiment') {
      const info = node.info;
      const archived = info?.archived ?? false;
      const item = new vscode.TreeItem(node.name, archived ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
      item.id = `${archived ? 'archived' : 'experiment'}:${node.name}`;
      item.iconPath = archived ? new vscode.ThemeIcon('archive', new vscode.ThemeColor('disabledForeground')) : new vscode.ThemeIcon(node.current ? 'git-branch' : 'source-control');
      const parts = [`${node.current ? 'current · ' : ''}${node.runs.length} run${node.runs.length === 1 ? '' : 's'}`];
      if (info?.ahead) parts.push(`↑${info.ahead}`);
      if (info?.behind) parts.push(`↓${info.behind}`);
      if (archived) parts.push('archived');
      item.description = parts.join(' · ');
      const tip = new vscode.MarkdownString();
      tip.appendMarkdown('**').appendText(node.name).appendMarkdown('**  \n');
      if (info) {
        tip.appendText(info.ahead === null ? 'No main branch to compare with.' : `${info.ahead} commit(s) ahead of main, ${info.behind} behind.`).appendMarkdown('  \n');
        if (archived) tip.appendText(`Archived ${info.archivedAt?.replace('T', ' ').slice(0, 19) ?? ''}${info.reason ? `: ${info.reason}` : ''}`).appendMarkdown('  \n');
        if (info.lastRun) tip.appendText(`Last run ${info.lastRun.name} (${info.lastRun.status}), ${ago(info.lastRun.startedAt)}`);
      }
      item.tooltip = tip;
      item.contextValue = archived ? 'experiment.archived' : !info ? 'experiment.gone' : node.current ? 'experiment.current' : 'experiment';
      return item;
    }
    if (node.kind === 'archived') {
      const item = new vscode.TreeItem('Archived', vscode.TreeItemCollapsibleState.Collapsed);
      item.id = 'archived-group';
      item.iconPath = new vscode.ThemeIcon('archive');
      item.description = `${node.experiments.length} experiment${node.experiments.length === 1 ? '' : 's'}, kept for the audit trail`;
      item.contextValue = 'archivedGroup';
      return item;
    }
    if (node.kind === 'note') {
      const e = node.entry;
      const item = new vscode.TreeItem(e.text.split('\n')[0]!.slice(0, 120), vscode.TreeItemCollapsibleState.None);
      item.id = `note:${e.experiment ?? ''}:${e.time}:${node.index}`;
      item.iconPath = new vscode.ThemeIcon(e.kind === 'assumption' ? 'lightbulb' : e.kind === 'decision' ? 'law' : 'history');
      item.description = `${e.kind} · ${e.author.replace(/ <.*>$/, '')} · ${ago(e.time)}${e.run ? ` · run ${e.run}` : ''}`;
      item.tooltip = new vscode.MarkdownString().appendText(`${e.kind} by ${e.author}, ${e.time.replace('T', ' ').slice(0, 19)} UTC${e.run ? `, run ${e.run}` : ''}\n\n${e.text}`);
      item.contextValue = 'note';
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
    item.iconPath = node.archived ? new vscode.ThemeIcon(STATUS_ICON_NAME[run.status], new vscode.ThemeColor('disabledForeground')) : STATUS_ICON[run.status];
    const key = this.keyMetric();
    const metric = key && key in run.metrics ? ([key, run.metrics[key]!] as const) : Object.entries(run.metrics)[0];
    item.description = [...(node.starred ? ['★'] : []), metric ? `${metric[0]} ${formatMetric(metric[1])}` : run.status, ago(run.startedAt), ...(node.archived ? ['archived'] : [])].join(' · ');
    item.tooltip = runTooltip(run);
    item.contextValue = `run.${run.status}${node.starred ? '.starred' : ''}`;
    item.command = { command: 'provenant.showRun', title: 'Show Run Details', arguments: [run.id] };
    item.accessibilityInformation = { label: `Run ${run.name}, ${run.status}${metric ? `, ${metric[0]} ${formatMetric(metric[1])}` : ''}${node.starred ? ', starred' : ''}${node.archived ? ', archived' : ''}` };
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
