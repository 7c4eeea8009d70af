// The file system given to isomorphic-git and the lock between Provenant processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { git as nativeGit, makeRepo, tempDir, writeFiles } from '../../helpers/git';
import { git, fs } from '../../../src/core/git/repo';
import { snapshotWorkingTree } from '../../../src/core/git/snapshot';
import { newRunId } from '../../../src/core/runs/ids';
import { withFileLock } from '../../../src/core/util/lockFile';
import { ProvenantError } from '../../../src/core/util/errors';

test('an empty loose object (left by an interrupted write of an older version) counts as missing and is rewritten', async () => {
  const root = makeRepo();
  const content = 'content whose object was left empty\n';
  const id = spawnSync('git', ['hash-object', '--stdin'], { cwd: root, input: content, encoding: 'utf8' }).stdout.trim();
  mkdirSync(join(root, '.git', 'objects', id.slice(0, 2)), { recursive: true });
  writeFileSync(join(root, '.git', 'objects', id.slice(0, 2), id.slice(2)), '');
  writeFiles(root, { 'late.txt': content });
  await snapshotWorkingTree(root, { runId: newRunId() });
  assert.ok(statSync(join(root, '.git', 'objects', id.slice(0, 2), id.slice(2))).size > 0, 'the object was rewritten');
  assert.equal(spawnSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: root }).status, 0);
  assert.equal(nativeGit(root, 'cat-file', '-p', id), content.trim());
});

test('refs written through isomorphic-git take git\'s .lock and leave no temporary file; a held lock is respected', async () => {
  const root = makeRepo();
  const head = nativeGit(root, 'rev-parse', 'HEAD');
  await git.writeRef({ fs, dir: root, ref: 'refs/provenant/test/a', value: head, force: true });
  assert.equal(nativeGit(root, 'rev-parse', 'refs/provenant/test/a'), head);
  assert.deepEqual(readdirSync(join(root, '.git', 'refs', 'provenant', 'test')), ['a']);
  writeFileSync(join(root, '.git', 'refs', 'provenant', 'test', 'b.lock'), '');
  await assert.rejects(git.writeRef({ fs, dir: root, ref: 'refs/provenant/test/b', value: head, force: true }), (err: unknown) => err instanceof ProvenantError && err.code === 'E_REF_LOCKED');
  assert.ok(!existsSync(join(root, '.git', 'refs', 'provenant', 'test', 'b')), 'nothing written under the final name');
  // Lock files are not refs (git skips them too).
  assert.deepEqual(await git.listRefs({ fs, dir: root, filepath: 'refs/provenant/test' }), ['a']);
});

test('file lock: a dead owner\'s lock is taken over, a live owner\'s lock makes others wait and then fail naming it', async () => {
  const dir = tempDir();
  const lock = join(dir, 'x.lock');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  writeFileSync(lock, JSON.stringify({ pid: Number(dead), host: hostname(), time: new Date().toISOString() }));
  const took = await withFileLock(lock, ({ tookOver }) => tookOver, { what: 'the thing', timeoutMs: 2000 });
  assert.equal(took, true);
  assert.ok(!existsSync(lock), 'released');
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
  try {
    writeFileSync(lock, JSON.stringify({ pid: live.pid, host: hostname(), time: new Date().toISOString() }));
    await assert.rejects(
      withFileLock(lock, () => 'entered', { what: 'the thing', timeoutMs: 300 }),
      (err: unknown) => err instanceof ProvenantError && err.code === 'E_LOCKED' && err.message.includes(`process ${live.pid}`),
    );
    assert.ok(existsSync(lock), 'a live owner\'s lock is left alone');
  } finally {
    live.kill('SIGKILL');
  }
});
