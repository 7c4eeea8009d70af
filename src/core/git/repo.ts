import { existsSync, readFileSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as git from 'isomorphic-git';
import { ProvenantError } from '../util/errors';
import { safeFs } from './safeFs';

/** isomorphic-git, and the file system to pass it: every write inside `.git` is atomic (see safeFs). */
const fs = safeFs;
export { git, fs };

/** The working-tree root holding `.git`, searching upwards from `start`. */
export function findRepoRoot(start: string): string | null {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function requireRepoRoot(start: string): string {
  const root = findRepoRoot(start);
  if (!root) {
    throw new ProvenantError('this folder is not inside a git repository', {
      file: start,
      hint: 'Provenant keeps code snapshots in git: run `git init` (and commit your code) first.',
      code: 'E_NOT_A_REPO',
    });
  }
  return root;
}

/** Repository states that isomorphic-git cannot handle safely, each with why. */
export interface RepoLimitation {
  id: 'worktree' | 'index-version' | 'submodules' | 'lfs' | 'merge-in-progress' | 'rebase-in-progress' | 'shallow';
  message: string;
  /** True when a snapshot can still be taken exactly through the git executable. */
  nativeFallback: boolean;
}

export function gitExecutableAvailable(): boolean {
  return spawnSync('git', ['--version'], { stdio: 'ignore' }).status === 0;
}

function indexVersion(gitdir: string): number | null {
  const file = join(gitdir, 'index');
  if (!existsSync(file)) return null;
  const fd = openSync(file, 'r');
  try {
    const header = Buffer.alloc(8);
    if (readSync(fd, header, 0, 8, 0) < 8 || header.toString('latin1', 0, 4) !== 'DIRC') return -1;
    return header.readUInt32BE(4);
  } finally {
    closeSync(fd);
  }
}

/** Detects, up front, what would make isomorphic-git fail or be wrong in this repository. */
export function detectLimitations(root: string): RepoLimitation[] {
  const dotGit = join(root, '.git');
  const found: RepoLimitation[] = [];
  if (statSync(dotGit).isFile()) {
    found.push({ id: 'worktree', message: 'this is a linked worktree or a submodule checkout (.git is a file)', nativeFallback: true });
    return found;
  }
  const version = indexVersion(dotGit);
  if (version !== null && version !== 2) {
    found.push({
      id: 'index-version',
      message: `the git index is version ${version === -1 ? 'unknown' : version} (git's feature.manyFiles or index.version turn this on)`,
      nativeFallback: true,
    });
  }
  if (existsSync(join(root, '.gitmodules'))) found.push({ id: 'submodules', message: 'the repository has submodules', nativeFallback: true });
  const attributes = join(root, '.gitattributes');
  if (existsSync(attributes) && /filter=lfs/.test(readFileSync(attributes, 'utf8'))) {
    found.push({ id: 'lfs', message: 'the repository stores files with Git LFS', nativeFallback: true });
  }
  if (existsSync(join(dotGit, 'MERGE_HEAD'))) found.push({ id: 'merge-in-progress', message: 'a merge is in progress', nativeFallback: false });
  if (existsSync(join(dotGit, 'rebase-merge')) || existsSync(join(dotGit, 'rebase-apply'))) {
    found.push({ id: 'rebase-in-progress', message: 'a rebase is in progress', nativeFallback: false });
  }
  return found;
}

export async function headCommit(root: string): Promise<string | null> {
  try {
    return await git.resolveRef({ fs, dir: root, ref: 'HEAD' });
  } catch {
    return null;
  }
}

/** The current branch name (without refs/heads/), or null on a detached HEAD. */
export async function currentBranch(root: string): Promise<string | null> {
  try {
    return (await git.currentBranch({ fs, dir: root, fullname: false })) ?? null;
  } catch {
    return null;
  }
}

/** Author identity from the repository's or the user's git config, like git would use. */
export async function authorIdentity(root: string): Promise<{ name: string; email: string }> {
  let name = (await git.getConfig({ fs, dir: root, path: 'user.name' }).catch(() => undefined)) as string | undefined;
  let email = (await git.getConfig({ fs, dir: root, path: 'user.email' }).catch(() => undefined)) as string | undefined;
  if (!name || !email) {
    const run = (key: string) => spawnSync('git', ['config', '--get', key], { cwd: root, encoding: 'utf8' });
    const n = run('user.name');
    const e = run('user.email');
    name ||= n.status === 0 ? n.stdout.trim() : undefined;
    email ||= e.status === 0 ? e.stdout.trim() : undefined;
  }
  const user = process.env.USER ?? process.env.USERNAME ?? 'provenant';
  return { name: name || user, email: email || `${user}@localhost` };
}
