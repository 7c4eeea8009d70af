// The comparison behind reproduction verdicts, part by part: prediction tables (bytes, shape,
// blank lines, ragged rows, numbers written differently), printed output (numbers within
// tolerance), the working-tree files a run wrote, missing inputs named on stderr, and the verdict
// (no evidence is `unverified`, never `identical`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { compareTables } from '../../../src/core/packet/tableCompare';
import { compareOutput, neutralize } from '../../../src/core/packet/outputCompare';
import { compareReproduction, verdictOf } from '../../../src/core/packet/reproductionCompare';
import { missingInputs } from '../../../src/core/packet/missingInput';
import { statWorkingTree, workingTreeWrites } from '../../../src/core/runner/workingTreeWrites';
import { reproductionBadge, VERDICT_LABELS } from '../../../src/core/governance/verdicts';
import type { RunRecord } from '../../../src/core/runs/types';
import { tempDir, writeFiles } from '../../helpers/git';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const tol = { absolute: 1e-9, relative: 1e-6 };
const csv = (...lines: string[]) => Buffer.from(lines.join('\n'));

test('equal bytes are identical; the same number written differently is within tolerance, with the reason', () => {
  const a = csv('y_true,y_score', '1,0.25', '0,0.75', '');
  assert.deepEqual(compareTables('holdout', a, Buffer.from(a), tol), { cells: 4, differences: [], differingCells: 0, beyond: 0, notes: [] });
  const t = compareTables('holdout', a, csv('y_true,y_score', '1.0,0.250', '0,0.75', ''), tol);
  assert.equal(t.beyond, 0);
  assert.equal(t.differingCells, 2);
  assert.deepEqual(
    t.differences.map((d) => [d.name, d.original, d.reproduced, d.withinTolerance, d.note]),
    [
      ['holdout:1:y_true', '1', '1.0', true, 'the same number written differently'],
      ['holdout:1:y_score', '0.25', '0.250', true, 'the same number written differently'],
    ],
  );
});

test('files whose cells are all equal but whose bytes differ are not identical', () => {
  const t = compareTables('holdout', csv('a,b', '1,2', ''), Buffer.from('a,b\r\n1,2\r\n'), tol);
  assert.equal(t.beyond, 0);
  assert.equal(t.differences.length, 1);
  assert.equal(t.differences[0]!.withinTolerance, true);
  assert.match(t.differences[0]!.note!, /differ in bytes/);
});

test('other columns, another row count, a blank line or a ragged row are beyond tolerance', () => {
  const base = csv('a,b', '1,2', '3,4', '');
  const columns = compareTables('s', base, csv('a,c', '1,2', '3,4', ''), tol);
  assert.equal(columns.beyond, 1);
  assert.equal(columns.differences[0]!.name, 's:columns');
  const rows = compareTables('s', base, csv('a,b', '1,2', ''), tol);
  assert.equal(rows.beyond, 1);
  assert.deepEqual([rows.differences[0]!.name, rows.differences[0]!.original, rows.differences[0]!.reproduced], ['s:rows', '2 rows × a,b', '1 rows × a,b']);
  const blank = compareTables('s', base, csv('a,b', '1,2', '', '3,4', ''), tol);
  assert.equal(blank.beyond, 1, 'a blank line is a row, not skipped');
  assert.match(blank.notes[0]!, /blank line/);
  const ragged = compareTables('s', base, csv('a,b', '1', '3,4', ''), tol);
  assert.equal(ragged.beyond, 1);
  assert.deepEqual([ragged.differences[0]!.name, ragged.differences[0]!.original, ragged.differences[0]!.reproduced], ['s:1', '2 cells', '1 cells']);
  // A ragged row present in both is compared as it is, and said.
  const both = compareTables('s', csv('a,b', '1', '3,4'), csv('a,b', '1', '3,4'), tol);
  assert.equal(both.cells, 3);
  assert.match(both.notes[0]!, /ragged row\(s\) at 1/);
});

test('numbers in a cell: within tolerance or beyond; text that differs is beyond', () => {
  const t = compareTables('s', csv('x,y,z', '0.5,1,a', ''), csv('x,y,z', '0.5000000001,1.5,b', ''), tol);
  assert.deepEqual(t.differences.map((d) => [d.name, d.withinTolerance]), [['s:1:x', true], ['s:1:y', false], ['s:1:z', false]]);
  assert.equal(t.beyond, 2);
});

test('printed output: equal, numbers within tolerance (with a note), numbers beyond, other text', () => {
  assert.equal(compareOutput('stdout', 'accuracy: 0.9\n', 'accuracy: 0.9\n', tol), null);
  const within = compareOutput('stdout', 'epoch 1 loss 0.5\naccuracy: 0.9\n', 'epoch 1 loss 0.5000000001\naccuracy: 0.9\n', tol)!;
  assert.equal(within.withinTolerance, true);
  assert.equal(within.original, 'epoch 1 loss 0.5');
  assert.match(within.note!, /1 number\(s\) differ, all within tolerance \(first at line 1\)/);
  const respelled = compareOutput('stdout', 'score 0\n', 'score 0.0\n', tol)!;
  assert.equal(respelled.withinTolerance, true);
  assert.match(respelled.note!, /written differently but equal/);
  const beyond = compareOutput('stdout', 'header\naccuracy: 0.9333\n', 'header\naccuracy: 0.9556\n', tol)!;
  assert.equal(beyond.withinTolerance, false);
  assert.deepEqual([beyond.original, beyond.reproduced], ['accuracy: 0.9333', 'accuracy: 0.9556']);
  assert.match(beyond.note!, /beyond tolerance \(first at line 2\)/);
  const text = compareOutput('stderr', 'ok\n', 'Traceback (most recent call last):\n', tol)!;
  assert.equal(text.withinTolerance, false);
  assert.match(text.note!, /line 1 differs/);
  assert.equal(compareOutput('stdout', 'done\n', 'done\nextra\n', tol)!.withinTolerance, false);
  // The checkout's folder and the run id are not differences.
  assert.equal(neutralize('/home/u/proj/train.py:3: Warning (run 20250101-000000-abcdef)', ['/home/u/proj'], ['20250101-000000-abcdef']), '<workspace>/train.py:3: Warning (run <run>)');
});

test('missing inputs are read from what Python, pandas, R and shells print, only when the checkout lacks them', () => {
  const checkout = tempDir('provenant-missing-');
  writeFiles(checkout, { 'data/present.csv': 'x\n' });
  const stderr = [
    "FileNotFoundError: [Errno 2] No such file or directory: 'data/iris.csv'",
    'cat: data/extra.tsv: No such file or directory',
    "Error in file(file, \"rt\") : cannot open file 'data/r.csv': No such file or directory",
    `FileNotFoundError: [Errno 2] No such file or directory: '${join(checkout, 'abs/x.csv')}'`,
    "FileNotFoundError: [Errno 2] No such file or directory: 'data/present.csv'",
    "FileNotFoundError: [Errno 2] No such file or directory: '/etc/elsewhere.csv'",
  ].join('\n');
  assert.deepEqual(missingInputs(stderr, checkout).sort(), ['abs/x.csv', 'data/extra.tsv', 'data/iris.csv', 'data/r.csv']);
  assert.deepEqual(missingInputs('ValueError: bad value\n', checkout), []);
  rmSync(checkout, { recursive: true, force: true });
});

test('the working tree walk records added, modified and removed files with hashes, skipping .git, .provenant and caches', () => {
  const root = tempDir('provenant-writes-');
  writeFiles(root, { 'keep.txt': 'same\n', 'change.txt': 'v1\n', 'gone.txt': 'x\n', '.git/HEAD': 'ref\n', 'venv/pyvenv.cfg': 'home\n', 'mlruns/0/meta.yaml': 'id: 1\n' });
  const before = statWorkingTree(root);
  writeFiles(root, {
    'change.txt': 'v2\n',
    'out/metrics.txt': 'accuracy: 0.9\n',
    '.git/index': 'x',
    '.provenant/runs/x/run.json': '{}',
    '__pycache__/m.pyc': 'x',
    'venv/lib/site.py': 'x',
    '.dvc/cache/files/md5/ab/cd': 'x',
    'mlruns/0/meta.yaml': 'id: 2\n',
  });
  rmSync(join(root, 'gone.txt'));
  const writes = workingTreeWrites(root, before);
  assert.deepEqual(
    writes.files.map((f) => [f.path, f.change, f.size, f.sha256?.slice(0, 8) ?? null]),
    [
      ['change.txt', 'modified', 3, sha('v2\n').slice(0, 8)],
      ['gone.txt', 'deleted', 0, null],
      ['out/metrics.txt', 'added', 14, sha('accuracy: 0.9\n').slice(0, 8)],
    ],
  );
  assert.equal(writes.files[2]!.sha256, sha('accuracy: 0.9\n'));
  assert.deepEqual(writes.skipped, ['.dvc/cache', '__pycache__', 'mlruns', 'venv']);
  assert.equal(writes.limited, undefined);

  // Rewritten with the same bytes is still written by the run (its ctime changed).
  const again = statWorkingTree(root);
  writeFileSync(join(root, 'keep.txt'), 'same\n');
  utimesSync(join(root, 'keep.txt'), again.files.get('keep.txt')!.mtimeMs / 1000, again.files.get('keep.txt')!.mtimeMs / 1000);
  assert.deepEqual(workingTreeWrites(root, again).files.map((f) => f.path), ['keep.txt']);

  // Bounded: past the entry limit the walk stops and says so; nothing beyond it is called new.
  const small = statWorkingTree(root, 2);
  writeFiles(root, { 'zzz.txt': 'late\n' });
  const bounded = workingTreeWrites(root, small, 2);
  assert.match(bounded.limited!, /more than 2 entries/);
  assert.ok(!bounded.files.some((f) => f.path === 'zzz.txt'));
  rmSync(root, { recursive: true, force: true });
});

/** A run record with just what the comparison reads, its folder holding the given files. */
function side(root: string, id: string, fields: Partial<RunRecord>, files: Record<string, string> = {}): { record: RunRecord; root: string } {
  mkdirSync(join(root, '.provenant', 'runs', id), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, '.provenant', 'runs', id, name), text);
  const record = { id, status: 'succeeded', exitCode: 0, metrics: {}, params: {}, predictions: [], artifacts: [], written: { files: [], skipped: [] }, ...fields } as unknown as RunRecord;
  return { record, root };
}

test('a run and a re-run that produced nothing to compare are unverified, not identical', () => {
  const a = tempDir('provenant-cmp-a-');
  const b = tempDir('provenant-cmp-b-');
  const c = compareReproduction(side(a, '20250101-000000-aaaaaa', { params: { C: 1 } }), side(b, '20250101-000001-bbbbbb', { params: { C: 1 } }), tol);
  assert.equal(c.evidence, 0);
  assert.equal(verdictOf(c), 'unverified');
  // Printed output is evidence: the same line printed twice is identical.
  const printed = compareReproduction(side(a, '20250101-000000-aaaaaa', {}, { 'stdout.log': 'accuracy: 0.9\n' }), side(b, '20250101-000001-bbbbbb', {}, { 'stdout.log': 'accuracy: 0.9\n' }), tol);
  assert.equal(verdictOf(printed), 'identical');
  assert.deepEqual(printed.compared.output, { stdout: 1, stderr: 0 });
  // Output too long to read into memory is compared by hash.
  const long = 'x'.repeat(9 * 1024 * 1024);
  const same = compareReproduction(side(a, '20250101-000000-aaaaaa', {}, { 'stdout.log': long }), side(b, '20250101-000001-bbbbbb', {}, { 'stdout.log': long }), tol);
  assert.equal(verdictOf(same), 'identical');
  const other = compareReproduction(side(a, '20250101-000000-aaaaaa', {}, { 'stdout.log': long }), side(b, '20250101-000001-bbbbbb', {}, { 'stdout.log': `${long}y` }), tol);
  assert.equal(verdictOf(other), 'diverged');
  assert.match(other.differences[0]!.note!, /compared by hash/);
  // Another exit code diverges however large the tolerance.
  const exit = compareReproduction(side(a, '20250101-000000-aaaaaa', { status: 'failed', exitCode: 1 }), side(b, '20250101-000001-bbbbbb', { status: 'failed', exitCode: 2 }), { absolute: 10, relative: 10 });
  assert.equal(verdictOf(exit), 'diverged');
  rmSync(a, { recursive: true, force: true });
  rmSync(b, { recursive: true, force: true });
});

test('written files: equal hashes agree; other bytes, a file only one run wrote, or a file one run removed diverge', () => {
  const a = tempDir('provenant-cmp-a-');
  const b = tempDir('provenant-cmp-b-');
  const f = (path: string, sha: string, change: 'added' | 'modified' | 'deleted' = 'added') => ({ path, change, size: 1, sha256: change === 'deleted' ? null : sha.repeat(64) });
  const original = side(a, '20250101-000000-aaaaaa', { written: { files: [f('metrics.txt', 'a'), f('plot.png', 'b'), f('only-original.txt', 'c'), f('stale.txt', '', 'deleted')], skipped: [] } });
  const rerun = side(b, '20250101-000001-bbbbbb', { written: { files: [f('metrics.txt', 'a'), f('plot.png', 'd'), f('only-rerun.txt', 'e')], skipped: [] } });
  const c = compareReproduction(original, rerun, tol);
  assert.equal(c.compared.files, 5);
  assert.deepEqual(
    c.differences.map((d) => [d.name, d.withinTolerance]),
    [
      ['only-original.txt', false],
      ['only-rerun.txt', false],
      ['plot.png', false],
    ],
    'metrics.txt agrees; stale.txt was removed by the original and is absent from the checkout',
  );
  assert.equal(verdictOf(c), 'diverged');
  // An original recorded before files were recorded: said, not silently "identical".
  const old = compareReproduction({ ...original, record: { ...original.record, written: undefined } as unknown as RunRecord }, rerun, tol);
  assert.equal(old.compared.files, undefined);
  assert.match(old.notes.join(' '), /were not compared/);
  rmSync(a, { recursive: true, force: true });
  rmSync(b, { recursive: true, force: true });
});

test('a missing prediction set diverges', () => {
  const a = tempDir('provenant-cmp-a-');
  const b = tempDir('provenant-cmp-b-');
  const set = { name: 'holdout', file: 'predictions.csv', rows: 1, columns: ['y_true', 'y_score'], yTrue: 'y_true', yScore: 'y_score', yPred: null, features: [] };
  const c = compareReproduction(side(a, '20250101-000000-aaaaaa', { predictions: [set] }, { 'predictions.csv': 'y_true,y_score\n1,0.5\n' }), side(b, '20250101-000001-bbbbbb', {}), tol);
  assert.deepEqual(c.differences.map((d) => [d.kind, d.name, d.original, d.reproduced, d.withinTolerance]), [['prediction', 'holdout', 'present', 'missing', false]]);
  assert.equal(verdictOf(c), 'diverged');
  rmSync(a, { recursive: true, force: true });
  rmSync(b, { recursive: true, force: true });
});

test('one vocabulary: every verdict has a label, and only identical and within-tolerance pass', () => {
  assert.deepEqual(Object.keys(VERDICT_LABELS).sort(), ['diverged', 'identical', 'missing-input', 'unverified', 'within-tolerance']);
  assert.deepEqual(
    (['identical', 'within-tolerance', 'unverified', 'diverged', 'missing-input'] as const).map(reproductionBadge),
    ['pass', 'pass', 'warn', 'fail', 'fail'],
  );
});
