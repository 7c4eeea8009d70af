/**
 * The "Analysis" panel, host side (viewType `provenant.analysis`, one panel per run id): the
 * run's evaluation, fairness and threshold explorer (read-only, also in Restricted Mode), and its
 * explanations, computed through one predictor process per panel (trusted workspaces only) with
 * progress and cancellation. Every webview message is validated; requests are answered only for
 * the panel's own run.
 */
import * as vscode from 'vscode';
import { AnalysisSession, evaluateRun, explorerOfRun, fairnessOfRun, fourFifthsOf, openRun, type EngineOptions } from '../../core/analysis/engine';
import type { EvaluationResult, FairnessResult, ThresholdExplorer } from '../../core/analysis/types';
import { describeError, ProvenantError } from '../../core/util/errors';
import {
  describeMessage,
  isAnalysisPanelHostMessage,
  isAnalysisPanelWebviewMessage,
  isPlainObject,
  isRunId,
  type AnalysisPanelHostMessage,
  type AnalysisPanelWebviewMessage,
  type AnalysisRowTable,
  type AnalysisTask,
} from '../../shared/messages';
import { renderPanelHtml } from '../webview/html';

export const ANALYSIS_PANEL_VIEW_TYPE = 'provenant.analysis';
/** Rows offered for local explanations. */
const TABLE_ROWS = 200;
/** ICE curves sent to the panel per feature (the stored result keeps them all). */
const PANEL_ICE = 60;

export interface AnalysisDeps {
  root: string;
  /** Engine options from the settings: interpreter, helper folder. */
  engine(): EngineOptions;
  trusted(): boolean;
  log(message: string): void;
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, enableCommandUris: false, enableForms: false, enableFindWidget: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')] };
}

function title(name: string): string {
  const clean = name.replace(/\s+/g, ' ').trim() || '(unnamed)';
  return `Analysis ${clean.length > 50 ? `${clean.slice(0, 49)}…` : clean}`;
}

export class AnalysisPanel {
  private static readonly panels = new Map<string, AnalysisPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private session: AnalysisSession | null = null;
  private controller: AbortController | null = null;
  private queue: Promise<void> = Promise.resolve();
  private disposed = false;

  static show(extensionUri: vscode.Uri, runId: string, deps: AnalysisDeps): AnalysisPanel {
    const existing = AnalysisPanel.panels.get(runId);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(ANALYSIS_PANEL_VIEW_TYPE, title(runId), vscode.ViewColumn.Active, webviewOptions(extensionUri));
    return new AnalysisPanel(panel, extensionUri, runId, deps);
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, runId: string, deps: AnalysisDeps): void {
    if (AnalysisPanel.panels.has(runId)) {
      panel.dispose();
      return;
    }
    new AnalysisPanel(panel, extensionUri, runId, deps);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly runId: string,
    private readonly deps: AnalysisDeps,
  ) {
    AnalysisPanel.panels.set(runId, this);
    panel.webview.options = webviewOptions(extensionUri);
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
    );
    const asset = (file: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', file)).toString();
    panel.webview.html = renderPanelHtml({ cspSource: panel.webview.cspSource, scriptUri: asset('analysis.js'), styleUri: asset('analysis.css'), title: 'Analysis' });
  }

  private post(message: AnalysisPanelHostMessage): void {
    if (this.disposed) return;
    const original = message;
    if (!isAnalysisPanelHostMessage(original as unknown)) {
      this.deps.log(`Analysis panel ${this.runId}: a ${original.type} message did not match the contract; not sent`);
      message = { type: 'failed', task: 'task' in original ? (original.task as AnalysisTask) : null, message: 'The result could not be displayed (it does not match the panel contract).' };
    }
    this.panel.webview.postMessage(message).then(undefined, (err: unknown) => this.deps.log(`could not post ${message.type}: ${describeError(err)}`));
  }

  private onMessage(message: unknown): void {
    if (!isAnalysisPanelWebviewMessage(message)) {
      this.deps.log(`Analysis panel ${this.runId}: ignored an invalid message (${describeMessage(message)})`);
      return;
    }
    void this.handle(message);
  }

  private async handle(message: AnalysisPanelWebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.sendInit();
        if (this.deps.trusted()) {
          this.enqueue('permutation');
          this.enqueue('pdp');
        }
        return;
      case 'explain':
        this.enqueue(message.method);
        return;
      case 'explainRow':
        this.enqueue('shapley', message.row);
        return;
      case 'cancel':
        this.controller?.abort();
        return;
    }
  }

  private sendInit(): void {
    try {
      const rd = openRun(this.deps.root, this.runId, this.deps.engine());
      this.panel.title = title(rd.run.name);
      const notes: string[] = [];
      let evaluation: EvaluationResult | null = null;
      let fairness: FairnessResult[] = [];
      let explorers: ThresholdExplorer[] = [];
      try {
        evaluation = evaluateRun(this.deps.root, this.runId, this.deps.engine()).result;
      } catch (err) {
        notes.push(`Evaluation: ${describeError(err)}`);
      }
      try {
        fairness = fairnessOfRun(this.deps.root, this.runId, this.deps.engine()).result;
        explorers = rd.data.yScore ? explorerOfRun(rd) : [];
        if (!rd.data.yScore) notes.push('Threshold explorer: the predictions have no y_score.');
      } catch (err) {
        notes.push(`Fairness: ${describeError(err)}`);
      }
      if (!this.deps.trusted()) notes.push('Restricted Mode: explanations run the model, so they are not available until you trust this workspace.');
      const shown = rd.data.raw;
      const columns = [...shown.keys()];
      const table: AnalysisRowTable = {
        columns,
        rows: Array.from({ length: Math.min(TABLE_ROWS, rd.data.rows) }, (_, index) => ({ index, cells: columns.map((c) => shown.get(c)![index]!.slice(0, 200)) })),
        total: rd.data.rows,
      };
      this.post({ type: 'init', run: { id: rd.run.id, name: rd.run.name }, trusted: this.deps.trusted(), evaluation, fairness, explorers, table, notes, fourFifths: fourFifthsOf(rd.config) });
    } catch (err) {
      this.post({ type: 'failed', task: null, message: `Could not analyse run ${this.runId}: ${describeError(err)}` });
    }
  }

  /** Explanations run one at a time, in the order asked. */
  private enqueue(task: AnalysisTask, row?: number): void {
    this.queue = this.queue.then(() => this.explain(task, row)).catch((err: unknown) => this.deps.log(describeError(err)));
  }

  private async explain(task: AnalysisTask, row?: number): Promise<void> {
    if (this.disposed) return;
    if (!this.deps.trusted()) {
      this.post({ type: 'failed', task, message: 'Explanations are not available in Restricted Mode: they would run the model, which is code from this workspace.' });
      return;
    }
    const controller = new AbortController();
    this.controller = controller;
    const labels: Record<AnalysisTask, string> = { permutation: 'permutation importance', pdp: 'partial dependence and ICE', shapley: `Shapley values of row ${row}` };
    try {
      this.session ??= AnalysisSession.open(this.deps.root, this.runId, this.deps.engine());
      const session = this.session;
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Provenant: ${labels[task]}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => controller.abort());
          let last = 0;
          const report = (done: number, total: number, label: string) => {
            const pct = total ? (100 * done) / total : 0;
            progress.report({ increment: pct - last, message: `${done}/${total}` });
            last = pct;
            this.post({ type: 'progress', task, done, total, label });
          };
          const call = { signal: controller.signal, progress: report };
          if (task === 'permutation') {
            const stored = await session.explain('permutation', {}, call);
            this.post({ type: 'importance', result: stored.result, note: `${stored.settings.scoring}, ${stored.settings.repeats} repeats, seed ${stored.settings.seed}; ${stored.cost?.modelEvaluations.toLocaleString('en-US')} model evaluations${stored.cached ? ' (stored result)' : ''}` });
          } else if (task === 'pdp') {
            const stored = await session.explain('pdp', {}, call);
            const trimmed = stored.result.map((pd) => ({ ...pd, individual: pd.individual.slice(0, PANEL_ICE), rows: pd.rows.slice(0, PANEL_ICE) }));
            this.post({ type: 'dependence', result: trimmed, note: `${stored.settings.class !== undefined ? `probability of class ${String(stored.settings.class)}; ` : ''}grid of up to ${stored.settings.gridResolution} points between the ${(stored.settings.percentiles as number[]).map((p) => `${p * 100}th`).join(' and ')} percentiles; ${PANEL_ICE} of ${stored.result[0]?.individual.length ?? 0} ICE curves shown${stored.cached ? ' (stored result)' : ''}` });
          } else {
            const stored = await session.explain('shapley', { rows: [row!] }, call);
            const s = stored.settings;
            this.post({ type: 'local', result: stored.result[0]!, note: `${s.class !== undefined ? `probability of class ${String(s.class)}; ` : ''}${s.algorithmUsed} Shapley values, background of ${(s.backgroundRows as number[]).length} rows, ${s.coalitionsPerRow} coalitions; ${stored.cost?.modelEvaluations.toLocaleString('en-US')} model evaluations${stored.cached ? ' (stored result)' : ''}` });
          }
        },
      );
    } catch (err) {
      const cancelled = err instanceof ProvenantError && err.code === 'E_CANCELLED';
      this.post({ type: 'failed', task, message: cancelled ? `${labels[task]}: cancelled.` : describeError(err) });
      if (!cancelled) this.deps.log(`Analysis of ${this.runId}: ${describeError(err)}`);
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.controller?.abort();
    if (AnalysisPanel.panels.get(this.runId) === this) AnalysisPanel.panels.delete(this.runId);
    void this.session?.close();
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  static disposeAll(): void {
    for (const p of [...AnalysisPanel.panels.values()]) p.dispose();
  }
}

export function registerAnalysisSerializer(context: vscode.ExtensionContext, deps: AnalysisDeps): void {
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(ANALYSIS_PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
        if (!isPlainObject(state) || !isRunId(state.runId)) {
          deps.log(`Analysis panel: not restored, its saved state is invalid (${describeMessage(state)})`);
          panel.dispose();
          return;
        }
        AnalysisPanel.revive(panel, context.extensionUri, state.runId, deps);
      },
    }),
    { dispose: () => AnalysisPanel.disposeAll() },
  );
}
