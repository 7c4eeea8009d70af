import * as vscode from 'vscode';
import type { RunsModel } from './runsModel';
import { currentBranchName } from './workspace';

const STATUS_TEXT = { running: '$(sync~spin) running', succeeded: '$(pass) succeeded', failed: '$(error) failed', interrupted: '$(debug-stop) interrupted' } as const;

/** Current experiment (branch) and the last run's status; a click opens the Experiments view. */
export function createStatusBar(root: string, model: RunsModel): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('provenant.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Provenant';
  item.command = 'provenant.experiments.focus';
  const update = () => {
    const branch = currentBranchName(root) ?? 'detached';
    const last = model.runs[0];
    item.text = `$(beaker) ${branch}${last ? ` · ${STATUS_TEXT[last.status]}` : ''}`;
    item.tooltip = last ? `Provenant: experiment ${branch}; last run ${last.name} ${last.status}` : `Provenant: experiment ${branch}; no runs yet`;
    item.show();
  };
  update();
  const subscription = model.onDidChange(update);
  return vscode.Disposable.from(item, subscription);
}
