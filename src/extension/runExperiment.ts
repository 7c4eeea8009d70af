import * as vscode from 'vscode';
import { join } from 'node:path';
import { loadConfig } from '../core/config/config';
import { resolveCommand } from '../core/runner/command';
import { describeError } from '../core/util/errors';

/**
 * Starts `provenant run` in a VS Code terminal, so the output is live and Ctrl-C works as in any
 * terminal. The CLI bundled with the extension runs on the editor's own Node runtime; the run
 * appears in the Experiments view through the file watcher.
 */
export function runExperimentInTerminal(extensionPath: string, root: string, output: vscode.OutputChannel): vscode.Terminal | undefined {
  let config;
  try {
    config = loadConfig(root);
    resolveCommand(config.train, undefined); // say now, not in the terminal, when no command is set
  } catch (err) {
    const message = describeError(err);
    output.appendLine(`Run Experiment: ${message}`);
    void vscode.window.showErrorMessage(`Provenant: ${message}`, 'Open config.yaml').then((choice) => {
      if (choice) void vscode.commands.executeCommand('provenant.initConfig');
    });
    return undefined;
  }
  const settings = vscode.workspace.getConfiguration('provenant', vscode.Uri.file(root));
  const python = settings.get<string>('pythonPath') || undefined;
  const extra = settings.get<string[]>('cliArgs') ?? [];
  const args = [join(extensionPath, 'dist', 'cli.js'), 'run', ...(python ? ['--python', python] : []), ...extra];
  output.appendLine(`Run Experiment: ${config.train && typeof config.train !== 'string' ? config.train.join(' ') : config.train} (in ${root})`);
  const terminal = vscode.window.createTerminal({
    name: 'Provenant run',
    cwd: root,
    shellPath: process.execPath,
    shellArgs: args,
    env: { ELECTRON_RUN_AS_NODE: '1' },
    iconPath: new vscode.ThemeIcon('beaker'),
    isTransient: true,
  });
  terminal.show(true);
  return terminal;
}
