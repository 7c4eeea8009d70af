/**
 * Looking data up in, and restoring it from, a DVC 3 cache: `<cache>/files/md5/<oid[0:2]>/<oid[2:]>`,
 * the cache being `.dvc/cache` unless `[cache] dir` in `.dvc/config` (or `.dvc/config.local`)
 * says otherwise. A directory (`<md5>.dir`) is present when its manifest object and every file
 * it names are. Read-only towards the cache; restored files are written atomically and verified.
 *
 * Kept small and self-contained so that it can be merged into the DVC client of `src/core/data/`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { md5Bytes } from '../data/md5';
import { parseManifest } from '../data/dirManifest';
import type { DataVersion } from '../runs/types';
import { writeFileAtomic } from '../util/atomic';
import { ProvenantError } from '../util/errors';
import { isInside } from '../util/paths';

/** The `dir` of the `[cache]` section of an INI-like DVC config file, if set. */
function cacheDirSetting(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  let section = '';
  for (const raw of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*["']?([^\]"']+)["']?\s*\]$/.exec(line);
    if (header) {
      section = header[1]!.trim();
      continue;
    }
    const kv = /^([A-Za-z_]+)\s*=\s*(.*)$/.exec(line);
    if (section === 'cache' && kv && kv[1] === 'dir') return kv[2]!.trim();
  }
  return undefined;
}

/** The workspace's DVC cache directory (absolute). Relative settings are relative to `.dvc/`. */
export function dvcCacheDir(root: string): string {
  const dvc = join(root, '.dvc');
  const setting = cacheDirSetting(join(dvc, 'config.local')) ?? cacheDirSetting(join(dvc, 'config'));
  if (!setting) return join(dvc, 'cache');
  return isAbsolute(setting) ? setting : resolve(dvc, setting);
}

/** Path of an object (`<md5>` or `<md5>.dir`) in a DVC 3 cache. */
export function cacheObjectPath(cacheDir: string, oid: string): string {
  if (!/^[0-9a-f]{32}(\.dir)?$/.test(oid)) throw new ProvenantError(`"${oid}" is not a DVC md5 object id`, { code: 'E_BAD_OID' });
  return join(cacheDir, 'files', 'md5', oid.slice(0, 2), oid.slice(2));
}

export interface CacheLookup {
  present: boolean;
  /** Objects of the data version that the cache lacks (oids). */
  missing: string[];
}

/** Whether the cache holds a data version: the file object, or a directory's manifest and all its files. */
export function lookupInCache(cacheDir: string, version: Pick<DataVersion, 'md5'>): CacheLookup {
  const top = cacheObjectPath(cacheDir, version.md5);
  if (!existsSync(top)) return { present: false, missing: [version.md5] };
  if (!version.md5.endsWith('.dir')) return { present: true, missing: [] };
  const entries = parseManifest(readFileSync(top), top);
  const missing = entries.filter((e) => !existsSync(cacheObjectPath(cacheDir, e.md5))).map((e) => e.md5);
  return { present: missing.length === 0, missing };
}

/**
 * Writes a data version from the cache to `target` (a file path, or the directory for a `.dir`),
 * checking every object's md5 as it is copied. Throws naming the object when one is missing or
 * damaged. `target` must lie inside `within`.
 */
export function restoreFromCache(cacheDir: string, version: Pick<DataVersion, 'path' | 'md5'>, target: string, within: string): number {
  const read = (oid: string): Buffer => {
    const path = cacheObjectPath(cacheDir, oid);
    if (!existsSync(path)) {
      throw new ProvenantError(`the DVC cache has no object ${oid} (of ${version.path})`, { file: path, hint: 'Fetch it (`dvc pull`) or run again with the data present.', code: 'E_CACHE_MISSING' });
    }
    const bytes = readFileSync(path);
    const md5 = md5Bytes(bytes);
    if (md5 !== oid.replace(/\.dir$/, '')) {
      throw new ProvenantError(`the cache object ${oid} of ${version.path} is damaged (its md5 is ${md5})`, { file: path, hint: 'Remove it and fetch it again (`dvc pull`).', code: 'E_CACHE_CORRUPT' });
    }
    return bytes;
  };
  const place = (path: string, bytes: Buffer) => {
    if (!isInside(within, resolve(path))) throw new ProvenantError(`refusing to write ${path} outside ${within}`, { code: 'E_PATH_ESCAPE' });
    writeFileAtomic(path, bytes);
  };
  if (!version.md5.endsWith('.dir')) {
    place(target, read(version.md5));
    return 1;
  }
  const manifest = parseManifest(read(version.md5), cacheObjectPath(cacheDir, version.md5));
  for (const entry of manifest) place(join(target, ...entry.relpath.split('/')), read(entry.md5));
  return manifest.length;
}
