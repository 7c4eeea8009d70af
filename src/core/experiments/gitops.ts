import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, rmdirSync, readdirSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { git, fs, detectLimitations, gitExecutableAvailable } from '../git/repo';
import { readGitIndex } from '../git/indexFile';
import { collectWorkingTree, type TreeFile } from '../git/workingTree';
import { readRawIndex } from '../git/indexLock';
import { ProvenantError } from '../util/errors';

/**
 * Low-level git plumbing for experiment branches: ref writes under git's lock protocol, the
 * working tree's changes against HEAD, and the choice between isomorphic-git and the git
 * executable for each operation.
 */

export type Engine = 'isomorphic' | 'native';

export interface EngineChoice {
  engine: Engine;
  /** Why the git executable is used (empty for isomorphic-git). */
  reasons: string[];
}

export interface EngineOptions {
  /** Force an engine (tests, benchmarks); also PROVENANT_GIT_ENGINE=native|isomorphic. */
  engine?: Engine;
  /** Override the git executable probe (tests). */
  gitAvailable?: boolean;
}

/** Refuses repository states no experiment operation may touch: a merge or rebase in progress. */
export function assertOperable(root: string, action: string): void {
  const blocking = detectLimitations(root).filter((l) => !l.nativeFallback);
  if (blocking.length) {
    throw new ProvenantError(`cannot ${action}: ${blocking.map((l) => l.message).join('; ')}`, {
      file: root,
      hint: 'Finish it (resolve the conflicts and commit) or abort it (`git merge --abort` / `git rebase --abort`), then try again.',
      code: 'E_REPO_STATE',
    });
  }
}

/**
 * Which engine performs a write: isomorphic-git (with Provenant's own checkout) in an ordinary
 * repository; the git executable where isomorphic-git is unsafe: index v4 / manyFiles, split or
 * sparse indexes, linked worktrees, submodules, LFS, criss-cross merges, and merges that should
 * leave a conflict state for VS Code's merge editor. Without git there, such states are refused.
 */
export function chooseEngine(root: string, action: string, extra: string[] = [], options: EngineOptions = {}): EngineChoice {
  assertOperable(root, action);
  const reasons = [...detectLimitations(root).map((l) => l.message), ...indexFeatures(root), ...extra];
  const forced = options.engine ?? (process.env.PROVENANT_GIT_ENGINE === 'native' || process.env.PROVENANT_GIT_ENGINE === 'isomorphic' ? process.env.PROVENANT_GIT_ENGINE : undefined);
  const available = options.gitAvailable ?? gitExecutableAvailable();
  if (forced === 'native' || reasons.length > 0) {
    if (!available) {
      throw new ProvenantError(`cannot ${action}: ${reasons.join('; ') || 'the git executable was requested'}, which the built-in git library does not handle safely`, {
        file: root,
        hint: 'Install the git executable (Provenant then uses it for this repository), or change the repository (e.g. `git config feature.manyFiles false && git update-index --index-version 2`).',
        code: 'E_REPO_UNSUPPORTED',
      });
    }
    if (forced === 'isomorphic') {
      throw new ProvenantError(`cannot ${action} with the built-in git library: ${reasons.join('; ')}`, { file: root, code: 'E_REPO_UNSUPPORTED', hint: 'Unset PROVENANT_GIT_ENGINE to let Provenant use the git executable.' });
    }
    return { engine: 'native', reasons: reasons.length ? reasons : ['PROVENANT_GIT_ENGINE=native'] };
  }
  return { engine: 'isomorphic', reasons: [] };
}

/** Index features Provenant's index writer does not keep: split index, sparse index/checkout. */
function indexFeatures(root: string): string[] {
  const gitdir = join(root, '.git');
  if (!existsSync(join(gitdir, 'index')) || lstatSync(join(root, '.git')).isFile()) return [];
  try {
    const raw = readRawIndex(gitdir);
    const found: string[] = [];
    if (raw.extensions.includes('link')) found.push('the index is split (core.splitIndex)');
    if (raw.extensions.includes('sdir') || raw.skipWorktree) found.push('a sparse checkout is active');
    if (raw.entries.some((e) => e.stage !== 0)) found.push('the index holds unresolved conflicts');
    return found;
  } catch {
    return []; // a version detectLimitations already reported
  }
}

/** Runs the git executable; its errors become ProvenantErrors carrying git's own message. */
export function runGit(root: string, args: string[], options: { allowFail?: boolean; env?: NodeJS.ProcessEnv } = {}): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('git', args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true', GIT_MERGE_AUTOEDIT: 'no', LC_ALL: 'C', ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
  if (out.status !== 0 && !options.allowFail) {
    throw new ProvenantError(`git ${args[0]} failed: ${(out.stderr || out.stdout).trim().split('\n').slice(0, 6).join(' / ')}`, { file: root, code: 'E_GIT', hint: 'Nothing was changed by Provenant beyond what git reports above; `git status` shows the state.' });
  }
  return out;
}

/** The value of a ref as stored (loose file first, then packed-refs), without following symbolic refs; null when absent. */
export function readRefSync(root: string, ref: string): string | null {
  try {
    return readFileSync(join(root, '.git', ref), 'utf8').trim();
  } catch {
    // not loose
  }
  try {
    for (const line of readFileSync(join(root, '.git', 'packed-refs'), 'utf8').split('\n')) {
      if (line.endsWith(` ${ref}`) && !line.startsWith('#') && !line.startsWith('^')) return line.slice(0, line.indexOf(' '));
    }
  } catch {
    // no packed refs
  }
  return null;
}

/**
 * Writes a ref (or HEAD) as git does: `<ref>.lock` created exclusively, written, flushed, renamed
 * over the ref. With `expect`, the write is a compare-and-swap: once the lock is held the ref must
 * still hold `expect` (null: must not exist), otherwise nothing is written (E_REF_MOVED).
 */
export function writeRefLocked(root: string, ref: string, content: string, options: { expect?: string | null } = {}): void {
  const path = join(root, '.git', ref);
  mkdirSync(dirname(path), { recursive: true });
  const lock = `${path}.lock`;
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ProvenantError(`another git process is updating ${ref}`, { file: `.git/${ref}.lock`, hint: 'Try again in a moment; if no git process is running, remove the .lock file.', code: 'E_REF_LOCKED' });
    }
    throw err;
  }
  try {
    if (options.expect !== undefined) {
      const current = readRefSync(root, ref);
      if (current !== options.expect) {
        throw new ProvenantError(`${ref} was changed by another process meanwhile`, { file: `.git/${ref}`, hint: 'Nothing was written; try again.', code: 'E_REF_MOVED' });
      }
    }
    const bytes = Buffer.from(content.endsWith('\n') ? content : `${content}\n`);
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(lock, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(lock, path);
  } catch (err) {
    rmSync(lock, { force: true });
    throw err;
  }
}

/** Deletes a ref, loose and packed (packed-refs rewritten under its lock). */
export function deleteRefLocked(root: string, ref: string): void {
  const gitdir = join(root, '.git');
  const loose = join(gitdir, ref);
  if (existsSync(loose)) {
    rmSync(loose);
    // Remove folders left empty below refs/ (as git does), never refs/ itself.
    let dir = dirname(loose);
    while (dir.startsWith(join(gitdir, 'refs') + '/') && readdirSync(dir).length === 0) {
      rmdirSync(dir);
      dir = dirname(dir);
    }
  }
  const packed = join(gitdir, 'packed-refs');
  if (!existsSync(packed)) return;
  const lines = readFileSync(packed, 'utf8').split('\n');
  const kept: string[] = [];
  let dropping = false;
  let changed = false;
  for (const line of lines) {
    if (line.startsWith('^') && dropping) continue;
    dropping = line.endsWith(` ${ref}`) && !line.startsWith('#');
    if (dropping) {
      changed = true;
      continue;
    }
    kept.push(line);
  }
  if (changed) writeRefLocked(root, 'packed-refs', kept.join('\n'));
}

export async function resolveOid(root: string, ref: string): Promise<string | null> {
  try {
    return await git.resolveRef({ fs, dir: root, ref });
  } catch {
    return null;
  }
}

export async function commitTree(root: string, oid: string, cache: object = {}): Promise<string> {
  return (await git.readCommit({ fs, dir: root, oid, cache })).commit.tree;
}

/** Every file of a tree, path → id and mode. */
export async function flattenTree(root: string, treeOid: string | null, cache: object = {}): Promise<Map<string, { oid: string; mode: number }>> {
  const out = new Map<string, { oid: string; mode: number }>();
  if (!treeOid) return out;
  const visit = async (oid: string, prefix: string): Promise<void> => {
    const { tree } = await git.readTree({ fs, dir: root, oid, cache });
    for (const entry of tree) {
      const path = prefix ? `${prefix}/${entry.path}` : entry.path;
      if (entry.type === 'tree') await visit(entry.oid, path);
      else out.set(path, { oid: entry.oid, mode: parseInt(entry.mode, 8) });
    }
  };
  await visit(treeOid, '');
  return out;
}

export interface WorkingChanges {
  /** Index differs from HEAD. */
  staged: string[];
  /** Working tree differs from the index (modified or deleted tracked files). */
  unstaged: string[];
  /** Untracked files that are not ignored. */
  untracked: string[];
  /** Every path above, sorted, without duplicates. */
  all: string[];
  /** The working tree as `git add -A` would commit it. */
  files: TreeFile[];
}

/** Uncommitted work of any kind, compared the way `git status` does (stat data first, content when it differs). */
export async function workingChanges(root: string, headOid: string | null, cache: object = {}): Promise<WorkingChanges> {
  const index = readGitIndex(join(root, '.git'));
  const head = headOid ? await flattenTree(root, await commitTree(root, headOid, cache), cache) : new Map<string, { oid: string; mode: number }>();
  const staged: string[] = [];
  for (const [path, entry] of index) {
    const h = head.get(path);
    if (!h || h.oid !== entry.oid || h.mode !== entry.mode) staged.push(path);
  }
  for (const path of head.keys()) if (!index.has(path)) staged.push(path);
  const files = await collectWorkingTree(root, index);
  const seen = new Set<string>();
  const unstaged: string[] = [];
  const untracked: string[] = [];
  for (const file of files) {
    seen.add(file.path);
    const entry = index.get(file.path);
    if (!entry) untracked.push(file.path);
    else if (entry.oid !== file.oid || (entry.mode !== file.mode && entry.mode !== 0o160000)) unstaged.push(file.path);
  }
  for (const path of index.keys()) if (!seen.has(path)) unstaged.push(path);
  const all = [...new Set([...staged, ...unstaged, ...untracked])].sort();
  return { staged: staged.sort(), unstaged: unstaged.sort(), untracked: untracked.sort(), all, files };
}

/** Short, readable list of paths for messages. */
export function listPaths(paths: string[], max = 8): string {
  return paths.length <= max ? paths.join(', ') : `${paths.slice(0, max).join(', ')} and ${paths.length - max} more`;
}
