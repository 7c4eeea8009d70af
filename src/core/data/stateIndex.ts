import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { writeFileAtomic } from '../util/atomic';

/**
 * Provenant's own record of hashes already computed, so unchanged data is not read again.
 * DVC keeps a similar SQLite database, which is not shared (its format is DVC's business).
 */
export const STATE_INDEX_PATH = '.provenant/state/hashes.json';
/**
 * A copy of the directory entries only, small, read first: a directory whose fingerprint matches is
 * answered without parsing the per-file index (megabytes for 100,000 files). The per-file index is
 * read on the first file lookup or record.
 */
export const STATE_DIRS_PATH = '.provenant/state/dirs.json';
const STATE_VERSION = 1;

/**
 * A file modified this short a time before its hash was started may be modified again within the
 * file system's timestamp resolution without its stamp moving ("racy" in git's words): such hashes are
 * used but not recorded, so the next check reads the file again.
 */
export const RACY_WINDOW_MS = 2000;

/** The stat fields that make an entry trusted: all three must match. */
export interface StatStamp {
  ino: number;
  mtimeMs: number;
  size: number;
}

export interface FileStateEntry {
  inode: number;
  mtimeMs: number;
  size: number;
  md5: string;
}

export interface DirStateEntry {
  /** Digest of the directory's file list with every file's stamp (see `directoryFingerprint`). */
  fingerprint: string;
  oid: string;
  size: number;
  nfiles: number;
}

interface StateFileShape {
  version: number;
  /** In dirs.json: the stamp of the hashes.json written with it (null: there was none). */
  pairedWith?: { size: number; mtimeMs: number; ino: number } | null;
  files: Record<string, FileStateEntry>;
  dirs: Record<string, DirStateEntry>;
}

const MD5_HEX = /^[0-9a-f]{32}$/;

function isFileEntry(v: unknown): v is FileStateEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e.inode === 'number' &&
    typeof e.mtimeMs === 'number' &&
    typeof e.size === 'number' &&
    typeof e.md5 === 'string' &&
    MD5_HEX.test(e.md5)
  );
}

function isDirEntry(v: unknown): v is DirStateEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e.fingerprint === 'string' &&
    typeof e.oid === 'string' &&
    /^[0-9a-f]{32}\.dir$/.test(e.oid) &&
    typeof e.size === 'number' &&
    typeof e.nfiles === 'number'
  );
}

function entriesOf<T>(record: unknown, valid: (v: unknown) => v is T): Map<string, T> {
  const map = new Map<string, T>();
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return map;
  for (const [key, value] of Object.entries(record)) if (valid(value)) map.set(key, value);
  return map;
}

/**
 * Digest of a directory's files and their stamps, in walk order. Equal digests mean the same paths with
 * the same inode, mtime and size, so the directory's oid can be reused without reading anything.
 */
export function directoryFingerprint(files: readonly ({ relpath: string } & StatStamp)[]): string {
  const hash = createHash('md5');
  let text = '';
  for (const f of files) {
    text += `${f.relpath}\0${f.ino}\0${f.mtimeMs}\0${f.size}\n`;
    if (text.length > 1 << 16) {
      hash.update(text);
      text = '';
    }
  }
  hash.update(text);
  return `${STATE_VERSION}:${files.length}:${hash.digest('hex')}`;
}

/**
 * The state index of one workspace, `.provenant/state/hashes.json`. Keys are workspace-relative
 * POSIX paths. A missing, unreadable or corrupt file gives an empty index that is rewritten on save.
 */
export class StateIndex {
  /** Per-file entries changed since load (they and the directories go to hashes.json on save). */
  private dirty = false;
  /** Directory entries changed since load (they go to dirs.json on save). */
  private dirsDirty = false;
  private loadedFiles: Map<string, FileStateEntry> | undefined;

  private constructor(
    readonly file: string,
    private readonly dirs: Map<string, DirStateEntry>,
    loadedFiles?: Map<string, FileStateEntry>,
  ) {
    this.loadedFiles = loadedFiles;
  }

  static load(root: string): StateIndex {
    const file = join(root, STATE_INDEX_PATH);
    const sidecar = readShape(join(root, STATE_DIRS_PATH));
    // The sidecar is used only while hashes.json is the very file it was written with.
    if (sidecar !== undefined && sidecar !== 'corrupt' && samePairing(sidecar.pairedWith, stampOf(file))) {
      return new StateIndex(file, entriesOf(sidecar.dirs, isDirEntry));
    }
    // No (valid) sidecar: read everything now, and write the sidecar on the next save.
    const index = StateIndex.fromFull(file);
    index.dirsDirty = true;
    return index;
  }

  private static fromFull(file: string): StateIndex {
    const shape = readShape(file);
    if (shape === undefined) return new StateIndex(file, new Map(), new Map());
    if (shape === 'corrupt') {
      const index = new StateIndex(file, new Map(), new Map());
      index.dirty = true; // rebuild the corrupt file on the next save
      return index;
    }
    return new StateIndex(file, entriesOf(shape.dirs, isDirEntry), entriesOf(shape.files, isFileEntry));
  }

  /** The per-file entries, read from hashes.json on first use. */
  private get files(): Map<string, FileStateEntry> {
    if (this.loadedFiles === undefined) {
      const full = StateIndex.fromFull(this.file);
      this.loadedFiles = full.loadedFiles!;
      if (full.dirty) this.dirty = true;
    }
    return this.loadedFiles;
  }

  get size(): number {
    return this.files.size;
  }

  /** The recorded md5 of `key`, only when inode, mtime and size all match `stat`. */
  lookupFile(key: string, stat: StatStamp): string | undefined {
    const e = this.files.get(key);
    if (e === undefined || e.inode !== stat.ino || e.mtimeMs !== stat.mtimeMs || e.size !== stat.size) return undefined;
    return e.md5;
  }

  /**
   * Records a hash computed from a read started at `hashStartedMs`. Returns false (nothing recorded)
   * when the file was modified too shortly before to be trusted later (see RACY_WINDOW_MS).
   */
  recordFile(key: string, stat: StatStamp, md5: string, hashStartedMs: number): boolean {
    if (hashStartedMs - stat.mtimeMs < RACY_WINDOW_MS) {
      if (this.files.delete(key)) this.dirty = true;
      return false;
    }
    this.files.set(key, { inode: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size, md5 });
    this.dirty = true;
    return true;
  }

  lookupDir(key: string, fingerprint: string): DirStateEntry | undefined {
    const e = this.dirs.get(key);
    return e !== undefined && e.fingerprint === fingerprint ? e : undefined;
  }

  recordDir(key: string, entry: DirStateEntry): void {
    this.dirs.set(key, entry);
    this.dirsDirty = true;
  }

  forgetDir(key: string): void {
    if (this.dirs.delete(key)) this.dirsDirty = true;
  }

  /** Drops the file entries below directory `dirKey` that are not in `keep` (files deleted since). */
  pruneBelow(dirKey: string, keep: ReadonlySet<string>): void {
    const prefix = dirKey === '' || dirKey === '.' ? '' : `${dirKey}/`;
    for (const key of this.files.keys()) {
      if (key.startsWith(prefix) && !keep.has(key)) {
        this.files.delete(key);
        this.dirty = true;
      }
    }
  }

  /**
   * Writes what changed, atomically: hashes.json (files and directories) when file entries changed,
   * dirs.json when directory entries did. A failure to write is not an error: it is only a cache.
   */
  save(): boolean {
    if (!this.dirty && !this.dirsDirty) return true;
    try {
      if (this.dirty || (this.dirsDirty && this.loadedFiles !== undefined)) {
        const shape: StateFileShape = { version: STATE_VERSION, files: Object.fromEntries(this.files), dirs: Object.fromEntries(this.dirs) };
        writeFileAtomic(this.file, JSON.stringify(shape));
      }
      const sidecar: StateFileShape = { version: STATE_VERSION, pairedWith: stampOf(this.file), files: {}, dirs: Object.fromEntries(this.dirs) };
      writeFileAtomic(join(dirname(this.file), basename(STATE_DIRS_PATH)), JSON.stringify(sidecar));
      this.dirty = false;
      this.dirsDirty = false;
      return true;
    } catch {
      return false;
    }
  }
}

function stampOf(file: string): { size: number; mtimeMs: number; ino: number } | null {
  const st = statSync(file, { throwIfNoEntry: false });
  return st === undefined ? null : { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}

function samePairing(a: StateFileShape['pairedWith'], b: { size: number; mtimeMs: number; ino: number } | null): boolean {
  if (a === undefined) return false;
  if (a === null || b === null) return a === b;
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/** A state file's parsed content; undefined when absent, 'corrupt' when unreadable or foreign. */
function readShape(file: string): Partial<StateFileShape> | 'corrupt' | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<StateFileShape> | null;
    if (parsed === null || typeof parsed !== 'object' || parsed.version !== STATE_VERSION) return 'corrupt';
    return parsed;
  } catch {
    return 'corrupt';
  }
}
