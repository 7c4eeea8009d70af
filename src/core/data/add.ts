import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import { ProvenantError } from '../util/errors';
import { resolveInWorkspace, toPosixRelative } from '../util/paths';
import type { DirEntry } from './dirManifest';
import { DVC_FILE_SUFFIX, dvcFileFor, freshDvcFileText, parseDvcFile, updateDvcFileText, type DvcFile } from './dvcFile';
import { initDvcRepo, withRepoLock, type DvcRepo } from './dvcRepo';
import { hashDataDependencies, hashDirectory, type HashDataOptions } from './hashData';
import { hashFiles } from './hashPool';
import { changedWhileHashing, md5Dos2UnixFile } from './md5';
import { cleanStaleTemps, hasObject, isLinkedTo, linkObject, objectPath, objectsDir, storeBytesObject, tempNameIn } from './objectStore';
import { DVC_LOCK, DVC_YAML } from './pipeline';
import { unsafeReason, WorkspaceGuard } from './safePath';
import { rememberCompleteInCache } from './status';
import { legacyHash, probe } from './workspaceHash';

export interface StoredVersion {
  md5: string;
  size: number;
  nfiles?: number;
  isexec: boolean;
  entries?: DirEntry[];
}

/** Stores the files `entries` name (below `absDir`) whose objects the cache lacks; their md5 must not move. */
async function storeMissing(repo: DvcRepo, absDir: string, entries: readonly DirEntry[], options: HashDataOptions): Promise<void> {
  const cacheDir = repo.config.cacheDir;
  const missing = entries.filter((e) => !hasObject(cacheDir, e.md5));
  if (missing.length === 0) return;
  const jobs = missing.map((e) => {
    const absPath = join(absDir, ...e.relpath.split('/'));
    const st = statSync(absPath);
    return { absPath, size: st.size, mtimeMs: st.mtimeMs };
  });
  const md5s = await hashFiles(jobs, { storeIn: objectsDir(cacheDir), ...(options.signal ? { signal: options.signal } : {}), ...(options.threads ? { threads: options.threads } : {}) });
  md5s.forEach((md5, i) => {
    if (md5 !== missing[i]!.md5) throw changedWhileHashing(jobs[i]!.absPath, 'its content no longer matches the hash just computed');
  });
}

/**
 * Puts a workspace file or directory into the DVC 3 cache (objects and `.dir` manifest, read-only)
 * and returns its version. Files read for hashing are stored in the same pass; files the state index
 * already knows are stored only when the cache lacks them. `expected` (a run's recorded hash) makes a
 * different content an error: the data changed since it was hashed.
 */
export async function storePath(repo: DvcRepo, relPath: string, options: HashDataOptions = {}, expected?: string): Promise<StoredVersion> {
  const root = repo.root;
  const abs = resolveInWorkspace(root, relPath);
  const kind = probe(root, relPath);
  if (kind === 'missing') throw new ProvenantError(`"${relPath}" does not exist`, { file: relPath, code: 'E_DATA_MISSING' });
  if (kind instanceof ProvenantError) throw kind;
  const storeIn = objectsDir(repo.config.cacheDir);
  const opts: HashDataOptions = { ...options, storeIn };
  let version: StoredVersion;
  if (kind === 'file') {
    const [v] = await hashDataDependencies(root, [relPath], opts);
    if (!hasObject(repo.config.cacheDir, v!.md5)) await storeMissing(repo, dirname(abs), [{ md5: v!.md5, relpath: basename(abs) }], options);
    version = { md5: v!.md5, size: v!.size, isexec: (statSync(abs).mode & 0o100) !== 0 };
  } else {
    const d = await hashDirectory(abs, { root, ...opts });
    await storeMissing(repo, abs, d.entries, options);
    storeBytesObject(repo.config.cacheDir, d.oid, d.manifest);
    rememberCompleteInCache(root, repo.config.cacheDir, d.oid);
    version = { md5: d.oid, size: d.size, nfiles: d.nfiles, isexec: false, entries: d.entries };
  }
  if (expected !== undefined && expected !== version.md5) throw changedWhileHashing(relPath, `it now hashes to ${version.md5}, not ${expected}`);
  return version;
}

/** Keeps a legacy (DVC 2) entry's object in the legacy cache layout when it is missing there. */
function storeLegacyFile(repo: DvcRepo, abs: string, md5: string): void {
  const target = objectPath(repo.config.cacheDir, md5, true);
  if (existsSync(target)) return;
  mkdirSync(dirname(target), { recursive: true });
  mkdirSync(objectsDir(repo.config.cacheDir), { recursive: true });
  // Named where cleanStaleTemps looks, should this process be killed before the rename.
  const tmp = tempNameIn(objectsDir(repo.config.cacheDir));
  try {
    copyFileSync(abs, tmp);
    // The copy is what gets named: check it, not the source.
    if (md5Dos2UnixFile(tmp).md5 !== md5) throw changedWhileHashing(abs, 'its content no longer matches its legacy hash');
    chmodSync(tmp, 0o444);
    renameSync(tmp, target);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * A name as a `.gitignore` line must spell it to match exactly that name: `\`, `*`, `?`, `[`, `]`,
 * `!` and `#` are escaped (pathspec's `GitWildMatchPattern.escape` escapes all but `\`), and so are
 * trailing spaces, which git would drop. A line break cannot be expressed at all: refused.
 */
export function gitignoreEscape(name: string): string {
  if (/[\r\n]/.test(name)) {
    throw new ProvenantError(`the name ${JSON.stringify(name)} holds a line break, which a .gitignore line cannot express`, {
      hint: 'Rename it without the line break, then add it again.',
      code: 'E_UNSAFE_NAME',
    });
  }
  const escaped = name.replace(/[\\[\]!*#?]/g, (c) => `\\${c}`);
  const trailing = /( +)$/.exec(escaped)?.[1]?.length ?? 0;
  return trailing ? `${escaped.slice(0, -trailing)}${'\\ '.repeat(trailing)}` : escaped;
}

/** Adds `/name` to the `.gitignore` beside the output, as DVC does (once; the file's last newline kept). */
export function addToGitignore(root: string, absOutput: string): string | undefined {
  const gitignore = join(dirname(absOutput), '.gitignore');
  const entry = `/${gitignoreEscape(basename(absOutput))}`;
  let text = '';
  try {
    text = readFileSync(gitignore, 'utf8');
  } catch {
    // new file
  }
  if (text.split(/\r?\n/).includes(entry)) return undefined;
  const prefix = text === '' || text.endsWith('\n') ? '' : '\n';
  writeFileAtomic(gitignore, `${text}${prefix}${entry}\n`);
  return toPosixRelative(root, gitignore);
}

/**
 * A folder holding a name that `data checkout` refuses to write (a control character, a `.GIT`
 * folder…) is refused here too: what is added must come back. Nothing is recorded for it.
 */
function refuseUnsafeEntries(rel: string, version: StoredVersion): void {
  for (const e of version.entries ?? []) {
    const reason = unsafeReason(`${rel}/${e.relpath}`);
    if (!reason) continue;
    throw new ProvenantError(`cannot add "${rel}": the file ${JSON.stringify(`${rel}/${e.relpath}`)} could never be checked out (${reason.why})`, {
      file: rel,
      hint: 'Rename or remove that file, then add the folder again. Nothing was recorded.',
      code: reason.code,
    });
  }
}

/** DVC refuses to take over what git tracks (`OutputAlreadyTrackedError`); so do we, in its words. */
function refuseGitTracked(root: string, rel: string): void {
  const res = spawnSync('git', ['ls-files', '-z', '--', `:(literal)${rel}`], { cwd: root, encoding: 'utf8' });
  if (res.status !== 0 || !res.stdout) return; // not a git repository, no git, or not tracked
  throw new ProvenantError(
    `output '${rel}' is already tracked by SCM (e.g. Git).\n    You can remove it from Git, then add to DVC.\n        To stop tracking from Git:\n            git rm -r --cached '${rel}'\n            git commit -m "stop tracking ${rel}"`,
    { file: rel, code: 'E_TRACKED_BY_GIT' },
  );
}

export interface AddResult {
  path: string;
  dvcFile: string;
  md5: string;
  size: number;
  nfiles?: number;
  /** 'created': new .dvc file; 'updated': new version recorded; 'unchanged': nothing to write. */
  change: 'created' | 'updated' | 'unchanged';
  gitignore?: string;
}

export interface AddOptions extends HashDataOptions {
  onWarning?: (message: string) => void;
}

function checkTarget(guard: WorkspaceGuard, root: string, path: string): { abs: string; rel: string } {
  const abs = resolveInWorkspace(root, path);
  const rel = toPosixRelative(root, abs);
  if (rel === '') throw new ProvenantError(`cannot track "${path}": the workspace itself is not data`, { file: path, code: 'E_BAD_TARGET' });
  const name = posix.basename(rel);
  if (name.endsWith(DVC_FILE_SUFFIX) || name === DVC_YAML || name === DVC_LOCK) {
    const meant = name.endsWith(DVC_FILE_SUFFIX) ? rel.slice(0, -DVC_FILE_SUFFIX.length) : undefined;
    throw new ProvenantError(`cannot add "${rel}": it is a DVC file${meant ? `; did you mean \`provenant data add ${meant}\`?` : ' (DVC files cannot be outputs)'}`, { file: rel, code: 'E_DVC_FILE_TARGET' });
  }
  guard.check(rel);
  gitignoreEscape(name);
  const link = lstatSync(abs, { throwIfNoEntry: false });
  if (link === undefined) throw new ProvenantError(`"${path}" does not exist`, { file: path, hint: 'Check the path (relative to the current folder).', code: 'E_DATA_MISSING' });
  if (link.isSymbolicLink()) {
    const kind = probe(root, rel);
    if (kind instanceof ProvenantError) throw kind;
    throw new ProvenantError(`cannot track "${path}": it is a symbolic link`, { file: path, hint: 'Add its target instead.', code: 'E_SYMLINK' });
  }
  return { abs, rel };
}

/** Links workspace copies to the cache when `cache.type` asks for hard or symbolic links first. */
function relinkWorkspace(repo: DvcRepo, guard: WorkspaceGuard, rel: string, version: StoredVersion): void {
  const types = repo.config.linkTypes;
  if (types[0] !== 'hardlink' && types[0] !== 'symlink') return;
  const files = version.entries ? version.entries.map((e) => ({ md5: e.md5, rel: `${rel}/${e.relpath}` })) : [{ md5: version.md5, rel }];
  for (const f of files) {
    const obj = objectPath(repo.config.cacheDir, f.md5);
    if (!isLinkedTo(guard.check(f.rel), obj)) linkObject(obj, guard, f.rel, types, { empty: statSync(obj).size === 0 });
  }
}

/**
 * `dvc add`: for every path, stores its objects in the cache, writes `<path>.dvc` (fresh in DVC 3's
 * exact format, or the changed entry rewritten with comments and key order kept) and adds the path to
 * the sibling `.gitignore`. Creates `.dvc/` first when missing. Holds DVC's repository lock.
 */
export async function dataAdd(root: string, paths: readonly string[], options: AddOptions = {}): Promise<{ results: AddResult[]; initialized: boolean }> {
  const workspace = resolve(root);
  if (paths.length === 0) throw new ProvenantError('nothing to add: give one or more paths', { code: 'E_USAGE' });
  const guard = new WorkspaceGuard(workspace, 'add', 'Nothing was changed. Add a real folder or file of the workspace (not a link, not in .git or .dvc), renamed without control characters.');
  const targets = paths.map((p) => ({ ...checkTarget(guard, workspace, p), given: p }));
  for (const t of targets) refuseGitTracked(workspace, t.rel);
  // Existing .dvc files are read (and must be valid) before anything is written.
  const existing = targets.map(({ abs, rel }) => {
    const { dvcFile, pathInFile } = dvcFileFor(rel);
    const absDvc = join(workspace, dvcFile);
    if (!existsSync(absDvc)) return { dvcFile, pathInFile, absDvc, parsed: undefined as DvcFile | undefined };
    const parsed = parseDvcFile(workspace, absDvc);
    if (!parsed.outs.some((o) => o.absPath === abs)) {
      throw new ProvenantError(`${dvcFile} exists but does not track "${rel}"`, { file: dvcFile, hint: 'Move or remove that file first.', code: 'E_BAD_DVC_FILE' });
    }
    return { dvcFile, pathInFile, absDvc, parsed };
  });
  const { repo, created } = initDvcRepo(workspace);
  const results = await withRepoLock(
    repo,
    async () => {
      cleanStaleTemps(repo.config.cacheDir);
      const out: AddResult[] = [];
      for (let i = 0; i < targets.length; i++) {
        const { abs, rel } = targets[i]!;
        const { dvcFile, pathInFile, absDvc, parsed } = existing[i]!;
        const entry = parsed?.outs.find((o) => o.absPath === abs);
        if (entry && entry.hashName === 'md5-dos2unix') {
          const legacy = await legacyHash(workspace, rel, options);
          if (legacy.kind === 'error') throw legacy.error;
          if ((legacy.kind === 'file' || legacy.kind === 'dir') && legacy.md5 === entry.md5) {
            if (legacy.kind === 'file') storeLegacyFile(repo, abs, legacy.md5);
            out.push({ path: rel, dvcFile, md5: legacy.md5, size: legacy.size, ...(legacy.kind === 'dir' ? { nfiles: legacy.nfiles } : {}), change: 'unchanged' });
            continue;
          }
        }
        const version = await storePath(repo, rel, options);
        refuseUnsafeEntries(rel, version);
        const record = { md5: version.md5, size: version.size, ...(version.nfiles !== undefined ? { nfiles: version.nfiles } : {}), isexec: version.isexec, path: entry?.path ?? pathInFile };
        let change: AddResult['change'] = 'unchanged';
        if (!parsed || !entry) {
          writeFileAtomic(absDvc, freshDvcFileText([record]));
          change = 'created';
        } else if (entry.md5 !== version.md5 || entry.hashName !== 'md5' || entry.size !== version.size || entry.nfiles !== version.nfiles || entry.isexec !== version.isexec) {
          writeFileAtomic(absDvc, updateDvcFileText(parsed.text, dvcFile, entry.index, record));
          change = 'updated';
        }
        relinkWorkspace(repo, guard, rel, version);
        const gitignore = addToGitignore(workspace, abs);
        out.push({ path: rel, dvcFile, md5: version.md5, size: version.size, ...(version.nfiles !== undefined ? { nfiles: version.nfiles } : {}), change, ...(gitignore ? { gitignore } : {}) });
      }
      return out;
    },
    { writes: targets.map((t) => t.rel), ...(options.onWarning ? { onWarning: options.onWarning } : {}) },
  );
  return { results, initialized: created };
}
