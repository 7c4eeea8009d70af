// The workspace write guard shared by data add, checkout and pull: which names are refused, and
// that a folder swapped for a link while a file is being written is caught before the rename.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyNoFollow, unsafeReason, WorkspaceGuard } from '../../../src/core/data/safePath';
import { ProvenantError } from '../../../src/core/util/errors';
import { tempDir, writeFiles } from '../../helpers/git';

const dirs: string[] = [];
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}
const code = (c: string) => (e: unknown) => e instanceof ProvenantError && e.code === c;

test('names refused on their text: .git/.dvc in any case, "..", absolute, control characters', () => {
  for (const [rel, expected] of [
    ['.git/config', 'E_BAD_TARGET'],
    ['a/.GIT/hooks/pre-commit', 'E_BAD_TARGET'],
    ['.Git./config', 'E_BAD_TARGET'],
    ['GIT~1/config', 'E_BAD_TARGET'],
    ['.dvc/config', 'E_BAD_TARGET'],
    ['data/.DVC/cache/x', 'E_BAD_TARGET'],
    ['../x', 'E_PATH_ESCAPE'],
    ['a/../../x', 'E_PATH_ESCAPE'],
    ['/etc/passwd', 'E_PATH_ESCAPE'],
    ['C:/x', 'E_PATH_ESCAPE'],
    ['a\nb', 'E_UNSAFE_NAME'],
    ['a\u0000b', 'E_UNSAFE_NAME'],
    ['a\u001b[31m', 'E_UNSAFE_NAME'],
    ['a\u007f', 'E_UNSAFE_NAME'],
    ['a//b', 'E_UNSAFE_NAME'],
    ['', 'E_BAD_TARGET'],
  ] as const) {
    assert.equal(unsafeReason(rel)?.code, expected, JSON.stringify(rel));
  }
  for (const ok of ['data/a.csv', '.gitignore', 'x.dvc', '.github/workflows/ci.yml', 'git/config', '.gitkeep', 'name with spaces ', 'ünïcode/ß.csv', 'star*?[x]']) {
    assert.equal(unsafeReason(ok), undefined, ok);
  }
});

test('place() re-checks the folders before the rename: a folder swapped for a link meanwhile is refused, nothing lands outside', () => {
  const root = dir();
  const outside = dir();
  writeFiles(root, { 'data/keep.txt': 'k' });
  const guard = new WorkspaceGuard(root, 'check out');
  assert.throws(
    () =>
      guard.place('data/x.csv', (tmp) => {
        writeFileSync(tmp, 'payload', { flag: 'wx' });
        // the race: data/ moves away and a link to a folder outside takes its place
        renameSync(join(root, 'data'), join(root, 'moved'));
        symlinkSync(outside, join(root, 'data'));
      }),
    code('E_SYMLINK_PARENT'),
  );
  assert.deepEqual(readdirSync(outside), [], 'x.csv was not renamed into the folder outside');
});

test('a link standing at the file itself is replaced, not followed; exclusive creation never writes through a link', () => {
  const root = dir();
  const outside = dir();
  writeFileSync(join(outside, 'target.txt'), 'outside');
  mkdirSync(join(root, 'd'));
  symlinkSync(join(outside, 'target.txt'), join(root, 'd/file.csv'));
  new WorkspaceGuard(root).place('d/file.csv', (tmp) => writeFileSync(tmp, 'new', { flag: 'wx' }));
  assert.equal(readFileSync(join(outside, 'target.txt'), 'utf8'), 'outside');
  assert.ok(!lstatSync(join(root, 'd/file.csv')).isSymbolicLink());
  assert.equal(readFileSync(join(root, 'd/file.csv'), 'utf8'), 'new');

  writeFileSync(join(root, 'src.bin'), 'bytes');
  symlinkSync(join(outside, 'target.txt'), join(root, 'trap'));
  assert.throws(() => copyNoFollow(join(root, 'src.bin'), join(root, 'trap'), 0o644), /EEXIST|ELOOP/);
  assert.equal(readFileSync(join(outside, 'target.txt'), 'utf8'), 'outside');
});

test('check() refuses a symlinked parent and a parent that is a file; create makes real folders only', () => {
  const root = dir();
  const outside = dir();
  symlinkSync(outside, join(root, 'link'));
  writeFileSync(join(root, 'file'), 'f');
  const guard = new WorkspaceGuard(root);
  assert.throws(() => guard.check('link/x'), code('E_SYMLINK_PARENT'));
  assert.throws(() => guard.check('link/deeper/x', undefined, { create: true }), code('E_SYMLINK_PARENT'));
  assert.deepEqual(readdirSync(outside), []);
  assert.throws(() => guard.check('file/x'), code('E_NOT_A_FOLDER'));
  guard.check('new/sub/x', undefined, { create: true });
  assert.ok(lstatSync(join(root, 'new/sub')).isDirectory());
});

test('a folder holding a name checkout would refuse is refused by add; such a stray file is removed by checkout', async () => {
  const { dataAdd } = await import('../../../src/core/data/add');
  const { dataCheckout } = await import('../../../src/core/data/checkout');
  const root = dir();
  writeFiles(root, { 'data/a.csv': 'a', 'data/new\nline.csv': 'n' });
  await assert.rejects(dataAdd(root, ['data']), (e: unknown) => e instanceof ProvenantError && e.code === 'E_UNSAFE_NAME' && e.message.includes('"data/new\\nline.csv" could never be checked out'));
  assert.ok(!readdirSync(root).includes('data.dvc'), 'nothing recorded');
  rmSync(join(root, 'data/new\nline.csv'));
  await dataAdd(root, ['data']);
  writeFileSync(join(root, 'data/stray\u001b.csv'), 's');
  await dataCheckout(root, ['data'], { force: true });
  assert.deepEqual(readdirSync(join(root, 'data')), ['a.csv']);
});
