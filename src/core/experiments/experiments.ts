import { mkdtempSync, copyFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, fs, headCommit, currentBranch, authorIdentity } from '../git/repo';
import { diffTrees, writeTreeFromFiles } from '../git/trees';
import { loadConfig } from '../config/config';
import { listRuns, resolveRunId, readRun } from '../runs/store';
import type { RunRecord } from '../runs/types';
import { ProvenantError } from '../util/errors';
import { appendJournal } from './journal';
import { planCheckout, refreshIndexPaths, type CheckoutPlan } from './checkout';
import { BACKUP_PREFIX, backupStamp, switchWorkingTree, type LateEdits } from './journaledSwitch';
import { assertNoInterruptedSwitch, assertNoRunningRun } from './switchState';
import {
  chooseEngine,
  commitTree,
  deleteRefLocked,
  listPaths,
  resolveOid,
  runGit,
  workingChanges,
  writeRefLocked,
  assertOperable,
  type Engine,
  type EngineOptions,
} from './gitops';

export const ARCHIVE_PREFIX = 'refs/provenant/archive/';
export { BACKUP_PREFIX };

/** What to do with uncommitted work when the working tree must change. */
export type DirtyPolicy = 'commit' | 'carry';

export interface ExperimentInfo {
  /** Branch name, e.g. `exp/lr-sweep`. */
  name: string;
  /** `refs/heads/<name>`, or `refs/provenant/archive/<name>` once archived. */
  ref: string;
  current: boolean;
  archived: boolean;
  /** Commits on this branch not on the main branch, and the reverse (null without a main branch). */
  ahead: number | null;
  behind: number | null;
  /** Run ids, newest first. */
  runs: string[];
  /** The branch's tip commit. */
  head: string;
  lastRun: { id: string; name: string; status: RunRecord['status']; startedAt: string } | null;
  archivedAt?: string;
  reason?: string;
}

export interface OperationOptions extends EngineOptions {
  dirty?: DirtyPolicy;
  /** Commit message for `dirty: 'commit'`. */
  message?: string;
}

function identityNow(author: { name: string; email: string }) {
  return { ...author, timestamp: Math.floor(Date.now() / 1000), timezoneOffset: new Date().getTimezoneOffset() };
}

/** Git's rules for branch names (git check-ref-format), checked up front with a clear message. */
export function validateBranchName(name: string): void {
  const bad =
    !name ||
    name.startsWith('-') ||
    name.endsWith('/') ||
    name.endsWith('.') ||
    name.includes('..') ||
    name.includes('//') ||
    name.includes('@{') ||
    name === '@' ||
    /[\x00-\x20\x7f~^:?*[\\]/.test(name) ||
    name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock') || part === '');
  if (bad) {
    throw new ProvenantError(`"${name}" is not a valid branch name`, {
      hint: 'Use letters, digits, "-", "_" and "/" (no spaces, "..", "~", "^", ":", "?", "*", "[" or "\\").',
      code: 'E_EXP_NAME',
    });
  }
}

export function experimentPrefix(root: string): string {
  try {
    return loadConfig(root).experimentPrefix;
  } catch {
    return 'exp/';
  }
}

/** The branch experiments are compared with and promoted into: `main`, else `master`. */
export async function mainBranch(root: string, branches?: string[]): Promise<string | null> {
  const all = branches ?? (await git.listBranches({ fs, dir: root }));
  return ['main', 'master'].find((b) => all.includes(b)) ?? null;
}

async function archivedNames(root: string): Promise<string[]> {
  try {
    return (await git.listRefs({ fs, dir: root, filepath: 'refs/provenant/archive' })).sort();
  } catch {
    return [];
  }
}

/** `name` as given if such a branch exists, else with the experiment prefix (`lr` → `exp/lr`). */
export async function resolveExperiment(root: string, name: string, options: { archived?: boolean } = {}): Promise<string> {
  const prefix = experimentPrefix(root);
  const candidates = [name, name.startsWith(prefix) ? name : `${prefix}${name}`];
  const branches = await git.listBranches({ fs, dir: root });
  const archived = await archivedNames(root);
  const pool = options.archived ? archived : branches;
  const found = candidates.find((c) => pool.includes(c));
  if (found) return found;
  const other = candidates.find((c) => (options.archived ? branches : archived).includes(c));
  if (other && !options.archived) throw new ProvenantError(`experiment "${other}" is archived`, { hint: `Restore it first: provenant exp restore ${other}`, code: 'E_EXP_ARCHIVED' });
  if (other && options.archived) throw new ProvenantError(`experiment "${other}" is not archived`, { hint: '`provenant exp list` shows the experiments.', code: 'E_EXP_NOT_ARCHIVED' });
  throw new ProvenantError(`no experiment "${name}"`, { hint: '`provenant exp list` shows the experiments.', code: 'E_EXP_MISSING' });
}

/** Ahead/behind counts against one branch, sharing the commit graph read across branches. */
class AheadBehind {
  private readonly parents = new Map<string, string[]>();
  private readonly cache = {};
  private mainSet: Set<string> | null = null;
  private readonly behindByBoundary = new Map<string, number>();

  constructor(private readonly root: string, private readonly mainOid: string | null) {}

  private async parentsOf(oid: string): Promise<string[]> {
    let p = this.parents.get(oid);
    if (!p) {
      try {
        p = (await git.readCommit({ fs, dir: this.root, oid, cache: this.cache })).commit.parent;
      } catch {
        p = []; // shallow or missing history: counted as a root
      }
      this.parents.set(oid, p);
    }
    return p;
  }

  private async closure(starts: string[], within?: Set<string>): Promise<Set<string>> {
    const seen = new Set<string>();
    const stack = [...starts];
    while (stack.length) {
      const oid = stack.pop()!;
      if (seen.has(oid) || (within && !within.has(oid))) continue;
      seen.add(oid);
      stack.push(...(await this.parentsOf(oid)));
    }
    return seen;
  }

  async count(tip: string): Promise<{ ahead: number | null; behind: number | null }> {
    if (!this.mainOid) return { ahead: null, behind: null };
    this.mainSet ??= await this.closure([this.mainOid]);
    const main = this.mainSet;
    let ahead = 0;
    const boundary = new Set<string>();
    const seen = new Set<string>();
    const stack = [tip];
    while (stack.length) {
      const oid = stack.pop()!;
      if (seen.has(oid)) continue;
      seen.add(oid);
      if (main.has(oid)) {
        boundary.add(oid);
        continue;
      }
      ahead++;
      stack.push(...(await this.parentsOf(oid)));
    }
    const key = [...boundary].sort().join(',');
    let shared = this.behindByBoundary.get(key);
    if (shared === undefined) {
      shared = (await this.closure([...boundary], main)).size;
      this.behindByBoundary.set(key, shared);
    }
    return { ahead, behind: main.size - shared };
  }
}

function parseArchiveMessage(message: string): { reason?: string; archivedAt?: string } {
  const at = /^Provenant-Archived-At: (.+)$/m.exec(message)?.[1];
  const reason = /^Provenant-Reason: (.*)$/m.exec(message)?.[1];
  return { ...(at ? { archivedAt: at } : {}), ...(reason ? { reason: JSON.parse(reason) as string } : {}) };
}

/** Every experiment (local branch, then archived ones), current first, with its runs and ahead/behind the main branch. */
export async function listExperiments(root: string, options: { runs?: RunRecord[] } = {}): Promise<ExperimentInfo[]> {
  const branches = await git.listBranches({ fs, dir: root });
  const current = await currentBranch(root);
  const main = await mainBranch(root, branches);
  const mainOid = main ? await resolveOid(root, `refs/heads/${main}`) : null;
  const counter = new AheadBehind(root, mainOid);
  const runs = options.runs ?? listRuns(root).runs;
  const byExperiment = new Map<string, RunRecord[]>();
  for (const run of runs) {
    if (!run.experiment) continue;
    byExperiment.set(run.experiment, [...(byExperiment.get(run.experiment) ?? []), run]);
  }
  const info = (name: string, ref: string, head: string, archived: boolean, counts: { ahead: number | null; behind: number | null }): ExperimentInfo => {
    const own = (byExperiment.get(name) ?? []).sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
    const last = own[0];
    return {
      name,
      ref,
      current: !archived && name === current,
      archived,
      ahead: counts.ahead,
      behind: counts.behind,
      runs: own.map((r) => r.id),
      head,
      lastRun: last ? { id: last.id, name: last.name, status: last.status, startedAt: last.startedAt } : null,
    };
  };
  const live: ExperimentInfo[] = [];
  for (const name of branches) {
    const head = await resolveOid(root, `refs/heads/${name}`);
    if (!head) continue;
    live.push(info(name, `refs/heads/${name}`, head, false, name === main ? { ahead: 0, behind: 0 } : await counter.count(head)));
  }
  const rank = (e: ExperimentInfo) => (e.current ? 0 : e.name === main ? 1 : 2);
  live.sort((a, b) => rank(a) - rank(b) || (b.lastRun?.startedAt ?? '').localeCompare(a.lastRun?.startedAt ?? '') || a.name.localeCompare(b.name));
  const archived: ExperimentInfo[] = [];
  for (const name of await archivedNames(root)) {
    const marker = await resolveOid(root, `${ARCHIVE_PREFIX}${name}`);
    if (!marker) continue;
    const { commit } = await git.readCommit({ fs, dir: root, oid: marker });
    const tip = commit.parent[0] ?? marker;
    archived.push({ ...info(name, `${ARCHIVE_PREFIX}${name}`, tip, true, await counter.count(tip)), ...parseArchiveMessage(commit.message) });
  }
  return [...live, ...archived];
}

// ---------------------------------------------------------------------------------------------
// Moving the working tree

export interface MoveResult {
  from: string | null;
  to: string;
  engine: Engine;
  /** The commit made from uncommitted work with `dirty: 'commit'`. */
  committed: string | null;
  /** Files with uncommitted work left in place (`dirty: 'carry'`). */
  carried: string[];
  /** A commit holding the working tree as it was before, when it had uncommitted work. */
  backupRef: string | null;
  /** Files edited while the switch ran, saved on a backup ref before they were overwritten. */
  lateEdits?: LateEdits | null;
}

interface Changes {
  staged: string[];
  unstaged: string[];
  untracked: string[];
  all: string[];
}

function nativeChanges(root: string): Changes {
  const out = runGit(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames']).stdout;
  const c: Changes = { staged: [], unstaged: [], untracked: [], all: [] };
  for (const item of out.split('\0')) {
    if (item.length < 4) continue;
    const x = item[0]!;
    const y = item[1]!;
    const path = item.slice(3);
    if (x === '?') c.untracked.push(path);
    else {
      if (x !== ' ') c.staged.push(path);
      if (y !== ' ') c.unstaged.push(path);
    }
  }
  c.all = [...new Set([...c.staged, ...c.unstaged, ...c.untracked])].sort();
  return c;
}

/** The working tree as a tree object, through git with a private copy of the index (index untouched). */
function nativeTreeOfWorkingTree(root: string): string {
  const scratch = mkdtempSync(join(tmpdir(), 'provenant-index-'));
  try {
    const indexFile = join(scratch, 'index');
    const gitDir = runGit(root, ['rev-parse', '--absolute-git-dir']).stdout.trim();
    if (existsSync(join(gitDir, 'index'))) copyFileSync(join(gitDir, 'index'), indexFile);
    runGit(root, ['add', '-A', '--', '.'], { env: { GIT_INDEX_FILE: indexFile } });
    return runGit(root, ['write-tree'], { env: { GIT_INDEX_FILE: indexFile } }).stdout.trim();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function writeCommitOf(root: string, tree: string, parents: string[], message: string): Promise<string> {
  const identity = identityNow(await authorIdentity(root));
  return git.writeCommit({ fs, dir: root, commit: { message, tree, parent: parents, author: identity, committer: identity } });
}

/** Commits the whole working tree (like `git add -A && git commit`) on the current branch; returns the commit. */
async function commitAll(root: string, engine: Engine, branch: string | null, head: string | null, tree: string, files: Map<string, { oid: string; mode: number }> | null, paths: string[], message: string): Promise<string> {
  if (engine === 'native') {
    runGit(root, ['add', '-A']);
    runGit(root, ['commit', '-q', '--allow-empty', '-m', message]);
    return (await headCommit(root))!;
  }
  const commit = await writeCommitOf(root, tree, head ? [head] : [], message.endsWith('\n') ? message : `${message}\n`);
  await refreshIndexPaths(root, files!, paths);
  writeRefLocked(root, branch ? `refs/heads/${branch}` : 'HEAD', commit);
  return commit;
}

/**
 * Switches HEAD to `branch` (or detaches at `commit`), moving the working tree. Uncommitted work
 * is never overwritten: without a policy the switch is refused; `commit` commits it to the
 * current branch first; `carry` keeps it in place when the switch does not touch those files
 * (and refuses otherwise). Before anything changes, the dirty working tree is saved as a commit
 * on `refs/provenant/backup/<time>`.
 */
async function moveTo(root: string, target: { branch: string | null; commit: string }, action: string, options: OperationOptions): Promise<MoveResult> {
  assertNoRunningRun(root, action);
  const { engine } = chooseEngine(root, action, [], options);
  const from = await currentBranch(root);
  let head = await headCommit(root);
  const result: MoveResult = { from, to: target.branch ?? target.commit, engine, committed: null, carried: [], backupRef: null };
  let dirtyPaths: string[] = [];
  let files: Map<string, { oid: string; mode: number }> | null = null;
  let changes: Changes;
  let backupTree: string | null = null;
  let backup: string | null = null;
  if (engine === 'isomorphic') {
    const wc = await workingChanges(root, head);
    changes = wc;
    if (wc.all.length) {
      files = new Map(wc.files.map((f) => [f.path, { oid: f.oid, mode: f.mode }]));
      backupTree = await writeTreeFromFiles(root, wc.files);
    }
  } else {
    changes = nativeChanges(root);
    if (changes.all.length) backupTree = nativeTreeOfWorkingTree(root);
  }
  const targetTree = await commitTree(root, target.commit);
  let plan: CheckoutPlan | null = null;
  if (changes.all.length && options.dirty === 'carry') {
    // Refuse before anything is written (the backup ref included) when carried work would be overwritten.
    const headTree = head ? await commitTree(root, head) : null;
    if (engine === 'isomorphic') plan = await planCheckout(root, headTree, targetTree, new Set(changes.all));
    else {
      const touched = new Set((await diffTrees(root, headTree, targetTree)).map((c) => c.path));
      const clash = changes.all.filter((p) => touched.has(p));
      if (clash.length) {
        throw new ProvenantError(`uncommitted or untracked work in ${clash.length} file(s) would be overwritten: ${listPaths(clash)}`, { hint: 'Nothing was changed. Commit these files first (or choose "commit" when switching), or move them away.', code: 'E_WOULD_OVERWRITE' });
      }
    }
  }
  if (changes.all.length) {
    if (!options.dirty) {
      throw new ProvenantError(`uncommitted changes in ${changes.all.length} file(s): ${listPaths(changes.all)}`, {
        hint: 'Nothing was changed. Choose what to do with them: --commit (commit them to the current experiment) or --carry (keep them in the working tree and take them along).',
        code: 'E_DIRTY',
      });
    }
    backup = await writeCommitOf(root, backupTree!, head ? [head] : [], `provenant: working tree before ${action}\n`);
    result.backupRef = `${BACKUP_PREFIX}${backupStamp()}`;
    writeRefLocked(root, result.backupRef, backup);
    if (options.dirty === 'commit') {
      head = await commitAll(root, engine, from, head, backupTree!, files, changes.all, options.message ?? `provenant: uncommitted work on ${from ?? 'detached HEAD'} before ${action}\n`);
      result.committed = head;
    } else {
      dirtyPaths = changes.all;
      result.carried = dirtyPaths;
    }
  }
  if (engine === 'native') {
    if (target.branch) runGit(root, ['switch', '--no-guess', target.branch]);
    else runGit(root, ['switch', '--detach', target.commit]);
  } else {
    plan ??= await planCheckout(root, head ? await commitTree(root, head) : null, targetTree, new Set(dirtyPaths));
    result.lateEdits = await switchWorkingTree(root, plan, {
      action,
      from: { branch: from, commit: head },
      to: target,
      backup: result.committed ?? backup ?? head,
      backupRef: result.backupRef,
      carried: dirtyPaths,
      moveBranch: false,
    });
  }
  return result;
}

/** `provenant exp switch <name>`. */
export async function switchExperiment(root: string, name: string, options: OperationOptions = {}): Promise<MoveResult> {
  assertNoInterruptedSwitch(root, 'switch experiments');
  assertOperable(root, 'switch experiments');
  const branch = await resolveExperiment(root, name);
  const commit = (await resolveOid(root, `refs/heads/${branch}`))!;
  if ((await currentBranch(root)) === branch) {
    return { from: branch, to: branch, engine: 'isomorphic', committed: null, carried: [], backupRef: null };
  }
  return moveTo(root, { branch, commit }, `switching to ${branch}`, options);
}

export interface NewExperimentOptions extends OperationOptions {
  /** A run (id, unique part of one, or name) whose code snapshot the branch starts from, or a git ref/commit. */
  from?: string;
}

export interface NewExperimentResult extends MoveResult {
  name: string;
  commit: string;
  /** The run the branch was made from, if any. */
  fromRun: string | null;
}

/** `provenant exp new <name> [--from <run|ref>]`: a branch from HEAD (or a run's exact code), switched to. */
export async function newExperiment(root: string, name: string, options: NewExperimentOptions = {}): Promise<NewExperimentResult> {
  assertNoInterruptedSwitch(root, 'create an experiment');
  assertOperable(root, 'create an experiment');
  const prefix = experimentPrefix(root);
  const branch = name.startsWith(prefix) ? name : `${prefix}${name}`;
  validateBranchName(branch);
  const branches = await git.listBranches({ fs, dir: root });
  if (branches.includes(branch)) throw new ProvenantError(`experiment "${branch}" already exists`, { hint: `Switch to it: provenant exp switch ${branch}`, code: 'E_EXP_EXISTS' });
  if ((await archivedNames(root)).includes(branch)) throw new ProvenantError(`experiment "${branch}" exists in the archive`, { hint: `Restore it (provenant exp restore ${branch}) or choose another name.`, code: 'E_EXP_EXISTS' });
  if (branches.some((b) => b.startsWith(`${branch}/`) || branch.startsWith(`${b}/`))) {
    throw new ProvenantError(`"${branch}" clashes with an existing branch name (git cannot hold both "a" and "a/b")`, { code: 'E_EXP_NAME', hint: 'Choose another name.' });
  }
  let commit: string | null;
  let fromRun: string | null = null;
  if (options.from) {
    let run: RunRecord | null = null;
    try {
      run = readRun(root, resolveRunId(root, options.from));
    } catch {
      run = null;
    }
    if (run) {
      fromRun = run.id;
      commit = run.code.snapshotCommit;
      try {
        await git.readCommit({ fs, dir: root, oid: commit });
      } catch {
        throw new ProvenantError(`the code snapshot of run ${run.id} (${commit.slice(0, 10)}) is not in this repository`, { file: `.provenant/runs/${run.id}/run.json`, hint: `Fetch refs/provenant/runs/${run.id} from where the run was made.`, code: 'E_SNAPSHOT_MISSING' });
      }
    } else {
      commit = await resolveOid(root, options.from);
      if (!commit) {
        try {
          commit = await git.expandOid({ fs, dir: root, oid: options.from });
        } catch {
          commit = null;
        }
      }
      if (!commit) throw new ProvenantError(`"${options.from}" is neither a run nor a git ref or commit`, { hint: '`provenant runs list` shows the runs; `git log` the commits.', code: 'E_EXP_FROM' });
      const { type } = await git.readObject({ fs, dir: root, oid: commit, format: 'parsed' });
      if (type !== 'commit') throw new ProvenantError(`"${options.from}" is a ${type}, not a commit`, { code: 'E_EXP_FROM' });
    }
  } else {
    commit = await headCommit(root);
    if (!commit) throw new ProvenantError('the repository has no commit yet', { hint: 'Commit your code first (git add -A && git commit).', code: 'E_NO_COMMIT' });
  }
  const head = await headCommit(root);
  const sameTree = head !== null && (await commitTree(root, head)) === (await commitTree(root, commit));
  writeRefLocked(root, `refs/heads/${branch}`, commit);
  let moved: MoveResult;
  try {
    if (sameTree) {
      // Nothing in the working tree changes (like `git switch -c`): uncommitted work simply stays.
      writeRefLocked(root, 'HEAD', `ref: refs/heads/${branch}`);
      moved = { from: await currentBranch(root), to: branch, engine: 'isomorphic', committed: null, carried: [], backupRef: null };
    } else {
      moved = await moveTo(root, { branch, commit }, `creating ${branch}`, options);
    }
  } catch (err) {
    // The switch was refused before anything changed: the new branch goes too (it has no commit of its own).
    if ((await currentBranch(root)) !== branch) deleteRefLocked(root, `refs/heads/${branch}`);
    throw err;
  }
  return { ...moved, name: branch, commit, fromRun };
}

// ---------------------------------------------------------------------------------------------
// Merge ("promote")

export interface MergeOptions extends OperationOptions {
  /** Target branch (default: main, else master). */
  into?: string;
  /** On conflicts: `abort` (default; nothing changes) or `leave` a normal git conflict state. */
  conflicts?: 'abort' | 'leave';
}

export interface MergeResult {
  name: string;
  into: string;
  status: 'up-to-date' | 'fast-forward' | 'merged' | 'conflicts';
  commit: string | null;
  engine: Engine;
  /** Conflicted files (status `conflicts`; with `abort`, the error names them). */
  conflicts: string[];
  switched: MoveResult | null;
  /** Files edited while the merge wrote the working tree, saved on a backup ref before being overwritten. */
  lateEdits?: LateEdits | null;
}

async function isAncestor(root: string, ancestor: string, descendant: string): Promise<boolean> {
  if (ancestor === descendant) return true;
  return git.isDescendent({ fs, dir: root, oid: descendant, ancestor, depth: -1 });
}

/** `provenant exp merge <name> [--into <branch>]`: fast-forward or three-way merge. */
export async function mergeExperiment(root: string, name: string, options: MergeOptions = {}): Promise<MergeResult> {
  assertNoInterruptedSwitch(root, 'merge');
  assertOperable(root, 'merge');
  const branch = await resolveExperiment(root, name);
  const into = options.into ? await resolveExperiment(root, options.into) : await mainBranch(root);
  if (!into) throw new ProvenantError('no branch to merge into: there is no "main" or "master"', { hint: 'Name it: --into <branch>.', code: 'E_MERGE_TARGET' });
  if (into === branch) throw new ProvenantError(`cannot merge ${branch} into itself`, { hint: 'Name another branch with --into.', code: 'E_MERGE_TARGET' });
  const theirs = (await resolveOid(root, `refs/heads/${branch}`))!;
  let ours = (await resolveOid(root, `refs/heads/${into}`))!;
  const base = { name: branch, into, conflicts: [] as string[] };
  if (await isAncestor(root, theirs, ours)) return { ...base, status: 'up-to-date', commit: ours, engine: 'isomorphic', switched: null };
  const bases = (await git.findMergeBase({ fs, dir: root, oids: [ours, theirs] })) as string[];
  let fastForward = await isAncestor(root, ours, theirs);
  const extra = [...(bases.length > 1 ? ['a criss-cross merge (more than one merge base)'] : [])];
  let engine = chooseEngine(root, 'merge', extra, options).engine;
  if (!fastForward && options.conflicts === 'leave' && engine === 'isomorphic' && (options.gitAvailable ?? true) && options.engine !== 'isomorphic') {
    // A conflict state that VS Code's merge editor and git understand is git's own: let git merge.
    try {
      engine = chooseEngine(root, 'merge', ['conflicts are to be left for resolution'], options).engine;
    } catch {
      // no git executable: the built-in merge still works, aborting on conflicts
    }
  }
  // Merging into a branch that is not checked out: a fast-forward moves the ref only.
  let switched: MoveResult | null = null;
  const current = await currentBranch(root);
  if (current !== into && fastForward) {
    writeRefLocked(root, `refs/heads/${into}`, theirs);
    await appendJournal(root, { kind: 'merge', text: `merged ${branch} into ${into} (fast-forward)`, experiment: branch });
    return { ...base, status: 'fast-forward', commit: theirs, engine: 'isomorphic', switched: null };
  }
  // From here on the working tree changes.
  assertNoRunningRun(root, `merge ${branch} into ${into}`);
  if (current !== into) {
    switched = await moveTo(root, { branch: into, commit: ours }, `switching to ${into} to merge`, options);
    ours = (await headCommit(root))!;
  }
  // Tracked changes are refused (untracked files are kept, and protected by the checkout checks).
  const changes = engine === 'isomorphic' ? await workingChanges(root, ours) : nativeChanges(root);
  const tracked = [...new Set([...changes.staged, ...changes.unstaged])].sort();
  if (tracked.length) {
    if (options.dirty !== 'commit') {
      throw new ProvenantError(`uncommitted changes in ${tracked.length} file(s) on ${into}: ${listPaths(tracked)}`, { hint: 'Nothing was changed. Commit them first, or pass --commit to commit them before merging.', code: 'E_DIRTY' });
    }
    if (engine === 'isomorphic') {
      const wc = changes as Awaited<ReturnType<typeof workingChanges>>;
      ours = await commitAll(root, engine, into, ours, await writeTreeFromFiles(root, wc.files), new Map(wc.files.map((f) => [f.path, { oid: f.oid, mode: f.mode }])), wc.all, `provenant: uncommitted work on ${into} before merging ${branch}\n`);
      changes.untracked.length = 0;
    } else {
      ours = await commitAll(root, engine, into, ours, '', null, [], `provenant: uncommitted work on ${into} before merging ${branch}\n`);
      changes.untracked.length = 0;
    }
    fastForward = false;
    const newBases = (await git.findMergeBase({ fs, dir: root, oids: [ours, theirs] })) as string[];
    if (newBases.length > 1) engine = chooseEngine(root, 'merge', ['a criss-cross merge (more than one merge base)'], options).engine;
  }
  const untracked = new Set(changes.untracked);
  const message = `Merge experiment '${branch}' into ${into}\n`;
  let result: MergeResult;
  if (engine === 'native') {
    const args = ['merge', '--no-edit', '-m', message.trim(), branch];
    const out = runGit(root, args, { allowFail: true });
    if (out.status !== 0) {
      const conflicted = runGit(root, ['diff', '--name-only', '--diff-filter=U', '-z'], { allowFail: true }).stdout.split('\0').filter(Boolean);
      if (existsSync(join(root, '.git', 'MERGE_HEAD')) && conflicted.length) {
        if (options.conflicts === 'leave') {
          return { ...base, status: 'conflicts', commit: null, engine, conflicts: conflicted, switched };
        }
        runGit(root, ['merge', '--abort']);
        throw new ProvenantError(`merging ${branch} into ${into} conflicts in ${conflicted.length} file(s): ${listPaths(conflicted)}`, { hint: 'The merge was aborted; nothing changed. Merge with --conflicts leave to resolve them in VS Code\'s merge editor, or reconcile the branches first.', code: 'E_MERGE_CONFLICT' });
      }
      throw new ProvenantError(`git merge refused: ${(out.stderr || out.stdout).trim().split('\n').slice(0, 6).join(' / ')}`, { hint: 'Nothing was merged; `git status` shows the state.', code: 'E_GIT' });
    }
    const commit = (await headCommit(root))!;
    result = { ...base, status: fastForward ? 'fast-forward' : 'merged', commit, engine, switched };
  } else {
    let commit: string;
    if (fastForward) {
      commit = theirs;
    } else {
      try {
        const author = identityNow(await authorIdentity(root));
        const merged = await git.merge({ fs, dir: root, ours: `refs/heads/${into}`, theirs: `refs/heads/${branch}`, fastForward: false, noUpdateBranch: true, abortOnConflict: true, message, author, committer: author });
        commit = merged.oid!;
      } catch (err) {
        const e = err as { code?: string; data?: { filepaths?: string[]; bothModified?: string[]; deleteByUs?: string[]; deleteByTheirs?: string[] } };
        if (e.code === 'MergeConflictError') {
          const files = [...new Set([...(e.data?.filepaths ?? []), ...(e.data?.bothModified ?? []), ...(e.data?.deleteByUs ?? []), ...(e.data?.deleteByTheirs ?? [])])].sort();
          throw new ProvenantError(`merging ${branch} into ${into} conflicts in ${files.length} file(s): ${listPaths(files)}`, { hint: 'Nothing changed. Merge with --conflicts leave (needs the git executable) to resolve them in VS Code\'s merge editor, or reconcile the branches first.', code: 'E_MERGE_CONFLICT' });
        }
        if (e.code === 'MergeNotSupportedError') {
          throw new ProvenantError(`the built-in git library cannot merge ${branch} into ${into}: ${(err as Error).message}`, { hint: 'Install the git executable; Provenant then merges with it.', code: 'E_REPO_UNSUPPORTED' });
        }
        throw err;
      }
    }
    const fromTree = await commitTree(root, ours);
    const toTree = await commitTree(root, commit);
    const plan = await planCheckout(root, fromTree, toTree, untracked);
    const late = await switchWorkingTree(root, plan, { action: `merging ${branch} into ${into}`, from: { branch: into, commit: ours }, to: { branch: into, commit }, backup: ours, backupRef: null, carried: [], moveBranch: true });
    result = { ...base, status: fastForward ? 'fast-forward' : 'merged', commit, engine, switched, lateEdits: late };
  }
  await appendJournal(root, { kind: 'merge', text: `merged ${branch} into ${into} (${result.status})`, experiment: branch });
  return result;
}

// ---------------------------------------------------------------------------------------------
// Archive and restore

export interface ArchiveResult {
  name: string;
  ref: string;
  tip: string;
  archivedAt: string;
  reason: string;
}

/**
 * `provenant exp archive <name>`: the branch moves to `refs/provenant/archive/<name>`, which
 * points at a marker commit (reason, date; its parent is the branch tip, its tree the tip's).
 * Nothing is deleted: the commits stay reachable, the runs stay listed.
 */
export async function archiveExperiment(root: string, name: string, options: { reason?: string } = {}): Promise<ArchiveResult> {
  assertNoInterruptedSwitch(root, 'archive');
  assertOperable(root, 'archive');
  const branch = await resolveExperiment(root, name);
  if (branch === (await mainBranch(root))) throw new ProvenantError(`"${branch}" is the main branch and cannot be archived`, { code: 'E_EXP_MAIN', hint: 'Archive experiment branches only.' });
  if ((await currentBranch(root)) === branch) throw new ProvenantError(`"${branch}" is the current branch`, { hint: 'Switch to another experiment first, then archive it.', code: 'E_EXP_CURRENT' });
  const ref = `${ARCHIVE_PREFIX}${branch}`;
  if (await resolveOid(root, ref)) throw new ProvenantError(`an archived experiment "${branch}" already exists`, { hint: 'Restore it or rename this branch first (git branch -m).', code: 'E_EXP_EXISTS' });
  const tip = (await resolveOid(root, `refs/heads/${branch}`))!;
  const archivedAt = new Date().toISOString();
  const reason = (options.reason ?? '').trim();
  const message = `provenant: archive ${branch}\n\n${reason ? `${reason}\n\n` : ''}Provenant-Archived-At: ${archivedAt}\nProvenant-Reason: ${JSON.stringify(reason)}\n`;
  const marker = await writeCommitOf(root, await commitTree(root, tip), [tip], message);
  writeRefLocked(root, ref, marker);
  deleteRefLocked(root, `refs/heads/${branch}`);
  await appendJournal(root, { kind: 'archive', text: reason ? `archived: ${reason}` : 'archived', experiment: branch });
  return { name: branch, ref, tip, archivedAt, reason };
}

/** `provenant exp restore <name>`: the archived branch is a branch again, at the same commit. */
export async function restoreExperiment(root: string, name: string): Promise<{ name: string; tip: string }> {
  assertNoInterruptedSwitch(root, 'restore');
  assertOperable(root, 'restore');
  const branch = await resolveExperiment(root, name, { archived: true });
  if (await resolveOid(root, `refs/heads/${branch}`)) throw new ProvenantError(`a branch "${branch}" exists already`, { hint: 'Rename it (git branch -m) and restore again.', code: 'E_EXP_EXISTS' });
  const ref = `${ARCHIVE_PREFIX}${branch}`;
  const marker = (await resolveOid(root, ref))!;
  const { commit } = await git.readCommit({ fs, dir: root, oid: marker });
  const tip = commit.message.startsWith('provenant: archive ') && commit.parent[0] ? commit.parent[0] : marker;
  writeRefLocked(root, `refs/heads/${branch}`, tip);
  deleteRefLocked(root, ref);
  await appendJournal(root, { kind: 'restore', text: 'restored from the archive', experiment: branch });
  return { name: branch, tip };
}
