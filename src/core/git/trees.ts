import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { git, fs } from './repo';
import type { TreeFile } from './workingTree';

type Node = { files: Map<string, TreeFile>; dirs: Map<string, Node> };

function emptyNode(): Node {
  return { files: new Map(), dirs: new Map() };
}

/** Git's order of tree entries: by name, a subtree compared as if its name ended with "/". */
function treeOrder(a: { name: string; isTree: boolean }, b: { name: string; isTree: boolean }): number {
  const x = Buffer.from(a.isTree ? `${a.name}/` : a.name);
  const y = Buffer.from(b.isTree ? `${b.name}/` : b.name);
  return Buffer.compare(x, y);
}

/** The bytes of a tree object (without its header). */
function treeBytes(entries: { name: string; mode: number; oid: string; isTree: boolean }[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of [...entries].sort(treeOrder)) {
    parts.push(Buffer.from(`${e.mode.toString(8)} ${e.name}\0`), Buffer.from(e.oid, 'hex'));
  }
  return Buffer.concat(parts);
}

function objectId(type: string, body: Buffer): string {
  return createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest('hex');
}

/**
 * Writes the nested trees for a flat list of files; returns the root tree id. Tree ids are
 * computed in memory and only trees git does not have yet are written, so a snapshot of a large,
 * mostly unchanged repository writes a handful of objects.
 */
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
  const cache = {};
  const exists = async (oid: string): Promise<boolean> => {
    // An empty loose object is a leftover of an interrupted write, not the object.
    if ((statSync(join(root, '.git', 'objects', oid.slice(0, 2), oid.slice(2)), { throwIfNoEntry: false })?.size ?? 0) > 0) return true;
    try {
      await git.readObject({ fs, dir: root, oid, format: 'deflated', cache });
      return true;
    } catch {
      return false;
    }
  };
  const write = async (node: Node): Promise<string> => {
    const entries: { name: string; mode: number; oid: string; isTree: boolean }[] = [];
    for (const [name, child] of node.dirs) entries.push({ name, mode: 0o40000, oid: await write(child), isTree: true });
    for (const [name, file] of node.files) entries.push({ name, mode: file.mode, oid: file.oid, isTree: false });
    const body = treeBytes(entries);
    const oid = objectId('tree', body);
    if (!(await exists(oid))) {
      const written = await git.writeObject({ fs, dir: root, type: 'tree', object: body, format: 'content' });
      if (written !== oid) throw new Error(`tree id mismatch: computed ${oid}, git stored ${written}`);
    }
    return oid;
  };
  return write(top);
}

export interface TreeChange {
  path: string;
  change: 'added' | 'modified' | 'deleted';
  /** Blob id and mode on each side (absent on the side where the file is not). */
  before?: { oid: string; mode: number };
  after?: { oid: string; mode: number };
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
    const side = (e: { oid: string; mode: string }) => ({ oid: e.oid, mode: parseInt(e.mode, 8) });
    if (x && x.type !== 'tree' && !(y && y.type !== 'tree')) changes.push({ path, change: 'deleted', before: side(x) });
    else if (y && y.type !== 'tree' && !(x && x.type !== 'tree')) changes.push({ path, change: 'added', after: side(y) });
    else if (x && y && x.type !== 'tree' && y.type !== 'tree') changes.push({ path, change: 'modified', before: side(x), after: side(y) });
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
