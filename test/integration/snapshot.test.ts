import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, rmSync, symlinkSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { git, makeRepo, writeFiles, tempDir } from '../helpers/git';
import { snapshotWorkingTree, commitRunRecord } from '../../src/core/git/snapshot';

/** HEAD, the index's bytes and mtime, and what `git status` sees (with optional locks off, so status itself never rewrites the index). */
function fingerprint(root: string) {
  const index = readFileSync(join(root, '.git', 'index')).toString('base64');
  const indexMtime = statSync(join(root, '.git', 'index')).mtimeMs;
  const status = execFileSync('git', ['status', '--porcelain=v1', '--untracked-files=all'], { cwd: root, encoding: 'utf8', env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } });
  return { head: git(root, 'rev-parse', 'HEAD'), index, indexMtime, status };
}

test('snapshot holds tracked edits, deletions and untracked files; HEAD, index and working tree untouched', async () => {
  const root = makeRepo({ 'train.py': 'print(1)\n', 'src/model.py': 'A = 1\n', 'old.txt': 'old\n', '.gitignore': 'build/\n*.log\n' });
  writeFiles(root, { 'train.py': 'print(2)\n', 'notes/new.md': 'new\n', 'build/out.bin': 'ignored', 'run.log': 'ignored' });
  git(root, 'add', 'train.py');
  writeFiles(root, { 'src/model.py': 'A = 2\n' }); // unstaged edit on top
  rmSync(join(root, 'old.txt'));
  writeFiles(root, { 'run.sh': '#!/bin/sh\necho hi\n' });
  chmodSync(join(root, 'run.sh'), 0o755);
  symlinkSync('train.py', join(root, 'link.py'));

  git(root, 'status', '--porcelain'); // let git refresh its stat cache first, as any git client would
  const before = fingerprint(root);
  const code = await snapshotWorkingTree(root, { runId: '20260101-000000-abcdef' });
  assert.deepEqual(fingerprint(root), before, 'HEAD, index and status are unchanged');

  assert.equal(code.baseCommit, before.head);
  assert.equal(git(root, 'rev-parse', code.snapshotRef), code.snapshotCommit);
  assert.equal(git(root, 'rev-parse', `${code.snapshotCommit}^`), before.head, 'parent is HEAD');
  assert.equal(git(root, 'show', `${code.snapshotCommit}:train.py`), 'print(2)');
  assert.equal(git(root, 'show', `${code.snapshotCommit}:src/model.py`), 'A = 2', 'unstaged edits are included');
  assert.equal(git(root, 'show', `${code.snapshotCommit}:notes/new.md`), 'new');
  const files = git(root, 'ls-tree', '-r', '--name-only', code.snapshotCommit).split('\n');
  assert.ok(!files.includes('old.txt'), 'deleted file is absent');
  assert.ok(!files.includes('build/out.bin') && !files.includes('run.log'), 'ignored files are absent');
  assert.match(git(root, 'ls-tree', code.snapshotCommit, 'run.sh'), /^100755 /, 'executable bit kept');
  assert.match(git(root, 'ls-tree', code.snapshotCommit, 'link.py'), /^120000 /, 'symlink kept as a link');

  // The snapshot equals what native git would commit with `git add -A`.
  const scratchIndex = join(tempDir(), 'index');
  const env = { ...process.env, GIT_INDEX_FILE: scratchIndex };
  execFileSync('git', ['read-tree', 'HEAD'], { cwd: root, env });
  execFileSync('git', ['add', '-A'], { cwd: root, env });
  const nativeTree = execFileSync('git', ['write-tree'], { cwd: root, env, encoding: 'utf8' }).trim();
  assert.equal(git(root, 'rev-parse', `${code.snapshotCommit}^{tree}`), nativeTree);

  assert.equal(code.dirty, true);
  assert.deepEqual(
    code.changedFiles.map((c) => `${c.change} ${c.path}`).sort(),
    ['added link.py', 'added notes/new.md', 'added run.sh', 'deleted old.txt', 'modified src/model.py', 'modified train.py'],
  );
  git(root, 'fsck', '--strict', '--no-dangling');
});

test('a clean tree gives a clean snapshot with the HEAD tree', async () => {
  const root = makeRepo({ 'a.txt': 'a\n', 'dir/b.txt': 'b\n' });
  const code = await snapshotWorkingTree(root, { runId: '20260101-000000-000001' });
  assert.equal(code.dirty, false);
  assert.deepEqual(code.changedFiles, []);
  assert.equal(git(root, 'rev-parse', `${code.snapshotCommit}^{tree}`), git(root, 'rev-parse', 'HEAD^{tree}'));
});

test('the record commit adds the run folder on top of the snapshot and moves the ref', async () => {
  const root = makeRepo({ 'a.txt': 'a\n' });
  writeFileSync(join(root, 'a.txt'), 'edited\n');
  const code = await snapshotWorkingTree(root, { runId: '20260101-000000-000002' });
  const files = new Map([['run.json', Buffer.from('{"id":"x"}\n')], ['metrics.json', Buffer.from('{}\n')]]);
  const recordCommit = await commitRunRecord(root, code, '20260101-000000-000002', files);
  assert.equal(git(root, 'rev-parse', code.snapshotRef), recordCommit);
  assert.equal(git(root, 'rev-parse', `${recordCommit}^`), code.snapshotCommit);
  assert.equal(git(root, 'show', `${recordCommit}:.provenant/runs/20260101-000000-000002/run.json`), '{"id":"x"}');
  assert.equal(git(root, 'show', `${recordCommit}:a.txt`), 'edited');
  assert.equal(git(root, 'status', '--porcelain'), 'M a.txt');
  git(root, 'fsck', '--strict', '--no-dangling');
});

test('repositories with index v4 are snapshotted through native git, still without touching the index', async () => {
  const root = makeRepo({ 'a.txt': 'a\n' });
  git(root, 'update-index', '--index-version', '4');
  writeFiles(root, { 'b.txt': 'b\n' });
  git(root, 'status', '--porcelain');
  const before = fingerprint(root);
  const code = await snapshotWorkingTree(root, { runId: '20260101-000000-000003' });
  assert.deepEqual(fingerprint(root), before);
  assert.equal(git(root, 'show', `${code.snapshotCommit}:b.txt`), 'b');
});

test('a merge in progress is refused with a clear error', async () => {
  const root = makeRepo({ 'a.txt': 'base\n' });
  git(root, 'checkout', '-q', '-b', 'other');
  writeFiles(root, { 'a.txt': 'other\n' });
  git(root, 'commit', '-qam', 'other');
  git(root, 'checkout', '-q', 'main');
  writeFiles(root, { 'a.txt': 'main\n' });
  git(root, 'commit', '-qam', 'main');
  try {
    git(root, 'merge', 'other');
  } catch {
    // conflict expected
  }
  await assert.rejects(snapshotWorkingTree(root, { runId: '20260101-000000-000004' }), /merge is in progress/);
});

test('index version 3 with extended flags (intent-to-add) is read, and the snapshot equals native git add -A', async () => {
  const root = makeRepo({ 'a.txt': 'a\n', 'deep/er/b.txt': 'b\n' });
  writeFiles(root, { 'new.txt': 'intent\n', 'deep/er/c.txt': 'c\n' });
  git(root, 'add', '-N', 'new.txt');
  git(root, 'update-index', '--index-version', '3');
  const code = await snapshotWorkingTree(root, { runId: '20260101-000000-000005' });
  const scratchIndex = join(tempDir(), 'index');
  const env = { ...process.env, GIT_INDEX_FILE: scratchIndex };
  execFileSync('git', ['read-tree', 'HEAD'], { cwd: root, env });
  execFileSync('git', ['add', '-A'], { cwd: root, env });
  const nativeTree = execFileSync('git', ['write-tree'], { cwd: root, env, encoding: 'utf8' }).trim();
  assert.equal(git(root, 'rev-parse', `${code.snapshotCommit}^{tree}`), nativeTree);
  assert.equal(git(root, 'show', `${code.snapshotCommit}:new.txt`), 'intent');
  git(root, 'fsck', '--strict', '--no-dangling');
});

test('many files in nested folders with non-ASCII names give the same tree as native git', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++) files[`pkg${i % 7}/sub-${i % 3}/f${i}.py`] = `x = ${i}\n`;
  files['données/été.csv'] = 'a,b\n';
  files['a-b'] = '1';
  files['a/b'] = '2';
  files['B'] = '3';
  const root = makeRepo(files);
  writeFiles(root, { 'pkg3/sub-1/f10.py': 'edited\n', 'données/nouveau.csv': 'x\n', 'pkg9/new.py': 'n\n' });
  rmSync(join(root, 'pkg0/sub-0/f0.py'));
  const code = await snapshotWorkingTree(root, { runId: '20260101-000000-000006' });
  const scratchIndex = join(tempDir(), 'index');
  const env = { ...process.env, GIT_INDEX_FILE: scratchIndex };
  execFileSync('git', ['read-tree', 'HEAD'], { cwd: root, env });
  execFileSync('git', ['add', '-A'], { cwd: root, env });
  assert.equal(git(root, 'rev-parse', `${code.snapshotCommit}^{tree}`), execFileSync('git', ['write-tree'], { cwd: root, env, encoding: 'utf8' }).trim());
  assert.deepEqual(code.changedFiles.map((c) => `${c.change} ${c.path}`).sort(), ['added données/nouveau.csv', 'added pkg9/new.py', 'deleted pkg0/sub-0/f0.py', 'modified pkg3/sub-1/f10.py']);
  git(root, 'fsck', '--strict', '--no-dangling');
});
