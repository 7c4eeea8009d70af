import * as vscode from 'vscode';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The workspace folder Provenant works in: the first one that is a git repository, else the first. */
export function workspaceRoot(): string | undefined {
  const folders = vscode.workspace.workspaceFolders?.filter((f) => f.uri.scheme === 'file') ?? [];
  const repo = folders.find((f) => existsSync(join(f.uri.fsPath, '.git')));
  return (repo ?? folders[0])?.uri.fsPath;
}

/** Branch name from `.git/HEAD` without loading a git library (cheap enough for every refresh). */
export function currentBranchName(root: string): string | null {
  try {
    const head = readFileSync(join(root, '.git', 'HEAD'), 'utf8').trim();
    return head.startsWith('ref: refs/heads/') ? head.slice('ref: refs/heads/'.length) : null;
  } catch {
    return null;
  }
}

/**
 * Handlers that would execute workspace code call this first: menus hide them in Restricted
 * Mode, but a command can still be invoked from a keybinding or another extension. `because`
 * ends the refusal message.
 */
export function requireTrust(action: string, because = ', since it would execute code from this workspace.'): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(`Provenant: ${action} is not available in Restricted Mode${because}`, 'Manage Workspace Trust').then((choice) => {
    if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}
