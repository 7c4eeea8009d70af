import { spawnSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { REPO_ROOT } from './paths';
export { REPO_ROOT };
export const CLI = join(REPO_ROOT, 'dist', 'cli.js');

function ensureBuilt(): void {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does).');
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would, in `cwd`. */
export function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  ensureBuilt();
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 180_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts the CLI without waiting (to signal or kill it). */
export function cliProcess(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  ensureBuilt();
  return spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}
