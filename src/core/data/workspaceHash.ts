import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ProvenantError } from '../util/errors';
import { buildManifest, type DirEntry } from './dirManifest';
import type { HashName } from './dvcFile';
import { hashDataDependencies, hashDirectory, type HashDataOptions } from './hashData';
import { md5Dos2UnixFile } from './md5';
import { walkDirectory } from './walk';

export type PathHash =
  | { kind: 'file'; md5: string; size: number; isexec: boolean }
  | { kind: 'dir'; md5: string; size: number; nfiles: number; entries?: DirEntry[] }
  | { kind: 'missing' }
  | { kind: 'error'; error: ProvenantError };

function asError(err: unknown, path: string): ProvenantError {
  if (err instanceof ProvenantError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return new ProvenantError(`"${path}" is a symbolic link loop`, { file: path, code: 'E_SYMLINK_LOOP', cause: err });
  return new ProvenantError(`cannot read "${path}" (${code ?? err})`, { file: path, code: 'E_READ_FILE', cause: err });
}

/** What is at a workspace path: a file, a directory, nothing, or an error (e.g. a symlink loop). */
export function probe(root: string, relPath: string): 'file' | 'dir' | 'missing' | ProvenantError {
  try {
    const st = statSync(join(root, relPath));
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : new ProvenantError(`"${relPath}" is neither a file nor a directory`, { file: relPath, code: 'E_NOT_A_FILE' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    return asError(err, relPath);
  }
}

function isExecutable(abs: string): boolean {
  try {
    return (statSync(abs).mode & 0o100) !== 0;
  } catch {
    return false;
  }
}

/** DVC 2 `md5-dos2unix` of a path: a file's legacy hash, or a directory manifest of legacy hashes. */
export async function legacyHash(root: string, relPath: string, options: HashDataOptions = {}): Promise<PathHash> {
  const kind = probe(root, relPath);
  if (kind === 'missing') return { kind: 'missing' };
  if (kind instanceof ProvenantError) return { kind: 'error', error: kind };
  const abs = join(root, relPath);
  try {
    if (kind === 'file') {
      const h = md5Dos2UnixFile(abs);
      return { kind: 'file', md5: h.md5, size: h.size, isexec: isExecutable(abs) };
    }
    const files = await walkDirectory(abs, { root, ...(options.signal ? { signal: options.signal } : {}) });
    const entries = files.map((f) => ({ md5: md5Dos2UnixFile(f.absPath, { expected: f }).md5, relpath: f.relpath }));
    const manifest = buildManifest(entries);
    return { kind: 'dir', md5: manifest.oid, size: files.reduce((s, f) => s + f.size, 0), nfiles: files.length, entries: manifest.entries };
  } catch (err) {
    return { kind: 'error', error: asError(err, relPath) };
  }
}

/**
 * Hashes workspace paths as their entries say (DVC 3 md5 through the state index, or legacy), in one
 * hashing session for all DVC 3 paths. A failure on one path is reported for that path only.
 */
export async function hashWorkspacePaths(root: string, paths: readonly { relPath: string; hashName: HashName }[], options: HashDataOptions = {}): Promise<Map<string, PathHash>> {
  const workspace = resolve(root);
  const results = new Map<string, PathHash>();
  const v3: string[] = [];
  for (const { relPath, hashName } of paths) {
    if (results.has(`${hashName}:${relPath}`)) continue;
    if (hashName === 'md5-dos2unix') {
      results.set(`${hashName}:${relPath}`, await legacyHash(workspace, relPath, options));
      continue;
    }
    const kind = probe(workspace, relPath);
    if (kind === 'missing') results.set(`md5:${relPath}`, { kind: 'missing' });
    else if (kind instanceof ProvenantError) results.set(`md5:${relPath}`, { kind: 'error', error: kind });
    else if (!v3.includes(relPath)) v3.push(relPath);
  }
  const record = (relPath: string, v: { md5: string; size: number; nfiles?: number }) =>
    results.set(
      `md5:${relPath}`,
      v.nfiles !== undefined ? { kind: 'dir', md5: v.md5, size: v.size, nfiles: v.nfiles } : { kind: 'file', md5: v.md5, size: v.size, isexec: isExecutable(join(workspace, relPath)) },
    );
  try {
    const versions = await hashDataDependencies(workspace, v3, options);
    versions.forEach((v, i) => record(v3[i]!, v));
  } catch (err) {
    if (err instanceof ProvenantError && err.code === 'E_CANCELLED') throw err;
    for (const relPath of v3) {
      try {
        record(relPath, (await hashDataDependencies(workspace, [relPath], options))[0]!);
      } catch (inner) {
        if (inner instanceof ProvenantError && inner.code === 'E_CANCELLED') throw inner;
        results.set(`md5:${relPath}`, { kind: 'error', error: asError(inner, relPath) });
      }
    }
  }
  return results;
}

export function hashKey(relPath: string, hashName: HashName): string {
  return `${hashName}:${relPath}`;
}

/** The entries of a workspace directory by the rule given (through the state index for md5). */
export async function directoryEntries(root: string, relPath: string, hashName: HashName, options: HashDataOptions = {}): Promise<{ md5: string; size: number; nfiles: number; entries: DirEntry[] }> {
  if (hashName === 'md5-dos2unix') {
    const h = await legacyHash(root, relPath, options);
    if (h.kind === 'error') throw h.error;
    if (h.kind !== 'dir') throw new ProvenantError(`"${relPath}" is not a directory`, { file: relPath, code: 'E_NOT_A_DIR' });
    return { md5: h.md5, size: h.size, nfiles: h.nfiles, entries: h.entries ?? [] };
  }
  const d = await hashDirectory(join(root, relPath), { root, ...options });
  return { md5: d.oid, size: d.size, nfiles: d.nfiles, entries: d.entries };
}
