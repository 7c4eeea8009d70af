/**
 * The runs table, host side (viewType `provenant.runs`, one panel per workspace). It sends every
 * row once (`init`), then only what changed (`update`) whenever the runs or the stars change on
 * disk. The table's UI state (columns, sort, filter, grouping, hidden runs, chart) is kept per
 * workspace. Starring writes `.provenant/stars.json`, so it needs a trusted workspace.
 */
import * as vscode from 'vscode';
import { readStars } from '../../core/experiments/stars';
import { diffRows, rowOf, type RunRow } from '../../core/runs/table';
import type { RunListing } from '../../core/runs/store';
import { describeError } from '../../core/util/errors';
import {
  describeMessage,
  isRunsTableHostMessage,
  isRunsTableState,
  isRunsTableWebviewMessage,
  type RunsTableHostMessage,
  type RunsTableState,
  type RunsTableWebviewMessage,
} from '../../shared/messages';
import { renderPanelHtml } from '../webview/html';

export const RUNS_TABLE_VIEW_TYPE = 'provenant.runs';
const STATE_KEY = 'provenant.runsTable.state';

export interface RunsTableDeps {
  root: string;
  /** The current run listing (the extension's RunsModel). */
  listing(): RunListing;
  onDidChangeRuns: vscode.Event<unknown>;
  workspaceState: vscode.Memento;
  trusted(): boolean;
  log(message: string): void;
  compare(runIds: string[]): unknown;
  showRun(runId: string): unknown;
  setStar(runId: string, starred: boolean): unknown;
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, enableCommandUris: false, enableForms: false, enableFindWidget: false, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')] };
}

export class RunsTablePanel {
  private static current: RunsTablePanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** What the webview holds: id → JSON of the row last sent. */
  private readonly sent = new Map<string, string>();
  private ready = false;
  private disposed = false;
  /** Bytes (UTF-16 code units of the JSON) of the last message posted; for the log and the bench. */
  lastMessageBytes = 0;

  static show(extensionUri: vscode.Uri, deps: RunsTableDeps): RunsTablePanel {
    if (RunsTablePanel.current) {
      RunsTablePanel.current.panel.reveal();
      return RunsTablePanel.current;
    }
    const panel = vscode.window.createWebviewPanel(RUNS_TABLE_VIEW_TYPE, 'Runs', vscode.ViewColumn.Active, webviewOptions(extensionUri));
    return new RunsTablePanel(panel, extensionUri, deps);
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, deps: RunsTableDeps): void {
    if (RunsTablePanel.current) {
      panel.dispose();
      return;
    }
    new RunsTablePanel(panel, extensionUri, deps);
  }

  /** Sends the rows that changed (runs or stars) to the open table, if any. */
  static refresh(): void {
    RunsTablePanel.current?.sendChanges();
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly deps: RunsTableDeps,
  ) {
    RunsTablePanel.current = this;
    panel.webview.options = webviewOptions(extensionUri);
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      deps.onDidChangeRuns(() => this.sendChanges()),
    );
    const asset = (file: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', file)).toString();
    panel.webview.html = renderPanelHtml({ cspSource: panel.webview.cspSource, scriptUri: asset('runs.js'), styleUri: asset('runs.css'), title: 'Runs' });
  }

  private rows(): { rows: RunRow[]; problems: string[] } {
    const listing = this.deps.listing();
    let stars = new Set<string>();
    try {
      stars = readStars(this.deps.root);
    } catch (err) {
      this.deps.log(describeError(err));
    }
    return { rows: listing.runs.map((r) => rowOf(r, stars.has(r.id))), problems: listing.problems.map((p) => `${p.file}: ${p.message}`) };
  }

  private post(message: RunsTableHostMessage): void {
    if (this.disposed) return;
    const type = message.type;
    if (!isRunsTableHostMessage(message)) {
      this.deps.log(`Runs table: did not send an invalid ${type} message`);
      return;
    }
    this.lastMessageBytes = JSON.stringify(message).length;
    this.panel.webview.postMessage(message).then(undefined, (err: unknown) => this.deps.log(`Runs table: could not post ${type}: ${describeError(err)}`));
  }

  private sendInit(): void {
    const { rows, problems } = this.rows();
    this.sent.clear();
    diffRows(this.sent, rows);
    const saved = this.deps.workspaceState.get<unknown>(STATE_KEY);
    this.post({ type: 'init', rows, state: isRunsTableState(saved) ? saved : null, trusted: this.deps.trusted(), problems });
  }

  sendChanges(): void {
    if (!this.ready || this.disposed) return;
    const { upserts, removed } = diffRows(this.sent, this.rows().rows);
    if (upserts.length || removed.length) this.post({ type: 'update', upserts, removed });
  }

  private onMessage(message: unknown): void {
    if (!isRunsTableWebviewMessage(message)) {
      this.deps.log(`Runs table: ignored an invalid message (${describeMessage(message)})`);
      return;
    }
    void this.handle(message).catch((err: unknown) => {
      this.deps.log(`Runs table: ${message.type} failed: ${describeError(err)}`);
      void vscode.window.showErrorMessage(`Provenant: ${describeError(err)}`);
    });
  }

  private known(id: string): boolean {
    return this.sent.has(id);
  }

  private async handle(message: RunsTableWebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        return this.sendInit();
      case 'saveState':
        await this.deps.workspaceState.update(STATE_KEY, message.state satisfies RunsTableState);
        return;
      case 'compare':
        if (!message.runIds.every((id) => this.known(id))) return this.deps.log('Runs table: ignored compare with an unknown run');
        await this.deps.compare(message.runIds);
        return;
      case 'openRun':
        if (!this.known(message.runId)) return;
        await this.deps.showRun(message.runId);
        return;
      case 'star':
        if (!this.known(message.runId)) return;
        await this.deps.setStar(message.runId, message.starred);
        this.sendChanges();
        return;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (RunsTablePanel.current === this) RunsTablePanel.current = undefined;
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

export function registerRunsTableSerializer(context: vscode.ExtensionContext, deps: RunsTableDeps): void {
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(RUNS_TABLE_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
        RunsTablePanel.revive(panel, context.extensionUri, deps);
      },
    }),
  );
}
