/**
 * The one guard for every path Provenant writes into the workspace from DVC files, `.dir` manifests
 * or run records (`data add`, `data checkout`, `data pull`). Such paths are input: a hostile `.dvc`
 * file or manifest must not make us write outside the workspace, into `.git/` (a `core.fsmonitor`
 * in `.git/config` or a hook runs commands) or into `.dvc/`, nor through a symbolic link.
 */
import { closeSync, constants, copyFileSync, fchmodSync, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readSync, realpathSync, renameSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { ProvenantError } from '../util/errors';
import { isInside, resolveInWorkspace, toPosixRelative } from '../util/paths';
import type { LinkType } from './objectStore';

/** Folder names nothing is ever written into: git's and DVC's own (compared case-insensitively). */
const RESERVED = new Set(['.git', '.dvc', 'git~1']);

/** A name as Windows and macOS file systems would see it: case folded, trailing dots and spaces dropped. */
function folded(part: string): string {
  return part.toLowerCase().replace(/[. ]+$/, '');
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Why a workspace-relative POSIX path is unsafe to write, judged on its text alone; undefined when
 * it is fine. Refused: empty, absolute, `.`/`..`/empty parts, control characters (NUL, newline…),
 * and any part naming `.git` or `.dvc`.
 */
export function unsafeReason(rel: string): { why: string; code: string } | undefined {
  if (rel === '' || rel === '.') return { why: 'it is the workspace itself', code: 'E_BAD_TARGET' };
  if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel)) return { why: 'it is an absolute path', code: 'E_PATH_ESCAPE' };
  if (CONTROL.test(rel)) return { why: 'its name holds a control character', code: 'E_UNSAFE_NAME' };
  const parts = rel.split('/');
  if (parts.some((p) => p === '..')) return { why: 'it leaves the workspace ("..")', code: 'E_PATH_ESCAPE' };
  if (parts.some((p) => p === '' || p === '.')) return { why: 'it has an empty or "." part', code: 'E_UNSAFE_NAME' };
  const reserved = parts.find((p) => RESERVED.has(folded(p)));
  if (reserved !== undefined) return { why: `it lies in "${reserved}" (.git and .dvc are never data)`, code: 'E_BAD_TARGET' };
  return undefined;
}

function refuse(what: string, path: string, why: string, code: string, source: string | undefined, hint: string): ProvenantError {
  const shown = CONTROL.test(path) ? JSON.stringify(path) : `"${path}"`;
  return new ProvenantError(`refusing to ${what} ${shown}${source ? ` (from ${source})` : ''}: ${why}`, {
    file: source ?? (CONTROL.test(path) ? JSON.stringify(path) : path),
    hint,
    code,
  });
}

/**
 * Writes below one workspace, checking every path before it is touched. Paths are workspace-relative
 * POSIX; `source` names where a path came from (a `.dvc` file, a manifest, a run) for the error.
 */
export class WorkspaceGuard {
  readonly root: string;
  private readonly realRoot: string;

  constructor(
    root: string,
    private readonly verb = 'write',
    private readonly hint = 'Nothing was written. Fix or remove the entry that names this path.',
  ) {
    this.root = resolve(root);
    this.realRoot = realpathSync(this.root);
  }

  /** Lexical checks only (no file system access): throws when `rel` can never be written. */
  checkText(rel: string, source?: string, fromDisk = false): void {
    const reason = unsafeReason(rel);
    // A name read from the disk itself (a file to remove) may hold control characters; it is not written.
    if (reason && !(fromDisk && reason.code === 'E_UNSAFE_NAME')) throw refuse(this.verb, rel, reason.why, reason.code, source, this.hint);
  }

  /**
   * Checks `rel` and every existing folder on its way: each must be a real folder (not a symbolic
   * link) and resolve, with realpath, to itself inside the workspace. With `create`, missing folders
   * are made one by one (never through a link). Returns the absolute path (of the real workspace).
   */
  check(rel: string, source?: string, options: { create?: boolean; fromDisk?: boolean } = {}): string {
    this.checkText(rel, source, options.fromDisk === true);
    resolveInWorkspace(this.root, rel, source);
    const parts = rel.split('/');
    let cur = this.realRoot;
    for (const part of parts.slice(0, -1)) {
      cur = join(cur, part);
      let st = lstatSync(cur, { throwIfNoEntry: false });
      if (st === undefined) {
        if (!options.create) return join(this.realRoot, ...parts);
        try {
          mkdirSync(cur);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        st = lstatSync(cur);
      }
      const shown = toPosixRelative(this.realRoot, cur);
      if (st.isSymbolicLink()) throw refuse(this.verb, rel, `it lies inside the symbolic link "${shown}"`, 'E_SYMLINK_PARENT', source, this.hint);
      if (!st.isDirectory()) throw refuse(this.verb, rel, `"${shown}" is not a folder`, 'E_NOT_A_FOLDER', source, this.hint);
    }
    const parent = dirname(join(this.realRoot, ...parts));
    let real: string;
    try {
      real = realpathSync(parent);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !options.create) return join(this.realRoot, ...parts);
      throw err;
    }
    if (real !== parent || !isInside(this.realRoot, real)) throw refuse(this.verb, rel, `its folder resolves to ${real}, outside the workspace`, 'E_PATH_ESCAPE', source, this.hint);
    return join(this.realRoot, ...parts);
  }

  /** `check` of a path given absolute (below the workspace root, as given or real). */
  checkAbs(abs: string, source?: string, options: { create?: boolean } = {}): string {
    const base = isInside(this.root, abs) ? this.root : this.realRoot;
    return this.check(toPosixRelative(base, abs), source, options);
  }

  /**
   * Puts a file at `rel` without following a link at any step: its folders are checked (and created),
   * `fill` writes a fresh temporary name in the same folder (created exclusively, so never through
   * a link), the folders are checked again, then the temporary file is renamed over `rel` (a link
   * standing there is replaced, not followed).
   */
  place(rel: string, fill: (tmp: string) => void, source?: string): string {
    const abs = this.check(rel, source, { create: true });
    const tmp = join(dirname(abs), `.${basename(abs).slice(0, 80)}.provenant-${randomBytes(4).toString('hex')}.tmp`);
    try {
      fill(tmp);
      this.check(rel, source);
      renameSync(tmp, abs);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    return abs;
  }

  /** Removes `rel` (a link itself, never its target) after checking its folders. */
  remove(rel: string, source?: string, options: { recursive?: boolean } = {}): void {
    const abs = this.check(rel, source);
    rmSync(abs, { force: true, recursive: options.recursive === true });
  }
}

/** Copies `from` to a new file `to` opened with O_CREAT|O_EXCL|O_NOFOLLOW (no link is ever followed). */
export function copyNoFollow(from: string, to: string, mode: number): void {
  const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
  const src = openSync(from, constants.O_RDONLY);
  try {
    const dst = openSync(to, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, mode);
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const n = readSync(src, buf, 0, buf.length, null);
        if (n === 0) break;
        let off = 0;
        while (off < n) off += writeSync(dst, buf, off, n - off);
      }
      fchmodSync(dst, mode);
      if (!fstatSync(dst).isFile()) throw new Error(`${to} is not a regular file`);
    } finally {
      closeSync(dst);
    }
  } finally {
    closeSync(src);
  }
}

/** Makes `tmp` (which must not exist) from the cache object with one link type; never follows a link at `tmp`. */
export function makeFromObject(type: LinkType, objPath: string, tmp: string, mode: number): void {
  if (type === 'reflink') {
    // EXCL: the destination is created with O_CREAT|O_EXCL, which never follows a link.
    copyFileSync(objPath, tmp, constants.COPYFILE_FICLONE_FORCE | constants.COPYFILE_EXCL);
    const fd = openSync(tmp, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    try {
      fchmodSync(fd, mode);
    } finally {
      closeSync(fd);
    }
  } else if (type === 'copy') copyNoFollow(objPath, tmp, mode);
  else if (type === 'hardlink') linkSync(objPath, tmp);
  else symlinkSync(objPath, tmp);
}
