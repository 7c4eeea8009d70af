import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { sampleRun } from '../../fixtures/runRecord';
import { compareRuns, renderComparison } from '../../../src/core/runs/compare';
import { readStars, setStar, STARS_PATH } from '../../../src/core/experiments/stars';
import { readRawIndex, serializeIndex, withIndexLock } from '../../../src/core/git/indexLock';
import { validateBranchName } from '../../../src/core/experiments/experiments';
import { git, makeRepo, tempDir } from '../../helpers/git';
import { ProvenantError } from '../../../src/core/util/errors';

test('compareRuns marks exactly the differing params, metrics, seeds, data and environment', () => {
  const a = sampleRun({ id: '20260101-000000-aaaaaa', name: 'a' });
  const b = sampleRun({ id: '20260101-000001-bbbbbb', name: 'b', params: { ...a.params, lr: 0.5 }, metrics: { ...a.metrics, roc_auc: 0.5 }, seeds: { ...a.seeds, root: 7 } });
  const cmp = compareRuns([a, b]);
  const differing = (section: string) => cmp.sections.find((s) => s.section === section)!.rows.filter((r) => r.differs).map((r) => r.key);
  assert.deepEqual(differing('params'), ['lr']);
  assert.deepEqual(differing('metrics'), ['roc_auc']);
  assert.deepEqual(differing('seeds'), ['root']);
  assert.deepEqual(differing('data'), []);
  assert.deepEqual(differing('environment'), []);
  const text = renderComparison(cmp, { differencesOnly: true });
  assert.match(text, /≠ lr\s+\[1\] .* \[2\] 0\.5/);
  assert.doesNotMatch(text, /package numpy/);
  assert.match(renderComparison(cmp), /  package numpy/);
});

test('stars: toggled atomically; a damaged stars.json is reported with its name and never overwritten', () => {
  const root = tempDir();
  mkdirSync(join(root, '.git', 'info'), { recursive: true });
  setStar(root, '20260101-000000-aaaaaa', true);
  setStar(root, '20260101-000001-bbbbbb', true);
  setStar(root, '20260101-000000-aaaaaa', false);
  assert.deepEqual([...readStars(root)], ['20260101-000001-bbbbbb']);
  writeFileSync(join(root, STARS_PATH), '{"runs": [1');
  assert.throws(() => setStar(root, '20260101-000000-aaaaaa', true), (err: unknown) => err instanceof ProvenantError && err.file === STARS_PATH);
  assert.equal(readFileSync(join(root, STARS_PATH), 'utf8'), '{"runs": [1');
  assert.throws(() => setStar(root, 'nope', true), /not a run id/);
});

test('index writer: an unchanged round trip is byte-identical to git\'s entries, and git accepts it', async () => {
  const root = makeRepo({ 'a.txt': 'a\n', 'dir/b.txt': 'b\n', 'dir/sub/c.txt': 'c\n' });
  const gitdir = join(root, '.git');
  const raw = readRawIndex(gitdir);
  assert.deepEqual(raw.entries.map((e) => e.path), ['a.txt', 'dir/b.txt', 'dir/sub/c.txt']);
  await withIndexLock(gitdir, (lock) => lock.commit(serializeIndex(raw.version, raw.entries)));
  assert.equal(git(root, 'status', '--porcelain'), '');
  git(root, 'fsck', '--no-progress');
  assert.ok(!existsSync(join(gitdir, 'index.lock')));
  // A lock that fails inside releases itself.
  await assert.rejects(withIndexLock(gitdir, () => { throw new Error('boom'); }), /boom/);
  assert.ok(!existsSync(join(gitdir, 'index.lock')));
});

test('branch names follow git check-ref-format', () => {
  for (const ok of ['exp/lr-0.1', 'exp/a_b/c']) assert.doesNotThrow(() => validateBranchName(ok));
  for (const bad of ['exp/a b', 'exp/..', 'exp/a.lock', 'exp/', '-x', 'exp/a~1', 'exp/.hidden', 'a@{1}']) assert.throws(() => validateBranchName(bad), /not a valid branch name/, bad);
});
