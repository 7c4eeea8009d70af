import { existsSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic, writeFileAtomic } from '../util/atomic';
import { ProvenantError } from '../util/errors';
import { processAlive, processAliveSince } from '../util/process';
import { listRuns } from '../runs/store';
import { withIndexLock } from '../git/indexLock';

/**
 * The journal of a switch in progress, `.git/provenant/switch.json`, written (atomically) before
 * the first file of the working tree changes and removed once HEAD points at the target. When a
 * switch is killed, it is what lets the next command see that the working tree is half-switched
 * and finish the switch or roll it back exactly: it names both sides and the commit holding the
 * working tree as it was, and a copy of the index is kept next to it.
 */
export const SWITCH_STATE = 'provenant/switch.json';
export const SWITCH_INDEX = 'provenant/switch-index';
export const SWITCH_SCHEMA = 'provenant.switch/1';

export interface SwitchState {
  schema: typeof SWITCH_SCHEMA;
  pid: number;
  host: string;
  startedAt: string;
  /** What was being done ("switching to exp/a"). */
  action: string;
  from: { branch: string | null; commit: string | null };
  to: { branch: string | null; commit: string };
  /** A commit whose tree is the whole working tree before the switch (HEAD when it had no uncommitted work). */
  backup: string | null;
  /** The ref keeping `backup` (refs/provenant/backup/...), when one was made. */
  backupRef: string | null;
  /** Uncommitted files left in place (--carry): the switch does not touch them. */
  carried: string[];
  /** The branch itself moves from `from.commit` to `to.commit` (a merge), not only HEAD. */
  moveBranch: boolean;
}

const statePath = (root: string) => join(root, '.git', SWITCH_STATE);

export function readSwitchState(root: string): SwitchState | null {
  const file = statePath(root);
  if (!existsSync(file)) return null;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as SwitchState;
    if (v.schema !== SWITCH_SCHEMA || !v.to?.commit) throw new Error('unknown format');
    return v;
  } catch (err) {
    throw new ProvenantError(`the record of an interrupted switch cannot be read (${(err as Error).message})`, {
      file: `.git/${SWITCH_STATE}`,
      hint: 'Check the working tree with `git status`, then remove the file.',
      code: 'E_SWITCH_STATE',
    });
  }
}

/** Records the switch about to start (and a copy of the index), before anything changes. */
export function beginSwitch(root: string, state: Omit<SwitchState, 'schema' | 'pid' | 'host' | 'startedAt'>): SwitchState {
  const full: SwitchState = { schema: SWITCH_SCHEMA, pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), ...state };
  const index = join(root, '.git', 'index');
  if (existsSync(index)) writeFileAtomic(join(root, '.git', SWITCH_INDEX), readFileSync(index));
  else rmSync(join(root, '.git', SWITCH_INDEX), { force: true });
  writeJsonAtomic(statePath(root), full);
  return full;
}

export function endSwitch(root: string): void {
  rmSync(statePath(root), { force: true });
  rmSync(join(root, '.git', SWITCH_INDEX), { force: true });
}

/** Puts the index saved when the switch began back in place (through git's index lock). */
export async function restoreSwitchIndex(root: string): Promise<void> {
  const saved = join(root, '.git', SWITCH_INDEX);
  if (!existsSync(saved)) {
    rmSync(join(root, '.git', 'index'), { force: true });
    return;
  }
  await withIndexLock(join(root, '.git'), (lock) => lock.commit(readFileSync(saved)));
}

/** Removes the locks a killed switch left behind (only called once its process is known dead). */
export function clearDeadSwitchLocks(root: string, state: SwitchState): void {
  rmSync(join(root, '.git', 'index.lock'), { force: true });
  rmSync(join(root, '.git', 'HEAD.lock'), { force: true });
  if (state.moveBranch && state.to.branch) rmSync(join(root, '.git', 'refs', 'heads', `${state.to.branch}.lock`), { force: true });
}

/** True while the switch's own process is still at work (then it is not interrupted, just running). */
export function switchRunning(state: SwitchState): boolean {
  return state.host === hostname() && state.pid !== process.pid && processAlive(state.pid);
}

function describeSwitch(state: SwitchState): string {
  const from = state.from.branch ?? state.from.commit?.slice(0, 10) ?? '(no commit)';
  const to = state.to.branch ?? state.to.commit.slice(0, 10);
  return `from ${from} to ${to}`;
}

/**
 * Refuses to go on while a switch is half done: every command that reads or changes the working
 * tree or HEAD calls this first. The error says how to finish or roll back the switch.
 */
export function assertNoInterruptedSwitch(root: string, action: string): void {
  const state = readSwitchState(root);
  if (!state) return;
  if (switchRunning(state)) {
    throw new ProvenantError(`cannot ${action}: a switch ${describeSwitch(state)} is in progress (process ${state.pid})`, {
      file: `.git/${SWITCH_STATE}`,
      hint: 'Wait for it to finish, then try again.',
      code: 'E_SWITCH_RUNNING',
    });
  }
  throw new ProvenantError(`cannot ${action}: a switch ${describeSwitch(state)} was interrupted (started ${state.startedAt}); the working tree is partly switched`, {
    file: `.git/${SWITCH_STATE}`,
    hint: 'Finish it with `provenant exp switch --continue`, or roll it back to exactly where it started with `provenant exp switch --abort`. Do not commit before that.',
    code: 'E_SWITCH_INTERRUPTED',
  });
}

/** The interrupted switch, if any, as one line for a person (extension activation, `exp list`). */
export function interruptedSwitchMessage(root: string): string | null {
  let state: SwitchState | null;
  try {
    state = readSwitchState(root);
  } catch (err) {
    return (err as Error).message;
  }
  if (!state || switchRunning(state)) return null;
  return `A switch ${describeSwitch(state)} was interrupted and the working tree is partly switched: finish it (\`provenant exp switch --continue\`) or roll it back (\`provenant exp switch --abort\`).`;
}

/**
 * Refuses to change the working tree while a run of this workspace is running on this machine: it
 * reads these files, and its record would claim code it did not run. Records marked running whose
 * process is gone do not count (the next run start records them as interrupted).
 */
export function assertNoRunningRun(root: string, action: string): void {
  const host = hostname();
  const running = listRuns(root).runs.filter((r) => r.status === 'running' && r.host === host && r.pid !== process.pid && processAliveSince(r.pid, r.startedAt));
  if (running.length === 0) return;
  const run = running[0]!;
  const name = run.name && run.name !== run.id ? ` (${run.name})` : '';
  throw new ProvenantError(`cannot ${action}: run ${run.id}${name} is running (process ${run.pid}) and reads the files of this working tree${running.length > 1 ? ` (and ${running.length - 1} more run(s))` : ''}`, {
    file: `.provenant/runs/${run.id}/run.json`,
    hint: `Nothing was changed. Wait for the run to finish, or stop it (Ctrl+C in its terminal, or \`kill ${run.pid}\`), then try again.`,
    code: 'E_RUN_IN_PROGRESS',
  });
}
