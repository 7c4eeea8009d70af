// `provenant check --strict` as a CI gate (real git, real Python): thresholds that would switch a
// check off are refused with the line; a check that cannot be evaluated (corrupt predictions) is an
// `error` that names the file and fails --strict, instead of a silent skip.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, tempDir, writeFiles } from '../helpers/git';
import { cli } from '../helpers/cli';
import { requirePython } from '../helpers/python';
import type { RunRecord } from '../../src/core/runs/types';

type CheckJson = { checks: { id: string; verdict: string; evidence: string; file?: string }[] };

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/**
 * 200 held-out rows, two groups; `unfair` gives group b a selection rate far below four fifths of
 * group a's, otherwise both groups are selected at the same rate.
 */
function workspace(unfair: boolean, files: Record<string, string> = {}): { root: string; run: RunRecord } {
  const root = tempDir('provenant-gate-');
  roots.push(root);
  writeFiles(root, {
    'score.py': [
      'import provenant',
      'n = 200',
      'g = ["a" if i % 2 == 0 else "b" for i in range(n)]',
      'y = [(i // 2) % 2 for i in range(n)]',
      `pred = [1 if (gi == "a" and i % 4 < 2) or (gi == "b" and i % ${unfair ? 20 : 4} < 2) else 0 for i, gi in enumerate(g)]`,
      'provenant.log_predictions(y, y_pred=pred, y_score=[0.9 if p else 0.1 for p in pred], features={"g": g, "x": [i % 7 for i in range(n)]})',
    ].join('\n'),
    '.provenant/config.yaml': `train: python3 score.py\npython: ${requirePython()}\nsensitive_attributes: [g]\nkey_metric: roc_auc\n`,
    '.provenant/.gitignore': '/runs/\n/state/\n/tmp/\n',
    ...files,
  });
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'gate');
  const ran = cli(root, ['run', '--quiet']);
  assert.equal(ran.status, 0, ran.stderr);
  const list = cli(root, ['runs', 'list', '--json']);
  return { root, run: (JSON.parse(list.stdout) as RunRecord[])[0]! };
}

function check(root: string, run: string, strict: boolean) {
  const r = cli(root, ['check', run, '--json', ...(strict ? ['--strict'] : [])]);
  return { status: r.status, stderr: r.stderr, report: r.stdout ? (JSON.parse(r.stdout) as CheckJson) : null };
}
const verdict = (report: CheckJson | null, id: string) => report!.checks.find((c) => c.id === id)!;

describe('check --strict as a gate', () => {
  test('a threshold that would turn a FAIL into a PASS is refused with the line (exit 2), not obeyed', () => {
    const { root, run } = workspace(true);
    const before = check(root, run.id, true);
    assert.equal(verdict(before.report, 'subgroup-gaps').verdict, 'fail', verdict(before.report, 'subgroup-gaps').evidence);
    assert.equal(before.status, 1);

    const config = readFileSync(join(root, '.provenant/config.yaml'), 'utf8');
    for (const [checks, message] of [
      ['checks:\n  four_fifths: -5\n', /config\.yaml: line 6: "checks\.four_fifths" must be a number in \(0, 1\]/],
      ['checks:\n  four_fith: 0.1\n', /config\.yaml: line 6: unknown threshold "four_fith"/],
      ['checks:\n  four_fifths: "0.1"\n', /config\.yaml: line 6: "checks\.four_fifths" must be a number/],
    ] as const) {
      writeFileSync(join(root, '.provenant/config.yaml'), config + checks);
      const r = check(root, run.id, true);
      assert.equal(r.status, 2, `${checks}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    // A valid, stricter value is obeyed; a looser one in range is the user's documented choice.
    writeFileSync(join(root, '.provenant/config.yaml'), `${config}checks:\n  four_fifths: 0.05\n`);
    const loose = check(root, run.id, true);
    assert.equal(verdict(loose.report, 'subgroup-gaps').verdict === 'fail', false);
    assert.equal(loose.status, 0);
  });

  test('corrupt predictions make the prediction checks `error` naming the file, and --strict exits 1', () => {
    const { root, run } = workspace(false);
    const clean = check(root, run.id, true);
    assert.equal(clean.status, 0, JSON.stringify(clean.report?.checks.filter((c) => c.verdict === 'fail')));
    assert.equal(verdict(clean.report, 'subgroup-gaps').verdict, 'pass', verdict(clean.report, 'subgroup-gaps').evidence);

    const file = join(root, '.provenant/runs', run.id, 'predictions.csv');
    const original = readFileSync(file, 'utf8');
    for (const corrupt of [Buffer.from([0x00, 0xff, 0x13, 0x37]), Buffer.from(original.replace(/\n1,/, '\nbanana,').replace(/0\.9\n/, 'NaN-ish\n')), Buffer.from(original.split('\n')[0]! + '\n')]) {
      writeFileSync(file, corrupt);
      const r = check(root, run.id, true);
      assert.equal(r.status, 1, `--strict must fail when checks cannot be evaluated (${JSON.stringify(corrupt.toString().slice(0, 40))})`);
      for (const id of ['perfect-score', 'metric-imbalance', 'subgroup-gaps']) {
        const c = verdict(r.report, id);
        assert.equal(c.verdict, 'error', `${id}: ${c.evidence}`);
        assert.match(c.evidence, /^Not evaluated: .*predictions\.csv/);
        assert.equal(c.file, `.provenant/runs/${run.id}/predictions.csv`);
      }
      assert.equal(check(root, run.id, false).status, 0, 'without --strict the report is printed and the exit code is 0');
    }
    const text = cli(root, ['check', run.id]);
    assert.match(text.stdout, /ERROR {2}Subgroup gaps/);
    assert.match(text.stdout, /3 not evaluated \(error\)/);

    // A listed prediction file that is gone: the overlap check cannot be evaluated either.
    rmSync(file);
    const gone = check(root, run.id, true);
    assert.equal(gone.status, 1);
    assert.equal(verdict(gone.report, 'train-test-disjoint').verdict, 'error', verdict(gone.report, 'train-test-disjoint').evidence);
    assert.match(verdict(gone.report, 'train-test-disjoint').evidence, /predictions\.csv: the predictions file is missing/);
  });

  test('"Environment captured" warns on requirements without exact versions and names them; pinned ones pass', () => {
    const { root, run } = workspace(false, { 'requirements.txt': '# what score.py needs\nnumpy==1.26.4\npandas>=2.0\nscikit-learn\n-r requirements/extra.txt\n', 'requirements/extra.txt': 'scipy~=1.11\n' });
    const loose = verdict(check(root, run.id, false).report, 'environment-captured');
    assert.equal(loose.verdict, 'warn', loose.evidence);
    assert.match(loose.evidence, /3 of 4 requirements name no exact version, so the environment cannot be rebuilt/);
    assert.match(loose.evidence, /requirements\.txt: pandas>=2\.0 \(line 3\), requirements\.txt: scikit-learn \(line 4\), requirements\/extra\.txt: scipy~=1\.11 \(line 1\)/);
    assert.equal(loose.file, 'requirements.txt');

    // Pinned directly, or through a constraints file: the environment can be rebuilt.
    writeFiles(root, { 'requirements.txt': 'numpy==1.26.4\npandas\nscikit-learn==1.4.2\n-c constraints.txt\n', 'constraints.txt': 'pandas==2.2.1\n' });
    git(root, 'rm', '-q', 'requirements/extra.txt');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'pin');
    assert.equal(cli(root, ['run', '--quiet']).status, 0);
    const pinnedRun = (JSON.parse(cli(root, ['runs', 'list', '--json']).stdout) as RunRecord[]).find((r) => r.id !== run.id)!;
    const pinned = verdict(check(root, pinnedRun.id, false).report, 'environment-captured');
    assert.equal(pinned.verdict, 'pass', pinned.evidence);
    assert.match(pinned.evidence, /3 requirements in constraints\.txt, requirements\.txt, each pinned to one version/);
    // The first run is judged on the files it recorded, not on today's.
    assert.equal(verdict(check(root, run.id, false).report, 'environment-captured').verdict, 'warn');
  });
});
