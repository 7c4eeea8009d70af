// `provenant data …` as a user runs it: the status --json contract, checkout that asks before losing
// work, diff between runs, and runs storing their data in the DVC cache.
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers/cli';
import { git, makeRepo, writeFiles } from '../helpers/git';

const roots: string[] = [];
test.after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
/** A git repository holding `files` uncommitted: DVC (and Provenant) refuse to add what git tracks. */
function repo(files: Record<string, string>): string {
  const root = makeRepo();
  writeFiles(root, files);
  roots.push(root);
  return root;
}

test('data add / status --json / checkout / diff through the CLI', () => {
  const root = repo({ 'data/a.csv': 'a\n', 'data/b.csv': 'b\n', 'params.yaml': 'lr: 0.1\n', 'dvc.yaml': 'stages:\n  train:\n    cmd: python train.py\n    deps: [data]\n    params: [lr]\n' });
  const add = cli(root, ['data', 'add', 'data']);
  assert.equal(add.status, 0, add.stderr);
  assert.match(add.stdout, /tracked data \(2 files, 4 B, [0-9a-f]{8}….dir\) in data.dvc; added to .gitignore/);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'track');

  writeFileSync(join(root, 'data/a.csv'), 'changed\n');
  const status = cli(root, ['data', 'status', '--json']);
  assert.equal(status.status, 0, status.stderr);
  const entries = JSON.parse(status.stdout) as Record<string, unknown>[];
  assert.deepEqual(entries[0], {
    file: 'data.dvc',
    path: 'data',
    status: 'modified',
    md5: entries[0]!.md5,
    size: 4,
    nfiles: 2,
    changes: { added: [], removed: [], modified: ['a.csv'] },
  });
  assert.deepEqual(entries[1], { stage: 'train', file: 'dvc.yaml', status: 'changed', changed: { cmd: true, deps: ['data'], params: ['lr'], outs: [] } });

  const text = cli(root, ['data', 'status']);
  assert.match(text.stdout, /data\s+modified\s+data\.dvc/);
  assert.match(text.stdout, /~ data\/a\.csv/);

  // no terminal to ask on: an unsaved change is an error (exit 2), and the file is kept
  const refused = cli(root, ['data', 'checkout', 'data']);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /unsaved change.*data\/a\.csv[\s\S]*--force/);
  assert.equal(readFileSync(join(root, 'data/a.csv'), 'utf8'), 'changed\n');
  const forced = cli(root, ['data', 'checkout', 'data', '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal(readFileSync(join(root, 'data/a.csv'), 'utf8'), 'a\n');

  const diff = cli(root, ['data', 'diff', 'HEAD', 'workspace', '--json']);
  assert.equal(diff.status, 0, diff.stderr);
  assert.equal(JSON.parse(diff.stdout).datasets[0].status, 'unchanged');

  const bad = cli(root, ['data', 'add', '../elsewhere']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /outside the workspace/);
});

test('push and pull need the dvc executable and say so; nothing is claimed', () => {
  const root = repo({ 'x.txt': 'x' });
  assert.equal(cli(root, ['data', 'add', 'x.txt']).status, 0);
  writeFileSync(join(root, '.dvc/config'), "['remote \"store\"']\n    url = s3://bucket/data\n[core]\n    remote = store\n");
  const push = cli(root, ['data', 'push'], { PATH: '/nonexistent' });
  assert.equal(push.status, 2);
  assert.match(push.stderr, /dvc executable is not on PATH.*Nothing was pushed/);
  assert.match(push.stderr, /pip install "dvc\[s3\]"/);
  assert.doesNotMatch(push.stdout, /finished/);
});

test('a run stores its data in the DVC cache; data runs tells which run used which version', () => {
  const root = repo({ '.provenant/config.yaml': 'train: [sh, -c, "true"]\ndata: [data]\n', 'data/a.csv': 'v1\n' });
  assert.equal(cli(root, ['data', 'add', 'data']).status, 0);
  writeFileSync(join(root, 'data/a.csv'), 'v2\n');
  const run = cli(root, ['run', '-q', '--name', 'on-v2']);
  assert.equal(run.status, 0, run.stderr);
  const runs = JSON.parse(cli(root, ['data', 'runs', '--json']).stdout) as { path: string; versions: { md5: string; current: boolean; inCache: boolean; runs: { name: string }[] }[] }[];
  assert.equal(runs[0]!.path, 'data');
  const used = runs[0]!.versions.find((v) => v.runs.some((r) => r.name === 'on-v2'))!;
  assert.equal(used.current, false);
  assert.equal(used.inCache, true, 'the run stored v2 in the cache');
  assert.ok(existsSync(join(root, '.dvc/cache/files/md5', used.md5.slice(0, 2), used.md5.slice(2))));
  // back to v1, then to the run's version
  assert.equal(cli(root, ['data', 'checkout', 'data']).status, 0);
  assert.equal(readFileSync(join(root, 'data/a.csv'), 'utf8'), 'v1\n');
  const back = cli(root, ['data', 'checkout', '--run', 'on-v2']);
  assert.equal(back.status, 0, back.stderr);
  assert.equal(readFileSync(join(root, 'data/a.csv'), 'utf8'), 'v2\n');
});

test('data add refuses what git tracks (in DVC\'s words), DVC files and line breaks in names; changing nothing', () => {
  const root = makeRepo({ 'tracked.csv': 't\n', 'folder/in-git.csv': 'g\n' });
  roots.push(root);
  writeFiles(root, { 'x': 'x\n', 'x.dvc': 'outs:\n- md5: 401b30e3b8b5d629635a5c613cdb7919\n  size: 2\n  hash: md5\n  path: x\n', [`new\nline`]: 'n\n' });
  const head = git(root, 'rev-parse', 'HEAD');
  const before = git(root, 'status', '--porcelain', '-z');
  for (const [path, message] of [
    ['tracked.csv', /output 'tracked\.csv' is already tracked by SCM \(e\.g\. Git\)\.\n    You can remove it from Git, then add to DVC\.\n        To stop tracking from Git:\n            git rm -r --cached 'tracked\.csv'\n            git commit -m "stop tracking tracked\.csv"/],
    ['folder', /output 'folder' is already tracked by SCM/],
    ['x.dvc', /cannot add "x\.dvc": it is a DVC file; did you mean `provenant data add x`\?/],
    ['dvc.yaml', /it is a DVC file/],
    [`new\nline`, /refusing to add "new\\nline": its name holds a control character/],
  ] as const) {
    const r = cli(root, ['data', 'add', path]);
    assert.equal(r.status, 2, `${path}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
    assert.ok(!existsSync(join(root, '.dvc')), `${path}: .dvc/ was created`);
    assert.ok(!existsSync(join(root, `${path}.dvc`)), `${path}: a .dvc file was written`);
    assert.ok(!existsSync(join(root, '.gitignore')), `${path}: .gitignore was written`);
  }
  assert.ok(!existsSync(join(root, 'x.dvc.dvc')));
  assert.equal(git(root, 'rev-parse', 'HEAD'), head);
  assert.equal(git(root, 'status', '--porcelain', '-z'), before);
  assert.equal(git(root, 'ls-files', 'tracked.csv'), 'tracked.csv');
});

test('.gitignore entries match exactly the added names, as native git reads them (trailing spaces, \\, #, !, *?[])', () => {
  const names = ['trail ', 'two  ', 'back\\slash.csv', 'star*.csv', '#hash', '!bang', 'q?[x]', ' lead'];
  const root = repo(Object.fromEntries([...names, 'starX.csv', 'trail', 'qa[x]'].map((n) => [n, `${n}\n`])));
  const r = cli(root, ['data', 'add', ...names]);
  assert.equal(r.status, 0, r.stderr);
  for (const name of names) {
    const check = spawnSync('git', ['check-ignore', '--', name], { cwd: root, encoding: 'utf8' });
    assert.equal(check.status, 0, `${JSON.stringify(name)} is not ignored by git: ${readFileSync(join(root, '.gitignore'), 'utf8')}`);
  }
  for (const other of ['starX.csv', 'trail', 'qa[x]']) {
    assert.equal(spawnSync('git', ['check-ignore', '--', other], { cwd: root }).status, 1, `${other} is ignored although it was not added`);
  }
  // Only the .dvc files and .gitignore are left for git to see.
  const untracked = git(root, 'status', '--porcelain', '-uall').split('\n').map((l) => l.slice(3));
  for (const name of names) assert.ok(!untracked.some((u) => u === name || u === `"${name}"`), `${name} shows in git status`);
  assert.equal(cli(root, ['data', 'status', '--quiet']).status, 0);
});

test('data status and data diff report unreadable DVC files by name and exit 2; --quiet exits 1 on changes', () => {
  const root = repo({ 'data/a.csv': 'a\n', 'b.csv': 'b\n' });
  assert.equal(cli(root, ['data', 'add', 'data', 'b.csv']).status, 0);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'track');
  const quiet = cli(root, ['data', 'status', '-q']);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.equal(quiet.stdout, '');
  writeFileSync(join(root, 'b.csv'), 'changed\n');
  const changed = cli(root, ['data', 'status', '-q']);
  assert.equal(changed.status, 1);
  assert.equal(changed.stdout, '');
  assert.equal(cli(root, ['data', 'status']).status, 0, 'changes alone are not an error (as dvc status)');

  writeFileSync(join(root, 'data.dvc'), 'outs: [this is: not, valid\n');
  const status = cli(root, ['data', 'status']);
  assert.equal(status.status, 2, status.stderr);
  assert.match(status.stdout, /data\.dvc/);
  assert.match(status.stderr, /data\.dvc/);
  const asJson = cli(root, ['data', 'status', '--json']);
  assert.equal(asJson.status, 2);
  assert.ok((JSON.parse(asJson.stdout) as { file: string; status: string }[]).some((e) => e.file === 'data.dvc' && e.status === 'error'));

  for (const args of [['workspace', 'HEAD'], ['HEAD', 'workspace']]) {
    const diff = cli(root, ['data', 'diff', ...args]);
    assert.equal(diff.status, 2, `${args.join(' ')}: ${diff.stdout}${diff.stderr}`);
    assert.match(diff.stderr, /cannot read data\.dvc; its datasets are left out of the diff/);
    const dj = cli(root, ['data', 'diff', ...args, '--json']);
    assert.equal(dj.status, 2);
    assert.deepEqual((JSON.parse(dj.stdout) as { errors: { file: string }[] }).errors.map((e) => e.file), ['data.dvc']);
  }
  // A malformed .dvc file in a commit is named with its revision.
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'break');
  const old = cli(root, ['data', 'diff', 'HEAD~1', 'HEAD']);
  assert.equal(old.status, 2);
  assert.match(old.stderr, /cannot read data\.dvc at HEAD/);
});

test('without a DVC cache, compare and data diff still name the files that changed inside a data folder (manifests kept with each run)', () => {
  const root = repo({ '.provenant/config.yaml': 'train: [sh, -c, "true"]\ndata: [data]\n', 'data/keep.csv': 'k\n', 'data/edit.csv': 'v1\n', 'data/gone.csv': 'g\n' });
  assert.equal(cli(root, ['run', '-q', '--name', 'before']).status, 0);
  writeFileSync(join(root, 'data/edit.csv'), 'v2\n');
  rmSync(join(root, 'data/gone.csv'));
  writeFileSync(join(root, 'data/new.csv'), 'n\n');
  const second = cli(root, ['run', '-q', '--name', 'after']);
  assert.equal(second.status, 0, second.stderr);
  assert.ok(!existsSync(join(root, '.dvc')), 'this workspace has no DVC cache');
  const compare = cli(root, ['compare', 'before', 'after', '--json', '--no-predictions']);
  assert.equal(compare.status, 0, compare.stderr);
  const data = (JSON.parse(compare.stdout) as { data: { path: string; added: string[]; removed: string[]; modified: string[]; note: string | null }[] }).data;
  assert.deepEqual(data.map((d) => ({ path: d.path, added: d.added, removed: d.removed, modified: d.modified, note: d.note })), [{ path: 'data', added: ['new.csv'], removed: ['gone.csv'], modified: ['edit.csv'], note: null }]);
  const diff = cli(root, ['data', 'diff', 'before', 'after', '--json']);
  assert.equal(diff.status, 0, diff.stderr);
  assert.deepEqual((JSON.parse(diff.stdout) as { datasets: { changes?: unknown }[] }).datasets[0]!.changes, { added: ['new.csv'], removed: ['gone.csv'], modified: ['edit.csv'] });
});
