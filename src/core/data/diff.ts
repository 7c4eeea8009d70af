import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fs, git } from '../git/repo';
import { readRun, resolveRunId } from '../runs/store';
import { describeError, ProvenantError } from '../util/errors';
import { parseDvcFile, DVC_FILE_SUFFIX, type HashName } from './dvcFile';
import { openDvcRepo } from './dvcRepo';
import { readDirObject } from './objectStore';
import { readKeptManifest } from './versions';
import { DVC_LOCK, parseLockText } from './pipeline';
import { diffEntries, type FileChanges } from './status';
import { collectTracked } from './tracked';
import { directoryEntries, hashKey, hashWorkspacePaths } from './workspaceHash';
import type { DirEntry } from './dirManifest';

/** One side of a diff: the dataset versions of a run, a git revision or the workspace. */
export interface Side {
  label: string;
  versions: Map<string, { md5: string; hashName: HashName }>;
  /** Directory entries known without the cache (the workspace side). */
  entries?: Map<string, DirEntry[]>;
  /** DVC files that could not be read: their datasets are missing from `versions`. */
  errors: { file: string; error: string }[];
}

export interface DatasetDiff {
  path: string;
  status: 'added' | 'removed' | 'modified' | 'unchanged';
  old?: string;
  new?: string;
  /** Files inside a directory dataset (from the two `.dir` manifests). */
  changes?: FileChanges;
  error?: string;
}

export const WORKSPACE = 'workspace';

async function commitOf(root: string, rev: string): Promise<string> {
  let ref = rev;
  if (/^[0-9a-f]{4,39}$/i.test(rev)) ref = await git.expandOid({ fs, dir: root, oid: rev.toLowerCase() }).catch(() => rev);
  try {
    const [entry] = await git.log({ fs, dir: root, ref, depth: 1 });
    if (entry) return entry.oid;
  } catch {
    // not a name isomorphic-git knows (e.g. HEAD~1): ask git itself when it is installed
  }
  const native = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: root, encoding: 'utf8' });
  if (native.status === 0 && native.stdout.trim()) return native.stdout.trim();
  throw new ProvenantError(`"${rev}" is neither a run nor a git revision of this repository`, {
    hint: 'Give a run id (see `provenant runs list`), a branch, a tag, a commit, or "workspace".',
    code: 'E_BAD_REV',
  });
}

/** Dataset versions recorded in the `.dvc` files and `dvc.lock` files of a commit. */
async function sideFromCommit(root: string, rev: string): Promise<Side> {
  const oid = await commitOf(root, rev);
  const files = await git.listFiles({ fs, dir: root, ref: oid });
  const versions: Side['versions'] = new Map();
  const errors: Side['errors'] = [];
  for (const filepath of files) {
    const isDvc = filepath.endsWith(DVC_FILE_SUFFIX);
    const isLock = filepath === DVC_LOCK || filepath.endsWith(`/${DVC_LOCK}`);
    if (!isDvc && !isLock) continue;
    const { blob } = await git.readBlob({ fs, dir: root, oid, filepath });
    const text = Buffer.from(blob).toString('utf8');
    const label = `${filepath} at ${rev}`;
    const abs = join(root, ...filepath.split('/'));
    try {
      const entries = isDvc ? parseDvcFile(root, abs, text).outs : [...parseLockText(root, text, label, dirname(abs)).values()].flatMap((s) => s.outs);
      for (const e of entries) if (e.md5) versions.set(e.relPath, { md5: e.md5, hashName: e.hashName });
    } catch (err) {
      errors.push({ file: label, error: describeError(err) });
    }
  }
  return { label: `${rev} (${oid.slice(0, 8)})`, versions, errors };
}

async function sideFromWorkspace(root: string): Promise<Side> {
  const tracked = collectTracked(root);
  const wanted = tracked.outputs.map((o) => ({ relPath: o.entry.relPath, hashName: o.entry.hashName }));
  const hashes = await hashWorkspacePaths(root, wanted);
  const versions: Side['versions'] = new Map();
  const entries = new Map<string, DirEntry[]>();
  for (const w of wanted) {
    const h = hashes.get(hashKey(w.relPath, w.hashName));
    if (h && (h.kind === 'file' || h.kind === 'dir')) versions.set(w.relPath, { md5: h.md5, hashName: w.hashName });
    if (h?.kind === 'dir') entries.set(w.relPath, h.entries ?? (await directoryEntries(root, w.relPath, w.hashName)).entries);
  }
  const errors = tracked.errors.map((e) => ({ file: e.file, error: e.error.describe() }));
  return { label: WORKSPACE, versions, entries, errors };
}

/** A run id (or unique part, or name), a git revision, or "workspace". */
export async function resolveSide(root: string, spec: string): Promise<Side> {
  const workspace = resolve(root);
  if (spec === WORKSPACE) return sideFromWorkspace(workspace);
  let runId: string | undefined;
  try {
    runId = resolveRunId(workspace, spec);
  } catch {
    runId = undefined;
  }
  if (runId !== undefined) {
    const record = readRun(workspace, runId);
    return { label: `run ${record.id}`, versions: new Map(record.data.map((d) => [d.path, { md5: d.md5, hashName: 'md5' as const }])), errors: [] };
  }
  return sideFromCommit(workspace, spec);
}

export interface DataDiffResult {
  a: string;
  b: string;
  datasets: DatasetDiff[];
  /** DVC files of either side that could not be read (named): the diff is incomplete. */
  errors: { file: string; error: string }[];
}

/**
 * Added, removed and modified datasets between two versions, and for directories the files inside
 * (from their `.dir` manifests in the cache). `targets` limits it to some paths. A DVC file that
 * cannot be read is listed in `errors`, never silently skipped.
 */
export async function dataDiff(root: string, a: string, b: string, targets: readonly string[] = []): Promise<DataDiffResult> {
  const workspace = resolve(root);
  const [left, right] = [await resolveSide(workspace, a), await resolveSide(workspace, b)];
  const cacheDir = openDvcRepo(workspace)?.config.cacheDir;
  const wanted = targets.map((t) => resolve(workspace, t));
  const paths = [...new Set([...left.versions.keys(), ...right.versions.keys()])]
    .filter((p) => wanted.length === 0 || wanted.some((w) => resolve(workspace, p) === w || resolve(workspace, p).startsWith(`${w}/`)))
    .sort();
  const datasets = paths.map((path): DatasetDiff => {
    const o = left.versions.get(path);
    const n = right.versions.get(path);
    if (!o) return { path, status: 'added', new: n!.md5 };
    if (!n) return { path, status: 'removed', old: o.md5 };
    if (o.md5 === n.md5) return { path, status: 'unchanged', old: o.md5, new: n.md5 };
    const d: DatasetDiff = { path, status: 'modified', old: o.md5, new: n.md5 };
    if (o.md5.endsWith('.dir') && n.md5.endsWith('.dir')) {
      try {
        const manifest = (side: Side, v: { md5: string; hashName: HashName }) =>
          side.entries?.get(path) ?? (cacheDir ? readDirObject(cacheDir, v.md5, v.hashName === 'md5-dos2unix') : undefined) ?? readKeptManifest(workspace, v.md5) ?? undefined;
        const before = manifest(left, o);
        const after = manifest(right, n);
        if (before && after) d.changes = diffEntries(before, after);
        else d.error = `the .dir manifest of ${before ? n.md5 : o.md5} is neither in the cache nor kept with a run (fetch it with \`provenant data pull\`)`;
      } catch (err) {
        d.error = describeError(err);
      }
    }
    return d;
  });
  return { a: left.label, b: right.label, datasets, errors: [...left.errors, ...right.errors] };
}
