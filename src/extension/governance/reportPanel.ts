/**
 * The audit report preview (viewType `provenant.report`, one panel per run), host side: shows the
 * report the packet will hold, and exports the packet from its Export button (save dialog,
 * progress, then a verification of the written file). Follows the Run details panel: strict CSP
 * HTML from html.ts, every message checked with the guards of src/shared/messages.ts, a
 * serializer that restores open panels after a reload.
 */
import * as vscode from 'vscode';
import { join } from 'node:path';
import { describeError } from '../../core/util/errors';
import { gatherReport, type PacketReport } from '../../core/packet/report';
import { renderReport } from '../../core/packet/reportView';
import { exportPacket, GENERATOR } from '../../core/packet/export';
import { verifyPacket } from '../../core/packet/verify';
import { describeMessage, isPlainObject, isReportPanelHostMessage, isReportPanelWebviewMessage, isRunId, type ReportPanelHostMessage, type ReportPanelWebviewMessage } from '../../shared/messages';
import { renderPanelHtml } from '../webview/html';

export const REPORT_PANEL_VIEW_TYPE = 'provenant.report';

export interface ReportPanelDeps {
  root: string;
  /** The PEM of the signing key in secret storage, or undefined. */
  signingKey(): Promise<string | undefined>;
  log(message: string): void;
  /** Called after a packet was written (e.g. to refresh views). */
  onExported?(file: string): void;
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, enableCommandUris: false, enableForms: false, enableFindWidget: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')] };
}

function panelTitle(name: string): string {
  const clean = name.replace(/\s+/g, ' ').trim() || '(unnamed)';
  return `Audit Report ${clean.length > 50 ? `${clean.slice(0, 49)}…` : clean}`;
}

export class ReportPanel {
  private static readonly panels = new Map<string, ReportPanel>();

  static show(extensionUri: vscode.Uri, runId: string, deps: ReportPanelDeps): ReportPanel {
    const existing = ReportPanel.panels.get(runId);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(REPORT_PANEL_VIEW_TYPE, panelTitle(runId), vscode.ViewColumn.Active, webviewOptions(extensionUri));
    return new ReportPanel(panel, extensionUri, runId, deps);
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, runId: string, deps: ReportPanelDeps): ReportPanel {
    const existing = ReportPanel.panels.get(runId);
    if (existing) {
      panel.dispose();
      return existing;
    }
    return new ReportPanel(panel, extensionUri, runId, deps);
  }

  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  private report: PacketReport | undefined;
  private loadSeq = 0;
  private exporting = false;

  private constructor(private readonly panel: vscode.WebviewPanel, extensionUri: vscode.Uri, private readonly runId: string, private readonly deps: ReportPanelDeps) {
    ReportPanel.panels.set(runId, this);
    panel.webview.options = webviewOptions(extensionUri);
    this.disposables.push(panel.onDidDispose(() => this.dispose()), panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    const asset = (file: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', file)).toString();
    panel.webview.html = renderPanelHtml({ cspSource: panel.webview.cspSource, scriptUri: asset('report.js'), styleUri: asset('report.css'), title: 'Audit report' });
  }

  private post(message: ReportPanelHostMessage): void {
    if (this.disposed) return;
    if (!isReportPanelHostMessage(message)) {
      this.deps.log(`Report panel ${this.runId}: not sent, a ${(message as { type: string }).type} message did not pass its guard`);
      return;
    }
    this.panel.webview.postMessage(message).then(undefined, (err: unknown) => this.deps.log(`Report panel: could not post ${message.type}: ${describeError(err)}`));
  }

  private onMessage(message: unknown): void {
    if (!isReportPanelWebviewMessage(message)) {
      this.deps.log(`Report panel ${this.runId}: ignored an invalid message (${describeMessage(message)})`);
      return;
    }
    void this.handle(message);
  }

  private async handle(message: ReportPanelWebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        if (this.report) await this.send(this.report);
        else await this.load();
        return;
      case 'refresh':
        await this.load();
        return;
      case 'export':
        await this.export(message.sign);
        return;
    }
  }

  private async send(report: PacketReport): Promise<void> {
    this.post({ type: 'showReport', run: { id: report.identity.run, name: report.identity.model }, document: renderReport(report), canSign: (await this.deps.signingKey()) !== undefined, trusted: vscode.workspace.isTrusted });
  }

  async load(): Promise<void> {
    const seq = ++this.loadSeq;
    try {
      const report = await gatherReport(this.deps.root, this.runId, { generator: GENERATOR, computeMissing: true });
      if (seq !== this.loadSeq) return;
      this.report = report;
      this.panel.title = panelTitle(report.identity.model);
      await this.send(report);
    } catch (err) {
      if (seq === this.loadSeq) this.post({ type: 'error', message: `Could not build the report of run ${this.runId}: ${describeError(err)}` });
    }
  }

  /** Asks where to write, then exports with progress and verifies the written packet. */
  async export(sign: boolean, target?: vscode.Uri): Promise<string | undefined> {
    if (this.exporting) return undefined;
    const report = this.report;
    if (!report) return undefined;
    const uri =
      target ??
      (await vscode.window.showSaveDialog({
        title: 'Export Audit Packet',
        defaultUri: vscode.Uri.file(join(this.deps.root, `${report.identity.model.replace(/[^\w.-]+/g, '-').slice(0, 60)}-${report.identity.run}-audit-packet.zip`)),
        filters: { 'Audit packet': ['zip'] },
        saveLabel: 'Export',
      }));
    if (!uri) {
      this.post({ type: 'error', message: 'Export cancelled.' });
      return undefined;
    }
    this.exporting = true;
    try {
      const key = sign ? await this.deps.signingKey() : undefined;
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Provenant: exporting the audit packet', cancellable: true }, async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        let last = 0;
        return exportPacket(this.deps.root, this.runId, {
          output: uri.fsPath,
          report,
          signal: controller.signal,
          ...(key ? { privateKeyPem: key } : {}),
          onStep: (message, done, total) => {
            progress.report({ message, increment: ((done - last) / total) * 100 });
            last = done;
            this.post({ type: 'progress', message, done, total });
          },
        });
      });
      const verified = await verifyPacket(result.file);
      this.post({ type: 'exported', file: result.file, files: result.files, signed: result.signed, verified: verified.ok });
      this.deps.onExported?.(result.file);
      void vscode.window.showInformationMessage(`Provenant: audit packet written to ${result.file} (${result.files} files${result.signed ? `, signed by ${result.signer}` : ''}); ${verified.ok ? 'verified intact' : 'verification failed'}.`);
      return result.file;
    } catch (err) {
      this.post({ type: 'error', message: `Export failed: ${describeError(err)}` });
      void vscode.window.showErrorMessage(`Provenant: ${describeError(err)}`);
      return undefined;
    } finally {
      this.exporting = false;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (ReportPanel.panels.get(this.runId) === this) ReportPanel.panels.delete(this.runId);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** Restores report panels after a window reload, from the `{ runId }` state their webview saved. */
export function registerReportPanelSerializer(context: vscode.ExtensionContext, deps: ReportPanelDeps): void {
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(REPORT_PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
        if (!isPlainObject(state) || !isRunId(state.runId)) {
          deps.log(`Report panel: not restored, its saved state is invalid (${describeMessage(state)})`);
          panel.dispose();
          return;
        }
        ReportPanel.revive(panel, context.extensionUri, state.runId, deps);
      },
    }),
  );
}
