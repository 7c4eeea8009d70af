// Experiment branches on real repositories, every outcome checked with native git.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, makeRepo, writeFiles } from '../helpers/git';
import { cli } from '../helpers/cli';
import { sampleRun } from '../fixtures/runRecord';
import { snapshotWorkingTree } from '../../src/core/git/snapshot';
import { writeRun } from '../../src/core/runs/store';
import {
  archiveExperiment,
  listExperiments,
  mergeExperiment,
  newExperiment,
  restoreExperiment,
  switchExperiment,
} from '../../src/core/experiments/experiments';
import { chooseEngine } from '../../src/core/experiments/gitops';
import { appendJournal, readJournal, JOURNAL_PATH } from '../../src/core/experiments/journal';
import { ProvenantError } from '../../src/core/util/errors';

const GITIGNORE = { '.provenant/.gitignore': '/runs/\n/state/\n/tmp/\n' };

function status(root: string): string {
  return execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: root, encoding: 'utf8' });
}

function state(root: string): string {
  return [status(root), git(root, 'for-each-ref'), readFileSync(join(root, '.git', 'HEAD'), 'utf8'), git(root, 'ls-files', '-s')].join('\n---\n');
}

function healthy(root: string): void {
  git(root, 'fsck', '--no-dangling', '--no-progress');
  assert.ok(!existsSync(join(root, '.git', 'index.lock')), 'no index lock left behind');
}

const code = (c: string) => (err: unknown) => err instanceof ProvenantError && err.code === c;

test('new from HEAD keeps uncommitted work; switch refuses a dirty tree without a choice and changes nothing', async () => {
  const root = makeRepo({ 'train.py': 'lr = 0.1\n', ...GITIGNORE });
  writeFiles(root, { 'train.py': 'lr = 0.2\n', 'new.py': 'x = 1\n' });
  const created = await newExperiment(root, 'lr');
  assert.equal(created.name, 'exp/lr');
  assert.equal(git(root, 'symbolic-ref', '--short', 'HEAD'), 'exp/lr');
  assert.equal(readFileSync(join(root, 'train.py'), 'utf8'), 'lr = 0.2\n', 'uncommitted edit carried, like git switch -c');
  const before = state(root);
  await assert.rejects(switchExperiment(root, 'main'), (err: unknown) => code('E_DIRTY')(err) && /--commit/.test((err as ProvenantError).describe()));
  assert.equal(state(root), before, 'nothing changed');
  const moved = await switchExperiment(root, 'main', { dirty: 'commit' });
  assert.ok(moved.committed && moved.backupRef);
  assert.equal(status(root), '');
  assert.equal(git(root, 'show', 'exp/lr:train.py'), 'lr = 0.2');
  assert.equal(readFileSync(join(root, 'train.py'), 'utf8'), 'lr = 0.1\n');
  assert.ok(!existsSync(join(root, 'new.py')));
  assert.equal(git(root, 'show', `${moved.backupRef}:new.py`), 'x = 1', 'the backup ref holds the working tree as it was');
  healthy(root);
});

test('carry keeps a staged change on a file both branches share (isomorphic-git alone would overwrite it)', async () => {
  const root = makeRepo({ 'shared.txt': 'base\n', 'other.txt': 'o\n', ...GITIGNORE });
  await newExperiment(root, 'b');
  writeFiles(root, { 'other.txt': 'changed on b\n' });
  git(root, 'commit', '-qam', 'b');
  await switchExperiment(root, 'main');
  writeFiles(root, { 'shared.txt': 'staged work\n' });
  git(root, 'add', 'shared.txt');
  await switchExperiment(root, 'exp/b', { dirty: 'carry' });
  assert.equal(readFileSync(join(root, 'shared.txt'), 'utf8'), 'staged work\n');
  assert.equal(readFileSync(join(root, 'other.txt'), 'utf8'), 'changed on b\n');
  assert.equal(status(root), 'M  shared.txt\n', 'still staged, and git agrees');
  // A carried change on a file the target changes is refused, before anything moves.
  writeFiles(root, { 'other.txt': 'local edit\n' });
  const before = state(root);
  await assert.rejects(switchExperiment(root, 'main', { dirty: 'carry' }), code('E_WOULD_OVERWRITE'));
  assert.equal(state(root), before);
  healthy(root);
});

test('an ignored file in the way of a checkout is never overwritten', async () => {
  const root = makeRepo({ '.gitignore': 'model.pkl\n', 'a.txt': 'a\n', ...GITIGNORE });
  await newExperiment(root, 'tracked-model');
  writeFiles(root, { '.gitignore': '', 'model.pkl': 'committed model\n' });
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'track model');
  await switchExperiment(root, 'main');
  assert.ok(!existsSync(join(root, 'model.pkl')));
  writeFiles(root, { 'model.pkl': 'precious local model\n' });
  await assert.rejects(switchExperiment(root, 'exp/tracked-model', { dirty: 'carry' }), code('E_WOULD_OVERWRITE'));
  assert.equal(readFileSync(join(root, 'model.pkl'), 'utf8'), 'precious local model\n');
  healthy(root);
});

test('new --from a run restores exactly the code the run used, uncommitted edits included', async () => {
  const root = makeRepo({ 'train.py': 'v1\n', ...GITIGNORE });
  writeFiles(root, { 'train.py': 'v2 uncommitted\n', 'extra.py': 'untracked\n' });
  const id = '20260102-030405-abcdef';
  const codeState = await snapshotWorkingTree(root, { runId: id });
  writeRun(root, sampleRun({ id, name: 'the-run', experiment: 'main', code: codeState }));
  git(root, 'checkout', '-q', '--', 'train.py');
  rmSync(join(root, 'extra.py'));
  const created = await newExperiment(root, 'replay', { from: 'the-run' });
  assert.equal(created.fromRun, id);
  assert.equal(readFileSync(join(root, 'train.py'), 'utf8'), 'v2 uncommitted\n');
  assert.equal(readFileSync(join(root, 'extra.py'), 'utf8'), 'untracked\n');
  assert.equal(status(root), '');
  await assert.rejects(newExperiment(root, 'bad', { from: 'no-such-thing' }), code('E_EXP_FROM'));
  await assert.rejects(newExperiment(root, 'has space'), code('E_EXP_NAME'));
  await assert.rejects(newExperiment(root, 'replay'), code('E_EXP_EXISTS'));
  healthy(root);
});

test('merge: fast-forward, three-way (a merge commit git accepts), and conflicts aborted with nothing changed or left for the merge editor', async () => {
  const root = makeRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n', ...GITIGNORE });
  await newExperiment(root, 'ff');
  writeFiles(root, { 'a.txt': 'a from ff\n' });
  git(root, 'commit', '-qam', 'ff');
  const ff = await mergeExperiment(root, 'ff', { into: 'main' });
  assert.equal(ff.status, 'fast-forward');
  assert.equal(git(root, 'rev-parse', 'main'), git(root, 'rev-parse', 'exp/ff'));
  assert.equal(git(root, 'symbolic-ref', '--short', 'HEAD'), 'exp/ff', 'a fast-forward of another branch moves only its ref');

  await switchExperiment(root, 'main');
  await newExperiment(root, 'three');
  writeFiles(root, { 'b.txt': 'b from three\n' });
  git(root, 'commit', '-qam', 'three');
  await switchExperiment(root, 'main');
  writeFiles(root, { 'c.txt': 'c on main\n' });
  git(root, 'commit', '-qam', 'main moves');
  const merged = await mergeExperiment(root, 'three');
  assert.equal(merged.status, 'merged');
  assert.equal(merged.engine, 'isomorphic');
  assert.equal(git(root, 'rev-list', '--parents', '-n', '1', 'main').split(' ').length, 3, 'a merge commit with two parents');
  assert.equal(readFileSync(join(root, 'b.txt'), 'utf8'), 'b from three\n');
  assert.equal(status(root), '');
  healthy(root);

  await newExperiment(root, 'clash');
  writeFiles(root, { 'a.txt': 'clash side\n' });
  git(root, 'commit', '-qam', 'clash');
  await switchExperiment(root, 'main');
  writeFiles(root, { 'a.txt': 'main side\n' });
  git(root, 'commit', '-qam', 'main side');
  const before = state(root);
  await assert.rejects(mergeExperiment(root, 'clash'), (err: unknown) => code('E_MERGE_CONFLICT')(err) && /a\.txt/.test((err as Error).message));
  await assert.rejects(mergeExperiment(root, 'clash', { engine: 'native' }), code('E_MERGE_CONFLICT'));
  assert.equal(state(root), before, 'aborted merges change nothing');
  const left = await mergeExperiment(root, 'clash', { conflicts: 'leave' });
  assert.equal(left.status, 'conflicts');
  assert.equal(left.engine, 'native');
  assert.deepEqual(left.conflicts, ['a.txt']);
  assert.ok(existsSync(join(root, '.git', 'MERGE_HEAD')));
  assert.match(status(root), /^UU a\.txt$/m);
  assert.match(readFileSync(join(root, 'a.txt'), 'utf8'), /<<<<<<< /);
  // While the merge is unresolved, every experiment operation refuses.
  await assert.rejects(switchExperiment(root, 'exp/ff', { dirty: 'carry' }), code('E_REPO_STATE'));
  git(root, 'merge', '--abort');
  assert.equal(state(root), before);
  healthy(root);
});

test('criss-cross merges go through the git executable, or are refused clearly without it', async () => {
  const root = makeRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n', ...GITIGNORE });
  git(root, 'branch', 'exp/x');
  writeFiles(root, { 'a.txt': 'a main\n' });
  git(root, 'commit', '-qam', 'm1');
  git(root, 'checkout', '-q', 'exp/x');
  writeFiles(root, { 'b.txt': 'b x\n' });
  git(root, 'commit', '-qam', 'x1');
  const m1 = git(root, 'rev-parse', 'main');
  const x1 = git(root, 'rev-parse', 'exp/x');
  git(root, 'merge', '-q', '--no-edit', m1);
  git(root, 'checkout', '-q', 'main');
  git(root, 'merge', '-q', '--no-edit', x1);
  writeFiles(root, { 'a.txt': 'a main 2\n' });
  git(root, 'commit', '-qam', 'm2');
  git(root, 'checkout', '-q', 'exp/x');
  writeFiles(root, { 'b.txt': 'b x 2\n' });
  git(root, 'commit', '-qam', 'x2');
  git(root, 'checkout', '-q', 'main');
  assert.equal(git(root, 'merge-base', '--all', 'main', 'exp/x').split('\n').length, 2, 'two merge bases');
  const before = state(root);
  await assert.rejects(mergeExperiment(root, 'exp/x', { gitAvailable: false }), code('E_REPO_UNSUPPORTED'));
  assert.equal(state(root), before);
  const merged = await mergeExperiment(root, 'exp/x');
  assert.equal(merged.engine, 'native');
  assert.equal(merged.status, 'merged');
  assert.equal(readFileSync(join(root, 'b.txt'), 'utf8'), 'b x 2\n');
  healthy(root);
});

test('index v4 (feature.manyFiles) is detected up front: git does the switch, or a clear refusal without git', async () => {
  const root = makeRepo({ 'a.txt': 'a\n', ...GITIGNORE });
  await newExperiment(root, 'v4');
  writeFiles(root, { 'a.txt': 'a v4\n' });
  git(root, 'commit', '-qam', 'v4');
  git(root, 'update-index', '--index-version', '4');
  assert.throws(() => chooseEngine(root, 'switch', [], { gitAvailable: false }), (err: unknown) => code('E_REPO_UNSUPPORTED')(err) && /index is version 4/.test((err as Error).message));
  await assert.rejects(switchExperiment(root, 'main', { gitAvailable: false }), code('E_REPO_UNSUPPORTED'));
  const moved = await switchExperiment(root, 'main');
  assert.equal(moved.engine, 'native');
  assert.equal(readFileSync(join(root, 'a.txt'), 'utf8'), 'a\n');
  assert.equal(status(root), '');
  healthy(root);
});

test('a held .git/index.lock makes Provenant fail clearly and leaves the lock and the tree alone', async () => {
  const root = makeRepo({ 'a.txt': 'a\n', ...GITIGNORE });
  await newExperiment(root, 'locked');
  writeFiles(root, { 'a.txt': 'a locked\n' });
  git(root, 'commit', '-qam', 'locked');
  writeFileSync(join(root, '.git', 'index.lock'), '');
  await assert.rejects(switchExperiment(root, 'main'), (err: unknown) => code('E_INDEX_LOCKED')(err) && (err as ProvenantError).file === '.git/index.lock');
  assert.ok(existsSync(join(root, '.git', 'index.lock')), 'someone else\'s lock is not removed');
  assert.equal(readFileSync(join(root, 'a.txt'), 'utf8'), 'a locked\n');
  assert.equal(git(root, 'symbolic-ref', '--short', 'HEAD'), 'exp/locked');
  rmSync(join(root, '.git', 'index.lock'));
  await switchExperiment(root, 'main');
  healthy(root);
});

test('archive and restore: the branch moves to refs/provenant/archive with reason and date, runs stay listed, nothing is deleted', async () => {
  const root = makeRepo({ 'a.txt': 'a\n', ...GITIGNORE });
  await newExperiment(root, 'dead-end');
  writeFiles(root, { 'a.txt': 'tried\n' });
  git(root, 'commit', '-qam', 'tried');
  const tip = git(root, 'rev-parse', 'HEAD');
  const id = '20260103-000000-aaaaaa';
  writeRun(root, sampleRun({ id, experiment: 'exp/dead-end', code: await snapshotWorkingTree(root, { runId: id }) }));
  await assert.rejects(archiveExperiment(root, 'dead-end'), code('E_EXP_CURRENT'));
  await switchExperiment(root, 'main');
  await assert.rejects(archiveExperiment(root, 'main'), code('E_EXP_MAIN'));
  await archiveExperiment(root, 'dead-end', { reason: 'no gain over baseline' });
  assert.equal(git(root, 'rev-parse', 'refs/provenant/archive/exp/dead-end^'), tip);
  assert.equal(git(root, 'branch', '--list', 'exp/dead-end'), '');
  const listed = (await listExperiments(root)).find((e) => e.name === 'exp/dead-end')!;
  assert.deepEqual([listed.archived, listed.ref, listed.runs, listed.reason, listed.head], [true, 'refs/provenant/archive/exp/dead-end', [id], 'no gain over baseline', tip]);
  await assert.rejects(switchExperiment(root, 'dead-end'), code('E_EXP_ARCHIVED'));
  await restoreExperiment(root, 'dead-end');
  assert.equal(git(root, 'rev-parse', 'exp/dead-end'), tip);
  assert.deepEqual(readJournal(root).entries.map((e) => e.kind), ['archive', 'restore']);
  healthy(root);
});

test('CLI: exp new / list --json / switch / note, with clear refusals and exit code 2', () => {
  const root = makeRepo({ 'train.py': 'x\n', ...GITIGNORE });
  let r = cli(root, ['exp', 'new', 'cli-one']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Switched to new experiment exp\/cli-one/);
  r = cli(root, ['exp', 'list', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const list = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.deepEqual(list.map((e) => [e.name, e.current, e.archived]), [['exp/cli-one', true, false], ['main', false, false]]);
  for (const key of ['name', 'ref', 'current', 'archived', 'ahead', 'behind', 'runs']) assert.ok(key in list[0]!, `list --json has "${key}"`);
  writeFiles(root, { 'train.py': 'edited\n' });
  git(root, 'commit', '-qam', 'edit');
  writeFiles(root, { 'train.py': 'dirty\n' });
  r = cli(root, ['exp', 'switch', 'main']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /uncommitted changes in 1 file\(s\): train\.py[\s\S]*--commit[\s\S]*--carry/);
  assert.equal(readFileSync(join(root, 'train.py'), 'utf8'), 'dirty\n');
  r = cli(root, ['exp', 'switch', 'main', '--carry']);
  assert.equal(r.status, 2, 'the carried file differs on main');
  assert.match(r.stderr, /would be overwritten: train\.py/);
  r = cli(root, ['note', 'assumption', 'applicants', 'are', 'i.i.d.']);
  assert.equal(r.status, 0, r.stderr);
  r = cli(root, ['exp', 'list']);
  assert.match(r.stdout, /\*\s+exp\/cli-one\s+1\s+0\s+0/);
  const entries = readJournal(root).entries;
  assert.deepEqual(entries.map((e) => [e.kind, e.text, e.experiment, e.author]), [['assumption', 'applicants are i.i.d.', 'exp/cli-one', 'Test <test@example.com>']]);
  assert.equal(status(root), ' M train.py\n', 'the journal stays out of git status');
  r = cli(root, ['exp', 'merge', 'cli-one', '--conflicts', 'maybe']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--conflicts must be "abort" or "leave"/);
});

test('journal: malformed lines are reported by number and kept byte for byte on append; empty notes are refused', async () => {
  const root = makeRepo({ 'a.txt': 'a\n', ...GITIGNORE });
  writeFiles(root, { [JOURNAL_PATH]: '{"broken": \nnot json' });
  await appendJournal(root, { kind: 'decision', text: 'use roc_auc' });
  const text = readFileSync(join(root, JOURNAL_PATH), 'utf8');
  assert.ok(text.startsWith('{"broken": \nnot json\n'), 'old bytes kept');
  const { entries, problems } = readJournal(root);
  assert.deepEqual(entries.map((e) => e.text), ['use roc_auc']);
  assert.deepEqual(problems.map((p) => p.line), [1, 2]);
  await assert.rejects(appendJournal(root, { kind: 'decision', text: '   ' }), (err: unknown) => code('E_NOTE_EMPTY')(err) && (err as ProvenantError).file === JOURNAL_PATH);
  assert.match(git(root, 'show', 'refs/provenant/journal:journal.jsonl'), /use roc_auc/, 'the journal is recorded in git too');
});
