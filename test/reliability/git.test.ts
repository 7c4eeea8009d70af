// Disk full and kill -9 while Provenant writes into git: the repository stays valid for native git
// (fsck, add, commit, clone), nothing partial is left under a final name, nothing outside the
// workspace changes, and every run that was acknowledged is recorded.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { git, makeRepo, tempDir, writeFiles } from '../helpers/git';
import { cli, cliProcess } from '../helpers/cli';
import { assertFsck, assertGitUsable, emptyObjects, leftovers, makeSentinel } from '../helpers/gitHealth';
import { injectDiskFull } from '../helpers/diskFull';
import { snapshotWorkingTree, commitRunRecord } from '../../src/core/git/snapshot';
import { newRunId } from '../../src/core/runs/ids';

let faults = 0;
let operations = 0;
after(() => console.log(`# faults: ${faults}, operations: ${operations}`));

const random = (n: number) => Math.floor(Math.random() * n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small tmpfs (we may be root), or null when it cannot be mounted here. */
function mountTmpfs(sizeKb: number): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return null;
  const dir = tempDir('provenant-tmpfs-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return dir;
}

/** Fills the file system of `dir` so that about `leaveBytes` stay free; returns the filler to remove. */
function fillDisk(dir: string, leaveBytes: number): string {
  const reserve = join(dir, 'reserve');
  writeFileSync(reserve, Buffer.alloc(leaveBytes));
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  rmSync(reserve);
  return filler;
}

function runRefs(root: string): Map<string, string> {
  const out = git(root, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/provenant/runs/');
  return new Map(out.split('\n').filter(Boolean).map((l) => [l.split(' ')[0]!.slice('refs/provenant/runs/'.length), l.split(' ')[1]!]));
}

/** Every run folder with a final record has a record commit on its ref holding that record. */
function assertRecordsCommitted(root: string): void {
  const refs = runRefs(root);
  const dir = join(root, '.provenant', 'runs');
  if (!existsSync(dir)) return;
  for (const id of readdirSync(dir)) {
    const file = join(dir, id, 'run.json');
    if (!existsSync(file)) continue;
    const record = JSON.parse(readFileSync(file, 'utf8')) as { status: string };
    assert.notEqual(record.status, 'running', `run ${id} is still marked running after recovery`);
    const tip = refs.get(id);
    assert.ok(tip, `run ${id} has no ref`);
    const stored = spawnSync('git', ['show', `${tip}:.provenant/runs/${id}/run.json`], { cwd: root, encoding: 'utf8' });
    assert.equal(stored.status, 0, `the ref of run ${id} does not point at a record commit`);
    assert.deepEqual(JSON.parse(stored.stdout), JSON.parse(readFileSync(file, 'utf8')), `the record commit of run ${id} differs from run.json`);
  }
}

test('disk full (small tmpfs) while `provenant run` snapshots the code: no empty object, fsck clean, git add/commit/clone work', async (t) => {
  const mount = mountTmpfs(768);
  if (!mount) {
    t.diagnostic('cannot mount a tmpfs here: the injected disk-full test below covers this case');
    return;
  }
  const sentinel = makeSentinel();
  try {
    const root = join(mount, 'repo');
    mkdirSync(root);
    git(root, 'init', '-q', '--template=', '-b', 'main');
    git(root, 'config', 'user.name', 'Test');
    git(root, 'config', 'user.email', 'test@example.com');
    writeFiles(root, { 'train.py': 'print(1)\n', '.provenant/.gitignore': '/runs/\n/state/\n/tmp/\n' });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'initial');
    let hitGit = 0;
    for (let i = 0; i < 12; i++) {
      // New content, so the snapshot has objects to write; then only a few pages stay free.
      writeFiles(root, { [`data/part${i}.txt`]: randomBytes(4000 + random(12000)).toString('base64') });
      const filler = fillDisk(mount, random(4) * 4096);
      const result = cli(root, ['run', '-q', '--', 'true']);
      rmSync(filler);
      operations++;
      if (result.status !== 0) {
        faults++;
        if (/\.git/.test(result.stderr)) hitGit++;
        assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, 'a stack trace instead of a message');
      }
      assertFsck(root, `after disk-full iteration ${i}`);
      assert.deepEqual(leftovers(root), [], 'temporary or lock files left in .git after a handled write error');
      sentinel.assertUnchanged();
    }
    assert.ok(hitGit > 0, 'no iteration ran out of space inside .git (the test did not test anything)');
    // With space back: a run works, its record is committed, and native git can use everything.
    const ok = cli(root, ['run', '-q', '--', 'true']);
    operations++;
    assert.equal(ok.status, 0, ok.stderr);
    assertRecordsCommitted(root);
    assertGitUsable(root, 'after the disk-full runs');
    assertFsck(root);
  } finally {
    spawnSync('umount', [mount]);
    rmSync(mount, { recursive: true, force: true });
  }
});

test('injected disk full at random byte counts while snapshotting and recording: nothing partial under a final name', async () => {
  const root = makeRepo({ 'train.py': 'print(1)\n', '.provenant/.gitignore': '/runs/\n/state/\n/tmp/\n' });
  const sentinel = makeSentinel();
  const attempt = async () => {
    const runId = newRunId();
    const code = await snapshotWorkingTree(root, { runId });
    await commitRunRecord(root, code, runId, new Map([['run.json', Buffer.from(randomBytes(2000).toString('hex'))]]));
  };
  // How many bytes one attempt writes, to spread the faults over all of it.
  writeFiles(root, { 'measure.txt': randomBytes(20000).toString('base64') });
  const probe = injectDiskFull(Number.MAX_SAFE_INTEGER);
  try {
    await attempt();
  } finally {
    probe.restore();
  }
  const total = probe.written;
  assert.ok(total > 10000);
  let refused = 0;
  for (let i = 0; i < 30; i++) {
    writeFiles(root, { [`src/m${i}.txt`]: randomBytes(5000 + random(20000)).toString('base64'), [`src/n${i}.txt`]: `${i}\n`.repeat(random(500) + 1) });
    const disk = injectDiskFull(random(total));
    let failed = false;
    try {
      await attempt();
    } catch (err) {
      failed = true;
      assert.equal((err as NodeJS.ErrnoException).code === 'ENOSPC' || (err as { code?: string }).code === 'E_DISK_FULL', true, `unexpected error: ${(err as Error).message}`);
    } finally {
      disk.restore();
    }
    operations++;
    if (failed) {
      refused++;
      faults += disk.faults;
    }
    assert.deepEqual(emptyObjects(root), [], `iteration ${i}: an empty object was left under its final name`);
    assert.deepEqual(leftovers(root), [], `iteration ${i}: temporary or lock files left in .git`);
    assertFsck(root, `after injected fault ${i}`);
    // The same content again, now with space: Provenant and native git both store it readably.
    await attempt();
    operations++;
    assertGitUsable(root, `after injected fault ${i}`);
    sentinel.assertUnchanged();
  }
  assert.ok(refused >= 10, `only ${refused} of 30 attempts hit the injected disk-full`);
});

test('kill -9 at random points of `provenant run`; the next start repairs every record (ref on the record commit)', async () => {
  const root = makeRepo({ 'train.py': 'print(1)\n', '.provenant/.gitignore': '/runs/\n/state/\n/tmp/\n' });
  const sentinel = makeSentinel();
  for (let i = 0; i < 10; i++) {
    writeFiles(root, { [`src/k${i}.txt`]: randomBytes(3000).toString('base64') });
    const child = cliProcess(root, ['run', '-q', '--', 'true']);
    const exited = new Promise((r) => child.once('close', r).once('error', r));
    await sleep(150 + random(900));
    child.kill('SIGKILL');
    await exited;
    operations++;
    if (child.signalCode === 'SIGKILL') faults++;
    assertFsck(root, `after kill ${i}`);
    sentinel.assertUnchanged();
  }
  const next = cli(root, ['run', '-q', '--', 'true']);
  operations++;
  assert.equal(next.status, 0, next.stderr);
  assertRecordsCommitted(root);
  assertGitUsable(root, 'after the killed runs');
});

test('a run killed right after its record was final: its ref is left on the snapshot, the next start commits the record', () => {
  const root = makeRepo({ 'train.py': 'print(1)\n', '.provenant/.gitignore': '/runs/\n/state/\n/tmp/\n' });
  const first = cli(root, ['run', '-q', '--', 'true']);
  assert.equal(first.status, 0, first.stderr);
  const [id, tip] = [...runRefs(root)][0]!;
  const snapshot = git(root, 'rev-parse', `${tip}^`);
  // The state such a kill leaves: run.json final on disk, the ref still on the code snapshot, the ref's lock left behind.
  git(root, 'update-ref', `refs/provenant/runs/${id}`, snapshot);
  writeFileSync(join(root, '.git', 'refs', 'provenant', 'runs', `${id}.lock`), '');
  faults++;
  const next = cli(root, ['run', '-q', '--', 'true']);
  operations += 2;
  assert.equal(next.status, 0, next.stderr);
  assert.equal(git(root, 'rev-parse', `refs/provenant/runs/${id}^`), snapshot, 'the record commit sits on the snapshot');
  assertRecordsCommitted(root);
  assertFsck(root);
});
