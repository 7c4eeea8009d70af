import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { hashDataDependencies, hashDirectory } from '../../../src/core/data/hashData';
import { liveHashWorkers } from '../../../src/core/data/hashPool';
import { STATE_INDEX_PATH } from '../../../src/core/data/stateIndex';
import { ProvenantError } from '../../../src/core/util/errors';

const FOO = 'acbd18db4cc2f85cedef654fccc4a4d8';
const BAR = '37b51d194a7513e45b56f6524f2d51f2';
const base = mkdtempSync(join(tmpdir(), 'provenant-hashdata-'));
test.after(() => rmSync(base, { recursive: true, force: true }));

/** An hour ago: old enough for the state index to trust the stamps (fresh files are "racy"). */
const PAST = new Date(Date.now() - 3600_000);

let counter = 0;
function workspace(files: Record<string, string>, backdate = true): string {
  const root = join(base, `w${counter++}`);
  mkdirSync(root, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    if (backdate) utimesSync(path, PAST, PAST);
  }
  return root;
}

/** Rewrites a file in place (same inode, same size) and puts its old mtime back. */
function rewriteKeepingStamp(path: string, content: string): void {
  const before = statSync(path);
  writeFileSync(path, content);
  utimesSync(path, before.atime, before.mtime);
  const after = statSync(path);
  assert.equal(after.ino, before.ino);
  assert.equal(after.size, before.size);
  assert.equal(after.mtimeMs, before.mtimeMs);
}

const readState = (root: string): { files: Record<string, unknown>; dirs: Record<string, unknown> } =>
  JSON.parse(readFileSync(join(root, STATE_INDEX_PATH), 'utf8'));

test('files and directories give DataVersion records in input order', async () => {
  const root = workspace({ 'data/foo': 'foo', 'data/bar': 'bar', 'data/subdir/data': 'data', 'single.txt': 'foo', 'empty/.gitkeep-dir/x': '' });
  rmSync(join(root, 'empty/.gitkeep-dir'), { recursive: true });
  const r = await hashDataDependencies(root, ['./data/', 'single.txt', 'empty'], { useState: false });
  assert.deepEqual(r, [
    { path: 'data', md5: '8761c4e9acad696bee718615e23e22db.dir', size: 10, nfiles: 3 },
    { path: 'single.txt', md5: FOO, size: 3 },
    { path: 'empty', md5: 'd751713988987e9331980363e24189ce.dir', size: 0, nfiles: 0 },
  ]);
  assert.equal(existsSync(join(root, STATE_INDEX_PATH)), false, 'useState: false writes no state');
  assert.equal(liveHashWorkers(), 0);
});

test('a path escaping the workspace is refused with E_PATH_ESCAPE naming it', async () => {
  const root = workspace({ a: 'a' });
  for (const bad of ['../outside.csv', '/etc/passwd']) {
    await assert.rejects(hashDataDependencies(root, ['a', bad]), (err: unknown) => {
      assert.ok(err instanceof ProvenantError);
      assert.equal(err.code, 'E_PATH_ESCAPE');
      assert.ok(err.message.includes(bad));
      return true;
    });
  }
});

test('a missing path names it and points at data: in .provenant/config.yaml', async () => {
  const root = workspace({ a: 'a' });
  for (const missing of ['data/missing.csv', 'a/below-a-file']) {
    await assert.rejects(hashDataDependencies(root, [missing]), (err: unknown) => {
      assert.ok(err instanceof ProvenantError);
      assert.equal(err.code, 'E_DATA_MISSING');
      assert.ok(err.message.includes(missing));
      assert.match(err.hint ?? '', /`data:`.*\.provenant\/config\.yaml/);
      return true;
    });
  }
});

test('the state index is reused: unchanged stamps mean the content is not read again', async () => {
  const root = workspace({ 'data/foo': 'foo', 'data/bar': 'bar', 'model.bin': 'foo' });
  const first = await hashDataDependencies(root, ['data', 'model.bin']);
  assert.equal(first[0]!.md5, '5ea40360f5b4ec688df672a4db9c17d1.dir');
  assert.equal(first[1]!.md5, FOO);
  const state = readState(root);
  assert.deepEqual(Object.keys(state.files).sort(), ['data/bar', 'data/foo', 'model.bin']);
  assert.deepEqual(Object.keys(state.dirs), ['data']);

  // Same size, same inode, same mtime, other bytes: only a read could notice.
  rewriteKeepingStamp(join(root, 'model.bin'), 'xyz');
  rewriteKeepingStamp(join(root, 'data/foo'), 'zzz');
  const second = await hashDataDependencies(root, ['data', 'model.bin']);
  assert.deepEqual(second, first, 'cached hashes are returned');

  // hashDirectory with the same workspace reads its entries from the index too
  const dir = await hashDirectory(join(root, 'data'), { root });
  assert.equal(dir.oid, '5ea40360f5b4ec688df672a4db9c17d1.dir');
  assert.deepEqual(dir.entries, [
    { md5: BAR, relpath: 'bar' },
    { md5: FOO, relpath: 'foo' },
  ]);

  // Without the state, the real content is hashed.
  const fresh = await hashDataDependencies(root, ['data', 'model.bin'], { useState: false });
  assert.notEqual(fresh[0]!.md5, first[0]!.md5);
  assert.equal(fresh[1]!.md5, 'd16fb36f0911f878998c136191af705e'); // md5("xyz")

  // A moved mtime invalidates the entry (and the directory's).
  utimesSync(join(root, 'data/foo'), PAST, new Date(PAST.getTime() + 5000));
  const third = await hashDataDependencies(root, ['data', 'model.bin']);
  assert.equal(third[0]!.md5, fresh[0]!.md5);
  assert.equal(third[1]!.md5, FOO, 'model.bin still cached');
});

test('a file modified just before hashing is not recorded (racy stamp)', async () => {
  const root = workspace({ 'old.txt': 'foo' });
  writeFileSync(join(root, 'new.txt'), 'bar');
  await hashDataDependencies(root, ['old.txt', 'new.txt']);
  assert.deepEqual(Object.keys(readState(root).files), ['old.txt']);
});

test('a corrupt state file is ignored and rebuilt', async () => {
  const root = workspace({ 'data/foo': 'foo', 'data/bar': 'bar' });
  for (const junk of ['{not json', '[]', 'null', '{"version": 1, "files": {"data/foo": {"inode": "x"}}, "dirs": 3}']) {
    mkdirSync(join(root, '.provenant/state'), { recursive: true });
    writeFileSync(join(root, STATE_INDEX_PATH), junk);
    const r = await hashDataDependencies(root, ['data']);
    assert.equal(r[0]!.md5, '5ea40360f5b4ec688df672a4db9c17d1.dir', junk);
    const state = readState(root);
    assert.deepEqual(Object.keys(state.files).sort(), ['data/bar', 'data/foo'], junk);
  }
});

test('deleted files leave the index; a directory change gives a new oid', async () => {
  const root = workspace({ 'data/foo': 'foo', 'data/bar': 'bar', 'data/baz': 'baz' });
  assert.equal((await hashDataDependencies(root, ['data']))[0]!.md5, 'ba75a2162ca9c29acecb7957105a0bc2.dir');
  rmSync(join(root, 'data/baz'));
  assert.equal((await hashDataDependencies(root, ['data']))[0]!.md5, '5ea40360f5b4ec688df672a4db9c17d1.dir');
  assert.deepEqual(Object.keys(readState(root).files).sort(), ['data/bar', 'data/foo']);
});

test('progress is reported and an AbortSignal cancels hashDataDependencies', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 50; i++) files[`data/f${i}`] = 'x'.repeat(200_000 + i);
  const root = workspace(files);
  let last = { bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 0 };
  await hashDataDependencies(root, ['data'], { useState: false, onProgress: (p) => (last = p) });
  assert.equal(last.filesDone, 50);
  assert.equal(last.bytesDone, last.bytesTotal);

  const controller = new AbortController();
  const pending = hashDataDependencies(root, ['data'], { useState: false, signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, (err: unknown) => err instanceof ProvenantError && err.code === 'E_CANCELLED');
  assert.equal(liveHashWorkers(), 0);
});
