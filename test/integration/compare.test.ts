// `provenant compare` on two real runs of the hiring demo (real git, real Python/scikit-learn):
// the JSON contract, the files inside a data folder from the DVC cache's .dir manifests, code
// files checked against native git, intervals from predictions; ROC/PR curves against
// scikit-learn; bad input named, nothing changed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../helpers/git';
import { cli } from '../helpers/cli';
import { requirePython } from '../helpers/python';
import { hiringWorkspace } from '../helpers/hiring';
import { buildManifest } from '../../src/core/data/dirManifest';
import { md5File } from '../../src/core/data/md5';
import { precisionRecallCurve, rocCurve } from '../../src/core/analysis/curves';
import type { RunRecord } from '../../src/core/runs/types';

function workspace(): string {
  return hiringWorkspace('provenant-compare-', {
    config: (text) => text.replace('  - data/applicants.csv', '  - data'),
    files: { '.dvc/.gitignore': '/config.local\n/tmp\n/cache\n' }, // as `dvc init` writes it
  });
}

/** Writes the .dir manifest of the folder as it is now into the DVC cache, as `dvc add` would; returns its oid. */
function cacheManifest(root: string, folder: string): string {
  const entries = readdirSync(join(root, folder)).map((name) => ({ md5: md5File(join(root, folder, name)).md5, relpath: name }));
  const m = buildManifest(entries);
  const dir = join(root, '.dvc', 'cache', 'files', 'md5', m.oid.slice(0, 2));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, m.oid.slice(2)), m.bytes);
  return m.oid;
}

describe('provenant compare', () => {
  const root = workspace();
  assert.equal(cli(root, ['run', '--quiet', '--name', 'first']).status, 0);
  const firstOid = cacheManifest(root, 'data');
  writeFileSync(join(root, 'params.yaml'), readFileSync(join(root, 'params.yaml'), 'utf8').replace('C: 1.0', 'C: 0.1'));
  writeFileSync(join(root, 'train.py'), `${readFileSync(join(root, 'train.py'), 'utf8')}# tuned\n`);
  writeFileSync(join(root, 'data', 'notes.txt'), 'collected in March\n');
  assert.equal(cli(root, ['run', '--quiet', '--name', 'second']).status, 0);
  const runs = (JSON.parse(cli(root, ['runs', 'list', '--json']).stdout) as RunRecord[]).reverse();
  const [a, b] = runs as [RunRecord, RunRecord];

  it('prints the JSON contract: params, metrics with deltas, data, environment, code, intervals', () => {
    assert.equal(a.data[0]!.md5, firstOid, 'the manifest written here is the one the run recorded');
    // The workspace has .dvc/, so each run stored its data in the DVC cache: take the second
    // version's manifest out again to see how a version missing from the cache is reported.
    const second = join(root, '.dvc', 'cache', 'files', 'md5', b.data[0]!.md5.slice(0, 2), b.data[0]!.md5.slice(2));
    assert.ok(existsSync(second), 'the run stored its data folder in the cache');
    rmSync(second);
    // The run keeps its own copy of the manifest: the files are still named without the cache…
    const kept = cli(root, ['compare', 'first', 'second', '--json', '--no-predictions']);
    assert.deepEqual(JSON.parse(kept.stdout).data[0].added, ['notes.txt']);
    // …and with that copy gone too, the missing manifest is reported.
    rmSync(join(root, '.provenant', 'runs', b.id, `data-${b.data[0]!.md5}`));
    const before = cli(root, ['compare', 'first', 'second', '--json']);
    assert.equal(before.status, 0, before.stderr);
    const out = JSON.parse(before.stdout);
    assert.deepEqual(out.runs, [a.id, b.id]);
    assert.deepEqual(Object.keys(out).filter((k) => ['runs', 'params', 'metrics', 'seeds', 'data', 'environment', 'code'].includes(k)).length, 7);
    assert.deepEqual(out.params.filter((r: { differs: boolean }) => r.differs).map((r: { key: string }) => r.key), ['model.C']);
    const auc = out.metrics.find((r: { key: string }) => r.key === 'roc_auc');
    assert.equal(auc.deltas[1], b.metrics.roc_auc! - a.metrics.roc_auc!);
    assert.deepEqual(out.data[0].versions, [a.data[0]!.md5, b.data[0]!.md5]);
    assert.match(out.data[0].note, /^manifest not in cache/);
    assert.deepEqual(out.environment, { ...out.environment, added: [], removed: [], changed: [] });
    for (const key of ['added', 'removed', 'changed']) assert.ok(key in out.environment);
    // Code files, checked with native git.
    assert.deepEqual(out.code.files.map((f: { path: string }) => f.path), ['data/notes.txt', 'params.yaml', 'train.py']);
    const train = out.code.files.find((f: { path: string }) => f.path === 'train.py');
    assert.deepEqual(train.blobs, [git(root, 'rev-parse', `${a.code.snapshotCommit}:train.py`), git(root, 'rev-parse', `${b.code.snapshotCommit}:train.py`)]);
    assert.equal(out.code.files[0].change, 'added');
    // Intervals from predictions, and the paired difference.
    const ev = out.evaluation[1].metrics.roc_auc;
    assert.ok(ev.low < ev.value && ev.value < ev.high);
    assert.equal(out.paired[1].rows, 750);
  });

  it('lists the files that changed inside the data folder once both manifests are in the cache', () => {
    cacheManifest(root, 'data');
    const out = JSON.parse(cli(root, ['compare', a.id, b.id, '--json', '--no-predictions']).stdout);
    assert.deepEqual([out.data[0].added, out.data[0].removed, out.data[0].modified, out.data[0].note], [['notes.txt'], [], [], null]);
    assert.equal(out.evaluation, undefined);
    const md = cli(root, ['compare', a.id, b.id, '--md', '--differences', '--no-predictions']).stdout;
    assert.match(md, /^# Comparison of 2 runs/);
    assert.match(md, /\| model\.C \| 1 \| 0\.1 \|/);
    assert.ok(!md.includes('| seed |'), 'equal rows left out with --differences');
  });

  it('refuses bad input with a clear message and changes nothing', () => {
    const status = git(root, 'status', '--porcelain');
    const one = cli(root, ['compare', a.id]);
    assert.equal(one.status, 2);
    assert.match(one.stderr, /compare needs two or more runs/);
    const missing = cli(root, ['compare', a.id, 'no-such-run']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no run matches "no-such-run"/);
    assert.equal(cli(root, ['compare', a.id, b.id, '--json', '--md']).status, 2);
    // A damaged manifest in the cache: the error names the cache object; the object is left as it is.
    const oid = b.data[0]!.md5;
    const file = join(root, '.dvc', 'cache', 'files', 'md5', oid.slice(0, 2), oid.slice(2));
    writeFileSync(file, '[{"md5": "x", "relpath": "../escape"}]');
    const bad = cli(root, ['compare', a.id, b.id, '--no-predictions']);
    assert.equal(bad.status, 2);
    assert.ok(bad.stderr.includes(`.dvc/cache/files/md5/${oid.slice(0, 2)}/${oid.slice(2)}`), bad.stderr);
    assert.match(bad.stderr, /not a valid \.dir manifest/);
    assert.equal(readFileSync(file, 'utf8'), '[{"md5": "x", "relpath": "../escape"}]');
    assert.equal(git(root, 'status', '--porcelain'), status);
    git(root, 'fsck', '--no-dangling', '--no-progress');
  });
});

describe('ROC and precision-recall curves', () => {
  it('match scikit-learn on scores with ties', () => {
    const y = Float64Array.from({ length: 300 }, (_, i) => ((i * 7919) % 13 < 5 ? 1 : 0));
    const s = Float64Array.from({ length: 300 }, (_, i) => Math.round(((((i * 104729) % 1000) / 1000) * 0.7 + y[i]! * 0.3) * 50) / 50);
    const script = `import json,sys
from sklearn.metrics import roc_curve, precision_recall_curve, roc_auc_score, average_precision_score
d = json.load(sys.stdin); y, s = d["y"], d["s"]
fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
p, r, _ = precision_recall_curve(y, s)
print(json.dumps({"fpr": list(fpr), "tpr": list(tpr), "p": list(p)[::-1], "r": list(r)[::-1], "auc": roc_auc_score(y, s), "ap": average_precision_score(y, s)}))`;
    const ref = JSON.parse(execFileSync(requirePython(), ['-c', script], { input: JSON.stringify({ y: [...y], s: [...s] }), encoding: 'utf8' }));
    const roc = rocCurve(y, s, 10_000);
    const pr = precisionRecallCurve(y, s, 10_000);
    const close = (x: number[], want: number[], what: string) => {
      assert.equal(x.length, want.length, `${what} length`);
      x.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-12, `${what}[${i}] ${v} vs ${want[i]}`));
    };
    close(roc.points.map((p) => p.x), ref.fpr, 'fpr');
    close(roc.points.map((p) => p.y), ref.tpr, 'tpr');
    close(pr.points.map((p) => p.x), ref.r, 'recall');
    close(pr.points.map((p) => p.y), ref.p, 'precision');
    assert.ok(Math.abs(roc.area - ref.auc) < 1e-12 && Math.abs(pr.area - ref.ap) < 1e-12);
    assert.equal(rocCurve(y, s, 50).points.length, 50, 'thinned for drawing');
  });
});
