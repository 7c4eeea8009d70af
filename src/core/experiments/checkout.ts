import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { git, fs } from '../git/repo';
import { diffTrees, type TreeChange } from '../git/trees';
import { withIndexLock, readRawIndex, serializeIndex, freshEntry, type RawIndexEntry } from '../git/indexLock';
import { writeFileAtomic } from '../util/atomic';
import { ProvenantError } from '../util/errors';
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

/** The id and mode of one path in a tree, reading only the trees along the path. */
async function entryAt(root: string, treeOid: string, path: string, cache: object): Promise<{ oid: string; mode: number } | null> {
  let oid = treeOid;
  const parts = path.split('/');
  for (let i = 0; i < parts.length; i++) {
    const { tree } = await git.readTree({ fs, dir: root, oid, cache });
    const entry = tree.find((e) => e.path === parts[i]);
    if (!entry) return null;
    if (i === parts.length - 1) return { oid: entry.oid, mode: parseInt(entry.mode, 8) };
    oid = entry.oid;
  }
  return null;
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
}

/** Checks a checkout from `fromTree` to `toTree` without touching anything; throws E_WOULD_OVERWRITE when it would overwrite work. */
export async function planCheckout(root: string, fromTree: string | null, toTree: string, dirty: Set<string>, cache: object = {}): Promise<CheckoutPlan> {
  const changes = await diffTrees(root, fromTree, toTree);
  if (changes.length === 0) return { changes, target: new Map(), removing: new Set() };
  const target = new Map<string, { oid: string; mode: number }>();
  for (const change of changes) {
    if (change.change === 'deleted') continue;
    const entry = await entryAt(root, toTree, change.path, cache);
    if (entry) target.set(change.path, entry);
  }
  const removing = new Set(changes.filter((c) => c.change === 'deleted').map((c) => c.path));
  const conflicts: string[] = [];
  for (const change of changes) {
    if (dirty.has(change.path)) {
      conflicts.push(change.path);
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
  return { changes, target, removing };
}

export async function checkoutTree(root: string, fromTree: string | null, toTree: string, dirty: Set<string>, cache: object = {}): Promise<{ written: number; removed: number }> {
  return applyCheckout(root, await planCheckout(root, fromTree, toTree, dirty, cache), cache);
}

/** Applies a plan: files written or removed, then the index, under `.git/index.lock`. */
export async function applyCheckout(root: string, plan: CheckoutPlan, cache: object = {}): Promise<{ written: number; removed: number }> {
  const { changes, target, removing } = plan;
  if (changes.length === 0) return { written: 0, removed: 0 };
  const gitdir = join(root, '.git');
  return withIndexLock(gitdir, async (lock) => {
    const raw = readRawIndex(gitdir);
    const entries = new Map<string, RawIndexEntry>(raw.entries.filter((e) => e.stage === 0).map((e) => [e.path, e]));
    let removed = 0;
    let written = 0;
    // Deletions first, deepest paths first, so a file can replace a folder and vice versa.
    for (const path of [...removing].sort((a, b) => b.length - a.length)) {
      const abs = join(root, path);
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
    return { written, removed };
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
