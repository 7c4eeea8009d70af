import * as vscode from 'vscode';
import type { RunsModel } from './runsModel';
import { currentBranchName } from './workspace';
import type { ExperimentsHub } from './experiments/hub';

const STATUS_TEXT = { running: '$(sync~spin) running', succeeded: '$(pass) succeeded', failed: '$(error) failed', interrupted: '$(debug-stop) interrupted' } as const;

/** Current experiment (branch) and the last run's status; a click offers to switch experiments or start a new one. */
export function createStatusBar(root: string, model: RunsModel, experimentsHub: ExperimentsHub): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('provenant.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Provenant';
  item.command = 'provenant.exp.menu';
  const update = () => {
    const branch = currentBranchName(root) ?? 'detached';
    const last = model.runs[0];
    const info = experimentsHub.snapshot?.experiments.find((e) => e.current);
    const drift = info && (info.ahead || info.behind) ? ` ↑${info.ahead ?? 0}↓${info.behind ?? 0}` : '';
    item.text = `$(beaker) ${branch}${drift}${last ? ` · ${STATUS_TEXT[last.status]}` : ''}`;
    item.tooltip = `${last ? `Provenant: experiment ${branch}; last run ${last.name} ${last.status}` : `Provenant: experiment ${branch}; no runs yet`}\nClick to switch to another experiment or start a new one.`;
    item.accessibilityInformation = { label: `Provenant experiment ${branch}. Switch or create an experiment.` };
    item.show();
  };
  update();
  return vscode.Disposable.from(item, model.onDidChange(update), experimentsHub.onDidChange(update));
}
