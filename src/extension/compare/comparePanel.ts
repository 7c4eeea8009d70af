/**
 * The compare panel, host side (viewType `provenant.compare`, one panel per ordered list of run
 * ids). It sends the differences first (`comparison`), then what takes longer (`extras`: metric
 * histories, evaluations of predictions with bootstrap intervals, ROC/PR curves). Every message
 * from the webview is validated; a diff is opened only for a file of this comparison, between two
 * of its runs; exports are written atomically where the user chooses.
 */
import * as vscode from 'vscode';
import { loadConfig } from '../../core/config/config';
import { readWorkspaceManifest } from '../../core/data/versions';
import { comparisonCsv, comparisonMarkdown, compareRunsFull, type FullComparison } from '../../core/runs/compare';
import { comparisonExtras } from '../../core/runs/compareEvaluation';
import { readRun } from '../../core/runs/store';
import { writeFileAtomic } from '../../core/util/atomic';
import { describeError } from '../../core/util/errors';
import {
  describeMessage,
  isComparePanelHostMessage,
  isComparePanelWebviewMessage,
  isPlainObject,
  isRunId,
  MAX_COMPARE_RUNS,
  type ComparePanelHostMessage,
  type ComparePanelWebviewMessage,
} from '../../shared/messages';
import { renderPanelHtml } from '../webview/html';
import { snapshotUri } from './snapshots';

export const COMPARE_PANEL_VIEW_TYPE = 'provenant.compare';

export interface CompareDeps {
  root: string;
  log(message: string): void;
  /** Opens the Run details panel. */
  showRun(runId: string): unknown;
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, enableCommandUris: false, enableForms: false, enableFindWidget: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')] };
}

function short(text: string, max: number): string {
  const clean = text.replace(/\s+/g, ' ').trim() || '(unnamed)';
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

function title(names: string[]): string {
  return names.length === 2 ? `Compare ${short(names[0]!, 24)} ↔ ${short(names[1]!, 24)}` : `Compare ${names.length} runs`;
}

export class ComparePanel {
  private static readonly panels = new Map<string, ComparePanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private comparison: FullComparison | null = null;
  private seq = 0;
  private disposed = false;

  static show(extensionUri: vscode.Uri, runIds: string[], deps: CompareDeps): ComparePanel {
    const key = runIds.join(',');
    const existing = ComparePanel.panels.get(key);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(COMPARE_PANEL_VIEW_TYPE, title(runIds), vscode.ViewColumn.Active, webviewOptions(extensionUri));
    return new ComparePanel(panel, extensionUri, runIds, deps);
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, runIds: string[], deps: CompareDeps): void {
    if (ComparePanel.panels.has(runIds.join(','))) {
      panel.dispose();
      return;
    }
    new ComparePanel(panel, extensionUri, runIds, deps);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly runIds: string[],
    private readonly deps: CompareDeps,
  ) {
    ComparePanel.panels.set(runIds.join(','), this);
    panel.webview.options = webviewOptions(extensionUri);
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
    );
    const asset = (file: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', file)).toString();
    panel.webview.html = renderPanelHtml({ cspSource: panel.webview.cspSource, scriptUri: asset('compare.js'), styleUri: asset('compare.css'), title: 'Compare runs' });
  }

  private log(message: string): void {
    this.deps.log(`Compare panel ${this.runIds.join(', ')}: ${message}`);
  }

  private post(message: ComparePanelHostMessage): void {
    if (this.disposed) return;
    const type = message.type;
    if (!isComparePanelHostMessage(message)) {
      this.log(`did not send an invalid ${type} message`);
      message = { type: 'error', message: 'The comparison could not be sent to the panel (it does not match the message contract); see the Provenant log.' };
    }
    this.panel.webview.postMessage(message).then(undefined, (err: unknown) => this.log(`could not post ${message.type}: ${describeError(err)}`));
  }

  private onMessage(message: unknown): void {
    if (!isComparePanelWebviewMessage(message)) {
      this.log(`ignored an invalid message (${describeMessage(message)})`);
      return;
    }
    void this.handle(message).catch((err: unknown) => {
      this.log(`${message.type} failed: ${describeError(err)}`);
      void vscode.window.showErrorMessage(`Provenant: ${describeError(err)}`);
    });
  }

  private async handle(message: ComparePanelWebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        return this.load();
      case 'openRun':
        if (!this.runIds.includes(message.runId)) return this.log('ignored openRun for a run not in this comparison');
        await this.deps.showRun(message.runId);
        return;
      case 'openDiff':
        return this.openDiff(message.path, message.left, message.right);
      case 'export':
        return this.export(message.format, message.differencesOnly);
      case 'savePng':
        return this.savePng(message.name, message.dataUrl);
    }
  }

  private async load(): Promise<void> {
    const seq = ++this.seq;
    const { root } = this.deps;
    let runs;
    try {
      runs = this.runIds.map((id) => readRun(root, id));
      const comparison = await compareRunsFull(root, runs, { readManifest: async (oid) => readWorkspaceManifest(root, oid) });
      if (seq !== this.seq) return;
      this.comparison = comparison;
      this.panel.title = title(runs.map((r) => r.name));
      this.post({ type: 'comparison', comparison });
    } catch (err) {
      if (seq === this.seq) this.post({ type: 'error', message: `Could not compare these runs: ${describeError(err)}` });
      return;
    }
    // Evaluations of predictions (bootstrap) after the first paint.
    await new Promise((r) => setTimeout(r, 0));
    if (seq !== this.seq || this.disposed) return;
    try {
      const extras = comparisonExtras(root, runs, loadConfig(root));
      if (seq === this.seq) this.post({ type: 'extras', extras });
    } catch (err) {
      if (seq === this.seq) this.post({ type: 'error', message: `Charts and intervals are unavailable: ${describeError(err)}` });
    }
  }

  private async openDiff(path: string, left: number, right: number): Promise<void> {
    const c = this.comparison;
    const file = c?.code.files.find((f) => f.path === path);
    if (!c || !file || left >= c.runs.length || right >= c.runs.length || left === right) return this.log('ignored openDiff outside this comparison');
    const a = c.code.snapshots[left];
    const b = c.code.snapshots[right];
    if (!a || !b) {
      void vscode.window.showWarningMessage('Provenant: a code snapshot of these runs is not in this repository (fetch refs/provenant/runs/*).');
      return;
    }
    const label = (i: number) => short(c.summary[i]!.name, 30);
    await vscode.commands.executeCommand('vscode.diff', snapshotUri(a, path, c.runs[left]!), snapshotUri(b, path, c.runs[right]!), `${path} (${label(left)} ↔ ${label(right)})`, { preview: true });
  }

  private async export(format: 'csv' | 'md', differencesOnly: boolean): Promise<void> {
    const c = this.comparison;
    if (!c) return;
    const text = format === 'csv' ? comparisonCsv(c, { differencesOnly }) : comparisonMarkdown(c, { differencesOnly });
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(vscode.Uri.file(this.deps.root), `comparison.${format}`),
      filters: format === 'csv' ? { CSV: ['csv'] } : { Markdown: ['md'] },
      title: 'Export comparison',
    });
    if (!target) return;
    writeFileAtomic(target.fsPath, text);
    vscode.window.setStatusBarMessage(`Provenant: comparison written to ${vscode.workspace.asRelativePath(target)}`, 4000);
  }

  private async savePng(name: string, dataUrl: string): Promise<void> {
    const bytes = Buffer.from(dataUrl.slice('data:image/png;base64,'.length), 'base64');
    if (bytes.length < 8 || bytes.readUInt32BE(0) !== 0x89504e47) return this.log('ignored savePng: not a PNG image');
    const safe = name.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'chart';
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(vscode.Uri.file(this.deps.root), `${safe}.png`), filters: { PNG: ['png'] }, title: 'Save chart' });
    if (!target) return;
    writeFileAtomic(target.fsPath, bytes);
    vscode.window.setStatusBarMessage(`Provenant: chart saved to ${vscode.workspace.asRelativePath(target)}`, 4000);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (ComparePanel.panels.get(this.runIds.join(',')) === this) ComparePanel.panels.delete(this.runIds.join(','));
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

export function isCompareState(state: unknown): state is { runIds: string[] } {
  return isPlainObject(state) && Array.isArray(state.runIds) && state.runIds.length >= 2 && state.runIds.length <= MAX_COMPARE_RUNS && state.runIds.every(isRunId);
}

export function registerCompareSerializer(context: vscode.ExtensionContext, deps: CompareDeps): void {
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(COMPARE_PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
        if (!isCompareState(state)) {
          deps.log(`Compare panel: not restored, its saved state is invalid (${describeMessage(state)})`);
          panel.dispose();
          return;
        }
        ComparePanel.revive(panel, context.extensionUri, state.runIds, deps);
      },
    }),
  );
}
