import { lstatSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readRun, resolveRunId } from '../runs/store';
import { ProvenantError } from '../util/errors';
import { resolveInWorkspace } from '../util/paths';
import type { DirEntry } from './dirManifest';
import type { HashName } from './dvcFile';
import { requireDvcRepo, withRepoLock, type DvcRepo } from './dvcRepo';
import type { HashDataOptions } from './hashData';
import { corruptObjectError, hasObject, linkObject, objectHash, objectPath, readDirObject, type LinkType } from './objectStore';
import { WorkspaceGuard } from './safePath';
import { collectTracked, findOutput } from './tracked';
import { directoryEntries, hashWorkspacePaths, hashKey, probe } from './workspaceHash';

/** A version of one path to put in the workspace. */
export interface Version {
  relPath: string;
  md5: string;
  hashName: HashName;
  isexec?: boolean;
  /** Where it was recorded (a `.dvc` file, `dvc.lock`, or `run <id>`). */
  source: string;
}

export interface CheckoutResult {
  path: string;
  source: string;
  md5: string;
  /** Files written (relative to the output; "" for a file output). */
  restored: string[];
  /** Files removed from a directory output (they are not in the version). */
  removed: string[];
  linkTypes: LinkType[];
}

export interface CheckoutOptions extends HashDataOptions {
  /** Overwrite modifications that are not saved in the cache. */
  force?: boolean;
  /** Restore the versions a past run used instead of the current ones. */
  run?: string;
  onWarning?: (message: string) => void;
}

/** Workspace changes a checkout would lose (not in the cache); nothing was changed. */
export class UnsavedChangesError extends ProvenantError {
  constructor(readonly paths: string[]) {
    super(`checkout would overwrite ${paths.length} unsaved change${paths.length === 1 ? '' : 's'}: ${paths.slice(0, 10).join(', ')}${paths.length > 10 ? ', …' : ''}`, {
      file: paths[0],
      hint: 'Save them first with `provenant data add <path>`, or discard them with --force.',
      code: 'E_UNSAVED_CHANGES',
    });
  }
}

function notInCache(v: Version, what: string): ProvenantError {
  return new ProvenantError(`${v.relPath} (${v.source}) cannot be checked out: ${what} is not in the cache`, {
    file: v.relPath,
    hint: 'Fetch it with `provenant data pull` (needs `dvc` and a remote), or re-add the data where it still exists.',
    code: 'E_NOT_IN_CACHE',
  });
}

interface Plan {
  version: Version;
  abs: string;
  legacy: boolean;
  /** Files to write: relpath below the output ("" for a file output) and object md5. */
  writes: { relpath: string; md5: string }[];
  removes: string[];
  /** The output path holds something of the other kind (file vs directory) that must go first. */
  replaceWhole: boolean;
  conflicts: string[];
}

/** Plans one version's checkout: what to write and remove, and what would be lost. */
async function plan(repo: DvcRepo, guard: WorkspaceGuard, v: Version, options: HashDataOptions): Promise<Plan> {
  const cacheDir = repo.config.cacheDir;
  const legacy = v.hashName === 'md5-dos2unix';
  const abs = resolveInWorkspace(repo.root, v.relPath, v.source);
  guard.check(v.relPath, v.source);
  if (lstatSync(abs, { throwIfNoEntry: false })?.isSymbolicLink() && v.md5.endsWith('.dir')) {
    throw new ProvenantError(`refusing to check out "${v.relPath}" (from ${v.source}): it is a symbolic link, and its files would be written where it points`, {
      file: v.source,
      hint: 'Remove the link (or move it away), then check out again.',
      code: 'E_SYMLINK',
    });
  }
  const p: Plan = { version: v, abs, legacy, writes: [], removes: [], replaceWhole: false, conflicts: [] };
  const kind = probe(repo.root, v.relPath);
  if (kind instanceof ProvenantError) throw kind;
  const saved = (md5: string) => hasObject(cacheDir, md5, legacy);

  if (!v.md5.endsWith('.dir')) {
    if (!hasObject(cacheDir, v.md5, legacy)) throw notInCache(v, `object ${v.md5}`);
    if (kind === 'file') {
      const now = (await hashWorkspacePaths(repo.root, [{ relPath: v.relPath, hashName: v.hashName }], options)).get(hashKey(v.relPath, v.hashName));
      if (now?.kind === 'file' && now.md5 === v.md5) return p;
      if (now?.kind === 'error') throw now.error;
      if (now?.kind === 'file' && !saved(now.md5)) p.conflicts.push(v.relPath);
    } else if (kind === 'dir') {
      p.replaceWhole = true;
      const d = await directoryEntries(repo.root, v.relPath, v.hashName, options);
      for (const e of d.entries) if (!saved(e.md5)) p.conflicts.push(`${v.relPath}/${e.relpath}`);
    }
    p.writes.push({ relpath: '', md5: v.md5 });
    return p;
  }

  const target = readDirObject(cacheDir, v.md5, legacy);
  if (target === undefined) throw notInCache(v, `the directory manifest ${v.md5}`);
  // Every name the manifest holds is checked (text, then folders on disk) before anything is written.
  const manifest = `the manifest ${v.md5} of ${v.relPath} (${v.source})`;
  for (const e of target) guard.check(`${v.relPath}/${e.relpath}`, manifest);
  const absent = target.filter((e) => !hasObject(cacheDir, e.md5, legacy));
  if (absent.length) throw notInCache(v, `${absent.length} of its ${target.length} files (e.g. ${absent[0]!.relpath})`);
  let current: DirEntry[] = [];
  if (kind === 'file') {
    p.replaceWhole = true;
    const now = (await hashWorkspacePaths(repo.root, [{ relPath: v.relPath, hashName: v.hashName }], options)).get(hashKey(v.relPath, v.hashName));
    if (now?.kind === 'file' && !saved(now.md5)) p.conflicts.push(v.relPath);
  } else if (kind === 'dir') {
    current = (await directoryEntries(repo.root, v.relPath, v.hashName, options)).entries;
  }
  const now = new Map(current.map((e) => [e.relpath, e.md5]));
  const wanted = new Set(target.map((e) => e.relpath));
  for (const e of target) {
    const have = now.get(e.relpath);
    if (have === e.md5) continue;
    if (have !== undefined && !saved(have)) p.conflicts.push(`${v.relPath}/${e.relpath}`);
    p.writes.push({ relpath: e.relpath, md5: e.md5 });
  }
  for (const e of current) {
    if (wanted.has(e.relpath)) continue;
    if (!saved(e.md5)) p.conflicts.push(`${v.relPath}/${e.relpath}`);
    guard.check(`${v.relPath}/${e.relpath}`, v.source, { fromDisk: true });
    p.removes.push(e.relpath);
  }
  return p;
}

/** Removes now-empty folders from `dir` up to (excluding) `stop`. */
function pruneEmptyDirs(dir: string, stop: string): void {
  for (let d = dir; d.startsWith(stop) && d !== stop; d = dirname(d)) {
    try {
      if (readdirSync(d).length > 0) return;
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

/** Checks every object a plan will serve before anything is written: a corrupt one is never used. */
function verifyPlan(repo: DvcRepo, p: Plan): void {
  const seen = new Set<string>();
  for (const w of p.writes) {
    if (seen.has(w.md5)) continue;
    seen.add(w.md5);
    const path = objectPath(repo.config.cacheDir, w.md5, p.legacy);
    const actual = objectHash(path, w.md5, p.legacy);
    if (actual !== w.md5) throw corruptObjectError(path, w.md5, actual);
  }
}

/** Every write and removal goes through `guard`, which checks the folders again right before it. */
function apply(repo: DvcRepo, guard: WorkspaceGuard, p: Plan): CheckoutResult {
  const types = repo.config.linkTypes;
  const { relPath, source } = p.version;
  if (p.replaceWhole) guard.remove(relPath, source, { recursive: true });
  for (const w of p.writes) {
    const rel = w.relpath === '' ? relPath : `${relPath}/${w.relpath}`;
    const obj = objectPath(repo.config.cacheDir, w.md5, p.legacy);
    // A directory standing where a file goes (or the reverse, below) was planned as a conflict.
    if (lstatSync(guard.check(rel, source), { throwIfNoEntry: false })?.isDirectory()) guard.remove(rel, source, { recursive: true });
    linkObject(obj, guard, rel, types, { isexec: w.relpath === '' && p.version.isexec === true, empty: statSync(obj).size === 0, source });
  }
  for (const r of p.removes) {
    const abs = guard.check(`${relPath}/${r}`, source, { fromDisk: true });
    rmSync(abs, { force: true });
    pruneEmptyDirs(dirname(abs), guard.check(relPath, source));
  }
  return { path: p.version.relPath, source: p.version.source, md5: p.version.md5, restored: p.writes.map((w) => w.relpath), removed: p.removes, linkTypes: types };
}

/** The versions to restore: the tracked outputs (filtered by `targets`), or the data of run `run`. */
export function versionsToRestore(root: string, targets: readonly string[], run?: string): Version[] {
  const workspace = resolve(root);
  if (run !== undefined) {
    const record = readRun(workspace, resolveRunId(workspace, run));
    const wanted = targets.map((t) => resolveInWorkspace(workspace, t));
    const versions = record.data
      .filter((d) => wanted.length === 0 || wanted.some((w) => resolve(workspace, d.path) === w))
      .map((d) => ({ relPath: d.path, md5: d.md5, hashName: 'md5' as const, source: `run ${record.id}` }));
    if (versions.length === 0) {
      throw new ProvenantError(`run ${record.id} recorded no data${targets.length ? ` at ${targets.join(', ')}` : ''}`, { code: 'E_NO_DATA', hint: 'See `provenant runs show <run>` for the data it used.' });
    }
    return versions;
  }
  const tracked = collectTracked(workspace);
  const outputs = targets.length ? [...new Set(targets.flatMap((t) => findOutput(tracked, workspace, t)))] : tracked.outputs;
  if (targets.length && outputs.length === 0) {
    const bad = tracked.errors[0];
    if (bad) throw bad.error;
    throw new ProvenantError(`nothing tracked at ${targets.join(', ')}`, { hint: 'Track it first with `provenant data add <path>`.', code: 'E_NOT_TRACKED' });
  }
  if (!targets.length && tracked.errors[0]) throw tracked.errors[0].error;
  return outputs
    .filter((o) => o.cache && o.entry.md5 !== undefined)
    .map((o) => ({ relPath: o.entry.relPath, md5: o.entry.md5!, hashName: o.entry.hashName, isexec: o.entry.isexec, source: o.file }));
}

/**
 * `dvc checkout`: puts the recorded version of each output (or a past run's version) in the
 * workspace from the cache, with the link types of `cache.type`. Every object is checked against its
 * name first; modifications the cache does not hold are never overwritten without `force`.
 */
export async function dataCheckout(root: string, targets: readonly string[] = [], options: CheckoutOptions = {}): Promise<CheckoutResult[]> {
  const repo = requireDvcRepo(root);
  const versions = versionsToRestore(repo.root, targets, options.run);
  return withRepoLock(
    repo,
    async () => {
      const guard = new WorkspaceGuard(repo.root, 'check out');
      const plans: Plan[] = [];
      for (const v of versions) plans.push(await plan(repo, guard, v, options));
      const conflicts = plans.flatMap((p) => p.conflicts);
      if (conflicts.length && !options.force) throw new UnsavedChangesError(conflicts);
      for (const p of plans) verifyPlan(repo, p);
      return plans.map((p) => apply(repo, guard, p));
    },
    { writes: versions.map((v) => v.relPath), ...(options.onWarning ? { onWarning: options.onWarning } : {}) },
  );
}

/**
 * Refuses (before `dvc pull` checks data out) any tracked output whose path is unsafe to write: in
 * `.git`/`.dvc`, through a symbolic link, outside the workspace. Manifests already in the cache are
 * checked too; those `dvc pull` fetches are DVC's to check.
 */
export function checkOutputPaths(root: string, targets: readonly string[] = []): void {
  const workspace = resolve(root);
  const guard = new WorkspaceGuard(workspace, 'pull');
  const cacheDir = requireDvcRepo(workspace).config.cacheDir;
  for (const v of versionsToRestore(workspace, targets)) {
    guard.check(v.relPath, v.source);
    if (!v.md5.endsWith('.dir')) continue;
    const entries = readDirObject(cacheDir, v.md5, v.hashName === 'md5-dos2unix') ?? [];
    for (const e of entries) guard.check(`${v.relPath}/${e.relpath}`, `the manifest ${v.md5} of ${v.relPath} (${v.source})`);
  }
}
