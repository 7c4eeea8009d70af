import { statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import type { DataVersion } from '../runs/types';
import { ProvenantError } from '../util/errors';
import { isInside, resolveInWorkspace, toPosixRelative } from '../util/paths';
import { buildManifest, type DirEntry } from './dirManifest';
import { hashFiles, type HashJob, type HashProgress } from './hashPool';
import { directoryFingerprint, StateIndex, type StatStamp } from './stateIndex';
import { walkDirectory, type WalkedFile } from './walk';
import { throwIfCancelled } from './cancel';

export type { HashProgress } from './hashPool';

export interface HashDataOptions {
  signal?: AbortSignal;
  onProgress?: (progress: HashProgress) => void;
  /** Reuse and update `.provenant/state/hashes.json` (default true). */
  useState?: boolean;
  /** Worker threads; default `os.availableParallelism()`. */
  threads?: number;
  /**
   * A DVC 3 object directory: every file that has to be read is stored there in the same pass
   * (`hashFiles`' storeIn). Files answered by the state index are not read, hence not stored.
   */
  storeIn?: string;
}

export interface HashDirectoryOptions extends HashDataOptions {
  /**
   * The workspace holding the directory: `.dvcignore` files from it down apply, and (unless
   * `useState` is false) its state index is used. Without it no state is used.
   */
  root?: string;
}

/** A directory object as DVC 3 builds it. */
export interface DirectoryHash {
  /** `<md5 of manifest>.dir` */
  oid: string;
  /** Sum of the file sizes. */
  size: number;
  nfiles: number;
  /** Sorted entries; `manifest` is their exact serialization (the `.dir` cache object). */
  entries: DirEntry[];
  manifest: Buffer;
}

/** A file to hash, keyed in the state index by its workspace-relative path (when there is a workspace). */
interface FileTarget extends StatStamp {
  absPath: string;
  stateKey: string | undefined;
  md5?: string;
}

interface DirTarget {
  absDir: string;
  stateKey: string | undefined;
  files: WalkedFile[];
  /** One per file; undefined while the directory's oid comes from the state index. */
  targets: FileTarget[] | undefined;
  fingerprint: string | undefined;
  cachedOid?: string;
}

interface Session {
  root: string | undefined;
  state: StateIndex | undefined;
  options: HashDataOptions;
  /** Targets by absolute path, so a file reached twice is read once. */
  targets: Map<string, FileTarget>;
}

/** The state key of a path inside the workspace (`undefined` outside it or without a workspace). */
function stateKeyOf(session: Session, absPath: string): string | undefined {
  return session.root !== undefined && isInside(session.root, absPath) ? toPosixRelative(session.root, absPath) : undefined;
}

function fileTarget(session: Session, absPath: string, stat: StatStamp, stateKey = stateKeyOf(session, absPath)): FileTarget {
  let target = session.targets.get(absPath);
  if (target === undefined) {
    target = { absPath, stateKey, ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size };
    const cached = stateKey !== undefined ? session.state?.lookupFile(stateKey, stat) : undefined;
    if (cached !== undefined) target.md5 = cached;
    session.targets.set(absPath, target);
  }
  return target;
}

async function planDirectory(session: Session, absDir: string): Promise<DirTarget> {
  const walked = await walkDirectory(absDir, { root: session.root, signal: session.options.signal });
  const stateKey = stateKeyOf(session, absDir);
  const dir: DirTarget = { absDir, stateKey, files: walked, targets: undefined, fingerprint: undefined };
  if (session.state !== undefined && stateKey !== undefined) {
    dir.fingerprint = directoryFingerprint(walked);
    const hit = session.state.lookupDir(stateKey, dir.fingerprint);
    if (hit !== undefined && hit.nfiles === walked.length) {
      dir.cachedOid = hit.oid;
      return dir;
    }
  }
  expandDirectory(session, dir);
  return dir;
}

/** Gives every file of the directory a target (md5 from the state index where trusted). */
function expandDirectory(session: Session, dir: DirTarget): void {
  const prefix = dir.stateKey === undefined ? undefined : dir.stateKey === '' ? '' : `${dir.stateKey}/`;
  dir.targets = dir.files.map((f) => fileTarget(session, f.absPath, f, prefix === undefined ? undefined : prefix + f.relpath));
  dir.cachedOid = undefined;
}

/** Hashes every planned target still without an md5 and records the results in the state index. */
async function hashPending(session: Session): Promise<void> {
  const all = [...session.targets.values()];
  const pending = all.filter((t) => t.md5 === undefined);
  const cachedBytes = all.reduce((sum, t) => sum + (t.md5 !== undefined ? t.size : 0), 0);
  const bytesTotal = all.reduce((sum, t) => sum + t.size, 0);
  const cachedFiles = all.length - pending.length;
  const { onProgress } = session.options;
  onProgress?.({ bytesDone: cachedBytes, bytesTotal, filesDone: cachedFiles, filesTotal: all.length });

  const startedMs = Date.now();
  const jobs: HashJob[] = pending.map((t) => ({ absPath: t.absPath, size: t.size, mtimeMs: t.mtimeMs }));
  const md5s = await hashFiles(jobs, {
    signal: session.options.signal,
    threads: session.options.threads,
    ...(session.options.storeIn !== undefined ? { storeIn: session.options.storeIn } : {}),
    onProgress:
      onProgress &&
      ((p) =>
        onProgress({
          bytesDone: cachedBytes + p.bytesDone,
          bytesTotal,
          filesDone: cachedFiles + p.filesDone,
          filesTotal: all.length,
        })),
  });
  pending.forEach((t, i) => {
    t.md5 = md5s[i]!;
    if (t.stateKey !== undefined) session.state?.recordFile(t.stateKey, t, t.md5, startedMs);
  });
}

/** Builds the directory object once its files are hashed, and records it (when every file is trusted). */
function finishDirectory(session: Session, dir: DirTarget): DirectoryHash {
  const targets = dir.targets!;
  const entries = dir.files.map((f, i) => ({ md5: targets[i]!.md5!, relpath: f.relpath }));
  const manifest = buildManifest(entries);
  const size = dir.files.reduce((sum, f) => sum + f.size, 0);
  const result: DirectoryHash = { oid: manifest.oid, size, nfiles: dir.files.length, entries: manifest.entries, manifest: manifest.bytes };
  const { state } = session;
  if (state !== undefined && dir.stateKey !== undefined && dir.fingerprint !== undefined) {
    state.pruneBelow(dir.stateKey, new Set(targets.map((t) => t.stateKey ?? '')));
    const allTrusted = targets.every((t) => t.stateKey !== undefined && state.lookupFile(t.stateKey, t) !== undefined);
    if (allTrusted) state.recordDir(dir.stateKey, { fingerprint: dir.fingerprint, oid: result.oid, size, nfiles: result.nfiles });
    else state.forgetDir(dir.stateKey);
  }
  return result;
}

function openSession(root: string | undefined, options: HashDataOptions): Session {
  const useState = root !== undefined && options.useState !== false;
  return { root: root === undefined ? undefined : resolve(root), state: useState ? StateIndex.load(root) : undefined, options, targets: new Map() };
}

/**
 * Hashes one directory as DVC 3 does (`.dir` object): walk, md5 of every file in parallel, manifest.
 * Used by `hashDataDependencies` and by the DVC client, which writes the manifest to the cache.
 */
export async function hashDirectory(absDir: string, options: HashDirectoryOptions = {}): Promise<DirectoryHash> {
  throwIfCancelled(options.signal);
  const session = openSession(options.root, options);
  const dir = await planDirectory(session, resolve(absDir));
  // The entries are wanted here even when the oid is known: the stamps match, so the index has every md5.
  if (dir.targets === undefined) expandDirectory(session, dir);
  await hashPending(session);
  const result = finishDirectory(session, dir);
  session.state?.save();
  return result;
}

function missingPath(path: string): ProvenantError {
  return new ProvenantError(`the data path "${path}" does not exist`, {
    file: path,
    hint: `Check the \`data:\` list in .provenant/config.yaml.`,
    code: 'E_DATA_MISSING',
  });
}

function statDataPath(path: string, abs: string): Stats {
  let st: Stats | undefined;
  try {
    st = statSync(abs, { throwIfNoEntry: false });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw missingPath(path);
    if (code === 'ELOOP') {
      throw new ProvenantError(`the data path "${path}" is a symbolic link loop`, { file: path, code: 'E_SYMLINK_LOOP', cause: err });
    }
    throw new ProvenantError(`cannot read the data path "${path}" (${code ?? err})`, { file: path, code: 'E_READ_FILE', cause: err });
  }
  if (st === undefined) throw missingPath(path);
  return st;
}

/**
 * DVC 3 hashes of a run's data dependencies: a file gives its md5 and size, a directory its
 * `<md5>.dir` oid, total size and file count. Paths are workspace-relative; one that leaves the
 * workspace fails with E_PATH_ESCAPE, a missing one with E_DATA_MISSING. Results come in input order,
 * each with its path in POSIX form. Unchanged files are not read again thanks to the state index.
 */
export async function hashDataDependencies(root: string, paths: string[], options: HashDataOptions = {}): Promise<DataVersion[]> {
  throwIfCancelled(options.signal);
  const workspace = resolve(root);
  const resolved = paths.map((path) => ({ path, abs: resolveInWorkspace(workspace, path) }));
  const session = openSession(workspace, options);

  const planned: ({ kind: 'file'; target: FileTarget } | { kind: 'dir'; dir: DirTarget })[] = [];
  for (const { path, abs } of resolved) {
    const st = statDataPath(path, abs);
    if (st.isDirectory()) planned.push({ kind: 'dir', dir: await planDirectory(session, abs) });
    else if (st.isFile()) planned.push({ kind: 'file', target: fileTarget(session, abs, st) });
    else throw new ProvenantError(`the data path "${path}" is neither a file nor a directory`, { file: path, code: 'E_NOT_A_FILE' });
  }

  await hashPending(session);

  const versions = planned.map((item, i): DataVersion => {
    const path = toPosixRelative(workspace, resolved[i]!.abs) || '.';
    if (item.kind === 'file') return { path, md5: item.target.md5!, size: item.target.size };
    if (item.dir.cachedOid !== undefined) {
      return { path, md5: item.dir.cachedOid, size: item.dir.files.reduce((s, f) => s + f.size, 0), nfiles: item.dir.files.length };
    }
    const dir = finishDirectory(session, item.dir);
    return { path, md5: dir.oid, size: dir.size, nfiles: dir.nfiles };
  });
  session.state?.save();
  return versions;
}
