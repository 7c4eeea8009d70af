import nodeFs from 'node:fs';
import { open, rename, rm, stat, lstat, readdir, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ProvenantError } from '../util/errors';

/**
 * The file system handed to isomorphic-git. isomorphic-git writes objects, refs and the index
 * straight under their final names, so a full disk or a kill leaves an empty object that git then
 * takes as present (the repository is corrupt). Here every write inside a `.git` directory is
 * complete or absent, as git does it:
 * - a loose object is written to `objects/xx/tmp_obj_*` (git's own temporary name, which
 *   `git fsck` and `git gc` know), flushed, then renamed; objects are immutable, so one already
 *   present is kept, and an empty one (left by an older version) counts as missing and is rewritten;
 * - any other file (ref, packed-refs, index, config) is written to `<file>.lock`, created
 *   exclusively as git does (so git and Provenant never write the same file at once), flushed, then
 *   renamed over the file.
 * On an error the temporary file is removed and nothing under a final name changed.
 */

const LOOSE_OBJECT = /[\\/]\.git[\\/]objects[\\/][0-9a-f]{2}[\\/][0-9a-f]{38}$/;
const IN_GIT_DIR = /[\\/]\.git[\\/]/;
const REFS_DIR = /[\\/]\.git[\\/]refs(?:[\\/]|$)/;

/** How long a write waits for another process's `.lock` on the same file (git waits 100 ms for refs). */
const LOCK_WAIT_MS = 1000;

function toBytes(data: string | Uint8Array, options?: unknown): Uint8Array {
  if (typeof data !== 'string') return data;
  const encoding = typeof options === 'string' ? options : ((options as { encoding?: BufferEncoding } | undefined)?.encoding ?? 'utf8');
  return Buffer.from(data, encoding as BufferEncoding);
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += (await handle.write(bytes, offset, bytes.length - offset)).bytesWritten;
  await handle.sync();
}

/** Writes `bytes` into the new file `tmp` (flushed), then renames it to `path`; on any error `tmp` is gone. */
async function writeThenRename(tmp: string, path: string, bytes: Uint8Array, createTmp: () => Promise<FileHandle>): Promise<void> {
  const handle = await createTmp();
  try {
    await writeAll(handle, bytes);
    await handle.close();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function presentAndNonEmpty(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}

async function writeLooseObject(path: string, bytes: Uint8Array): Promise<void> {
  if (await presentAndNonEmpty(path)) return;
  const tmp = join(dirname(path), `tmp_obj_${randomBytes(6).toString('hex')}`);
  await writeThenRename(tmp, path, bytes, () => open(tmp, 'wx', 0o444));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function writeUnderLock(path: string, bytes: Uint8Array): Promise<void> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  const create = async (): Promise<FileHandle> => {
    for (;;) {
      try {
        return await open(lock, 'wx', 0o644);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (Date.now() >= deadline) {
          const name = basename(path);
          throw new ProvenantError(`another git process is writing ${name}`, {
            file: lock,
            hint: 'Try again in a moment. If no git process is running, one that crashed left the lock file behind: remove it.',
            code: 'E_REF_LOCKED',
          });
        }
        await sleep(20 + Math.random() * 30);
      }
    }
  };
  await writeThenRename(lock, path, bytes, create);
}

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/** writeFile as isomorphic-git calls it: atomic inside `.git`, plain elsewhere. */
export async function safeWriteFile(path: string, data: string | Uint8Array, options?: unknown): Promise<void> {
  const p = String(path);
  if (!IN_GIT_DIR.test(p)) return writeFile(p, data, options as Parameters<typeof writeFile>[2]);
  try {
    if (LOOSE_OBJECT.test(p)) await writeLooseObject(p, toBytes(data, options));
    else await writeUnderLock(p, toBytes(data, options));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!NO_SPACE.has(code)) throw err;
    const at = p.slice(p.search(IN_GIT_DIR) + 1).replace(/\\/g, '/');
    throw new ProvenantError(`the disk is full (${code}) while writing to the git repository`, {
      file: at,
      hint: 'Free some space and try again. Nothing partial was left in the repository.',
      code: 'E_DISK_FULL',
    });
  }
}

function emptyObjectIsMissing(path: string, st: nodeFs.Stats): nodeFs.Stats {
  if (st.size === 0 && LOOSE_OBJECT.test(path)) {
    throw Object.assign(new Error(`ENOENT: empty loose object treated as missing, stat '${path}'`), { code: 'ENOENT', errno: -2, syscall: 'stat', path });
  }
  return st;
}

/** Lock files of a ref being written are not refs (git skips them too). */
async function safeReaddir(path: string, options?: unknown): Promise<string[]> {
  const names = (await readdir(path, options as { encoding: 'utf8' })) as string[];
  return REFS_DIR.test(`${String(path)}/`) ? names.filter((n) => !n.endsWith('.lock')) : names;
}

const promises = {
  ...nodeFs.promises,
  writeFile: safeWriteFile,
  stat: async (path: string, options?: unknown) => emptyObjectIsMissing(String(path), (await stat(path, options as nodeFs.StatOptions)) as nodeFs.Stats),
  lstat: async (path: string, options?: unknown) => emptyObjectIsMissing(String(path), (await lstat(path, options as nodeFs.StatOptions)) as nodeFs.Stats),
  readdir: safeReaddir,
};

/** The `fs` argument for every isomorphic-git call. */
export const safeFs = { promises };
