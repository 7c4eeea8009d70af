import { git, fs } from './repo';
import type { TreeFile } from './workingTree';

type Node = { files: Map<string, TreeFile>; dirs: Map<string, Node> };

function emptyNode(): Node {
  return { files: new Map(), dirs: new Map() };
}

function modeString(mode: number): string {
  return mode.toString(8).padStart(6, '0');
}

/** Writes the nested trees for a flat list of files; returns the root tree id. */
export async function writeTreeFromFiles(root: string, files: TreeFile[]): Promise<string> {
  const top = emptyNode();
  for (const file of files) {
    const parts = file.path.split('/');
    let node = top;
    for (const part of parts.slice(0, -1)) {
      let child = node.dirs.get(part);
      if (!child) node.dirs.set(part, (child = emptyNode()));
      node = child;
    }
    node.files.set(parts[parts.length - 1]!, file);
  }
  const write = async (node: Node): Promise<string> => {
    const entries: { mode: string; path: string; oid: string; type: 'blob' | 'tree' | 'commit' }[] = [];
    for (const [name, child] of node.dirs) entries.push({ mode: '040000', path: name, oid: await write(child), type: 'tree' });
    for (const [name, file] of node.files) {
      entries.push({ mode: modeString(file.mode), path: name, oid: file.oid, type: file.mode === 0o160000 ? 'commit' : 'blob' });
    }
    return git.writeTree({ fs, dir: root, tree: entries });
  };
  return write(top);
}

export interface TreeChange {
  path: string;
  change: 'added' | 'modified' | 'deleted';
}

async function readEntries(root: string, oid: string | null): Promise<Map<string, { oid: string; type: string; mode: string }>> {
  const map = new Map<string, { oid: string; type: string; mode: string }>();
  if (!oid) return map;
  const { tree } = await git.readTree({ fs, dir: root, oid });
  for (const entry of tree) map.set(entry.path, { oid: entry.oid, type: entry.type, mode: entry.mode });
  return map;
}

/** Files that differ between two trees; equal subtrees are skipped without being read. */
export async function diffTrees(root: string, before: string | null, after: string | null, prefix = ''): Promise<TreeChange[]> {
  if (before === after) return [];
  const [a, b] = await Promise.all([readEntries(root, before), readEntries(root, after)]);
  const changes: TreeChange[] = [];
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const name of names) {
    const x = a.get(name);
    const y = b.get(name);
    const path = prefix ? `${prefix}/${name}` : name;
    if (x && y && x.oid === y.oid && x.mode === y.mode) continue;
    const xTree = x?.type === 'tree' ? x.oid : null;
    const yTree = y?.type === 'tree' ? y.oid : null;
    if (xTree || yTree) changes.push(...(await diffTrees(root, xTree, yTree, path)));
    if (x && x.type !== 'tree' && !(y && y.type !== 'tree')) changes.push({ path, change: 'deleted' });
    else if (y && y.type !== 'tree' && !(x && x.type !== 'tree')) changes.push({ path, change: 'added' });
    else if (x && y && x.type !== 'tree' && y.type !== 'tree') changes.push({ path, change: 'modified' });
  }
  return changes;
}

/** A copy of `treeOid` with `files` (name → bytes) placed in the folder `dirPath` (created as needed). */
export async function treeWithFiles(root: string, treeOid: string, dirPath: string, files: Map<string, Uint8Array>): Promise<string> {
  const parts = dirPath.split('/').filter(Boolean);
  const rewrite = async (oid: string | null, depth: number): Promise<string> => {
    const entries = oid ? (await git.readTree({ fs, dir: root, oid })).tree : [];
    if (depth === parts.length) {
      const kept = entries.filter((e) => !files.has(e.path));
      for (const [name, bytes] of files) {
        kept.push({ mode: '100644', path: name, oid: await git.writeBlob({ fs, dir: root, blob: bytes }), type: 'blob' });
      }
      return git.writeTree({ fs, dir: root, tree: kept });
    }
    const name = parts[depth]!;
    const existing = entries.find((e) => e.path === name && e.type === 'tree');
    const child = await rewrite(existing?.oid ?? null, depth + 1);
    const others = entries.filter((e) => e.path !== name);
    return git.writeTree({ fs, dir: root, tree: [...others, { mode: '040000', path: name, oid: child, type: 'tree' }] });
  };
  return rewrite(treeOid, 0);
}
