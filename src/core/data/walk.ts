import { existsSync, readdirSync, readFileSync, statSync, type Dirent, type Stats } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { ProvenantError } from '../util/errors';
import { isInside } from '../util/paths';
import { compareCodePoints } from './dirManifest';
import { throwIfCancelled, yieldToEventLoop } from './cancel';

export const DVCIGNORE = '.dvcignore';

/** One regular file found below a directory (symlinks resolved to their target's stats). */
export interface WalkedFile {
  /** Path below the walked directory, parts joined with "/". */
  relpath: string;
  absPath: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface WalkOptions {
  /**
   * The workspace (repository) root. `.dvcignore` files in the directories from it down to the
   * walked directory's parent apply, each relative to its own directory.
   */
  root?: string;
  signal?: AbortSignal;
}

/** Patterns of one `.dvcignore`, matched against paths relative to the directory holding it. */
interface IgnoreFile {
  base: string;
  matcher: Ignore;
}

const NEEDS_CODE_POINT_ORDER = /[\ud800-\uffff]/;

/** How many entries are handled between two yields to the event loop. */
const YIELD_EVERY = 2048;

function loadIgnoreFile(dir: string): IgnoreFile | undefined {
  const file = join(dir, DVCIGNORE);
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  // A file of comments and blank lines (as `dvc init` writes it) ignores nothing: skip it in the hot loop.
  if (!text.split(/\r?\n/).some((line) => line.trim() !== '' && !line.startsWith('#'))) return undefined;
  return { base: dir, matcher: ignore({ ignorecase: false }).add(text) };
}

/** `.dvcignore` files of `root` and every directory between it and `dir` (exclusive), outermost first. */
function ancestorIgnoreFiles(root: string | undefined, dir: string): IgnoreFile[] {
  if (root === undefined) return [];
  const top = resolve(root);
  if (!isInside(top, dir) || top === dir) return [];
  const chain: string[] = [];
  for (let d = dirname(dir); ; d = dirname(d)) {
    chain.push(d);
    if (d === top || dirname(d) === d) break;
  }
  return chain
    .reverse()
    .map(loadIgnoreFile)
    .filter((f): f is IgnoreFile => f !== undefined);
}

/**
 * True when the `.dvcignore` patterns exclude `absPath`. The files are applied in order, so a later
 * (deeper) file can re-include with `!pattern` what an earlier one excluded, as DVC's merged patterns do.
 */
function isIgnored(files: readonly IgnoreFile[], absPath: string, isDir: boolean): boolean {
  if (files.length === 0) return false;
  let ignored = false;
  for (const { base, matcher } of files) {
    const rel = relative(base, absPath).split(sep).join('/');
    const result = matcher.test(isDir ? `${rel}/` : rel);
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

/** DVC's built-in patterns `.git`, `.git/`, `.hg/`, `.dvc/`. */
function isBuiltinIgnored(name: string, isDir: boolean): boolean {
  return name === '.git' || (isDir && (name === '.hg' || name === '.dvc'));
}

function brokenLink(absPath: string, err: NodeJS.ErrnoException): ProvenantError {
  if (err.code === 'ELOOP') {
    return new ProvenantError(`"${absPath}" is a symbolic link loop`, {
      file: absPath,
      hint: 'Fix or remove the link, or list it in a .dvcignore file outside the data directory.',
      code: 'E_SYMLINK_LOOP',
      cause: err,
    });
  }
  return new ProvenantError(`"${absPath}" is a broken symbolic link (${err.code ?? err.message})`, {
    file: absPath,
    hint: 'Fix or remove the link, or list it in a .dvcignore file outside the data directory.',
    code: 'E_BROKEN_SYMLINK',
    cause: err,
  });
}

function notRegular(absPath: string): ProvenantError {
  return new ProvenantError(`"${absPath}" is neither a regular file nor a directory`, {
    file: absPath,
    hint: 'Sockets, pipes and devices cannot be hashed; remove it or list it in a .dvcignore file.',
    code: 'E_NOT_A_FILE',
  });
}

function readDir(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new ProvenantError(`cannot read the directory "${dir}" (${(err as NodeJS.ErrnoException).code ?? err})`, {
      file: dir,
      code: 'E_READ_DIR',
      cause: err,
    });
  }
}

/**
 * Lists the files below `absDir` as DVC's `os.walk` collection does: directory symlinks are not
 * followed (skipped), file symlinks count as their target, empty directories yield nothing,
 * `.git`/`.hg`/`.dvc` and sub-repositories are skipped, `.dvcignore` patterns from the workspace down
 * apply, and a `.dvcignore` inside `absDir` is refused. Files come back sorted by relpath code points.
 */
export async function walkDirectory(absDir: string, options: WalkOptions = {}): Promise<WalkedFile[]> {
  const top = resolve(absDir);
  const rootDir = top.endsWith(sep) ? top.slice(0, -1) : top; // "/" itself
  const ignoreFiles = ancestorIgnoreFiles(options.root, top);
  const files: WalkedFile[] = [];
  let sinceYield = 0;
  const stack: { dir: string; rel: string }[] = [{ dir: rootDir, rel: '' }];

  while (stack.length > 0) {
    const { dir, rel } = stack.pop()!;
    const entries = readDir(dir);
    // A directory holding its own `.dvc/` is a separate DVC repository, left out as DVC does.
    if (rel !== '' && entries.some((e) => e.name === '.dvc' && e.isDirectory())) continue;
    if (entries.some((e) => e.name === DVCIGNORE && !e.isDirectory())) {
      const path = join(dir, DVCIGNORE);
      throw new ProvenantError(`"${path}" lies inside a directory that is hashed as a whole`, {
        file: path,
        hint: 'DVC refuses a .dvcignore inside a tracked directory: move its patterns to a .dvcignore above it.',
        code: 'E_DVCIGNORE_IN_DIR',
      });
    }
    for (const entry of entries) {
      if (++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await yieldToEventLoop(options.signal);
      }
      const name = entry.name;
      // plain concatenation: `dir` is absolute and normalized, `name` a single component (hot loop)
      const absPath = dir + sep + name;
      const relpath = rel === '' ? name : `${rel}/${name}`;

      if (entry.isDirectory()) {
        if (isBuiltinIgnored(name, true) || isIgnored(ignoreFiles, absPath, true)) continue;
        stack.push({ dir: absPath, rel: relpath });
        continue;
      }
      if (isBuiltinIgnored(name, false)) continue;

      let st: Stats;
      if (entry.isSymbolicLink()) {
        try {
          st = statSync(absPath);
        } catch (err) {
          if (isIgnored(ignoreFiles, absPath, false)) continue;
          throw brokenLink(absPath, err as NodeJS.ErrnoException);
        }
        if (st.isDirectory()) continue; // os.walk does not follow directory links
        if (isIgnored(ignoreFiles, absPath, false)) continue;
      } else {
        if (isIgnored(ignoreFiles, absPath, false)) continue;
        st = statSync(absPath);
      }
      if (!st.isFile()) throw notRegular(absPath);
      files.push({ relpath, absPath, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
    }
  }
  throwIfCancelled(options.signal);
  // Code unit order is code point order unless a name holds a surrogate or a char above U+E000;
  // the plain comparison is several times faster on 100,000 names.
  const plain = files.every((f) => !NEEDS_CODE_POINT_ORDER.test(f.relpath));
  return plain ? files.sort((a, b) => (a.relpath < b.relpath ? -1 : a.relpath > b.relpath ? 1 : 0)) : files.sort((a, b) => compareCodePoints(a.relpath, b.relpath));
}

