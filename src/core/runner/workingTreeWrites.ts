/**
 * The files a run wrote or changed in the working tree: the tree is stat-ed before the command
 * and again after it; what is new, changed (size, mtime, ctime or inode) or gone is recorded with
 * the SHA-256 of its final content. Ignored files count too (outputs usually are), but not `.git/`,
 * `.provenant/` nor caches that say nothing about the result (`__pycache__`, virtualenvs, the DVC
 * cache, tracker stores). The cost is bounded: past MAX_ENTRIES the walk stops, and files past MAX_HASH_BYTES are
 * recorded by size only; both are said in `limited`. Never throws: a run's record must be written.
 */
import { closeSync, lstatSync, openSync, readSync, readdirSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { WorkingTreeWrites, WrittenFile } from '../runs/types';

export const MAX_ENTRIES = 100_000;
export const MAX_HASH_BYTES = 512 * 1024 * 1024;
/** Files listed in a record at most (the record stays small; the rest is counted in `limited`). */
export const MAX_LISTED_FILES = 10_000;
const MAX_TOTAL_HASH_BYTES = 2 * 1024 * 1024 * 1024;

/**
 * Folder names never looked into, anywhere in the tree: repositories, caches, and experiment
 * trackers' stores (`mlruns`, `wandb`), whose run ids and timestamps differ on every run by design
 * (what MLflow logged is captured from the run's own store).
 */
const SKIPPED_NAMES = new Set(['.git', '__pycache__', 'node_modules', '.ipynb_checkpoints', '.pytest_cache', '.mypy_cache', '.ruff_cache', '.tox', 'mlruns', 'wandb']);
/** Workspace-relative folders never looked into. */
const SKIPPED_PATHS = new Set(['.provenant', '.dvc/cache', '.dvc/tmp']);

interface Entry {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

export interface TreeState {
  files: Map<string, Entry>;
  /** Folders skipped because they are caches or environments (workspace-relative). */
  skipped: string[];
  /** Why the walk is incomplete, when it is. */
  limited: string | null;
}

/** A Python environment (venv or conda): what it holds is the environment snapshot's business. */
function isEnvironment(names: string[]): boolean {
  return names.includes('pyvenv.cfg') || names.includes('conda-meta');
}

/** Stats every regular file of the working tree (symlinks are not followed). */
export function statWorkingTree(root: string, maxEntries = MAX_ENTRIES): TreeState {
  const files = new Map<string, Entry>();
  const skipped: string[] = [];
  let limited: string | null = null;
  let seen = 0;
  const walk = (dir: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return; // unreadable or vanished: nothing to say about it
    }
    if (rel !== '' && isEnvironment(names)) {
      skipped.push(rel);
      return;
    }
    for (const name of names.sort()) {
      if (limited) return;
      const path = rel ? `${rel}/${name}` : name;
      if (SKIPPED_PATHS.has(path) || SKIPPED_NAMES.has(name)) {
        if (path !== '.git' && path !== '.provenant') skipped.push(path);
        continue;
      }
      if (++seen > maxEntries) {
        limited = `the working tree has more than ${maxEntries} entries; files past ${path} were not examined`;
        return;
      }
      let stat: Stats;
      try {
        stat = lstatSync(join(dir, name));
      } catch {
        continue;
      }
      if (stat.isDirectory()) walk(join(dir, name), path);
      else if (stat.isFile()) files.set(path, { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino });
    }
  };
  walk(root, '');
  return { files, skipped, limited };
}

/** SHA-256 of a file's content, or null when it cannot be read. */
export function sha256File(file: string): string | null {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    let n: number;
    while ((n = readSync(fd, buffer, 0, buffer.length, null)) > 0) hash.update(buffer.subarray(0, n));
    return hash.digest('hex');
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const changed = (a: Entry, b: Entry) => a.size !== b.size || a.mtimeMs !== b.mtimeMs || a.ctimeMs !== b.ctimeMs || a.ino !== b.ino;

/** What changed since `before`, with the hash of each written file's content now. */
export function workingTreeWrites(root: string, before: TreeState, maxEntries = MAX_ENTRIES): WorkingTreeWrites {
  const after = statWorkingTree(root, maxEntries);
  const files: WrittenFile[] = [];
  const notes: string[] = [];
  let hashed = 0;
  let unhashed = 0;
  for (const [path, entry] of after.files) {
    const previous = before.files.get(path);
    if (previous && !changed(previous, entry)) continue;
    // A file past the first walk's limit is not known to be new.
    if (!previous && before.limited) continue;
    let sha256: string | null = null;
    if (entry.size <= MAX_HASH_BYTES && hashed + entry.size <= MAX_TOTAL_HASH_BYTES) {
      sha256 = sha256File(join(root, path));
      if (sha256) hashed += entry.size;
    }
    if (!sha256) unhashed++;
    files.push({ path, change: previous ? 'modified' : 'added', size: entry.size, sha256 });
  }
  if (!after.limited) {
    for (const path of before.files.keys()) if (!after.files.has(path)) files.push({ path, change: 'deleted', size: 0, sha256: null });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const limit = before.limited ?? after.limited;
  if (limit) notes.push(limit);
  if (files.length > MAX_LISTED_FILES) {
    notes.push(`${files.length - MAX_LISTED_FILES} more written file(s) after ${files[MAX_LISTED_FILES - 1]!.path} are not listed`);
    files.length = MAX_LISTED_FILES;
  }
  if (unhashed) notes.push(`${unhashed} file(s) were recorded by size only (larger than ${MAX_HASH_BYTES / 1024 / 1024} MiB, past ${MAX_TOTAL_HASH_BYTES / 1024 ** 3} GiB in all, or unreadable)`);
  const skipped = [...new Set([...before.skipped, ...after.skipped])].sort();
  return { files, skipped, ...(notes.length ? { limited: notes.join('; ') } : {}) };
}
