import * as vscode from 'vscode';
import type { RunRecord } from '../core/runs/types';
import type { RunsModel } from './runsModel';

/**
 * Says when a run seen running in this window ends, with its key metric: VS Code closes the run's
 * terminal when it exits successfully, so the outcome must not live in the terminal only.
 */
export function notifyRunEnds(model: RunsModel, keyMetric: () => string | undefined, showRun: (id: string) => void): vscode.Disposable {
  let running = new Set(model.runs.filter((r) => r.status === 'running').map((r) => r.id));
  return model.onDidChange(({ runs }) => {
    for (const run of runs) if (running.has(run.id) && run.status !== 'running') void announce(run);
    running = new Set(runs.filter((r) => r.status === 'running').map((r) => r.id));
  });

  async function announce(run: RunRecord): Promise<void> {
    const key = keyMetric();
    const metric = key && key in run.metrics ? ([key, run.metrics[key]!] as const) : Object.entries(run.metrics)[0];
    const text = `Provenant: run ${run.name} ${run.status}${metric ? ` · ${metric[0]} ${Number.isInteger(metric[1]) ? metric[1] : metric[1].toPrecision(4)}` : ''}`;
    const show = run.status === 'succeeded' ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
    if ((await show(text, 'Show Details')) === 'Show Details') showRun(run.id);
  }
}
