import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { describeError, ProvenantError } from '../util/errors';
import { toPosixRelative } from '../util/paths';
import { parseDvcFile, DVC_FILE_SUFFIX, type DvcFile, type TrackedEntry } from './dvcFile';
import { DVC_LOCK, DVC_YAML, loadPipeline, type Pipeline } from './pipeline';
import { DVCIGNORE } from './walk';

/** An output DVC tracks: an `outs` entry of a `.dvc` file or of a `dvc.lock` stage. */
export interface TrackedOutput {
  /** The `.dvc` file or `dvc.lock` it is recorded in (workspace-relative POSIX). */
  file: string;
  /** The `dvc.lock` stage, for pipeline outputs. */
  stage?: string;
  entry: TrackedEntry;
  /** false for `cache: false` outputs (from the `.dvc` entry or the `dvc.yaml` out). */
  cache: boolean;
  dvcFile?: DvcFile;
}

export interface TrackedWorkspace {
  outputs: TrackedOutput[];
  pipelines: Pipeline[];
  /** Files that could not be read, each with the error naming it. */
  errors: { file: string; error: ProvenantError }[];
}

/** Folders never searched for DVC files: VCS and tool folders, and virtual environments. */
const SKIP_DIRS = new Set(['.git', '.hg', '.dvc', 'node_modules', '.provenant', '__pycache__']);

function toProvenantError(err: unknown, file: string): ProvenantError {
  return err instanceof ProvenantError ? err : new ProvenantError(`${file}: ${describeError(err)}`, { file, code: 'E_READ_FILE' });
}

/**
 * Finds `.dvc` files and folders holding `dvc.yaml`/`dvc.lock` below the workspace, honouring
 * `.dvcignore` files. A folder `x` beside `x.dvc` is the tracked data itself and is not searched,
 * nor are sub-repositories (folders with their own `.dvc/`) or virtual environments.
 */
export function findDvcFiles(root: string): { dvcFiles: string[]; pipelineDirs: string[] } {
  const workspace = resolve(root);
  const dvcFiles: string[] = [];
  const pipelineDirs: string[] = [];
  const stack: { dir: string; ignores: { base: string; matcher: Ignore }[] }[] = [{ dir: workspace, ignores: [] }];
  while (stack.length) {
    const { dir, ignores: inherited } = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    const names = new Set(entries.map((e) => e.name));
    if (dir !== workspace && (names.has('.dvc') || names.has('pyvenv.cfg'))) continue;
    let ignores = inherited;
    if (names.has(DVCIGNORE)) {
      try {
        ignores = [...inherited, { base: dir, matcher: ignore().add(readFileSync(join(dir, DVCIGNORE), 'utf8')) }];
      } catch {
        // unreadable .dvcignore: nothing ignored here
      }
    }
    const ignored = (abs: string, isDir: boolean) =>
      ignores.some(({ base, matcher }) => {
        const rel = toPosixRelative(base, abs);
        return rel !== '' && matcher.ignores(isDir ? `${rel}/` : rel);
      });
    if (names.has(DVC_YAML) || names.has(DVC_LOCK)) pipelineDirs.push(dir);
    for (const e of entries) {
      const abs = join(dir, e.name);
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name) || names.has(`${e.name}${DVC_FILE_SUFFIX}`) || ignored(abs, true)) continue;
        stack.push({ dir: abs, ignores });
      } else if (e.name.endsWith(DVC_FILE_SUFFIX) && e.name !== DVC_FILE_SUFFIX && (e.isFile() || e.isSymbolicLink()) && !ignored(abs, false)) {
        dvcFiles.push(abs);
      }
    }
  }
  dvcFiles.sort();
  pipelineDirs.sort();
  return { dvcFiles, pipelineDirs };
}

/** Every output tracked in the workspace, with the files that could not be read. */
export function collectTracked(root: string): TrackedWorkspace {
  const workspace = resolve(root);
  const { dvcFiles, pipelineDirs } = findDvcFiles(workspace);
  const result: TrackedWorkspace = { outputs: [], pipelines: [], errors: [] };
  for (const abs of dvcFiles) {
    const file = toPosixRelative(workspace, abs);
    try {
      const parsed = parseDvcFile(workspace, abs);
      for (const entry of parsed.outs) result.outputs.push({ file, entry, cache: entry.cache, dvcFile: parsed });
    } catch (err) {
      result.errors.push({ file, error: toProvenantError(err, file) });
    }
  }
  for (const dir of pipelineDirs) {
    const file = toPosixRelative(workspace, join(dir, DVC_YAML));
    try {
      const pipeline = loadPipeline(workspace, dir);
      if (!pipeline) continue;
      result.pipelines.push(pipeline);
      for (const [name, stage] of pipeline.lock) {
        const def = pipeline.stages.find((s) => s.name === name);
        for (const entry of stage.outs) {
          const out = def?.outs.find((o) => o.path.replace(/\\/g, '/') === entry.path.replace(/\\/g, '/'));
          result.outputs.push({ file: pipeline.lockFile, stage: name, entry, cache: out?.cache ?? true });
        }
      }
    } catch (err) {
      result.errors.push({ file, error: toProvenantError(err, file) });
    }
  }
  return result;
}

/** The tracked output at a workspace path (given as typed by the user, or as its `.dvc` file). */
export function findOutput(tracked: TrackedWorkspace, root: string, target: string): TrackedOutput[] {
  const workspace = resolve(root);
  const abs = resolve(workspace, target);
  const rel = toPosixRelative(workspace, abs);
  const byDvc = tracked.outputs.filter((o) => o.file === rel);
  if (byDvc.length) return byDvc;
  return tracked.outputs.filter((o) => o.entry.relPath === rel || (rel !== '' && o.entry.relPath.startsWith(`${rel}/`)) || rel === '');
}
