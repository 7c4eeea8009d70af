import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walkDirectory } from '../../../src/core/data/walk';
import { hashDirectory } from '../../../src/core/data/hashData';
import { ProvenantError } from '../../../src/core/util/errors';
import { writeFiles } from '../../helpers/git';

const base = mkdtempSync(join(tmpdir(), 'provenant-walk-'));
test.after(() => rmSync(base, { recursive: true, force: true }));

let counter = 0;
function tree(files: Record<string, string>): string {
  const root = join(base, `t${counter++}`);
  mkdirSync(root, { recursive: true });
  writeFiles(root, files);
  return root;
}

const relpaths = async (dir: string, root?: string): Promise<string[]> => (await walkDirectory(dir, { root })).map((f) => f.relpath);

test('files only, sorted by code points; empty subdirectories are not recorded', async () => {
  const root = tree({ 'a/b': '1', 'a-b': '2', B: '3', 'deep/er/file': '4' });
  mkdirSync(join(root, 'empty/sub'), { recursive: true });
  assert.deepEqual(await relpaths(root), ['B', 'a-b', 'a/b', 'deep/er/file']);
});

test('a symlink to a file is hashed by its content', async () => {
  const root = tree({ 'data/foo': 'foo', outside: 'bar' });
  symlinkSync(join(root, 'outside'), join(root, 'data/link'));
  const files = await walkDirectory(join(root, 'data'));
  assert.deepEqual(files.map((f) => [f.relpath, f.size]), [
    ['foo', 3],
    ['link', 3],
  ]);
  const r = await hashDirectory(join(root, 'data'));
  assert.deepEqual(r.entries, [
    { md5: 'acbd18db4cc2f85cedef654fccc4a4d8', relpath: 'foo' },
    { md5: '37b51d194a7513e45b56f6524f2d51f2', relpath: 'link' },
  ]);
});

test('a symlink to a directory is skipped (not followed)', async () => {
  const root = tree({ 'data/foo': 'foo', 'other/inner': 'x' });
  symlinkSync(join(root, 'other'), join(root, 'data/linkdir'));
  assert.deepEqual(await relpaths(join(root, 'data')), ['foo']);
  // so the oid equals that of a directory holding only foo
  const r = await hashDirectory(join(root, 'data'));
  assert.equal(r.oid, (await hashDirectory(tree({ foo: 'foo' }))).oid);
});

test('a symlink loop is a clear error naming the link', async () => {
  const root = tree({ 'data/foo': 'foo' });
  symlinkSync(join(root, 'data/loop-b'), join(root, 'data/loop-a'));
  symlinkSync(join(root, 'data/loop-a'), join(root, 'data/loop-b'));
  await assert.rejects(walkDirectory(join(root, 'data')), (err: unknown) => {
    assert.ok(err instanceof ProvenantError);
    assert.equal(err.code, 'E_SYMLINK_LOOP');
    assert.match(err.message, /loop-[ab]/);
    return true;
  });
});

test('a broken symlink is a clear error naming the link', async () => {
  const root = tree({ 'data/foo': 'foo' });
  symlinkSync(join(root, 'nowhere'), join(root, 'data/dangling'));
  await assert.rejects(walkDirectory(join(root, 'data')), (err: unknown) => {
    assert.ok(err instanceof ProvenantError);
    assert.equal(err.code, 'E_BROKEN_SYMLINK');
    assert.ok(err.message.includes(join(root, 'data/dangling')));
    return true;
  });
});

test('built-in ignores: .git (file or dir), .hg/ and .dvc/ directories, sub-repositories', async () => {
  const root = tree({
    'd/keep': '1',
    'd/.git/config': 'x',
    'd/sub/.git': 'gitdir: elsewhere',
    'd/.hg/store': 'x',
    'd/.dvc/config': 'x',
    'd/subrepo/.dvc/config': 'x',
    'd/subrepo/file': 'x',
    'd/.gitignore': 'x',
  });
  assert.deepEqual(await relpaths(join(root, 'd')), ['.gitignore', 'keep']);
});

test('.dvcignore files above the directory apply, relative to their own directory', async () => {
  const root = tree({
    '.dvcignore': '*.tmp\nlogs/\n',
    'data/.keepme': '',
    'sub/.dvcignore': '/data/skip.csv\n!keep.tmp\n',
    'sub/data/a.csv': '1',
    'sub/data/skip.csv': '2',
    'sub/data/x.tmp': '3',
    'sub/data/keep.tmp': '4',
    'sub/data/logs/run.log': '5',
    'sub/data/nested/skip.csv': '6',
    'sub/data/CAPS.TMP': '7',
  });
  assert.deepEqual(await relpaths(join(root, 'sub/data'), root), ['CAPS.TMP', 'a.csv', 'keep.tmp', 'nested/skip.csv']);
  // without a workspace root, no .dvcignore applies
  assert.equal((await relpaths(join(root, 'sub/data'))).length, 7);
});

test('a .dvcignore inside the hashed directory is refused, as DVC does', async () => {
  const root = tree({ 'data/a': '1', 'data/nested/.dvcignore': 'a\n' });
  await assert.rejects(walkDirectory(join(root, 'data'), { root }), (err: unknown) => {
    assert.ok(err instanceof ProvenantError);
    assert.equal(err.code, 'E_DVCIGNORE_IN_DIR');
    assert.ok(err.message.includes(join(root, 'data/nested/.dvcignore')));
    return true;
  });
});

test('an ignored broken link is not an error', async () => {
  const root = tree({ '.dvcignore': 'dangling\n', 'data/foo': 'foo' });
  symlinkSync(join(root, 'nowhere'), join(root, 'data/dangling'));
  assert.deepEqual(await relpaths(join(root, 'data'), root), ['foo']);
});
