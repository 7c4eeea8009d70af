import type * as vscode from 'vscode';
import type { ProvenantConfig } from '../core/config/config';
import type { RunsModel } from './runsModel';
import type { ExperimentsHub } from './experiments/hub';

/**
 * What every area of the extension (runs, data, experiments, analysis, governance) is given at
 * activation. Each area registers its own views and commands through it.
 */
export interface ProvenantContext {
  extension: vscode.ExtensionContext;
  /** The workspace folder (a git repository root when there is one). */
  root: string;
  output: vscode.LogOutputChannel;
  runs: RunsModel;
  /** Experiment branches, journal and stars as last read by the experiments area. */
  experiments: ExperimentsHub;
  /** `provenant.*` settings of the workspace. */
  settings(): vscode.WorkspaceConfiguration;
  /** `.provenant/config.yaml`, or undefined (logged) when it is invalid. */
  config(): ProvenantConfig | undefined;
  /** Python interpreter: setting, else config.yaml, else python3. */
  interpreter(): string;
  /** Registers a command whose errors are logged and shown to the user. */
  command(id: string, handler: (...args: unknown[]) => unknown): void;
  /** Absolute path of the bundled CLI (dist/cli.js). */
  cliPath: string;
}
