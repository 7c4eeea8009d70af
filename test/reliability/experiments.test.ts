// Concurrency and kill -9 for experiments: parallel notes, killed notes, killed switches (finished
// or rolled back), a switch while a run is running, files edited while a switch writes the tree.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, makeRepo, writeFiles } from '../helpers/git';
import { cli, cliProcess } from '../helpers/cli';
import { assertFsck, filesBelow, makeSentinel } from '../helpers/gitHealth';

let faults = 0;
let operations = 0;
after(() => console.log(`# faults: ${faults}, operations: ${operations}`));

const random = (n: number) => Math.floor(Math.random() * n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

async function waitFor(check: () => boolean, limitMs: number): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(10);
  }
  return check();
}

function journalLines(root: string): string[] {
  const file = join(root, '.provenant', 'journal.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

function journalRefLines(root: string): string[] {
  const r = spawnSync('git', ['show', 'refs/provenant/journal:journal.jsonl'], { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

const texts = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { text: string }).text);

test('20 `provenant note` in parallel, 2 rounds: every "Logged" entry is in the journal file and its ref, once', async () => {
  const root = makeRepo();
  const sentinel = makeSentinel();
  for (let round = 0; round < 2; round++) {
    const runs = Array.from({ length: 20 }, (_, i) => {
      const text = `round ${round} note ${i}`;
      return collect(cliProcess(root, ['note', 'decision', text])).then((r) => ({ text, ...r }));
    });
    const results = await Promise.all(runs);
    operations += results.length;
    const inFile = texts(journalLines(root));
    const inRef = texts(journalRefLines(root));
    for (const r of results) {
      if (r.code === 0) {
        assert.match(r.stdout, /Logged decision/);
        assert.equal(inFile.filter((t) => t === r.text).length, 1, `"${r.text}" was logged but is not in the journal file once`);
        assert.equal(inRef.filter((t) => t === r.text).length, 1, `"${r.text}" was logged but is not in refs/provenant/journal once`);
      } else {
        assert.match(r.stderr, /error/, `a failed note says so: ${r.stderr}`);
        assert.ok(!inFile.includes(r.text), `"${r.text}" failed but was written anyway`);
      }
    }
    assert.deepEqual(inRef, inFile, 'the journal ref holds exactly the journal file');
    assertFsck(root, `after round ${round}`);
    sentinel.assertUnchanged();
  }
  assert.equal(texts(journalLines(root)).length, 40, 'no note failed under the lock (they wait their turn)');
});

test('kill -9 at random points of concurrent `note` commands: acknowledged notes stay, stale locks do not block', async () => {
  const root = makeRepo();
  const sentinel = makeSentinel();
  const acknowledged: string[] = [];
  for (let round = 0; round < 4; round++) {
    const children = Array.from({ length: 5 }, (_, i) => {
      const text = `kill round ${round} note ${i}`;
      const child = cliProcess(root, ['note', 'assumption', text]);
      return { text, child, done: collect(child) };
    });
    for (const victim of [children[random(5)]!, children[random(5)]!]) {
      await sleep(random(500));
      if (victim.child.kill('SIGKILL')) faults++;
    }
    for (const c of children) {
      const r = await c.done;
      operations++;
      if (r.code === 0) acknowledged.push(c.text);
      else if (r.signal !== 'SIGKILL') assert.fail(`note failed without being killed: ${r.stderr}`);
    }
    for (const line of journalLines(root)) JSON.parse(line); // no torn line
    const inRef = texts(journalRefLines(root));
    for (const text of acknowledged) assert.ok(inRef.includes(text), `"${text}" was acknowledged but is not in refs/provenant/journal`);
    assertFsck(root, `after kill round ${round}`);
    sentinel.assertUnchanged();
  }
  // Whatever the kills left behind, the next note goes through and the ref catches up with the file.
  const last = cli(root, ['note', 'decision', 'after the kills']);
  operations++;
  assert.equal(last.status, 0, last.stderr);
  assert.deepEqual(journalRefLines(root), journalLines(root));
  for (const text of acknowledged) assert.ok(texts(journalLines(root)).includes(text));
});

/** Branches main and exp/a differing in `n` files (plus files only on one side). */
function switchRepo(n: number): string {
  const files: Record<string, string> = { '.provenant/.gitignore': '/runs/\n/state/\n/tmp/\n', 'notes/todo.txt': 'todo\n' };
  for (let i = 0; i < n; i++) files[`src/f${String(i).padStart(4, '0')}.py`] = `main ${i}\n`;
  for (let i = 0; i < 20; i++) files[`old/o${i}.txt`] = `only on main ${i}\n`;
  const root = makeRepo(files);
  git(root, 'switch', '-q', '-c', 'exp/a');
  git(root, 'rm', '-q', '-r', 'old');
  const changed: Record<string, string> = {};
  for (let i = 0; i < n; i++) changed[`src/f${String(i).padStart(4, '0')}.py`] = `experiment ${i}\n`;
  for (let i = 0; i < 20; i++) changed[`new/n${i}/x.txt`] = `only on exp ${i}\n`;
  writeFiles(root, changed);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'experiment');
  git(root, 'switch', '-q', 'main');
  return root;
}

/** The working tree's files and their content, HEAD, and git's view of changes. */
function fingerprint(root: string): { head: string; files: string; status: string } {
  const h = createHash('sha256');
  for (const f of filesBelow(root).filter((p) => !p.startsWith('.git/') && !/^\.provenant\/(runs|state|tmp)\//.test(p)).sort()) h.update(`${f}\0`).update(readFileSync(join(root, f))).update('\0');
  return {
    head: readFileSync(join(root, '.git', 'HEAD'), 'utf8'),
    files: h.digest('hex'),
    status: spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: root, encoding: 'utf8' }).stdout,
  };
}

test('kill -9 at random points of `exp switch`: the next command refuses, --continue finishes it and --abort restores it exactly', async () => {
  const root = switchRepo(300);
  const sentinel = makeSentinel();
  writeFileSync(join(root, 'notes', 'todo.txt'), 'uncommitted, carried along\n');
  const state = join(root, '.git', 'provenant', 'switch.json');
  // Each side as a finished switch leaves it.
  const sides = new Map<string, ReturnType<typeof fingerprint>>();
  sides.set('main', fingerprint(root));
  const t0 = Date.now();
  assert.equal(cli(root, ['exp', 'switch', '--carry', 'exp/a']).status, 0);
  const duration = Date.now() - t0;
  sides.set('exp/a', fingerprint(root));
  let on = 'exp/a';
  let interrupted = 0;
  for (let i = 0; i < 6; i++) {
    const to = on === 'main' ? 'exp/a' : 'main';
    const child = cliProcess(root, ['exp', 'switch', '--carry', to]);
    const done = collect(child);
    // Anywhere in the switch, mostly while it writes files (the first third is start-up and planning).
    await sleep(duration * (0.3 + 0.7 * Math.random()));
    child.kill('SIGKILL');
    const r = await done;
    operations++;
    if (existsSync(state)) {
      interrupted++;
      faults++;
      // Nothing goes on in a half-switched tree.
      const refused = cli(root, ['exp', 'switch', '--carry', on]);
      assert.equal(refused.status, 2, refused.stderr);
      assert.match(refused.stderr, /interrupted[\s\S]*--continue[\s\S]*--abort/);
      if (i === 0) {
        const run = cli(root, ['run', '-q', '--', 'true']);
        assert.equal(run.status, 2);
        assert.match(run.stderr, /switch .* was interrupted/);
        assert.match(cli(root, ['exp', 'list']).stderr, /interrupted/);
        operations += 2;
      }
      const mode = i % 2 === 0 ? '--abort' : '--continue';
      const resumed = cli(root, ['exp', 'switch', mode]);
      operations += 2;
      assert.equal(resumed.status, 0, resumed.stderr);
      if (mode === '--continue') on = to;
      assert.ok(!existsSync(state), 'the switch record is gone once resolved');
    } else if (r.code === 0) {
      on = to;
    }
    assert.deepEqual(fingerprint(root), sides.get(on), `iteration ${i}: the working tree, HEAD and status are exactly those of ${on}`);
    assert.ok(!existsSync(join(root, '.git', 'index.lock')), 'no index lock left');
    assertFsck(root, `after killed switch ${i}`);
    sentinel.assertUnchanged();
  }
  assert.ok(interrupted >= 2, `only ${interrupted} of 6 kills landed while files were being switched`);
});

test('`exp switch` is refused while a run of this workspace is running, and not blocked by a dead run', async () => {
  const root = switchRepo(5);
  const before = fingerprint(root);
  const runner = cliProcess(root, ['run', '-q', '--', 'sleep', '6']);
  const done = collect(runner);
  const started = await waitFor(() => {
    const r = spawnSync('sh', ['-c', 'cat .provenant/runs/*/run.json 2>/dev/null'], { cwd: root, encoding: 'utf8' });
    return /"status": "running"/.test(r.stdout);
  }, 20_000);
  assert.ok(started, 'the run started');
  const id = (/"id": "([^"]+)"/.exec(spawnSync('sh', ['-c', 'cat .provenant/runs/*/run.json'], { cwd: root, encoding: 'utf8' }).stdout) ?? [])[1]!;
  const refused = cli(root, ['exp', 'switch', 'exp/a']);
  operations += 2;
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, new RegExp(`run ${id}.* is running`));
  assert.match(refused.stderr, /kill \d+|Ctrl\+C/);
  assert.deepEqual(fingerprint(root), before, 'nothing changed');
  // The runner dies without recording the end: its record still says running, but it must not block.
  runner.kill('SIGKILL');
  await done;
  faults++;
  const ok = cli(root, ['exp', 'switch', 'exp/a']);
  operations++;
  assert.equal(ok.status, 0, ok.stderr);
  assertFsck(root);
});

test('files edited while `exp switch` writes the tree are saved on a backup ref before being overwritten', async () => {
  const root = switchRepo(500);
  writeFiles(root, { 'zz/last.txt': 'main\n' });
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'last');
  git(root, 'switch', '-q', 'exp/a');
  writeFiles(root, { 'zz/last.txt': 'experiment\n' });
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'last');
  let saved = 0;
  for (let i = 0; i < 2; i++) {
    const to = i % 2 === 0 ? 'main' : 'exp/a';
    const edit = `edited during switch ${i}\n`;
    const child = cliProcess(root, ['exp', 'switch', to]);
    const done = collect(child);
    // Once the switch is writing files (the first one has changed), the last file in its order is edited.
    const first = join(root, 'src', 'f0000.py');
    const was = readFileSync(first, 'utf8');
    await waitFor(() => child.exitCode !== null || (existsSync(first) && readFileSync(first, 'utf8') !== was), 20_000);
    writeFileSync(join(root, 'zz', 'last.txt'), edit);
    const r = await done;
    operations++;
    assert.equal(r.code, 0, r.stderr);
    const onDisk = readFileSync(join(root, 'zz', 'last.txt'), 'utf8');
    const ref = /saved on (refs\/provenant\/backup\/\S+):/.exec(r.stderr)?.[1];
    // Either the edit landed after the file was written (it is on disk), or it was saved first.
    if (onDisk !== edit) {
      assert.ok(ref, `the edit was overwritten and no backup is reported: ${r.stderr}`);
      assert.equal(git(root, 'show', `${ref}:zz/last.txt`), edit.trim(), 'the backup holds the edit');
      assert.match(r.stderr, /zz\/last\.txt/);
      saved++;
      faults++;
    }
    git(root, 'checkout', '-q', '--', '.');
  }
  assert.ok(saved >= 1, 'no edit landed during a switch (the test did not test anything)');
  assertFsck(root);
});
