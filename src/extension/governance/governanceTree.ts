/**
 * The Governance view: the checks of the selected run (the last run until one is picked), each
 * with its verdict icon; expanding a check shows its evidence and what to do. Non-passing checks
 * also become diagnostics in the Problems panel, on `.provenant/config.yaml` or the training
 * script, with the check id as the diagnostic code.
 */
import * as vscode from 'vscode';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_PATH } from '../../core/config/config';
import { checkRun, type CheckReport, type CheckResult } from '../../core/governance/checks';
import type { RunRecord } from '../../core/runs/types';
import { describeError } from '../../core/util/errors';
import type { RunsModel } from '../runsModel';

type Node = { kind: 'run'; run: RunRecord } | { kind: 'check'; check: CheckResult; runId: string } | { kind: 'detail'; label: string; text: string; icon: string } | { kind: 'message'; text: string };

const ICONS: Record<CheckResult['verdict'], vscode.ThemeIcon> = {
  pass: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  warn: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
  fail: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  error: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('testing.iconErrored')),
};

/** Where in config.yaml a check's finding belongs (the line of the setting it is about). */
const CONFIG_KEYS: Partial<Record<CheckResult['id'], RegExp>> = {
  'data-versioned': /^data\s*:/,
  'train-test-disjoint': /^(eval_data|data)\s*:/,
  'metric-imbalance': /^key_metric\s*:/,
  'subgroup-gaps': /^sensitive_attributes\s*:/,
  'environment-captured': /^python\s*:/,
};

export class GovernanceTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('provenant-governance');
  private selected: string | undefined;
  private report: CheckReport | undefined;
  private error: string | undefined;
  private seq = 0;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly root: string, private readonly runs: RunsModel, private readonly log: (message: string) => void) {
    this.subscription = runs.onDidChange(() => this.refresh());
    this.refresh();
  }

  /** The run whose checks are shown: the selected one, else the newest finished run. */
  get runId(): string | undefined {
    if (this.selected && this.runs.find(this.selected)) return this.selected;
    return this.runs.runs.find((r) => r.status !== 'running')?.id ?? this.runs.runs[0]?.id;
  }

  get current(): CheckReport | undefined {
    return this.report;
  }

  select(runId: string): void {
    this.selected = runId;
    this.refresh();
  }

  refresh(): Promise<void> {
    const id = this.runId;
    const seq = ++this.seq;
    if (!id) {
      this.report = undefined;
      this.error = undefined;
      this.diagnostics.clear();
      this.changed.fire(undefined);
      return Promise.resolve();
    }
    return checkRun(this.root, id)
      .then((report) => {
        if (seq !== this.seq) return;
        this.report = report;
        this.error = undefined;
        this.publishDiagnostics(report);
      })
      .catch((err: unknown) => {
        if (seq !== this.seq) return;
        this.report = undefined;
        this.error = describeError(err);
        this.log(`Governance checks of ${id}: ${this.error}`);
      })
      .finally(() => {
        if (seq === this.seq) this.changed.fire(undefined);
      });
  }

  private publishDiagnostics(report: CheckReport): void {
    this.diagnostics.clear();
    const run = this.runs.find(report.run);
    const script = run?.command.find((a) => /\.(py|R|jl|sh|js|ts)$/.test(a));
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const check of report.checks.filter((c) => c.verdict !== 'pass')) {
      const candidates = [check.file, CONFIG_PATH, script].filter((f): f is string => !!f && existsSync(join(this.root, f)));
      const file = candidates[0];
      if (!file) continue;
      let line = 0;
      const key = CONFIG_KEYS[check.id];
      if (file === CONFIG_PATH && key) {
        const index = readFileSync(join(this.root, file), 'utf8').split(/\r?\n/).findIndex((l) => key.test(l));
        if (index >= 0) line = index;
      }
      const diagnostic = new vscode.Diagnostic(new vscode.Range(line, 0, line, 200), `${check.title} (run ${report.run}): ${check.evidence} → ${check.advice}`, check.verdict === 'fail' || check.verdict === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
      diagnostic.source = 'Provenant';
      diagnostic.code = check.id;
      byFile.set(file, [...(byFile.get(file) ?? []), diagnostic]);
    }
    for (const [file, list] of byFile) this.diagnostics.set(vscode.Uri.file(join(this.root, file)), list);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'run': {
        const item = new vscode.TreeItem(`Run ${node.run.name}`, vscode.TreeItemCollapsibleState.None);
        item.description = node.run.name === node.run.id ? node.run.status : `${node.run.id} · ${node.run.status}`;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.contextValue = 'governanceRun';
        item.tooltip = `Checks of run ${node.run.id}. Pick another with "Check Run" in the Experiments view.`;
        item.command = { command: 'provenant.showRun', title: 'Show Run', arguments: [node.run.id] };
        return item;
      }
      case 'check': {
        const item = new vscode.TreeItem(node.check.title, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `${node.runId}/${node.check.id}`;
        item.description = node.check.verdict;
        item.iconPath = ICONS[node.check.verdict];
        item.contextValue = `check.${node.check.verdict}`;
        const tip = new vscode.MarkdownString();
        tip.appendText(`${node.check.title}: ${node.check.verdict.toUpperCase()}\n\n${node.check.evidence}\n\n→ ${node.check.advice}`);
        item.tooltip = tip;
        return item;
      }
      case 'detail': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.description = node.text;
        item.tooltip = node.text;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('info');
        return item;
      }
    }
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      const id = this.runId;
      if (!id) return [];
      const run = this.runs.find(id);
      const head: Node[] = run ? [{ kind: 'run', run }] : [];
      if (this.error) return [...head, { kind: 'message', text: `Checks could not run: ${this.error}` }];
      if (!this.report || this.report.run !== id) return [...head, { kind: 'message', text: 'Checking…' }];
      return [...head, ...this.report.checks.map((check): Node => ({ kind: 'check', check, runId: id }))];
    }
    if (node.kind === 'check') {
      return [
        { kind: 'detail', label: 'Evidence', text: node.check.evidence, icon: 'search' },
        { kind: 'detail', label: node.check.verdict === 'pass' ? 'Keep' : 'Do', text: node.check.advice, icon: 'lightbulb' },
      ];
    }
    return [];
  }

  dispose(): void {
    this.subscription.dispose();
    this.diagnostics.dispose();
    this.changed.dispose();
  }
}
