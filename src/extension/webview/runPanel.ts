/**
 * The "Run details" panel, host side (viewType `provenant.run`, one panel per run id).
 *
 * Use from activate():
 *
 *   const runPanels = activateRunPanel(context, { load, handlers });
 *   runPanels.show(runId);     // opens the run's panel, or reveals it when already open
 *   runPanels.refresh(runId);  // re-sends the run to its open panel (e.g. its run.json changed)
 *
 * - `load(runId)` reads the run record and its metric history (from core's run store).
 * - `handlers.openLog(runId)` / `handlers.openRecord(runId)` open `stdout.log` / `run.json` of
 *   that run; `handlers.copy(text)` (optional, default: the clipboard) and `handlers.log(message)`
 *   (optional, default: console.warn) complete it.
 * - `activateRunPanel` registers the serializer that restores open panels after a window reload;
 *   the manifest needs the activation event `onWebviewPanel:provenant.run` for that.
 *
 * The webview loads only `dist/webview/run.{js,css}`; it says `ready` every time its script
 * starts (first open, and again whenever a hidden panel becomes visible, since the context is
 * not retained) and the host answers with `showRun`. Every message from the webview is checked
 * with the guards of `src/shared/messages.ts`; invalid ones, and requests naming another run
 * than the panel's, are logged and ignored.
 */
import * as vscode from 'vscode';
import type { MetricPoint, RunRecord } from '../../core/runs/types';
import { describeError } from '../../core/util/errors';
import {
  describeMessage,
  isPlainObject,
  isRunId,
  isRunPanelHostMessage,
  isRunPanelWebviewMessage,
  type RunPanelHostMessage,
  type RunPanelWebviewMessage,
} from '../../shared/messages';
import { renderPanelHtml } from './html';

export const RUN_PANEL_VIEW_TYPE = 'provenant.run';

export type RunLoader = (runId: string) => Promise<{ run: RunRecord; history: MetricPoint[] }>;

export interface RunPanelHandlers {
  openLog(runId: string): unknown;
  openRecord(runId: string): unknown;
  /** Default: write to the clipboard and say so in the status bar. */
  copy?(text: string): unknown;
  /** Where ignored messages and handler failures are reported. Default: console.warn. */
  log?(message: string): void;
}

/** The state a run panel persists (through the webview) for the serializer. */
export interface RunPanelState {
  runId: string;
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    enableForms: false,
    enableFindWidget: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
  };
}

function panelTitle(name: string): string {
  const clean = name.replace(/\s+/g, ' ').trim() || '(unnamed)';
  return `Run ${clean.length > 60 ? `${clean.slice(0, 59)}…` : clean}`;
}

/** The webview HTML of the run panel for `webview`. */
export function runPanelHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', file)).toString();
  return renderPanelHtml({
    cspSource: webview.cspSource,
    scriptUri: asset('run.js'),
    styleUri: asset('run.css'),
    title: 'Run details',
  });
}

export class RunPanel {
  static readonly viewType = RUN_PANEL_VIEW_TYPE;
  private static readonly panels = new Map<string, RunPanel>();

  /** Opens the panel of `runId`, or reveals it when it is already open. */
  static show(extensionUri: vscode.Uri, runId: string, load: RunLoader, handlers: RunPanelHandlers): RunPanel {
    const existing = RunPanel.panels.get(runId);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(RUN_PANEL_VIEW_TYPE, panelTitle(runId), vscode.ViewColumn.Active, webviewOptions(extensionUri));
    return new RunPanel(panel, extensionUri, runId, load, handlers);
  }

  /** Adopts a panel VS Code restored after a reload. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, runId: string, load: RunLoader, handlers: RunPanelHandlers): RunPanel {
    // Two restored panels of the same run: keep the first, close the duplicate.
    const existing = RunPanel.panels.get(runId);
    if (existing) {
      panel.dispose();
      return existing;
    }
    return new RunPanel(panel, extensionUri, runId, load, handlers);
  }

  /** Re-sends the run to its open panel, if any. */
  static refresh(runId: string): void {
    void RunPanel.panels.get(runId)?.sendRun();
  }

  private readonly disposables: vscode.Disposable[] = [];
  private loadSeq = 0;
  private disposed = false;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly runId: string,
    private readonly load: RunLoader,
    private readonly handlers: RunPanelHandlers,
  ) {
    RunPanel.panels.set(runId, this);
    panel.webview.options = webviewOptions(extensionUri);
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((message: unknown) => this.onMessage(message)),
    );
    panel.webview.html = runPanelHtml(panel.webview, extensionUri);
  }

  private log(message: string): void {
    (this.handlers.log ?? console.warn)(`Run panel ${this.runId}: ${message}`);
  }

  private post(message: RunPanelHostMessage): void {
    if (this.disposed) return;
    this.panel.webview.postMessage(message).then(undefined, (err: unknown) => this.log(`could not post ${message.type}: ${describeError(err)}`));
  }

  private onMessage(message: unknown): void {
    if (!isRunPanelWebviewMessage(message)) {
      this.log(`ignored an invalid message (${describeMessage(message)})`);
      return;
    }
    void this.handle(message);
  }

  private async handle(message: RunPanelWebviewMessage): Promise<void> {
    try {
      switch (message.type) {
        case 'ready':
          await this.sendRun();
          return;
        case 'openLog':
        case 'openRecord':
          if (message.runId !== this.runId) {
            this.log(`ignored ${message.type} for another run (${JSON.stringify(message.runId.slice(0, 80))})`);
            return;
          }
          await (message.type === 'openLog' ? this.handlers.openLog(this.runId) : this.handlers.openRecord(this.runId));
          return;
        case 'copy':
          if (this.handlers.copy) {
            await this.handlers.copy(message.text);
          } else {
            await vscode.env.clipboard.writeText(message.text);
            vscode.window.setStatusBarMessage('Provenant: copied to the clipboard', 2500);
          }
          return;
      }
    } catch (err) {
      this.log(`${message.type} failed: ${describeError(err)}`);
      void vscode.window.showErrorMessage(`Provenant: ${describeError(err)}`);
    }
  }

  /** Loads the run and posts it; of overlapping loads only the latest one is posted. */
  async sendRun(): Promise<void> {
    const seq = ++this.loadSeq;
    let message: RunPanelHostMessage;
    try {
      const { run, history } = await this.load(this.runId);
      message = { type: 'showRun', run, history };
      if (!isRunPanelHostMessage(message)) {
        message = { type: 'error', message: `The record of run ${this.runId} does not match the run record schema (provenant.run/1); open run.json to inspect it.` };
      } else {
        this.panel.title = panelTitle(run.name);
      }
    } catch (err) {
      message = { type: 'error', message: `Could not load run ${this.runId}: ${describeError(err)}` };
    }
    if (seq === this.loadSeq) this.post(message);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (RunPanel.panels.get(this.runId) === this) RunPanel.panels.delete(this.runId);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function isRunPanelState(state: unknown): state is RunPanelState {
  return isPlainObject(state) && isRunId(state.runId);
}

/** Restores run panels after a window reload, from the `{ runId }` state their webview saved. */
export function registerRunPanelSerializer(context: vscode.ExtensionContext, load: RunLoader, handlers: RunPanelHandlers): vscode.Disposable {
  const registration = vscode.window.registerWebviewPanelSerializer(RUN_PANEL_VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
      if (!isRunPanelState(state)) {
        (handlers.log ?? console.warn)(`Run panel: not restored, its saved state is invalid (${describeMessage(state)})`);
        panel.dispose();
        return;
      }
      RunPanel.revive(panel, context.extensionUri, state.runId, load, handlers);
    },
  });
  context.subscriptions.push(registration);
  return registration;
}

export interface RunPanels {
  show(runId: string): void;
  refresh(runId: string): void;
}

/** Registers the run panel's serializer and returns how to open and refresh run panels. */
export function activateRunPanel(context: vscode.ExtensionContext, deps: { load: RunLoader; handlers: RunPanelHandlers }): RunPanels {
  registerRunPanelSerializer(context, deps.load, deps.handlers);
  return {
    show: (runId) => void RunPanel.show(context.extensionUri, runId, deps.load, deps.handlers),
    refresh: (runId) => RunPanel.refresh(runId),
  };
}
