// `provenant data …` as a user runs it: the status --json contract, checkout that asks before losing
// work, diff between runs, and runs storing their data in the DVC cache.
import { test } from 'node:test';
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
