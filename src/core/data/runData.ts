import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listRuns } from '../runs/store';
import type { DataVersion, RunRecord } from '../runs/types';
import { writeFileAtomic } from '../util/atomic';
import { describeError, ProvenantError } from '../util/errors';
import { resolveInWorkspace } from '../util/paths';
import { storePath } from './add';
import { openDvcRepo, type DvcRepo } from './dvcRepo';
import { hashDirectory, type HashDataOptions } from './hashData';
import { md5Bytes } from './md5';
import { isOid, objectPath } from './objectStore';
import { collectTracked } from './tracked';
import { keptManifestName, lookupVersion } from './versions';

/**
 * Keeps the exact data a run used in the DVC cache, when the workspace uses DVC (has `.dvc/`), so the
 * run's data can be checked out later. Never throws (but for cancellation): problems come back as
 * warnings, e.g. a file that changed since the run hashed it.
 */
export async function cacheRunData(root: string, data: readonly DataVersion[], options: HashDataOptions = {}): Promise<string[]> {
  let repo;
  try {
    repo = openDvcRepo(root);
  } catch (err) {
    return [`the run's data was not stored in the DVC cache: ${describeError(err)}`];
  }
  if (!repo) return [];
  const warnings: string[] = [];
  for (const d of data) {
    try {
      await storePath(repo, d.path, options, d.md5);
    } catch (err) {
      if (err instanceof ProvenantError && err.code === 'E_CANCELLED') throw err;
      warnings.push(`${d.path} was not stored in the DVC cache: ${describeError(err)}`);
    }
  }
  return warnings;
}

/** Manifests bigger than this are not kept with a run (about 40,000 files); Compare then needs the cache. */
export const MAX_KEPT_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * Keeps the `.dir` manifest of every folder a run used in its run folder (`data-<oid>`), so
 * Compare and `data diff` can name the files added, removed and modified without a DVC cache. The
 * bytes come from the cache, else from hashing the folder again (the state index makes that cheap);
 * they must hash to the oid the run recorded. Never throws (but for cancellation): returns warnings.
 */
export async function keepRunManifests(root: string, runFolder: string, data: readonly DataVersion[], options: HashDataOptions & { maxBytes?: number } = {}): Promise<string[]> {
  const workspace = resolve(root);
  const cap = options.maxBytes ?? MAX_KEPT_MANIFEST_BYTES;
  const warnings: string[] = [];
  let repo: DvcRepo | undefined;
  try {
    repo = openDvcRepo(workspace);
  } catch {
    repo = undefined;
  }
  for (const d of data) {
    if (!d.md5.endsWith('.dir') || !isOid(d.md5)) continue;
    try {
      let bytes: Buffer | undefined;
      const cached = repo ? objectPath(repo.config.cacheDir, d.md5) : undefined;
      if (cached && existsSync(cached)) bytes = readFileSync(cached);
      if (bytes === undefined || `${md5Bytes(bytes)}.dir` !== d.md5) {
        const h = await hashDirectory(resolveInWorkspace(workspace, d.path), { root: workspace, ...(options.signal ? { signal: options.signal } : {}) });
        if (h.oid !== d.md5) throw new ProvenantError(`it changed since the run hashed it (now ${h.oid})`, { code: 'E_DATA_CHANGED' });
        bytes = h.manifest;
      }
      if (bytes.length > cap) {
        warnings.push(`the file list of ${d.path} (${bytes.length} bytes) is over the ${cap}-byte cap and was not kept with the run: comparing its files needs the DVC cache`);
        continue;
      }
      writeFileAtomic(join(runFolder, keptManifestName(d.md5)), bytes);
    } catch (err) {
      if (err instanceof ProvenantError && err.code === 'E_CANCELLED') throw err;
      warnings.push(`the file list of ${d.path} was not kept with the run: ${describeError(err)}`);
    }
  }
  return warnings;
}

export interface VersionUse {
  md5: string;
  size: number;
  nfiles?: number;
  /** Whether every object of this version (and its `.dir` manifest) is in the DVC cache. */
  inCache: boolean;
  /** Whether this is the version recorded in the workspace's `.dvc`/`dvc.lock` now. */
  current: boolean;
  runs: { id: string; name: string; startedAt: string; status: string }[];
}

export interface DatasetHistory {
  path: string;
  versions: VersionUse[];
}

function completeInCache(repo: DvcRepo | undefined, md5: string): boolean {
  if (!repo) return false;
  try {
    return lookupVersion(repo, { md5 }).present;
  } catch {
    return false;
  }
}

/**
 * Which runs used which version of each dataset, newest run first, and whether each version can still
 * be restored from the cache. `paths` limits it to some datasets.
 */
export function dataHistory(root: string, paths: readonly string[] = [], runs: readonly RunRecord[] = listRuns(root).runs): DatasetHistory[] {
  const workspace = resolve(root);
  let repo: DvcRepo | undefined;
  try {
    repo = openDvcRepo(workspace);
  } catch {
    repo = undefined;
  }
  const tracked = collectTracked(workspace);
  const current = new Map(tracked.outputs.filter((o) => o.entry.md5).map((o) => [o.entry.relPath, o.entry]));
  const wanted = paths.map((p) => resolve(workspace, p));
  const keep = (path: string) => wanted.length === 0 || wanted.includes(resolve(workspace, path));
  const byPath = new Map<string, Map<string, VersionUse>>();
  const version = (path: string, md5: string, size: number, nfiles: number | undefined): VersionUse => {
    const versions = byPath.get(path) ?? new Map<string, VersionUse>();
    byPath.set(path, versions);
    let v = versions.get(md5);
    if (!v) {
      v = { md5, size, ...(nfiles !== undefined ? { nfiles } : {}), inCache: completeInCache(repo, md5), current: current.get(path)?.md5 === md5, runs: [] };
      versions.set(md5, v);
    }
    return v;
  };
  for (const [path, entry] of current) if (keep(path)) version(path, entry.md5!, entry.size ?? 0, entry.nfiles);
  for (const run of runs) {
    for (const d of run.data ?? []) {
      if (!keep(d.path)) continue;
      version(d.path, d.md5, d.size, d.nfiles).runs.push({ id: run.id, name: run.name, startedAt: run.startedAt, status: run.status });
    }
  }
  return [...byPath]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, versions]) => ({ path, versions: [...versions.values()].sort((a, b) => Number(b.current) - Number(a.current) || (b.runs[0]?.startedAt ?? '').localeCompare(a.runs[0]?.startedAt ?? '')) }));
}
