import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync, existsSync, lstatSync, type BigIntStats } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ProvenantError } from '../util/errors';

/**
 * Git's lock protocol for the index: `.git/index.lock` is created exclusively (O_EXCL), the new
 * index is written into it and renamed over `.git/index`; whoever fails to create the lock waits
 * or gives up. VS Code's built-in Git, the git executable and Provenant then never write the index
 * at the same time.
 */
export interface IndexLock {
  /** Writes `bytes` as the new index (into the lock file, then renamed over the index: this releases the lock). */
  commit(bytes: Buffer): void;
}

export async function withIndexLock<T>(gitdir: string, action: (lock: IndexLock) => Promise<T> | T): Promise<T> {
  const lockFile = join(gitdir, 'index.lock');
  let fd: number;
  try {
    fd = openSync(lockFile, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ProvenantError('another git process holds the index lock', {
        file: '.git/index.lock',
        hint: 'Wait for the other git operation (e.g. VS Code\'s Source Control) to finish and try again. If no git process is running, a crashed one left the lock behind: remove .git/index.lock.',
        code: 'E_INDEX_LOCKED',
      });
    }
    throw err;
  }
  let released = false;
  let closed = false;
  const lock: IndexLock = {
    commit(bytes) {
      if (released) throw new Error('index lock already released');
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      fsyncSync(fd);
      closeSync(fd);
      closed = true;
      renameSync(lockFile, join(gitdir, 'index'));
      released = true;
    },
  };
  try {
    return await action(lock);
  } finally {
    if (!released) {
      if (!closed) closeSync(fd);
      rmSync(lockFile, { force: true });
    }
  }
}

/** One raw index entry: the bytes git wrote (kept verbatim for entries Provenant does not change). */
export interface RawIndexEntry {
  path: string;
  stage: number;
  oid: string;
  mode: number;
  /** Entry bytes without padding (62 or 64 header bytes + name), or null for a new entry. */
  raw: Buffer | null;
  stat?: BigIntStats;
}

export interface RawIndex {
  version: number;
  entries: RawIndexEntry[];
  /** Names of the extensions present (TREE, REUC, UNTR, link, sdir, ...). */
  extensions: string[];
  skipWorktree: boolean;
}

/** Reads `.git/index` (versions 2 and 3) keeping every entry's bytes, to write it back changed. */
export function readRawIndex(gitdir: string): RawIndex {
  const file = join(gitdir, 'index');
  if (!existsSync(file)) return { version: 2, entries: [], extensions: [], skipWorktree: false };
  const buf = readFileSync(file);
  const fail = (why: string): never => {
    throw new ProvenantError(`cannot read the git index: ${why}`, { file: '.git/index', hint: 'Run `git status` to let git rewrite it, then try again.', code: 'E_GIT_INDEX' });
  };
  if (buf.length < 32 || buf.toString('latin1', 0, 4) !== 'DIRC') fail('not an index file');
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) fail(`index version ${version} is not supported here`);
  const count = buf.readUInt32BE(8);
  const entries: RawIndexEntry[] = [];
  let skipWorktree = false;
  let at = 12;
  for (let i = 0; i < count; i++) {
    if (at + 62 > buf.length) fail('truncated');
    const flags = buf.readUInt16BE(at + 60);
    const extended = (flags & 0x4000) !== 0;
    if (extended && (buf.readUInt16BE(at + 62) & 0x4000) !== 0) skipWorktree = true;
    const nameStart = at + 62 + (extended ? 2 : 0);
    const nameEnd = buf.indexOf(0, nameStart);
    if (nameEnd < 0) fail('truncated entry name');
    entries.push({
      path: buf.toString('utf8', nameStart, nameEnd),
      stage: (flags >> 12) & 0x3,
      oid: buf.toString('hex', at + 40, at + 60),
      mode: buf.readUInt32BE(at + 24),
      raw: Buffer.from(buf.subarray(at, nameEnd)),
    });
    at += Math.ceil((nameEnd - at + 1) / 8) * 8;
  }
  const extensions: string[] = [];
  const end = buf.length - 20;
  while (at + 8 <= end) {
    extensions.push(buf.toString('latin1', at, at + 4));
    at += 8 + buf.readUInt32BE(at + 4);
  }
  return { version, entries, extensions, skipWorktree };
}

function compareEntries(a: RawIndexEntry, b: RawIndexEntry): number {
  const c = Buffer.compare(Buffer.from(a.path), Buffer.from(b.path));
  return c !== 0 ? c : a.stage - b.stage;
}

function entryBytes(entry: RawIndexEntry): Buffer {
  if (entry.raw) return entry.raw;
  const name = Buffer.from(entry.path);
  const head = Buffer.alloc(62);
  const st = entry.stat;
  const u32 = (n: bigint) => Number(n % 4294967296n);
  if (st) {
    head.writeUInt32BE(u32(st.ctimeNs / 1_000_000_000n), 0);
    head.writeUInt32BE(u32(st.ctimeNs % 1_000_000_000n), 4);
    head.writeUInt32BE(u32(st.mtimeNs / 1_000_000_000n), 8);
    head.writeUInt32BE(u32(st.mtimeNs % 1_000_000_000n), 12);
    head.writeUInt32BE(u32(st.dev), 16);
    head.writeUInt32BE(u32(st.ino), 20);
    head.writeUInt32BE(u32(st.uid), 28);
    head.writeUInt32BE(u32(st.gid), 32);
    head.writeUInt32BE(u32(st.size), 36);
  }
  head.writeUInt32BE(entry.mode, 24);
  head.write(entry.oid, 40, 'hex');
  head.writeUInt16BE(Math.min(name.length, 0xfff) | (entry.stage << 12), 60);
  return Buffer.concat([head, name]);
}

/** The bytes of an index holding `entries` (extensions dropped: git rebuilds its caches). */
export function serializeIndex(version: number, entries: RawIndexEntry[]): Buffer {
  const sorted = [...entries].sort(compareEntries);
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.write('DIRC', 0, 'latin1');
  header.writeUInt32BE(version, 4);
  header.writeUInt32BE(sorted.length, 8);
  parts.push(header);
  for (const entry of sorted) {
    const bytes = entryBytes(entry);
    const padded = Buffer.alloc(Math.ceil((bytes.length + 1) / 8) * 8);
    bytes.copy(padded);
    parts.push(padded);
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

/** A new index entry for a file just written at `absolute`, with its stat data (so git sees it clean). */
export function freshEntry(path: string, oid: string, mode: number, absolute: string): RawIndexEntry {
  return { path, stage: 0, oid, mode, raw: null, stat: lstatSync(absolute, { bigint: true }) };
}
