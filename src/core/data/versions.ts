/**
 * The data versions that runs record (a file's md5 or a directory's `<md5>.dir`, DVC 3 hashes) in a
 * workspace's DVC cache: whether a version is there in full, its verified bytes or file list, and
 * its restoration into a folder of its own (a reproduction's checkout).
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { RUNS_DIR } from '../runs/store';
import type { DataVersion } from '../runs/types';
import { ProvenantError } from '../util/errors';
import { parseManifest, type DirEntry } from './dirManifest';
import { openDvcRepo, type DvcRepo } from './dvcRepo';
import { md5Bytes, md5File } from './md5';
import { corruptObjectError, hasObject, isOid, objectPath, readDirObject } from './objectStore';
import { copyNoFollow, WorkspaceGuard } from './safePath';

export interface VersionLookup {
  /** Every object of the version (and its `.dir` manifest) is in the cache. */
  present: boolean;
  /** The objects the cache lacks (oids): the manifest itself, or the files it names. */
  missing: string[];
}

/** Whether the cache holds a version in full. A damaged `.dir` manifest throws, naming it. */
export function lookupVersion(repo: DvcRepo, version: Pick<DataVersion, 'md5'>): VersionLookup {
  const cacheDir = repo.config.cacheDir;
  if (!version.md5.endsWith('.dir')) {
    const present = hasObject(cacheDir, version.md5);
    return { present, missing: present ? [] : [version.md5] };
  }
  const entries = isOid(version.md5) ? readDirObject(cacheDir, version.md5) : undefined;
  if (!entries) return { present: false, missing: [version.md5] };
  const missing = entries.filter((e) => !hasObject(cacheDir, e.md5)).map((e) => e.md5);
  return { present: missing.length === 0, missing };
}

/** The bytes of a file version from the cache, checked against its md5; undefined when absent. */
export function readVersionFile(repo: DvcRepo, md5: string): Buffer | undefined {
  if (md5.endsWith('.dir') || !hasObject(repo.config.cacheDir, md5)) return undefined;
  const path = objectPath(repo.config.cacheDir, md5);
  const bytes = readFileSync(path);
  const actual = md5Bytes(bytes);
  if (actual !== md5) throw corruptObjectError(path, md5, actual);
  return bytes;
}

/** The files of a `.dir` version: from the DVC 3 layout, else the DVC 2 one; undefined when neither holds it. */
export function readVersionManifest(repo: DvcRepo, oid: string): DirEntry[] | undefined {
  if (!oid.endsWith('.dir') || !isOid(oid)) return undefined;
  return readDirObject(repo.config.cacheDir, oid) ?? readDirObject(repo.config.cacheDir, oid, true);
}

/**
 * Name of a `.dir` manifest kept in a run folder: a top-level file, so that it travels in the run's
 * git record with run.json (sub-folders do not).
 */
export function keptManifestName(oid: string): string {
  return `data-${oid}`;
}

/**
 * A `.dir` manifest kept with a run (`.provenant/runs/<id>/data-<oid>`), checked against its
 * name; null when no run keeps it. Lets Compare and `data diff` name files without a DVC cache.
 */
export function readKeptManifest(root: string, oid: string): DirEntry[] | null {
  if (!oid.endsWith('.dir') || !isOid(oid)) return null;
  const runs = join(resolve(root), RUNS_DIR);
  let ids: string[];
  try {
    ids = readdirSync(runs);
  } catch {
    return null;
  }
  for (const id of ids) {
    const path = join(runs, id, keptManifestName(oid));
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      continue;
    }
    if (`${md5Bytes(bytes)}.dir` !== oid) continue; // damaged copy: another run may hold a good one
    return parseManifest(bytes, path);
  }
  return null;
}

/** `readVersionManifest` in the cache of the workspace `root` (its `cache.dir`), else a copy kept with a run; null when neither has it. */
export function readWorkspaceManifest(root: string, oid: string): DirEntry[] | null {
  const repo = openDvcRepo(root);
  return (repo && readVersionManifest(repo, oid)) ?? readKeptManifest(root, oid);
}

/** Fills `tmp` (created exclusively, never through a link) from an object, checked against its md5. */
function copyVerified(objPath: string, tmp: string, md5: string, of: string): void {
  copyNoFollow(objPath, tmp, 0o644);
  const actual = md5File(tmp).md5;
  if (actual !== md5) throw corruptObjectError(objPath, md5, actual, of);
}

/**
 * Writes a version from the cache to `target`: the file itself, or the folder of a `.dir` version.
 * Every object must be in the cache before anything is written; each copy is checked against its
 * md5 before it is put in place, so damaged bytes never are. Nothing is written outside `target`,
 * also through a symlinked folder below it. Returns the number of files written.
 */
export function restoreVersion(repo: DvcRepo, version: Pick<DataVersion, 'path' | 'md5'>, target: string): number {
  const cacheDir = repo.config.cacheDir;
  const { present, missing } = lookupVersion(repo, version);
  if (!present) {
    throw new ProvenantError(`${version.path} (${version.md5}) cannot be restored: the DVC cache ${cacheDir} lacks ${missing.length === 1 ? `object ${missing[0]}` : `${missing.length} of its objects (e.g. ${missing[0]})`}`, {
      file: version.path,
      hint: 'Fetch it (`dvc pull`) or run again with the data present.',
      code: 'E_NOT_IN_CACHE',
    });
  }
  const top = resolve(target);
  if (!version.md5.endsWith('.dir')) {
    mkdirSync(dirname(top), { recursive: true });
    new WorkspaceGuard(dirname(top)).place(basename(top), (tmp) => copyVerified(objectPath(cacheDir, version.md5), tmp, version.md5, version.path));
    return 1;
  }
  const entries = readDirObject(cacheDir, version.md5)!;
  mkdirSync(top, { recursive: true });
  const guard = new WorkspaceGuard(top);
  for (const e of entries) {
    try {
      guard.place(e.relpath, (tmp) => copyVerified(objectPath(cacheDir, e.md5), tmp, e.md5, `${version.path}/${e.relpath}`));
    } catch (err) {
      if (err instanceof ProvenantError && err.code !== 'E_CACHE_CORRUPT') {
        throw new ProvenantError(`refusing to write ${e.relpath} of ${version.path} outside ${target}: ${err.message}`, { file: version.path, code: 'E_PATH_ESCAPE', cause: err });
      }
      throw err;
    }
  }
  return entries.length;
}
