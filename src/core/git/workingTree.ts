import { readdirSync, lstatSync, readFileSync, readlinkSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { git, fs } from './repo';
import type { IndexEntry } from './indexFile';
import { GitIgnore } from './ignore';

export interface TreeFile {
  path: string;
  mode: number;
  oid: string;
}

function fileMode(stat: BigIntStats): number {
  if (stat.isSymbolicLink()) return 0o120000;
  return (Number(stat.mode) & 0o111) !== 0 ? 0o100755 : 0o100644;
}

/** True when git's cached stat data proves the file unchanged (and the entry is not racily clean). */
export function statMatches(entry: IndexEntry, stat: BigIntStats, indexMtimeNs: bigint): boolean {
  const mtimeNs = stat.mtimeNs;
  if (mtimeNs >= indexMtimeNs) return false;
  return (
    BigInt(entry.mtimeSeconds) === mtimeNs / 1_000_000_000n &&
    BigInt(entry.mtimeNanoseconds) === mtimeNs % 1_000_000_000n &&
    BigInt(entry.size) === stat.size % 4294967296n &&
    (entry.ino === 0 || BigInt(entry.ino) === stat.ino % 4294967296n) &&
    entry.mode === fileMode(stat)
  );
}

/**
 * Every file git would commit with `git add -A`: tracked files as they are now, plus untracked
 * files that are not ignored. Blob ids of files whose stat data matches the index are reused;
 * the others are hashed and written to the object store (objects only: the index is not touched).
 */
export async function collectWorkingTree(root: string, index: Map<string, IndexEntry>, onFile?: () => void): Promise<TreeFile[]> {
  const ignoreRules = new GitIgnore(root);
  const trackedDirs = new Set<string>();
  for (const path of index.keys()) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) trackedDirs.add(parts.slice(0, i).join('/'));
  }
  let indexMtimeNs = 0n;
  try {
    indexMtimeNs = lstatSync(join(root, '.git', 'index'), { bigint: true }).mtimeNs;
  } catch {
    // No index yet: every file is hashed.
  }

  const files: TreeFile[] = [];
  const visit = async (relDir: string): Promise<void> => {
    const abs = relDir ? join(root, relDir) : root;
    for (const dirent of readdirSync(abs, { withFileTypes: true })) {
      const rel = relDir ? `${relDir}/${dirent.name}` : dirent.name;
      if (!relDir && dirent.name === '.git') continue;
      const tracked = index.get(rel);
      if (dirent.isDirectory()) {
        if (existsGitDir(join(abs, dirent.name)) && !trackedDirs.has(rel)) continue; // a nested repository, as git leaves it
        if (tracked?.mode === 0o160000) {
          files.push({ path: rel, mode: 0o160000, oid: tracked.oid });
          continue;
        }
        if (!trackedDirs.has(rel) && ignoreRules.ignores(rel, true)) continue;
        await visit(rel);
        continue;
      }
      if (!tracked && ignoreRules.ignores(rel, false)) continue;
      const stat = lstatSync(join(abs, dirent.name), { bigint: true });
      if (!stat.isFile() && !stat.isSymbolicLink()) continue;
      const mode = fileMode(stat);
      let oid: string;
      if (tracked && statMatches(tracked, stat, indexMtimeNs)) {
        oid = tracked.oid;
      } else {
        const content = stat.isSymbolicLink() ? Buffer.from(readlinkSync(join(abs, dirent.name))) : readFileSync(join(abs, dirent.name));
        oid = await git.writeBlob({ fs, dir: root, blob: content });
      }
      files.push({ path: rel, mode, oid });
      onFile?.();
    }
  };
  await visit('');
  return files;
}

function existsGitDir(dir: string): boolean {
  try {
    lstatSync(join(dir, '.git'));
    return true;
  } catch {
    return false;
  }
}
