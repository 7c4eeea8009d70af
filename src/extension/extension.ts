import * as vscode from 'vscode';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, CONFIG_PATH } from '../core/config/config';
import { readMetricHistory, readRun, runFile } from '../core/runs/store';
import { DEFAULT_PYTHON } from '../core/runner/command';
import { recordedInterpreter } from '../core/runner/interpreter';
import { describeError } from '../core/util/errors';
import { RunsModel } from './runsModel';
import { ExperimentsTree } from './experimentsTree';
import { EnvironmentTree } from './environmentTree';
import { createStatusBar } from './statusBar';
import { notifyRunEnds } from './runNotifications';
import { runExperimentInTerminal } from './runExperiment';
import { requireTrust, workspaceRoot } from './workspace';
import { activateRunPanel } from './webview/runPanel';
import type { ProvenantContext } from './context';
import { activateExperiments } from './experiments/activate';
import { ExperimentsHub } from './experiments/hub';
import { activateAnalysis } from './analysis';
import { activateData } from './data';
import { activateGovernance } from './governance';
import { activateCompare } from './compare';
import { runIdOf } from './runArg';

const CONFIG_TEMPLATE = `# Provenant project settings (see the README for every setting).
# The training command; \`python\`/\`python3\` at its start means the interpreter below.
train: python train.py
# python: .venv/bin/python
# Files or folders the model is trained on; every run records their DVC-compatible hashes.
data: []
# params: params.yaml
# target: label
# positive_label: 1
# sensitive_attributes: [group]
# key_metric: roc_auc
`;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Provenant', { log: true });
  context.subscriptions.push(output);
  const root = workspaceRoot();
  const command = (id: string, handler: (...args: unknown[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (err) {
          output.error(`${id}: ${describeError(err)}`);
          void vscode.window.showErrorMessage(`Provenant: ${describeError(err)}`);
          return undefined;
        }
      }),
    );

  command('provenant.showOutput', () => output.show());
  if (!root) {
    for (const id of ['provenant.runExperiment', 'provenant.refresh', 'provenant.refreshEnvironment', 'provenant.initConfig']) {
      command(id, () => vscode.window.showInformationMessage('Provenant: open a folder first.'));
    }
    return;
  }

  const settings = () => vscode.workspace.getConfiguration('provenant', vscode.Uri.file(root));
  const config = () => {
    try {
      return loadConfig(root);
    } catch (err) {
      output.warn(describeError(err));
      return undefined;
    }
  };
  const model = new RunsModel(root, () => settings().get<number>('refreshDelayMs') ?? 300);
  context.subscriptions.push(model);
  for (const problem of model.problems) output.warn(`Skipped ${problem.file}: ${problem.message}`);

  const keyMetric = () => settings().get<string>('keyMetric') || config()?.keyMetric;
  const experimentsHub = new ExperimentsHub();
  context.subscriptions.push(experimentsHub);
  const experiments = new ExperimentsTree(root, model, experimentsHub, keyMetric);
  const interpreter = () => settings().get<string>('pythonPath') || config()?.python || DEFAULT_PYTHON;
  const ctx: ProvenantContext = { extension: context, root, output, runs: model, experiments: experimentsHub, settings, config, interpreter, command, cliPath: join(context.extensionPath, 'dist', 'cli.js') };
  // Drift is measured with the interpreter the last run recorded (like for like), unless one is set.
  const environment = new EnvironmentTree(root, model, () => settings().get<string>('pythonPath') || (model.runs[0] && recordedInterpreter(model.runs[0])) || interpreter());
  context.subscriptions.push(
    vscode.window.createTreeView('provenant.experiments', { treeDataProvider: experiments, canSelectMany: true, showCollapseAll: true }),
    vscode.window.registerTreeDataProvider('provenant.environment', environment),
    createStatusBar(root, model, experimentsHub),
    vscode.workspace.onDidGrantWorkspaceTrust(() => environment.refresh()),
  );

  const openInEditor = (file: string) => vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
  const runPanels = activateRunPanel(context, {
    load: async (id) => ({ run: readRun(root, id), history: readMetricHistory(root, id) }),
    handlers: {
      openLog: (id) => openInEditor(runFile(root, id, 'stdout.log')),
      openRecord: (id) => openInEditor(runFile(root, id, 'run.json')),
      log: (message) => output.warn(message),
    },
  });
  context.subscriptions.push(model.onDidChange((listing) => listing.runs.filter((r) => r.status === 'running' || Date.now() - Date.parse(r.endedAt ?? r.startedAt) < 60_000).forEach((r) => runPanels.refresh(r.id))));

  context.subscriptions.push(notifyRunEnds(model, keyMetric, (id) => runPanels.show(id)));

  command('provenant.runExperiment', () => {
    if (!requireTrust('Run Experiment')) return;
    runExperimentInTerminal(context.extensionPath, root, output);
  });
  command('provenant.refresh', () => model.reload());
  command('provenant.refreshEnvironment', () => {
    if (!requireTrust('Refreshing the environment snapshot')) return;
    environment.refresh();
  });
  command('provenant.showRun', (arg) => {
    const id = runIdOf(arg);
    if (id) runPanels.show(id);
  });
  command('provenant.openRunLog', (arg) => {
    const id = runIdOf(arg);
    if (id) return openInEditor(runFile(root, id, 'stdout.log'));
  });
  command('provenant.openRunRecord', (arg) => {
    const id = runIdOf(arg);
    if (id) return openInEditor(runFile(root, id, 'run.json'));
  });
  command('provenant.copyRunId', async (arg) => {
    const id = runIdOf(arg);
    if (!id) return;
    await vscode.env.clipboard.writeText(id);
    vscode.window.setStatusBarMessage(`Copied run id ${id}`, 3000);
  });
  command('provenant.initConfig', () => {
    const file = join(root, CONFIG_PATH);
    if (!existsSync(file)) {
      mkdirSync(join(root, '.provenant'), { recursive: true });
      writeFileSync(file, CONFIG_TEMPLATE);
      output.info(`Created ${CONFIG_PATH}`);
    }
    return openInEditor(file);
  });
  // Each area of the product activates here, given the shared context.
  activateExperiments(ctx);
  activateAnalysis(ctx);
  activateData(ctx);
  activateGovernance(ctx);
  activateCompare(ctx);

  output.info(`Provenant active in ${root}: ${model.runs.length} run(s)`);

  // Runs whose runner died (killed, crash) are recorded as interrupted; off the activation path,
  // and only in a trusted workspace (it writes records and git refs).
  const recover = () =>
    setTimeout(async () => {
      if (!vscode.workspace.isTrusted || !model.runs.some((r) => r.status === 'running')) return;
      const { recoverInterruptedRuns } = await import('../core/runner/recover');
      const fixed = await recoverInterruptedRuns(root).catch((err: unknown) => (output.warn(describeError(err)), []));
      if (fixed.length) output.info(`Recorded ${fixed.length} run(s) whose runner had stopped as interrupted: ${fixed.join(', ')}`);
    }, 1000);
  recover();
  context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(recover));

  // A switch that was killed leaves the working tree half-switched: say so before anyone commits it.
  setTimeout(async () => {
    const { interruptedSwitchMessage } = await import('../core/experiments/switchState');
    const message = interruptedSwitchMessage(root);
    if (message) {
      output.warn(message);
      void vscode.window.showWarningMessage(`Provenant: ${message}`);
    }
  }, 1000);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
