import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProvenantError } from '../util/errors';

/** One entry of the git index, with the stat data git cached for it. */
export interface IndexEntry {
  path: string;
  oid: string;
  mode: number;
  mtimeSeconds: number;
  mtimeNanoseconds: number;
  ctimeSeconds: number;
  size: number;
  ino: number;
  /** Merge stage: 0 normally, 1-3 for a conflicted path. */
  stage: number;
}

/**
 * Reads `.git/index` (versions 2 and 3) without writing anything back. isomorphic-git parses the
 * same format but only exposes it through `walk`, which costs ~0.1 ms per entry; a snapshot of a
 * large repository needs every entry's cached stat data, so it is read directly here.
 */
export function readGitIndex(gitdir: string): Map<string, IndexEntry> {
  const file = join(gitdir, 'index');
  const entries = new Map<string, IndexEntry>();
  if (!existsSync(file)) return entries;
  const buf = readFileSync(file);
  const fail = (why: string): never => {
    throw new ProvenantError(`cannot read the git index: ${why}`, { file: '.git/index', hint: 'Run `git status` to let git rewrite it, then try again.', code: 'E_GIT_INDEX' });
  };
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'DIRC') fail('not an index file');
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) fail(`index version ${version} is not supported here`);
  const count = buf.readUInt32BE(8);
  let at = 12;
  for (let i = 0; i < count; i++) {
    if (at + 62 > buf.length) fail('truncated');
    const flags = buf.readUInt16BE(at + 60);
    const extended = (flags & 0x4000) !== 0;
    const nameStart = at + 62 + (extended ? 2 : 0);
    const nameEnd = buf.indexOf(0, nameStart);
    if (nameEnd < 0) fail('truncated entry name');
    const path = buf.toString('utf8', nameStart, nameEnd);
    const entry: IndexEntry = {
      path,
      ctimeSeconds: buf.readUInt32BE(at),
      mtimeSeconds: buf.readUInt32BE(at + 8),
      mtimeNanoseconds: buf.readUInt32BE(at + 12),
      ino: buf.readUInt32BE(at + 20),
      mode: buf.readUInt32BE(at + 24),
      size: buf.readUInt32BE(at + 36),
      oid: buf.toString('hex', at + 40, at + 60),
      stage: (flags >> 12) & 0x3,
    };
    if (entry.stage === 0) entries.set(path, entry);
    // Entries are padded with NULs to a multiple of 8 bytes, counted from the entry's start.
    const length = nameEnd - at + 1;
    at += Math.ceil(length / 8) * 8;
  }
  return entries;
}
