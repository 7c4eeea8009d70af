import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import { describeError } from '../util/errors';
import type { DirEntry } from './dirManifest';
import { openDvcRepo } from './dvcRepo';
import type { HashDataOptions } from './hashData';
import { cleanStaleTemps, hasObject, objectsDir, readDirObject } from './objectStore';
import { lookupDotted, readParamsFile, type LockStage, type Pipeline, type StageDef } from './pipeline';
import { collectTracked, findOutput, type TrackedOutput, type TrackedWorkspace } from './tracked';
import { directoryEntries, hashKey, hashWorkspacePaths, type PathHash } from './workspaceHash';

export type OutputState = 'unchanged' | 'modified' | 'missing' | 'not-in-cache' | 'error';

export interface FileChanges {
  added: string[];
  removed: string[];
  modified: string[];
}

/** One tracked output (`data status --json`). */
export interface OutputStatus {
  /** The `.dvc` file or `dvc.lock` recording it. */
  file: string;
  /** The output, workspace-relative. */
  path: string;
  status: OutputState;
  /** Files inside a directory output that differ from the recorded version. */
  changes?: FileChanges;
  error?: string;
  stage?: string;
  /** The recorded version. */
  md5?: string;
  size?: number;
  nfiles?: number;
  /** Objects missing from the cache (with status not-in-cache). */
  missingObjects?: number;
}

export interface StageStatus {
  stage: string;
  file: string;
  status: 'unchanged' | 'changed' | 'error';
  changed?: { cmd: boolean; deps: string[]; params: string[]; outs: string[] };
  error?: string;
}

export type StatusEntry = OutputStatus | StageStatus;

export function isStageStatus(e: StatusEntry): e is StageStatus {
  return 'stage' in e && !('path' in e);
}

/** Which files differ between two directory versions (entries sorted or not). */
export function diffEntries(before: readonly DirEntry[], after: readonly DirEntry[]): FileChanges {
  const old = new Map(before.map((e) => [e.relpath, e.md5]));
  const changes: FileChanges = { added: [], removed: [], modified: [] };
  const seen = new Set<string>();
  for (const e of after) {
    seen.add(e.relpath);
    const prev = old.get(e.relpath);
    if (prev === undefined) changes.added.push(e.relpath);
    else if (prev !== e.md5) changes.modified.push(e.relpath);
  }
  for (const e of before) if (!seen.has(e.relpath)) changes.removed.push(e.relpath);
  return changes;
}

const CACHE_CHECKS_PATH = '.provenant/state/cache-checks.json';

/**
 * A digest of the cache's object folders (`xx/`) and their modification times: removing or adding an
 * object changes its folder's mtime, so a directory found complete under the same digest still is.
 */
function cacheStamp(cacheDir: string): string {
  const dir = objectsDir(cacheDir);
  const hash = createHash('md5');
  let names: string[] = [];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return 'none';
  }
  for (const name of names) {
    try {
      const st = statSync(join(dir, name));
      hash.update(`${name}\0${st.mtimeMs}\0${st.ino}\n`);
    } catch {
      // vanished meanwhile
    }
  }
  return hash.digest('hex');
}

class CacheChecks {
  private readonly checked: Record<string, string>;
  private dirty = false;
  private stamp: string | undefined;

  constructor(private readonly root: string, private readonly cacheDir: string) {
    try {
      this.checked = JSON.parse(readFileSync(join(root, CACHE_CHECKS_PATH), 'utf8')) as Record<string, string>;
      if (typeof this.checked !== 'object' || this.checked === null) this.checked = {};
    } catch {
      this.checked = {};
    }
  }

  private key(oid: string): string {
    return `${this.cacheDir}\0${oid}`;
  }

  private current(): string {
    return (this.stamp ??= cacheStamp(this.cacheDir));
  }

  known(oid: string): boolean {
    return this.checked[this.key(oid)] === this.current();
  }

  remember(oid: string): void {
    this.checked[this.key(oid)] = this.current();
    this.dirty = true;
  }

  save(): void {
    if (!this.dirty) return;
    try {
      writeFileAtomic(join(this.root, CACHE_CHECKS_PATH), JSON.stringify(this.checked));
    } catch {
      // only a cache
    }
  }
}

/** Records that every object of directory version `oid` is in the cache (after storing them all). */
export function rememberCompleteInCache(root: string, cacheDir: string, oid: string): void {
  const checks = new CacheChecks(resolve(root), cacheDir);
  checks.remember(oid);
  checks.save();
}

export interface StatusOptions extends HashDataOptions {
  /** Limit to these outputs (paths or `.dvc` files); stages are then left out. */
  targets?: string[];
}

interface Context {
  root: string;
  cacheDir: string | undefined;
  checks: CacheChecks | undefined;
  hashes: Map<string, PathHash>;
  options: HashDataOptions;
}

/** How many recorded objects of a version are missing from the cache (0: complete). */
function missingObjects(ctx: Context, md5: string, legacy: boolean): number {
  if (ctx.cacheDir === undefined) return 1;
  if (!md5.endsWith('.dir')) return hasObject(ctx.cacheDir, md5, legacy) ? 0 : 1;
  if (!legacy && ctx.checks?.known(md5)) return 0;
  const entries = readDirObject(ctx.cacheDir, md5, legacy);
  if (entries === undefined) return 1;
  let missing = 0;
  for (const e of entries) if (!hasObject(ctx.cacheDir, e.md5, legacy)) missing++;
  if (missing === 0 && !legacy) ctx.checks?.remember(md5);
  return missing;
}

async function outputStatus(ctx: Context, out: TrackedOutput): Promise<OutputStatus> {
  const { entry } = out;
  const base: OutputStatus = {
    file: out.file,
    path: entry.relPath,
    status: 'unchanged',
    ...(out.stage ? { stage: out.stage } : {}),
    ...(entry.md5 ? { md5: entry.md5 } : {}),
    ...(entry.size !== undefined ? { size: entry.size } : {}),
    ...(entry.nfiles !== undefined ? { nfiles: entry.nfiles } : {}),
  };
  try {
    const legacy = entry.hashName === 'md5-dos2unix';
    const now = ctx.hashes.get(hashKey(entry.relPath, entry.hashName));
    if (now === undefined || now.kind === 'missing') return { ...base, status: 'missing' };
    if (now.kind === 'error') return { ...base, status: 'error', error: now.error.describe() };
    if (entry.md5 === undefined) return { ...base, status: 'modified' };
    if (now.md5 !== entry.md5) {
      const status: OutputStatus = { ...base, status: 'modified' };
      if (now.kind === 'dir' && entry.isDir && ctx.cacheDir !== undefined) {
        const before = readDirObject(ctx.cacheDir, entry.md5, legacy);
        if (before !== undefined) {
          const current = now.entries ?? (await directoryEntries(ctx.root, entry.relPath, entry.hashName, ctx.options)).entries;
          status.changes = diffEntries(before, current);
        }
      }
      return status;
    }
    if (!out.cache) return base;
    const missing = missingObjects(ctx, entry.md5, legacy);
    return missing > 0 ? { ...base, status: 'not-in-cache', missingObjects: missing } : base;
  } catch (err) {
    return { ...base, status: 'error', error: describeError(err) };
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function stageStatus(ctx: Context, pipeline: Pipeline, def: StageDef, lock: LockStage | undefined, outs: Map<string, OutputStatus>): StageStatus {
  const file = pipeline.file;
  try {
    const outPaths = def.outs.map((o) => o.path.replace(/\\/g, '/'));
    if (!lock) return { stage: def.name, file, status: 'changed', changed: { cmd: true, deps: [...def.deps], params: def.params.flatMap((p) => p.keys ?? [p.file]), outs: outPaths } };
    const changed = { cmd: !sameValue(def.cmd, lock.cmd), deps: [] as string[], params: [] as string[], outs: [] as string[] };
    for (const dep of def.deps) {
      const path = dep.replace(/\\/g, '/');
      const locked = lock.deps.find((d) => d.path.replace(/\\/g, '/') === path);
      const now = locked ? ctx.hashes.get(hashKey(locked.relPath, locked.hashName)) : undefined;
      if (!locked || !now || now.kind === 'missing' || now.kind === 'error' || now.md5 !== locked.md5) changed.deps.push(dep);
    }
    for (const ref of def.params) {
      const recorded = lock.params[ref.file] ?? {};
      let current: Record<string, unknown> | undefined;
      try {
        current = readParamsFile(resolve(def.wdir, ref.file), ref.file);
      } catch {
        current = undefined;
      }
      const keys = ref.keys ?? [...new Set([...Object.keys(recorded), ...Object.keys(current ?? {})])];
      for (const key of keys) {
        if (current === undefined || !(key in recorded) || !sameValue(recorded[key], lookupDotted(current, key))) changed.params.push(ref.keys ? key : `${ref.file}:${key}`);
      }
    }
    for (const out of outPaths) {
      const locked = lock.outs.find((o) => o.path.replace(/\\/g, '/') === out);
      const st = locked ? outs.get(`${pipeline.lockFile}\0${def.name}\0${locked.relPath}`) : undefined;
      if (!locked || !st || st.status === 'modified' || st.status === 'missing' || st.status === 'error') changed.outs.push(out);
    }
    const any = changed.cmd || changed.deps.length > 0 || changed.params.length > 0 || changed.outs.length > 0 || def.alwaysChanged;
    return { stage: def.name, file, status: any ? 'changed' : 'unchanged', ...(any ? { changed } : {}) };
  } catch (err) {
    return { stage: def.name, file, status: 'error', error: describeError(err) };
  }
}

/**
 * Status of every tracked output (`.dvc` files and `dvc.lock` outputs): unchanged, modified (with the
 * files that changed inside a directory), missing from the workspace, missing from the cache, or an
 * error naming the file; then one entry per `dvc.yaml` stage. Unreadable DVC files are `error` entries.
 */
export async function dataStatus(root: string, options: StatusOptions = {}, tracked: TrackedWorkspace = collectTracked(root)): Promise<StatusEntry[]> {
  const workspace = resolve(root);
  let repoError: string | undefined;
  const repo = (() => {
    try {
      return openDvcRepo(workspace);
    } catch (err) {
      repoError = describeError(err); // e.g. an invalid .dvc/config: said on every entry that needs the cache
      return undefined;
    }
  })();
  const cacheDir = repo?.config.cacheDir;
  if (cacheDir !== undefined) cleanStaleTemps(cacheDir);
  let outputs = tracked.outputs;
  if (options.targets?.length) {
    outputs = [...new Set(options.targets.flatMap((t) => findOutput(tracked, workspace, t)))];
  }
  const stagesToo = !options.targets?.length;
  const wanted = outputs.map((o) => ({ relPath: o.entry.relPath, hashName: o.entry.hashName }));
  if (stagesToo) for (const p of tracked.pipelines) for (const s of p.lock.values()) for (const d of s.deps) wanted.push({ relPath: d.relPath, hashName: d.hashName });
  const ctx: Context = {
    root: workspace,
    cacheDir,
    checks: cacheDir ? new CacheChecks(workspace, cacheDir) : undefined,
    hashes: await hashWorkspacePaths(workspace, wanted, options),
    options,
  };
  const entries: StatusEntry[] = [];
  const byKey = new Map<string, OutputStatus>();
  for (const out of outputs) {
    const st = await outputStatus(ctx, out);
    byKey.set(`${out.file}\0${out.stage ?? ''}\0${out.entry.relPath}`, st);
    entries.push(st);
  }
  for (const { file, error } of tracked.errors) entries.push({ file, path: '', status: 'error', error: error.describe() });
  if (stagesToo) {
    for (const pipeline of tracked.pipelines) for (const def of pipeline.stages) entries.push(stageStatus(ctx, pipeline, def, pipeline.lock.get(def.name), byKey));
  }
  ctx.checks?.save();
  if (!repo && tracked.outputs.length > 0) {
    for (const e of entries) if (!isStageStatus(e) && e.status === 'not-in-cache') e.error = repoError ?? 'this workspace has no .dvc folder';
  }
  return entries;
}
