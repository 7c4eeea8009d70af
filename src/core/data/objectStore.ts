import { chmodSync, closeSync, constants, copyFileSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { ProvenantError } from '../util/errors';
import { parseManifest, type DirEntry } from './dirManifest';
import { changedWhileHashing, md5Bytes, md5Dos2UnixFile, md5File, type FileStamp } from './md5';
import { makeFromObject, type WorkspaceGuard } from './safePath';

/**
 * The DVC object store of a cache directory. DVC 3 keeps objects in `<cache>/files/md5/xx/rest`,
 * DVC 2 (legacy, `md5-dos2unix`) in `<cache>/xx/rest`. Objects are read-only (0444) once written,
 * written to a temporary name first, and always named by the hash of the bytes they hold.
 */
export function objectsDir(cacheDir: string, legacy = false): string {
  return legacy ? cacheDir : join(cacheDir, 'files', 'md5');
}

const OID = /^[0-9a-f]{32}(\.dir)?$/;

export function isOid(value: string): boolean {
  return OID.test(value);
}

export function objectPath(cacheDir: string, oid: string, legacy = false): string {
  if (!OID.test(oid)) throw new ProvenantError(`"${oid}" is not an md5 object id`, { code: 'E_BAD_OID' });
  return join(objectsDir(cacheDir, legacy), oid.slice(0, 2), oid.slice(2));
}

export function hasObject(cacheDir: string, oid: string, legacy = false): boolean {
  return isOid(oid) && existsSync(objectPath(cacheDir, oid, legacy));
}

export function tempNameIn(dir: string): string {
  return join(dir, `.provenant-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

/** Renames a finished temporary file to the object path, read-only. An object already there is kept. */
function commit(tmp: string, target: string): void {
  if (existsSync(target)) {
    unlinkSync(tmp);
    return;
  }
  mkdirSync(dirname(target), { recursive: true });
  try {
    chmodSync(tmp, 0o444);
  } catch {
    // DVC ignores a failed protect too
  }
  renameSync(tmp, target);
}

function cacheWriteError(storeIn: string, err: unknown, source?: string): ProvenantError {
  const code = (err as NodeJS.ErrnoException).code ?? String(err);
  return new ProvenantError(`cannot write to the cache ${storeIn} (${code})${source ? ` while storing "${source}"` : ''}`, {
    file: source,
    hint: 'Check the free space and permissions of the DVC cache (cache.dir in .dvc/config).',
    code: 'E_CACHE_WRITE',
    cause: err,
  });
}

/**
 * Stores one file in an object directory (DVC 3 layout) and returns its md5. The file is copied
 * first (a reflink where the file system can), then the *copy* is hashed and named, so the object
 * matches its name whatever happens to the source; a source whose stamp moved meanwhile is refused.
 */
export function storeFileObject(absPath: string, expected: FileStamp, storeIn: string): string {
  mkdirSync(storeIn, { recursive: true });
  const tmp = tempNameIn(storeIn);
  try {
    try {
      copyFileSync(absPath, tmp, constants.COPYFILE_FICLONE);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !existsSync(absPath)) throw changedWhileHashing(absPath, 'it was removed');
      if ((err as NodeJS.ErrnoException).path === absPath || code === 'ENOENT') throw err;
      throw cacheWriteError(storeIn, err, absPath);
    }
    const after = statSync(absPath);
    if (after.size !== expected.size || after.mtimeMs !== expected.mtimeMs) {
      throw changedWhileHashing(absPath, after.size !== expected.size ? `size ${expected.size} -> ${after.size} bytes` : 'modification time moved');
    }
    const { md5, size } = md5File(tmp);
    if (size !== expected.size) throw changedWhileHashing(absPath, `copied ${size} of ${expected.size} bytes`);
    try {
      commit(tmp, join(storeIn, md5.slice(0, 2), md5.slice(2)));
    } catch (err) {
      throw cacheWriteError(storeIn, err, absPath);
    }
    return md5;
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Stores bytes held in memory (a `.dir` manifest) under `oid`, which must be their md5 (+ ".dir"). */
export function storeBytesObject(cacheDir: string, oid: string, bytes: Uint8Array, legacy = false): string {
  const expected = oid.replace(/\.dir$/, '');
  if (md5Bytes(bytes) !== expected) throw new ProvenantError(`refusing to store bytes under ${oid}: they do not hash to it`, { code: 'E_BAD_OID' });
  const target = objectPath(cacheDir, oid, legacy);
  if (existsSync(target)) return target;
  const storeIn = objectsDir(cacheDir, legacy);
  try {
    mkdirSync(storeIn, { recursive: true });
    const tmp = tempNameIn(storeIn);
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    } finally {
      closeSync(fd);
    }
    commit(tmp, target);
  } catch (err) {
    throw cacheWriteError(storeIn, err);
  }
  return target;
}

/** `of` names the data the object belongs to, when the caller knows it. */
export function corruptObjectError(path: string, oid: string, actual: string, of?: string): ProvenantError {
  return new ProvenantError(`the cache object ${path}${of ? ` (of ${of})` : ''} is corrupt: its bytes hash to ${actual}, not ${oid.replace(/\.dir$/, '')}`, {
    file: path,
    hint: 'It was not used. Remove it and restore it with `dvc pull` (or `provenant data add` from a good copy).',
    code: 'E_CACHE_CORRUPT',
  });
}

/** Hash of an object's bytes by the rule of its cache (md5, or md5-dos2unix for legacy file objects). */
export function objectHash(path: string, oid: string, legacy: boolean): string {
  if (oid.endsWith('.dir')) return md5Bytes(readFileSync(path));
  return legacy ? md5Dos2UnixFile(path).md5 : md5File(path).md5;
}

/** Throws E_CACHE_CORRUPT when the object's bytes do not match its name. */
export function verifyObject(cacheDir: string, oid: string, legacy = false): string {
  const path = objectPath(cacheDir, oid, legacy);
  const actual = objectHash(path, oid, legacy);
  if (actual !== oid.replace(/\.dir$/, '')) throw corruptObjectError(path, oid, actual);
  return path;
}

/**
 * The entries of a `.dir` object, or undefined when it is not in the cache. Bytes that are no
 * manifest at all throw E_BAD_MANIFEST; a manifest that does not hash to its name, E_CACHE_CORRUPT.
 */
export function readDirObject(cacheDir: string, oid: string, legacy = false): DirEntry[] | undefined {
  const path = objectPath(cacheDir, oid, legacy);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ProvenantError(`cannot read the cache object ${path} (${(err as NodeJS.ErrnoException).code ?? err})`, { file: path, code: 'E_READ_FILE' });
  }
  const entries = parseManifest(bytes, path);
  const actual = md5Bytes(bytes);
  if (`${actual}.dir` !== oid) throw corruptObjectError(path, oid, actual);
  return entries;
}

export type LinkType = 'reflink' | 'hardlink' | 'symlink' | 'copy';
export const LINK_TYPES: readonly LinkType[] = ['reflink', 'hardlink', 'symlink', 'copy'];

/** Errors after which DVC tries the next link type (`dvc_objects/fs/generic.py::_try_links`). */
const NEXT_LINK_TYPE = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOTTY', 'ENOSYS', 'EINVAL', 'EAGAIN', 'EMLINK']);

/**
 * Puts the object at `objPath` at the workspace path `rel` with the first link type that works,
 * through `guard` (folders checked, a temporary name created exclusively, renamed over `rel` only
 * once complete). Empty files are never hard-linked. Copies get mode 0644 (0755 with `isexec`);
 * links stay read-only. Returns the link type used.
 */
export function linkObject(objPath: string, guard: WorkspaceGuard, rel: string, types: readonly LinkType[], options: { isexec?: boolean; empty?: boolean; source?: string } = {}): LinkType {
  let lastError: unknown;
  for (const type of types) {
    if (type === 'hardlink' && options.empty) continue;
    try {
      guard.place(rel, (tmp) => makeFromObject(type, objPath, tmp, options.isexec ? 0o755 : 0o644), options.source);
      return type;
    } catch (err) {
      if (err instanceof ProvenantError) throw err;
      lastError = err;
      if (!NEXT_LINK_TYPE.has((err as NodeJS.ErrnoException).code ?? '')) break;
    }
  }
  throw new ProvenantError(`cannot create "${rel}" from the cache (${(lastError as NodeJS.ErrnoException)?.code ?? lastError}; tried ${types.join(', ')})`, {
    file: rel,
    hint: 'Check cache.type in .dvc/config and the permissions of the folder.',
    code: 'E_CHECKOUT',
    cause: lastError,
  });
}

/** True when `path` is a hard link or symlink into `objPath` (nothing to do at checkout). */
export function isLinkedTo(path: string, objPath: string): boolean {
  try {
    const a = statSync(path);
    const b = statSync(objPath);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

/** Temporary files of this cache older than this, whose process is gone, were left by a kill. */
export const STALE_TEMP_MS = 10 * 60_000;
const OUR_TEMP = /^\.provenant-(\d+)-[^/]*\.tmp$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files a killed Provenant left in the object directory (`.provenant-<pid>-….tmp`,
 * never an object): only those unchanged for STALE_TEMP_MS whose process no longer runs, so a store in
 * progress (its pid alive, its file growing) is never touched. Returns how many were removed.
 */
export function cleanStaleTemps(cacheDir: string, now = Date.now()): number {
  const dir = objectsDir(cacheDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = OUR_TEMP.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (!st.isFile() || now - st.mtimeMs < STALE_TEMP_MS || processAlive(Number(m[1]))) continue;
      unlinkSync(path);
      removed++;
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}
