// Reproduction verdicts on projects written the way people write them (real git, real Python with
// scikit-learn): a random forest that logs nothing through Provenant, prints its accuracy and
// writes metrics.txt and plot.png (diverged when unseeded; identical, and credited as seeded,
// when seeded), a script that produces nothing to compare (unverified), a script reading an
// undeclared, git-ignored data file (missing input), and prediction files that were reshaped or
// rewritten (diverged; within tolerance when only the text of a number changed).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, tempDir, writeFiles } from '../helpers/git';
import { cli } from '../helpers/cli';
import { requirePython } from '../helpers/python';
import type { RunRecord } from '../../src/core/runs/types';
import type { ReproductionRecord } from '../../src/core/governance/reproductionRecord';
import { readZip } from '../../src/core/packet/zip';

/** A tiny PNG writer, as a plotting library would leave one: bars and a text chunk. */
const PNG_WRITER = `
import struct, zlib

def write_png(path, values, description):
    width, height = 8 * len(values), 100
    rows = b""
    for y in range(height):
        row = bytearray([0])
        for v in values:
            row += bytes([0 if (height - y) <= v * height else 255] * 8)
        rows += bytes(row)
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\\x89PNG\\r\\n\\x1a\\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)))
        f.write(chunk(b"tEXt", b"Description\\x00" + description.encode()))
        f.write(chunk(b"IDAT", zlib.compress(rows)))
        f.write(chunk(b"IEND", b""))
`;

/** A random forest on iris that logs nothing through Provenant: it prints and writes files. */
function forest(seeded: boolean): string {
  const rs = seeded ? ', random_state=0' : '';
  return [
    'from sklearn.datasets import load_iris',
    'from sklearn.ensemble import RandomForestClassifier',
    'from sklearn.model_selection import train_test_split',
    'from plotting import write_png',
    '',
    'X, y = load_iris(return_X_y=True)',
    `X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3${rs})`,
    `model = RandomForestClassifier(n_estimators=30${rs})`,
    'model.fit(X_train, y_train)',
    'accuracy = model.score(X_test, y_test)',
    'print("accuracy: %.4f" % accuracy)',
    'with open("metrics.txt", "w") as f:',
    '    f.write("accuracy: %.4f\\n" % accuracy)',
    'write_png("plot.png", list(model.feature_importances_), "feature importances " + repr(list(model.feature_importances_)))',
    '',
  ].join('\n');
}

function workspace(prefix: string, files: Record<string, string>, train: string): string {
  const root = tempDir(prefix);
  writeFiles(root, {
    ...files,
    '.gitignore': '/metrics.txt\n/plot.png\n/data/\n__pycache__/\n',
    '.provenant/config.yaml': `train: ${train}\npython: ${requirePython()}\n`,
    '.provenant/.gitignore': '/runs/\n/state/\n/tmp/\n',
  });
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'project');
  return root;
}

function onlyRun(root: string): RunRecord {
  const result = cli(root, ['runs', 'list', '--json']);
  assert.equal(result.status, 0, result.stderr);
  const runs = JSON.parse(result.stdout) as RunRecord[];
  assert.equal(runs.length, 1);
  return runs[0]!;
}

function reproduce(root: string, id: string): { status: number | null; rep: ReproductionRecord } {
  const result = cli(root, ['reproduce', id, '--json']);
  assert.ok(result.status !== 2, result.stderr);
  return { status: result.status, rep: JSON.parse(result.stdout) as ReproductionRecord };
}

type Check = { id: string; verdict: string; evidence: string };
function checks(root: string, id: string): Check[] {
  const r = cli(root, ['check', id, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { checks: Check[] }).checks;
}
const check = (list: Check[], id: string) => list.find((c) => c.id === id)!;

async function packetReport(root: string, id: string): Promise<{ json: { reproduction: ReproductionRecord; notes: string[] }; html: string }> {
  const out = join(tempDir('provenant-verdict-packet-'), 'packet.zip');
  const exported = cli(root, ['packet', 'export', id, '-o', out]);
  assert.equal(exported.status, 0, exported.stderr);
  const entries = await readZip(readFileSync(out));
  const file = (n: string) => entries.find((e) => e.name === n)!.bytes!.toString('utf8');
  rmSync(join(out, '..'), { recursive: true, force: true });
  return { json: JSON.parse(file('report.json')), html: file('report.html') };
}

/** The badge of the report's Reproduction tile (the packet's headline for reproduction). */
const reproductionTile = (html: string) => /<small>Reproduction<\/small><div><span class="badge (\w+)"/.exec(html)?.[1];

describe('reproduction verdicts need evidence', () => {
  test('an unseeded random forest that logs nothing but prints its accuracy and writes metrics.txt and plot.png is diverged', async () => {
    const root = workspace('provenant-verdict-rf-', { 'train.py': forest(false), 'plotting.py': PNG_WRITER }, 'python3 train.py');
    const ran = cli(root, ['run', '--quiet']);
    assert.equal(ran.status, 0, ran.stderr);
    const run = onlyRun(root);
    assert.deepEqual(run.metrics, {}, 'nothing is logged through Provenant');

    // The run records the (git-ignored) files it wrote, with their hashes; not .git/ nor .provenant/.
    const written = run.written!;
    assert.deepEqual(written.files.map((f) => [f.path, f.change]), [['metrics.txt', 'added'], ['plot.png', 'added']]);
    for (const f of written.files) assert.match(f.sha256!, /^[0-9a-f]{64}$/);
    assert.equal(written.files.find((f) => f.path === 'plot.png')!.size, readFileSync(join(root, 'plot.png')).length);

    const { status, rep } = reproduce(root, run.id);
    assert.equal(status, 1, 'diverged exits 1');
    assert.equal(rep.verdict, 'diverged', rep.summary);
    const plot = rep.differences.find((d) => d.kind === 'file' && d.name === 'plot.png');
    assert.ok(plot && !plot.withinTolerance, JSON.stringify(rep.differences));
    assert.equal(rep.compared.files, 2);
    assert.equal(rep.compared.output!.stdout, 1);
    assert.doesNotMatch(rep.summary, /bit-identical/i);

    const text = cli(root, ['reproduce', run.id, '-q']);
    assert.equal(text.status, 1);
    assert.match(text.stdout, /: DIVERGED\n/);
    assert.match(text.stdout, /≠ file plot\.png: sha256 [0-9a-f]{12} → sha256 [0-9a-f]{12}/);

    const list = checks(root, run.id);
    assert.equal(check(list, 'reproduced').verdict, 'fail');
    assert.match(check(list, 'reproduced').evidence, /^Diverged/);
    assert.equal(check(list, 'seed-controlled').verdict, 'warn');
    const { json, html } = await packetReport(root, run.id);
    assert.equal(json.reproduction.verdict, 'diverged');
    assert.equal(reproductionTile(html), 'fail', 'the packet does not certify it');
    rmSync(root, { recursive: true, force: true });
  });

  test('the same forest seeded in its code reproduces bit-identically, and the identical re-run credits the seed', () => {
    const root = workspace('provenant-verdict-seeded-', { 'train.py': forest(true), 'plotting.py': PNG_WRITER }, 'python3 train.py');
    assert.equal(cli(root, ['run', '--quiet']).status, 0);
    const run = onlyRun(root);
    assert.equal(check(checks(root, run.id), 'seed-controlled').verdict, 'warn', 'before a reproduction nothing shows the seed is controlled');

    const { status, rep } = reproduce(root, run.id);
    assert.equal(status, 0);
    assert.equal(rep.verdict, 'identical', JSON.stringify(rep.differences));
    assert.deepEqual(rep.compared.files, 2);
    assert.match(rep.summary, /stdout \(1 line\), stderr \(empty\), 2 written files/);

    const list = checks(root, run.id);
    assert.equal(check(list, 'reproduced').verdict, 'pass');
    const seed = check(list, 'seed-controlled');
    assert.equal(seed.verdict, 'pass');
    assert.match(seed.evidence, /reproduction \(re-run \S+ on [0-9-]+\) was bit-identical/);
    rmSync(root, { recursive: true, force: true });
  });

  test('a run that produces nothing comparable is unverified: never a pass, never certified', async () => {
    const quiet = ['from sklearn.datasets import load_iris', 'from sklearn.linear_model import LogisticRegression', 'X, y = load_iris(return_X_y=True)', 'LogisticRegression(max_iter=1000).fit(X, y)', ''].join('\n');
    const root = workspace('provenant-verdict-quiet-', { 'train.py': quiet }, 'python3 train.py');
    assert.equal(cli(root, ['run', '--quiet']).status, 0);
    const run = onlyRun(root);
    assert.deepEqual(run.written!.files, []);

    const { status, rep } = reproduce(root, run.id);
    assert.equal(status, 3, 'unverified exits 3');
    assert.equal(rep.verdict, 'unverified');
    assert.deepEqual(rep.differences, []);
    assert.match(rep.summary, /^nothing comparable/);
    const text = cli(root, ['reproduce', run.id, '-q']);
    assert.match(text.stdout, /: UNVERIFIED \(NOTHING COMPARABLE\)\n/);
    assert.doesNotMatch(text.stdout, /IDENTICAL/);

    const list = checks(root, run.id);
    assert.equal(check(list, 'reproduced').verdict, 'warn');
    assert.match(check(list, 'reproduced').evidence, /^Unverified/);
    assert.equal(check(list, 'seed-controlled').verdict, 'warn', 'an unverified reproduction credits nothing');
    const record = JSON.parse(readFileSync(join(root, '.provenant', 'runs', run.id, 'run.json'), 'utf8')) as RunRecord;
    assert.equal(record.reproduction!.verdict, 'unverified');
    const { json, html } = await packetReport(root, run.id);
    assert.equal(reproductionTile(html), 'warn');
    assert.ok(json.notes.some((n) => /does not confirm this run \(unverified/.test(n)), JSON.stringify(json.notes));
    rmSync(root, { recursive: true, force: true });
  });

  test('a reproduction that fails because an undeclared input is missing says so, with its own verdict and exit code', () => {
    const script = [
      'import pandas as pd',
      'from sklearn.ensemble import RandomForestClassifier',
      'df = pd.read_csv("data/iris.csv")',
      'model = RandomForestClassifier(n_estimators=10, random_state=0).fit(df[["a", "b"]], df["label"])',
      'print("accuracy: %.4f" % model.score(df[["a", "b"]], df["label"]))',
      '',
    ].join('\n');
    const root = workspace('provenant-verdict-input-', { 'train.py': script }, 'python3 train.py');
    // Downloaded by hand, git-ignored, not declared under data:.
    writeFiles(root, { 'data/iris.csv': ['a,b,label', ...Array.from({ length: 40 }, (_, i) => `${(i * 0.37) % 5},${(i * 1.3) % 7},${i % 3}`)].join('\n') + '\n' });
    assert.equal(cli(root, ['run', '--quiet']).status, 0);
    const run = onlyRun(root);

    const { status, rep } = reproduce(root, run.id);
    assert.equal(status, 4, 'missing input exits 4');
    assert.equal(rep.verdict, 'missing-input');
    assert.deepEqual(rep.missingInputs, ['data/iris.csv']);
    // A failed re-run keeps its checkout for inspection; the test removes it.
    const kept = (rep as ReproductionRecord & { checkout?: string }).checkout;
    assert.ok(kept && !kept.startsWith(root));
    rmSync(kept, { recursive: true, force: true });
    assert.match(rep.summary, /^could not reproduce: input data\/iris\.csv \(it is in the workspace, but neither committed nor declared\) is not in the snapshot or the cache; declare it/);
    const reproduced = check(checks(root, run.id), 'reproduced');
    assert.equal(reproduced.verdict, 'fail');
    assert.match(reproduced.evidence, /^Could not reproduce \(missing input\)/);
    rmSync(root, { recursive: true, force: true });
  });
});

describe('prediction files are compared by their bytes and their shape', () => {
  test('a missing set, another row count or a blank line diverge; the same number written differently is within tolerance', () => {
    const script = [
      'import provenant',
      'from sklearn.datasets import load_breast_cancer',
      'from sklearn.linear_model import LogisticRegression',
      'from sklearn.model_selection import train_test_split',
      'X, y = load_breast_cancer(return_X_y=True)',
      'X_train, X_test, y_train, y_test = train_test_split(X[:, :4], y, test_size=0.25, random_state=1)',
      'model = LogisticRegression(max_iter=2000).fit(X_train, y_train)',
      'provenant.log_predictions(y_test, y_score=model.predict_proba(X_test)[:, 1], y_pred=model.predict(X_test))',
      'provenant.log_metrics({"accuracy": model.score(X_test, y_test)})',
      '',
    ].join('\n');
    const root = workspace('provenant-verdict-preds-', { 'train.py': script }, 'python3 train.py');
    assert.equal(cli(root, ['run', '--quiet']).status, 0);
    const run = onlyRun(root);
    const file = join(root, '.provenant', 'runs', run.id, 'predictions.csv');
    const original = readFileSync(file, 'utf8');
    const lines = original.trimEnd().split('\n');
    assert.equal(lines[0], 'y_true,y_score,y_pred');

    const same = reproduce(root, run.id);
    assert.equal(same.rep.verdict, 'identical', JSON.stringify(same.rep.differences));
    assert.equal(same.rep.compared.predictionCells, (lines.length - 1) * 3);

    // One row fewer in the recorded predictions: reshaped, so diverged (not "within tolerance").
    writeFileSync(file, `${lines.slice(0, -1).join('\n')}\n`);
    const fewer = reproduce(root, run.id);
    assert.equal(fewer.status, 1);
    assert.equal(fewer.rep.verdict, 'diverged');
    assert.ok(fewer.rep.differences.some((d) => d.name === 'holdout:rows' && !d.withinTolerance), JSON.stringify(fewer.rep.differences));

    // A blank line is a row, not skipped.
    writeFileSync(file, `${lines.slice(0, 3).join('\n')}\n\n${lines.slice(3).join('\n')}\n`);
    const blank = reproduce(root, run.id);
    assert.equal(blank.rep.verdict, 'diverged');
    assert.ok(blank.rep.differences.some((d) => d.name === 'holdout:rows'), JSON.stringify(blank.rep.differences));

    // The same number written another way: not bit-identical, within tolerance with the reason.
    const [truth, ...rest] = lines[1]!.split(',');
    assert.match(truth!, /^[01]$/);
    writeFileSync(file, [lines[0], [`${truth}.0`, ...rest].join(','), ...lines.slice(2)].join('\n') + '\n');
    const respelled = reproduce(root, run.id);
    assert.equal(respelled.status, 0);
    assert.equal(respelled.rep.verdict, 'within-tolerance');
    const cell = respelled.rep.differences.find((d) => d.name === 'holdout:1:y_true')!;
    assert.ok(cell, JSON.stringify(respelled.rep.differences));
    assert.equal(cell.withinTolerance, true);
    assert.equal(cell.original, `${truth}.0`);
    assert.match(cell.note!, /same number written differently/);

    // The recorded set gone: diverged.
    rmSync(file);
    const missing = reproduce(root, run.id);
    assert.equal(missing.status, 1);
    assert.equal(missing.rep.verdict, 'diverged');
    assert.ok(missing.rep.differences.some((d) => d.kind === 'prediction' && d.name === 'holdout' && d.original === 'missing' && !d.withinTolerance));
    rmSync(root, { recursive: true, force: true });
  });
});
