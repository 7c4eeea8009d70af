/**
 * The governance area: the Governance view (checks of the selected run, diagnostics in the
 * Problems panel), "Check Run", "Reproduce Run" (trusted workspaces only: it executes the run's
 * command), "Export Audit Packet" (report preview, then export with progress), "Verify Audit
 * Packet", and "Create Packet Signing Key" (kept in VS Code's secret storage).
 */
import * as vscode from 'vscode';
import { join } from 'node:path';
import { reproduceRun } from '../../core/packet/reproduce';
import { VERDICT_LABELS, reproducedOk } from '../../core/governance/verdicts';
import { verifyPacket } from '../../core/packet/verify';
import { generateSigningKey, keyFingerprint, parsePublicKey } from '../../core/packet/signing';
import { writeFileAtomic } from '../../core/util/atomic';
import type { ProvenantContext } from '../context';
import { runIdOf } from '../runArg';
import { requireTrust } from '../workspace';
import { GovernanceTree } from './governanceTree';
import { ReportPanel, registerReportPanelSerializer, type ReportPanelDeps } from './reportPanel';

const SIGNING_KEY = 'provenant.packetSigningKey';

export function activateGovernance(ctx: ProvenantContext): void {
  const tree = new GovernanceTree(ctx.root, ctx.runs, (m) => ctx.output.warn(m));
  const view = vscode.window.createTreeView('provenant.governance', { treeDataProvider: tree, showCollapseAll: true });
  ctx.extension.subscriptions.push(tree, view);

  const deps: ReportPanelDeps = {
    root: ctx.root,
    signingKey: async () => (await ctx.extension.secrets.get(SIGNING_KEY)) || undefined,
    log: (m) => ctx.output.warn(m),
    onExported: (file) => ctx.output.info(`Exported audit packet ${file}`),
  };
  registerReportPanelSerializer(ctx.extension, deps);

  /** The run an action is about: the argument, else the Governance view's run, else a pick. */
  const pickRun = async (arg: unknown, title: string): Promise<string | undefined> => {
    const id = runIdOf(arg) ?? tree.runId;
    if (id && runIdOf(arg)) return id;
    const runs = ctx.runs.runs.filter((r) => r.status !== 'running');
    if (runs.length === 0) {
      void vscode.window.showInformationMessage('Provenant: no finished run yet.');
      return undefined;
    }
    if (id && arg === undefined && runs.length === 1) return id;
    const items = runs.map((r) => ({ label: r.name, description: r.id, detail: `${r.status} · ${r.experiment ?? 'detached'}${r.reproduction ? ` · reproduction: ${VERDICT_LABELS[r.reproduction.verdict].toLowerCase()}` : ''}`, id: r.id, picked: r.id === id }));
    items.sort((a, b) => Number(b.id === id) - Number(a.id === id));
    return (await vscode.window.showQuickPick(items, { title, placeHolder: 'Run' }))?.id;
  };

  ctx.command('provenant.checkRun', async (arg: unknown) => {
    const id = runIdOf(arg) ?? (await pickRun(arg, 'Check Run'));
    if (!id) return;
    tree.select(id);
    await vscode.commands.executeCommand('provenant.governance.focus');
  });
  ctx.command('provenant.refreshGovernance', () => tree.refresh());

  ctx.command('provenant.reproduceRun', async (arg: unknown) => {
    if (!requireTrust('Reproduce Run')) return;
    const id = await pickRun(arg, 'Reproduce Run');
    if (!id) return;
    const pythonPath = ctx.settings().get<string>('pythonPath');
    const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Provenant: reproducing run ${id}`, cancellable: true }, async (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      return reproduceRun(ctx.root, id, {
        pythonHelperDir: join(ctx.extension.extensionPath, 'python'),
        ...(pythonPath ? { python: pythonPath } : {}),
        signal: controller.signal,
        onStep: (message) => {
          progress.report({ message });
          ctx.output.info(`Reproduce ${id}: ${message}`);
        },
      });
    });
    const r = outcome.record;
    ctx.output.info(`Reproduce ${id}: ${VERDICT_LABELS[r.verdict]}: ${r.summary}`);
    tree.select(id);
    ctx.runs.reload();
    const text = `Provenant: run ${id} reproduction: ${VERDICT_LABELS[r.verdict]}: ${r.summary}`;
    if (!reproducedOk(r.verdict)) void vscode.window.showWarningMessage(text, 'Show Output').then((c) => c && ctx.output.show());
    else void vscode.window.showInformationMessage(text);
  });

  ctx.command('provenant.exportAuditPacket', async (arg: unknown) => {
    const id = runIdOf(arg) ?? tree.runId ?? (await pickRun(arg, 'Export Audit Packet'));
    if (!id) return;
    ReportPanel.show(ctx.extension.extensionUri, id, deps);
  });

  ctx.command('provenant.verifyAuditPacket', async (arg: unknown) => {
    const uri = arg instanceof vscode.Uri ? arg : (await vscode.window.showOpenDialog({ title: 'Verify Audit Packet', canSelectMany: false, filters: { 'Audit packet': ['zip'] }, defaultUri: vscode.Uri.file(ctx.root) }))?.[0];
    if (!uri) return;
    const result = await verifyPacket(uri.fsPath);
    ctx.output.info(`Verify ${uri.fsPath}: ${result.ok ? 'intact' : 'NOT intact'}; ${result.checked} file(s) checked; signature ${result.signature}`);
    ctx.output.info(`  ${result.guarantee}`);
    for (const p of result.problems) ctx.output.warn(`  ${p.kind} ${p.entry}${p.detail ? `: ${p.detail}` : ''}`);
    if (result.ok) void vscode.window.showInformationMessage(`Provenant: the packet is intact (${result.checked} files match manifest.json); ${result.guarantee}.`);
    else void vscode.window.showErrorMessage(`Provenant: the packet is NOT intact: ${result.problems.slice(0, 4).map((p) => `${p.kind} ${p.entry}`).join(', ')}${result.problems.length > 4 ? ', …' : ''}`, 'Show Output').then((c) => c && ctx.output.show());
  });

  ctx.command('provenant.createSigningKey', async () => {
    if (await ctx.extension.secrets.get(SIGNING_KEY)) {
      const choice = await vscode.window.showWarningMessage('Provenant: a packet signing key is stored already. Replace it? Packets signed with the old key still verify with its public key.', { modal: true }, 'Replace');
      if (choice !== 'Replace') return;
    }
    const { privatePem, publicPem } = generateSigningKey();
    await ctx.extension.secrets.store(SIGNING_KEY, privatePem);
    const fingerprint = keyFingerprint(parsePublicKey(publicPem, 'the new key'));
    ctx.output.info(`Stored a new Ed25519 packet signing key in the secret storage: ${fingerprint}`);
    const choice = await vscode.window.showInformationMessage(`Provenant: packet signing key ${fingerprint} stored in VS Code's secret storage. Publish its public key so auditors can check signatures.`, 'Save Public Key…');
    if (choice) {
      const uri = await vscode.window.showSaveDialog({ title: 'Save the public key', filters: { 'PEM public key': ['pem'] } });
      if (uri) writeFileAtomic(uri.fsPath, publicPem);
    }
  });
}
