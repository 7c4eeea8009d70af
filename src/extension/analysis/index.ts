/**
 * The analysis area: "Provenant: Open Analysis" (Experiments view context menu, command palette
 * with a run picker) opens a run's evaluation, fairness and explanations panel.
 */
import * as vscode from 'vscode';
import { join } from 'node:path';
import type { ProvenantContext } from '../context';
import { runIdOf } from '../runArg';
import { AnalysisPanel, registerAnalysisSerializer, type AnalysisDeps } from './analysisPanel';

export function activateAnalysis(ctx: ProvenantContext): void {
  const deps: AnalysisDeps = {
    root: ctx.root,
    // Without a pythonPath setting the engine takes the interpreter the run recorded.
    engine: () => {
      const python = ctx.settings().get<string>('pythonPath');
      return { ...(python ? { python } : {}), pythonHelperDir: join(ctx.extension.extensionPath, 'python') };
    },
    trusted: () => vscode.workspace.isTrusted,
    log: (message) => ctx.output.warn(message),
  };
  registerAnalysisSerializer(ctx.extension, deps);
  ctx.command('provenant.openAnalysis', async (arg: unknown) => {
    let id = runIdOf(arg);
    if (!id) {
      const runs = ctx.runs.runs.filter((r) => r.predictions.length > 0);
      if (runs.length === 0) {
        void vscode.window.showInformationMessage('Provenant: no run has logged predictions yet; log them with provenant.log_predictions(...) in the training script.');
        return;
      }
      const pick = await vscode.window.showQuickPick(
        runs.map((r) => ({ label: r.name, description: r.id, detail: `${r.status} · ${r.predictions.map((p) => `${p.name} (${p.rows} rows)`).join(', ')}`, id: r.id })),
        { title: 'Open Analysis', placeHolder: 'Run to analyse' },
      );
      id = pick?.id;
    }
    if (id) AnalysisPanel.show(ctx.extension.extensionUri, id, deps);
  });
}
