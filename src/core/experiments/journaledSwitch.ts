import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { git, fs, authorIdentity } from '../git/repo';
import { diffTrees, writeTreeFromFiles, type TreeChange } from '../git/trees';
import type { TreeFile } from '../git/workingTree';
import { ProvenantError } from '../util/errors';
import { applyCheckout, planCheckout, type CheckoutPlan } from './checkout';
import { commitTree, readRefSync, writeRefLocked } from './gitops';
import { SWITCH_STATE, beginSwitch, clearDeadSwitchLocks, endSwitch, readSwitchState, restoreSwitchIndex, switchRunning, type SwitchState } from './switchState';

export const BACKUP_PREFIX = 'refs/provenant/backup/';

/** Files edited while the working tree was being switched, saved before they were overwritten. */
export interface LateEdits {
  ref: string;
  paths: string[];
}

export function backupStamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15) + '-' + Math.random().toString(16).slice(2, 8);
}

/** A commit holding `files` (saved late edits) on top of `parent`, kept by a backup ref. */
async function keepLateEdits(root: string, files: TreeFile[], parent: string | null, action: string): Promise<LateEdits | null> {
  if (files.length === 0) return null;
  const tree = await writeTreeFromFiles(root, files);
  const author = await authorIdentity(root);
  const identity = { ...author, timestamp: Math.floor(Date.now() / 1000), timezoneOffset: new Date().getTimezoneOffset() };
  const paths = files.map((f) => f.path).sort();
  const message = `provenant: files changed while ${action}\n\nThey were edited after the switch read them and would have been overwritten:\n${paths.map((p) => `  ${p}`).join('\n')}\n`;
  const commit = await git.writeCommit({ fs, dir: root, commit: { message, tree, parent: parent ? [parent] : [], author: identity, committer: identity } });
  const ref = `${BACKUP_PREFIX}${backupStamp()}`;
  writeRefLocked(root, ref, commit);
  return { ref, paths };
}

function headValue(side: { branch: string | null; commit: string | null }): string | null {
  return side.branch ? `ref: refs/heads/${side.branch}` : side.commit;
}

type SwitchSpec = Omit<SwitchState, 'schema' | 'pid' | 'host' | 'startedAt'>;

/**
 * Moves the working tree by `plan` and points HEAD (and, for a merge, the branch) at the target,
 * recorded in the switch journal from before the first file changes until HEAD is written; a
 * killed switch is then finished or rolled back by `resumeSwitch`.
 */
export async function switchWorkingTree(root: string, plan: CheckoutPlan, spec: SwitchSpec): Promise<LateEdits | null> {
  let begun = false;
  let applied;
  try {
    // Recorded once the index lock is held (a held lock refuses the switch before anything changes).
    applied = await applyCheckout(root, plan, {}, {
      onLockTaken: () => {
        beginSwitch(root, spec);
        begun = true;
      },
    });
  } catch (err) {
    if (!begun) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new ProvenantError(`${spec.action} stopped part way: ${why}`, {
      file: `.git/${SWITCH_STATE}`,
      hint: 'The working tree is partly switched. Once the cause is fixed, finish it with `provenant exp switch --continue` or roll it back with `provenant exp switch --abort`.',
      code: 'E_SWITCH_INTERRUPTED',
      cause: err,
    });
  }
  const late = await keepLateEdits(root, applied.saved, spec.from.commit, spec.action);
  if (spec.moveBranch && spec.to.branch) writeRefLocked(root, `refs/heads/${spec.to.branch}`, spec.to.commit);
  writeRefLocked(root, 'HEAD', headValue(spec.to)!);
  endSwitch(root);
  return late;
}

/** The temporary files (`.<name>.<pid>.<random>.tmp`, see writeFileAtomic) a killed switch left next to the files it was writing. */
function removeDeadTemporaries(root: string, changes: TreeChange[], pid: number): void {
  const byDir = new Map<string, Set<string>>();
  for (const c of changes) {
    const dir = join(root, dirname(c.path));
    byDir.set(dir, (byDir.get(dir) ?? new Set()).add(basename(c.path)));
  }
  for (const [dir, names] of byDir) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const m = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(entry);
      if (m && Number(m[2]) === pid && names.has(m[1]!)) rmSync(join(dir, entry), { force: true });
    }
  }
}

export interface ResumeResult {
  mode: 'continue' | 'abort';
  state: SwitchState;
  written: number;
  removed: number;
  late: LateEdits | null;
}

/**
 * `provenant exp switch --continue | --abort`: finishes an interrupted switch (every file of the
 * target written, the index and HEAD moved) or rolls it back exactly (the working tree as it was,
 * from the backup commit; the index saved when the switch began; HEAD back). Files edited since the
 * switch began are saved on a backup ref before they are overwritten.
 */
export async function resumeSwitch(root: string, mode: 'continue' | 'abort'): Promise<ResumeResult> {
  const state = readSwitchState(root);
  if (!state) {
    throw new ProvenantError(`there is no interrupted switch to ${mode === 'continue' ? 'continue' : 'abort'}`, { hint: '`provenant exp switch <name>` switches experiments.', code: 'E_NO_SWITCH' });
  }
  if (switchRunning(state)) {
    throw new ProvenantError(`the switch is still running (process ${state.pid})`, { hint: 'Wait for it to finish.', code: 'E_SWITCH_RUNNING' });
  }
  // Its process is gone: the locks it held are stale, and so are its half-written temporary files.
  clearDeadSwitchLocks(root, state);
  const fromTree = state.from.commit ? await commitTree(root, state.from.commit) : null;
  const toTree = await commitTree(root, state.to.commit);
  removeDeadTemporaries(root, await diffTrees(root, fromTree, toTree), state.pid);
  if (mode === 'continue') {
    const plan = await planCheckout(root, fromTree, toTree, new Set(state.carried), {}, { force: true });
    const applied = await applyCheckout(root, plan);
    const late = await keepLateEdits(root, applied.saved, state.from.commit, `finishing the switch to ${state.to.branch ?? state.to.commit}`);
    if (state.moveBranch && state.to.branch) writeRefLocked(root, `refs/heads/${state.to.branch}`, state.to.commit);
    writeRefLocked(root, 'HEAD', headValue(state.to)!);
    endSwitch(root);
    return { mode, state, written: applied.written, removed: applied.removed, late };
  }
  const backupTree = state.backup ? await commitTree(root, state.backup) : fromTree;
  if (!backupTree) throw new ProvenantError('the switch started from a repository without commits and cannot be rolled back', { hint: 'Finish it with `provenant exp switch --continue`.', code: 'E_SWITCH_STATE' });
  const plan = await planCheckout(root, toTree, backupTree, new Set(), {}, { force: true });
  const applied = await applyCheckout(root, plan);
  const late = await keepLateEdits(root, applied.saved, state.to.commit, `rolling back the switch to ${state.to.branch ?? state.to.commit}`);
  await restoreSwitchIndex(root);
  if (state.moveBranch && state.from.branch && readRefSync(root, `refs/heads/${state.from.branch}`) === state.to.commit) {
    writeRefLocked(root, `refs/heads/${state.from.branch}`, state.from.commit!);
  }
  const head = headValue(state.from);
  if (head) writeRefLocked(root, 'HEAD', head);
  endSwitch(root);
  return { mode, state, written: applied.written, removed: applied.removed, late };
}
