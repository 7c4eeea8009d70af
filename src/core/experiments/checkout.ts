import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { git, fs } from '../git/repo';
import { diffTrees, type TreeChange } from '../git/trees';
import { withIndexLock, readRawIndex, serializeIndex, freshEntry, type RawIndexEntry } from '../git/indexLock';
import { writeFileAtomic } from '../util/atomic';
import { ProvenantError } from '../util/errors';
import { statMatches, type TreeFile } from '../git/workingTree';
import { readGitIndex } from '../git/indexFile';
import { listPaths } from './gitops';

function blobId(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** Content id of whatever is on disk at `abs` (file or symlink), or null when nothing/a folder is there. */
function diskBlobId(abs: string): string | null {
  try {
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) return blobId(Buffer.from(readlinkSync(abs)));
    if (st.isFile()) return blobId(readFileSync(abs));
    return null;
  } catch {
    return null;
  }
}

function filesBelow(abs: string, rel: string): string[] {
  const out: string[] = [];
  for (const dirent of readdirSync(abs, { withFileTypes: true })) {
    if (dirent.isDirectory()) out.push(...filesBelow(join(abs, dirent.name), `${rel}/${dirent.name}`));
    else out.push(`${rel}/${dirent.name}`);
  }
  return out;
}

function existsOnDisk(abs: string): boolean {
  try {
    lstatSync(abs);
    return true;
  } catch {
    return false;
  }
}

/**
 * Moves the working tree and the index from `fromTree` to `toTree`, the way `git checkout` does:
 * only paths that differ between the two trees are written or removed; every other file, with
 * its uncommitted edits, stays as it is. It refuses, before touching anything, when a path it
 * would write or remove holds uncommitted work (`dirty`) or an untracked/ignored file with other
 * content. The index is written under `.git/index.lock`.
 */
export interface CheckoutPlan {
  changes: TreeChange[];
  target: Map<string, { oid: string; mode: number }>;
  removing: Set<string>;
  /** Content id each changed path had on the `from` side (null: absent there). */
  before: Map<string, string | null>;
  /**
   * The stat data of each changed path when it was checked (null: nothing there); a path whose
   * stat differs just before it is overwritten was edited meanwhile. Absent: compare content.
   */
  seen: Map<string, FileStamp | null> | null;
}

/** What identifies a file's version cheaply: size, modification time, inode. */
export interface FileStamp {
  size: bigint;
  mtimeNs: bigint;
  ino: bigint;
}

function stampOf(abs: string): FileStamp | null {
  try {
    const st = lstatSync(abs, { bigint: true });
    return st.isDirectory() ? null : { size: st.size, mtimeNs: st.mtimeNs, ino: st.ino };
  } catch {
    return null;
  }
}

const sameStamp = (a: FileStamp | null, b: FileStamp | null) => (a === null || b === null ? a === b : a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino);

export interface PlanOptions {
  /** Skip the checks for work that would be overwritten (finishing or rolling back an interrupted switch): such files are saved instead. */
  force?: boolean;
}

/** Checks a checkout from `fromTree` to `toTree` without touching anything; throws E_WOULD_OVERWRITE when it would overwrite work. */
export async function planCheckout(root: string, fromTree: string | null, toTree: string, dirty: Set<string>, _cache: object = {}, options: PlanOptions = {}): Promise<CheckoutPlan> {
  const changes = await diffTrees(root, fromTree, toTree);
  if (changes.length === 0) return { changes, target: new Map(), removing: new Set(), before: new Map(), seen: new Map() };
  const target = new Map<string, { oid: string; mode: number }>();
  const before = new Map<string, string | null>();
  for (const change of changes) {
    before.set(change.path, change.before?.oid ?? null);
    if (change.after) target.set(change.path, change.after);
  }
  const removing = new Set(changes.filter((c) => c.change === 'deleted').map((c) => c.path));
  if (options.force) return { changes, target, removing, before, seen: null };
  const seen = new Map<string, FileStamp | null>();
  for (const change of changes) seen.set(change.path, stampOf(join(root, change.path)));
  const conflicts: string[] = [];
  // `dirty` was computed a moment ago; a file edited since then is caught here (its stat no longer
  // matches the index, and its content is neither side's), the ones edited later when written.
  const index = readGitIndex(join(root, '.git'));
  const indexMtimeNs = (() => {
    try {
      return lstatSync(join(root, '.git', 'index'), { bigint: true }).mtimeNs;
    } catch {
      return 0n;
    }
  })();
  for (const change of changes) {
    if (dirty.has(change.path)) {
      conflicts.push(change.path);
      continue;
    }
    if (change.change !== 'added') {
      const abs = join(root, change.path);
      const st = (() => {
        try {
          return lstatSync(abs, { bigint: true });
        } catch {
          return null;
        }
      })();
      const entry = index.get(change.path);
      if (st && !st.isDirectory() && !(entry && entry.oid === change.before?.oid && statMatches(entry, st, indexMtimeNs))) {
        const oid = diskBlobId(abs);
        if (oid !== change.before?.oid && oid !== change.after?.oid) conflicts.push(change.path);
      }
      continue;
    }
    if (change.change === 'added') {
      const abs = join(root, change.path);
      if (existsOnDisk(abs)) {
        if (lstatSync(abs).isDirectory()) {
          // A folder where the file goes: fine only when everything in it is being removed.
          if (filesBelow(abs, change.path).some((p) => !removing.has(p))) conflicts.push(change.path);
        } else if (diskBlobId(abs) !== target.get(change.path)!.oid) conflicts.push(change.path);
      }
      // A parent folder that is a file on disk (and not one being removed) would be replaced.
      const parts = change.path.split('/');
      for (let i = 1; i < parts.length; i++) {
        const prefix = parts.slice(0, i).join('/');
        const st = (() => {
          try {
            return lstatSync(join(root, prefix));
          } catch {
            return null;
          }
        })();
        if (st && !st.isDirectory() && !removing.has(prefix)) conflicts.push(prefix);
      }
    }
  }
  // Removing a folder's last tracked file must not take untracked work with it: only empty folders go.
  if (conflicts.length) {
    const unique = [...new Set(conflicts)].sort();
    throw new ProvenantError(`uncommitted or untracked work in ${unique.length} file(s) would be overwritten: ${listPaths(unique)}`, {
      hint: 'Nothing was changed. Commit these files first (or choose "commit" when switching), or move them away.',
      code: 'E_WOULD_OVERWRITE',
    });
  }
  return { changes, target, removing, before, seen };
}

export interface CheckoutResult {
  written: number;
  removed: number;
  /** Files found changed just before they were overwritten or removed; their content was stored (blobs) first. */
  saved: TreeFile[];
}

export async function checkoutTree(root: string, fromTree: string | null, toTree: string, dirty: Set<string>, cache: object = {}): Promise<CheckoutResult> {
  return applyCheckout(root, await planCheckout(root, fromTree, toTree, dirty, cache), cache);
}

function fileModeOf(abs: string): number {
  const st = lstatSync(abs);
  if (st.isSymbolicLink()) return 0o120000;
  return (st.mode & 0o111) !== 0 ? 0o100755 : 0o100644;
}

/**
 * Called just before `path` is overwritten or removed: when the file is not what the plan saw
 * (its stat changed, or with a forced plan its content is neither side's), its content is stored
 * in git and returned, so the caller can point a backup ref at it. Nothing is lost to an edit made
 * while the working tree is being switched.
 */
async function saveIfChanged(root: string, plan: CheckoutPlan, path: string): Promise<TreeFile | null> {
  const abs = join(root, path);
  const now = stampOf(abs);
  if (now === null) return null; // nothing there (or a folder, handled by the caller)
  if (plan.seen && plan.seen.has(path) && sameStamp(plan.seen.get(path)!, now)) return null;
  const oid = diskBlobId(abs);
  if (oid === null || oid === plan.before.get(path) || oid === plan.target.get(path)?.oid) return null;
  const st = lstatSync(abs);
  const bytes = st.isSymbolicLink() ? Buffer.from(readlinkSync(abs)) : readFileSync(abs);
  const stored = await git.writeBlob({ fs, dir: root, blob: bytes });
  return { path, oid: stored, mode: fileModeOf(abs) };
}

/** Applies a plan: files written or removed, then the index, under `.git/index.lock`. */
export async function applyCheckout(root: string, plan: CheckoutPlan, cache: object = {}, options: { onLockTaken?: () => void } = {}): Promise<CheckoutResult> {
  const { changes, target, removing } = plan;
  if (changes.length === 0) return { written: 0, removed: 0, saved: [] };
  const gitdir = join(root, '.git');
  const saved: TreeFile[] = [];
  return withIndexLock(gitdir, async (lock) => {
    options.onLockTaken?.();
    const raw = readRawIndex(gitdir);
    const entries = new Map<string, RawIndexEntry>(raw.entries.filter((e) => e.stage === 0).map((e) => [e.path, e]));
    let removed = 0;
    let written = 0;
    // Deletions first, deepest paths first, so a file can replace a folder and vice versa.
    for (const path of [...removing].sort((a, b) => b.length - a.length)) {
      const abs = join(root, path);
      const kept = await saveIfChanged(root, plan, path);
      if (kept) saved.push(kept);
      rmSync(abs, { force: true });
      entries.delete(path);
      removed++;
      let dir = dirname(abs);
      while (dir !== root && existsSync(dir) && readdirSync(dir).length === 0) {
        rmdirSync(dir);
        dir = dirname(dir);
      }
    }
    for (const change of changes) {
      if (change.change === 'deleted') continue;
      const { oid, mode } = target.get(change.path)!;
      const abs = join(root, change.path);
      if (mode === 0o160000) {
        entries.set(change.path, { path: change.path, stage: 0, oid, mode, raw: null });
        continue;
      }
      const { blob } = await git.readBlob({ fs, dir: root, oid, cache });
      const kept = await saveIfChanged(root, plan, change.path);
      if (kept) saved.push(kept);
      const st = (() => {
        try {
          return lstatSync(abs);
        } catch {
          return null;
        }
      })();
      if (st?.isDirectory()) rmdirSync(abs); // an empty folder left where a file goes (non-empty would have been refused)
      if (mode === 0o120000) {
        rmSync(abs, { force: true });
        symlinkSync(Buffer.from(blob).toString('utf8'), abs);
      } else {
        if (st?.isSymbolicLink()) rmSync(abs, { force: true });
        writeFileAtomic(abs, blob);
        chmodSync(abs, mode === 0o100755 ? 0o755 : 0o644);
      }
      entries.set(change.path, freshEntry(change.path, oid, mode, abs));
      written++;
    }
    lock.commit(serializeIndex(raw.version, [...entries.values()]));
    return { written, removed, saved };
  });
}

/**
 * Makes the index match `files` (the working tree just committed): entries of `paths` are
 * replaced by fresh ones (stat data from disk) or removed when the file is gone.
 */
export async function refreshIndexPaths(root: string, files: Map<string, { oid: string; mode: number }>, paths: string[]): Promise<void> {
  const gitdir = join(root, '.git');
  await withIndexLock(gitdir, (lock) => {
    const raw = readRawIndex(gitdir);
    const entries = new Map<string, RawIndexEntry>(raw.entries.filter((e) => e.stage === 0).map((e) => [e.path, e]));
    for (const path of paths) {
      const file = files.get(path);
      if (file) entries.set(path, file.mode === 0o160000 ? { path, stage: 0, oid: file.oid, mode: file.mode, raw: null } : freshEntry(path, file.oid, file.mode, join(root, path)));
      else entries.delete(path);
    }
    lock.commit(serializeIndex(raw.version, [...entries.values()]));
  });
}
