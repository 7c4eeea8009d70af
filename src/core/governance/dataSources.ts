/**
 * Where the exact bytes of a run's data dependency can be found again: in the workspace's DVC cache
 * (its `cache.dir`), or in the run's code snapshot when the data is committed with the code.
 */
import { git, fs } from '../git/repo';
import { buildManifest } from '../data/dirManifest';
import { openDvcRepo, type DvcRepo } from '../data/dvcRepo';
import { md5Bytes } from '../data/md5';
import { lookupVersion } from '../data/versions';
import type { DataVersion, RunRecord } from '../runs/types';

export type DataLocation = { where: 'cache'; repo: DvcRepo } | { where: 'snapshot'; commit: string } | { where: 'nowhere'; missing: string[] };

async function blobMd5(root: string, commit: string, path: string): Promise<string | null> {
  try {
    const { blob } = await git.readBlob({ fs, dir: root, oid: commit, filepath: path });
    return md5Bytes(blob);
  } catch {
    return null;
  }
}

/** The `.dir` oid the files under `path` in `commit` would have, or null when there is no such folder. */
async function treeDirOid(root: string, commit: string, path: string): Promise<string | null> {
  let tree: string;
  try {
    tree = (await git.readTree({ fs, dir: root, oid: commit, filepath: path })).oid;
  } catch {
    return null;
  }
  const entries: { md5: string; relpath: string }[] = [];
  const walk = async (oid: string, prefix: string): Promise<void> => {
    for (const e of (await git.readTree({ fs, dir: root, oid })).tree) {
      const rel = prefix ? `${prefix}/${e.path}` : e.path;
      if (e.type === 'tree') await walk(e.oid, rel);
      else if (e.type === 'blob' && e.path !== '.dvcignore') entries.push({ md5: md5Bytes((await git.readBlob({ fs, dir: root, oid: e.oid })).blob), relpath: rel });
    }
  };
  await walk(tree, '');
  return buildManifest(entries).oid;
}

/**
 * Finds the data version: the DVC cache first, then the run's code snapshot. A `.dvc/config` that
 * cannot be read, or a damaged manifest in the cache, throws naming the file.
 */
export async function locateData(root: string, run: RunRecord, version: DataVersion): Promise<DataLocation> {
  const repo = openDvcRepo(root);
  const cached = repo ? lookupVersion(repo, version) : { present: false, missing: [version.md5] };
  if (repo && cached.present) return { where: 'cache', repo };
  const commit = run.code.snapshotCommit;
  const inSnapshot = version.md5.endsWith('.dir') ? await treeDirOid(root, commit, version.path) : await blobMd5(root, commit, version.path);
  if (inSnapshot === version.md5) return { where: 'snapshot', commit };
  return { where: 'nowhere', missing: cached.missing };
}
