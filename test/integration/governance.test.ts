// Governance through the CLI on real workspaces (real git checked with native git, real Python):
// reproduction of the hiring demo (bit-identical, in an isolated checkout, user's tree untouched),
// a deliberately unseeded script (diverged, with the differing metric), train/test overlap found
// by content, data restored from a DVC cache, and audit packets exported and verified.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { git, tempDir, writeFiles } from '../helpers/git';
import { cli } from '../helpers/cli';
import { requirePython } from '../helpers/python';
import { hiringWorkspace } from '../helpers/hiring';
import type { RunRecord } from '../../src/core/runs/types';
import type { ReproductionRecord } from '../../src/core/governance/reproductionRecord';
import { readZip, writeZip } from '../../src/core/packet/zip';
import { verifyPacket } from '../../src/core/packet/verify';

function runs(root: string): RunRecord[] {
  const result = cli(root, ['runs', 'list', '--json']);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as RunRecord[];
}

function commitAll(root: string, message = 'work'): void {
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', message);
}

/** The hiring demo with its run folders ignored by git. */
const ignoredRunsWorkspace = (): string => hiringWorkspace('provenant-gov-hiring-', { files: { '.provenant/.gitignore': '/runs/\n/state/\n/tmp/\n' } });

/** What the user's repository looks like to git: must not change when a run is reproduced. */
function gitView(root: string) {
  return {
    head: git(root, 'rev-parse', 'HEAD'),
    branch: git(root, 'symbolic-ref', 'HEAD'),
    index: readFileSync(join(root, '.git', 'index')).toString('base64'),
    status: execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: root, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' }, encoding: 'utf8' }),
    files: readFileSync(join(root, 'params.yaml'), 'utf8') + readFileSync(join(root, 'train.py'), 'utf8'),
  };
}

type CheckJson = { run: string; checks: { id: string; verdict: string; evidence: string; advice: string }[] };

function checks(root: string, run: string, strict = false): { status: number | null; report: CheckJson } {
  const r = cli(root, ['check', run, '--json', ...(strict ? ['--strict'] : [])]);
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return { status: r.status, report: JSON.parse(r.stdout) as CheckJson };
}

const verdictOf = (report: CheckJson, id: string) => report.checks.find((c) => c.id === id)!;

describe('reproduce', () => {
  test('the demo run reproduces bit-identically from its snapshot, in an isolated checkout; the verdict is recorded on the run', () => {
    const root = ignoredRunsWorkspace();
    assert.equal(cli(root, ['run', '--quiet', '--name', 'baseline']).status, 0);
    const [run] = runs(root);
    // Edit the working tree after the run: the reproduction must use the snapshot, not these files.
    writeFileSync(join(root, 'params.yaml'), readFileSync(join(root, 'params.yaml'), 'utf8').replace('C: 1.0', 'C: 0.01'));
    writeFiles(root, { 'scratch.txt': 'uncommitted\n' });
    const before = gitView(root);
    const refBefore = git(root, 'rev-parse', `refs/provenant/runs/${run!.id}`);

    const result = cli(root, ['reproduce', run!.id, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const rep = JSON.parse(result.stdout) as ReproductionRecord;
    assert.equal(rep.run, run!.id);
    assert.equal(rep.verdict, 'identical', JSON.stringify(rep.differences.slice(0, 5)));
    assert.deepEqual(rep.differences, []);
    assert.ok(rep.compared.metrics >= 10 && rep.compared.predictionCells > 5000 && rep.compared.artifacts === 1, JSON.stringify(rep.compared));
    assert.deepEqual(rep.data, [{ path: 'data/applicants.csv', md5: run!.data[0]!.md5, restoredFrom: 'snapshot', verified: true }]);
    assert.equal(rep.seed, 42);
    assert.notEqual(rep.reproduction, run!.id);

    const after = gitView(root);
    assert.deepEqual(after, before, 'HEAD, branch, index, status and the edited files are untouched');
    execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: root });
    assert.equal(runs(root).length, 1, 'the re-run is not added to the workspace runs');
    assert.ok(!existsSync(join(root, 'model.pkl.tmp')) && readdirSync(join(root, '.provenant', 'runs')).length === 1);

    const record = JSON.parse(readFileSync(join(root, '.provenant', 'runs', run!.id, 'run.json'), 'utf8')) as RunRecord;
    assert.deepEqual(record.reproduction, { verdict: 'identical', run: rep.reproduction, finishedAt: rep.finishedAt, differences: 0 });
    assert.notEqual(git(root, 'rev-parse', `refs/provenant/runs/${run!.id}`), refBefore, 'the run ref holds the updated record');
    assert.equal(JSON.parse(git(root, 'show', `refs/provenant/runs/${run!.id}:.provenant/runs/${run!.id}/reproduction.json`)).verdict, 'identical');
    assert.equal(git(root, 'rev-parse', `refs/provenant/runs/${run!.id}^`), run!.code.snapshotCommit);

    const { report } = checks(root, run!.id);
    assert.equal(verdictOf(report, 'reproduced').verdict, 'pass');
    assert.match(verdictOf(report, 'reproduced').evidence, /Bit-identical/);
    rmSync(root, { recursive: true, force: true });
  });

  test('a script with unseeded randomness is reported as diverged, with the differing metrics', () => {
    const root = tempDir('provenant-gov-noisy-');
    writeFiles(root, {
      'noisy.py': [
        'import random, provenant',
        '# Deliberately not seeded: random draws from os.urandom at start-up.',
        'provenant.log_metrics({"score": random.random(), "constant": 1.0})',
        'provenant.log_params({"kind": "noisy"})',
      ].join('\n'),
      '.provenant/config.yaml': `train: python3 noisy.py\npython: ${requirePython()}\n`,
      '.provenant/.gitignore': '/runs/\n/state/\n/tmp/\n',
    });
    git(root, 'init', '-q', '-b', 'main');
    commitAll(root, 'noisy');
    assert.equal(cli(root, ['run', '--quiet', '--seed', '7']).status, 0);
    const [run] = runs(root);

    const result = cli(root, ['reproduce', run!.id, '--json']);
    assert.equal(result.status, 1, 'diverged exits 1');
    const rep = JSON.parse(result.stdout) as ReproductionRecord;
    assert.equal(rep.verdict, 'diverged');
    const score = rep.differences.find((d) => d.name === 'score')!;
    assert.ok(score, JSON.stringify(rep.differences));
    assert.equal(score.kind, 'metric');
    assert.equal(score.original, run!.metrics.score);
    assert.notEqual(score.reproduced, run!.metrics.score);
    assert.equal(score.withinTolerance, false);
    assert.ok(!rep.differences.some((d) => d.name === 'constant'), 'equal metrics are not listed');
    assert.match(rep.summary, /score/);

    const text = cli(root, ['reproduce', run!.id]);
    assert.equal(text.status, 1);
    assert.match(text.stdout, /DIVERGED/);
    assert.match(text.stdout, /metric score: /);
    const { report, status } = checks(root, run!.id, true);
    assert.equal(verdictOf(report, 'reproduced').verdict, 'fail');
    assert.equal(verdictOf(report, 'seed-controlled').verdict, 'warn', 'the script seeded nothing');
    assert.equal(status, 1, '--strict fails on a failed check');

    // A generous tolerance does not hide a random draw that changed by more than it.
    const loose = JSON.parse(cli(root, ['reproduce', run!.id, '--json', '--abs-tolerance', '1e-12', '--rel-tolerance', '1e-12']).stdout) as ReproductionRecord;
    assert.equal(loose.verdict, 'diverged');
    assert.deepEqual(loose.tolerance, { absolute: 1e-12, relative: 1e-12 });
    rmSync(root, { recursive: true, force: true });
  });

  test('data tracked in a DVC cache (not in git) is restored from the cache and verified; without it nothing is recorded', () => {
    const root = tempDir('provenant-gov-dvc-');
    const csv = 'x,y\n1,2\n3,4\n';
    const md5 = createHash('md5').update(csv).digest('hex');
    writeFiles(root, {
      'read.py': ['import provenant', 'rows = open("data/table.csv").read().strip().split("\\n")[1:]', 'provenant.log_metrics({"total": sum(float(v) for r in rows for v in r.split(","))})'].join('\n'),
      '.provenant/config.yaml': `train: python3 read.py\npython: ${requirePython()}\ndata: [data/table.csv]\n`,
      '.provenant/.gitignore': '/runs/\n/state/\n/tmp/\n',
      '.gitignore': '/data/\n',
      'data/table.csv': csv,
      [`.dvc/cache/files/md5/${md5.slice(0, 2)}/${md5.slice(2)}`]: csv,
      '.dvc/.gitignore': '/cache\n',
      '.dvc/config': '',
    });
    git(root, 'init', '-q', '-b', 'main');
    commitAll(root, 'dvc');
    assert.equal(cli(root, ['run', '--quiet']).status, 0);
    const [run] = runs(root);
    assert.equal(run!.metrics.total, 10);
    assert.equal(verdictOf(checks(root, run!.id).report, 'data-versioned').verdict, 'pass');
    assert.match(verdictOf(checks(root, run!.id).report, 'data-versioned').evidence, /in the DVC cache/);

    const rep = JSON.parse(cli(root, ['reproduce', run!.id, '--json']).stdout) as ReproductionRecord;
    assert.equal(rep.verdict, 'identical');
    assert.deepEqual(rep.data, [{ path: 'data/table.csv', md5, restoredFrom: 'cache', verified: true }]);

    // The cache object gone: the check fails and reproduction refuses, naming the data, recording nothing.
    rmSync(join(root, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(root, '.provenant', 'runs', run!.id, 'reproduction.json'));
    const data = verdictOf(checks(root, run!.id).report, 'data-versioned');
    assert.equal(data.verdict, 'fail');
    assert.match(data.evidence, /data\/table\.csv/);
    const refused = cli(root, ['reproduce', run!.id]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /data\/table\.csv .* neither in the DVC cache nor in its code snapshot/);
    assert.ok(!existsSync(join(root, '.provenant', 'runs', run!.id, 'reproduction.json')));
    rmSync(root, { recursive: true, force: true });
  });
});

describe('train/test overlap', () => {
  /** 60 training rows; the evaluation file holds 20 of them, shuffled, columns reordered, numbers rewritten. */
  function overlapWorkspace(evalRows: 'copied' | 'fresh', declareEval: boolean): string {
    const root = tempDir('provenant-gov-overlap-');
    const rows = Array.from({ length: 60 }, (_, i) => ({ a: i, b: (i * 7) % 13, c: `k${i % 5}`, w: (i / 4).toFixed(2) }));
    const train = ['a,b,c,w,label', ...rows.map((r, i) => `${r.a},${r.b},${r.c},${r.w},${i % 2}`)].join('\n');
    const picked = evalRows === 'copied' ? [41, 3, 17, 58, 22, 9, 35, 50, 1, 28, 44, 12, 6, 55, 31, 19, 47, 25, 38, 14].map((i) => rows[i]!) : Array.from({ length: 20 }, (_, i) => ({ a: 100 + i, b: i, c: 'k9', w: '9.50' }));
    // Another name, another column order, another row order, another number format.
    const evalCsv = ['w,c,a,b,label', ...picked.map((r) => `${Number(r.w)},${r.c},${r.a}.0,${r.b},1`)].join('\n');
    writeFiles(root, {
      'data/train.csv': `${train}\n`,
      'data/holdout_final.csv': `${evalCsv}\n`,
      'score.py': [
        'import csv, provenant',
        'rows = list(csv.DictReader(open("data/holdout_final.csv")))',
        'feats = {k: [r[k] for r in rows] for k in ("a", "b", "c", "w")}',
        'provenant.log_predictions([int(r["label"]) for r in rows], y_score=[0.5 for _ in rows], features=feats)',
      ].join('\n'),
      '.provenant/config.yaml': `train: python3 score.py\npython: ${requirePython()}\ndata: [data/train.csv, data/holdout_final.csv]\n${declareEval ? 'eval_data: [data/holdout_final.csv]\n' : ''}`,
      '.provenant/.gitignore': '/runs/\n/state/\n/tmp/\n',
    });
    git(root, 'init', '-q', '-b', 'main');
    commitAll(root, 'overlap');
    assert.equal(cli(root, ['run', '--quiet']).status, 0);
    return root;
  }

  for (const declareEval of [false, true]) {
    test(`a held-out file sharing rows with the training file under another name and order is found${declareEval ? ' (eval_data declared)' : ''}`, () => {
      const root = overlapWorkspace('copied', declareEval);
      const [run] = runs(root);
      const { status, report } = checks(root, run!.id, true);
      const c = verdictOf(report, 'train-test-disjoint');
      assert.equal(c.verdict, 'fail', c.evidence);
      assert.match(c.evidence, /20 of 20/);
      assert.match(c.evidence, /data\/train\.csv/);
      assert.match(c.evidence, /4 common columns \(a, b, c, w\)/);
      assert.equal(status, 1, '--strict exits 1');
      rmSync(root, { recursive: true, force: true });
    });
  }

  test('a held-out file with fresh rows passes', () => {
    const root = overlapWorkspace('fresh', true);
    const [run] = runs(root);
    const c = verdictOf(checks(root, run!.id).report, 'train-test-disjoint');
    assert.equal(c.verdict, 'pass', c.evidence);
    assert.match(c.evidence, /0 shared rows/);
    rmSync(root, { recursive: true, force: true });
  });

  test('the demo (split inside the script, no duplicate rows) passes, and the JSON shape is the contract', () => {
    const root = ignoredRunsWorkspace();
    assert.equal(cli(root, ['run', '--quiet']).status, 0);
    const [run] = runs(root);
    const { report, status } = checks(root, run!.id);
    assert.equal(status, 0, 'without --strict the exit code is 0');
    assert.equal(report.run, run!.id);
    assert.deepEqual(report.checks.map((c) => c.id), ['seed-controlled', 'data-versioned', 'code-committed', 'environment-captured', 'train-test-disjoint', 'perfect-score', 'metric-imbalance', 'subgroup-gaps', 'assumptions-logged', 'reproduced']);
    for (const c of report.checks) {
      assert.ok(['pass', 'warn', 'fail'].includes(c.verdict));
      assert.ok(c.evidence.length > 10 && c.advice.length > 5, c.id);
    }
    assert.equal(verdictOf(report, 'train-test-disjoint').verdict, 'pass');
    assert.match(verdictOf(report, 'train-test-disjoint').evidence, /split inside the script from data\/applicants\.csv/);
    assert.equal(verdictOf(report, 'subgroup-gaps').verdict, 'fail', 'the demo model selects Togruta applicants below four fifths');
    assert.equal(verdictOf(report, 'data-versioned').verdict, 'pass');
    assert.equal(verdictOf(report, 'code-committed').verdict, 'pass');
    assert.equal(verdictOf(report, 'assumptions-logged').verdict, 'warn');
    assert.equal(cli(root, ['note', 'assumption', 'Applicants of 2024 stand for those of 2025.']).status, 0);
    assert.equal(verdictOf(checks(root, run!.id).report, 'assumptions-logged').verdict, 'pass');
    rmSync(root, { recursive: true, force: true });
  });
});

describe('audit packets', () => {
  test('export writes every part; verify passes; any changed byte of any file, a missing or an extra file is named; signatures and keys', async () => {
    const root = ignoredRunsWorkspace();
    assert.equal(cli(root, ['run', '--quiet', '--name', 'baseline']).status, 0);
    const [run] = runs(root);
    writeFileSync(join(root, 'train.py'), `${readFileSync(join(root, 'train.py'), 'utf8')}\n# tuned\n`);
    assert.equal(cli(root, ['run', '--quiet', '--name', 'dirty']).status, 0);
    const dirty = runs(root).find((r) => r.name === 'dirty')!;
    assert.equal(cli(root, ['reproduce', dirty.id, '-q']).status, 0);
    assert.equal(cli(root, ['note', 'assumption', 'Not for internal promotions.']).status, 0);

    const out = tempDir('provenant-gov-packet-');
    const keyFile = join(out, 'key.pem');
    assert.equal(cli(root, ['packet', 'keygen', '-o', keyFile]).status, 0);
    const inside = cli(root, ['packet', 'export', dirty.id, '-o', join(out, 'x.zip'), '--key', join(root, 'key.pem')]);
    assert.equal(inside.status, 2);
    cpSync(keyFile, join(root, 'key.pem'));
    const refused = cli(root, ['packet', 'export', dirty.id, '-o', join(out, 'x.zip'), '--key', join(root, 'key.pem')]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /key\.pem: the signing key lies inside the workspace/);
    assert.ok(!existsSync(join(out, 'x.zip')));
    rmSync(join(root, 'key.pem'));

    const packet = join(out, 'packet.zip');
    const exported = cli(root, ['packet', 'export', dirty.id, '-o', packet, '--key', keyFile, '--json']);
    assert.equal(exported.status, 0, exported.stderr);
    assert.equal(JSON.parse(exported.stdout).signed, true);
    const entries = await readZip(readFileSync(packet));
    const names = entries.map((e) => e.name);
    for (const name of ['report.html', 'report.json', 'model-card.json', 'run/run.json', 'run/predictions.csv', 'environment.json', 'data-manifest.json', 'code/uncommitted.diff', 'journal.jsonl', 'lineage.json', 'checks.json', 'reproduction.json', 'manifest.json', 'manifest.sig', 'signer.pub.pem']) {
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    }
    assert.ok(names.some((n) => /^analysis\/evaluation-.*\.json$/.test(n)) && names.some((n) => /^analysis\/fairness-.*\.json$/.test(n)));
    const file = (n: string) => entries.find((e) => e.name === n)!.bytes!.toString('utf8');
    assert.match(file('code/uncommitted.diff'), /\+# tuned/);
    const card = JSON.parse(file('model-card.json'));
    for (const key of ['model_details', 'model_parameters', 'quantitative_analysis', 'considerations']) assert.ok(card[key], key);
    assert.ok(card.quantitative_analysis.performance_metrics.some((m: { type: string }) => m.type === 'roc_auc'));
    assert.match(card.considerations.limitations[0].description, /Not for internal promotions/);
    const reportJson = JSON.parse(file('report.json'));
    assert.equal(reportJson.reproduction.verdict, 'identical');
    assert.deepEqual(reportJson.history.runs.map((r: { id: string }) => r.id).sort(), [run!.id, dirty.id].sort());
    const html = file('report.html');
    assert.doesNotMatch(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', ''), /<script|<link|<img|src=|href=|url\(|@import|https?:\/\//i, 'self-contained: no script, no external resource');
    assert.match(html, /<svg/);

    const verified = cli(root, ['packet', 'verify', packet]);
    assert.equal(verified.status, 0, verified.stdout);
    assert.match(verified.stdout, /INTACT/);
    assert.match(verified.stdout, /signature: valid/);
    const pub = `${keyFile}.pub`;
    assert.equal(cli(root, ['packet', 'verify', packet, '--public-key', pub]).status, 0);
    const otherKey = join(out, 'other.pem');
    assert.equal(cli(root, ['packet', 'keygen', '-o', otherKey]).status, 0);
    const wrongSigner = cli(root, ['packet', 'verify', packet, '--public-key', `${otherKey}.pub`]);
    assert.equal(wrongSigner.status, 1);
    assert.match(wrongSigner.stdout, /SIGNATURE\s+manifest\.sig/);

    // One changed byte in any file of the packet: verify fails and names that file.
    for (const target of entries) {
      // An empty file (stderr.log) has no byte to change: it gains one.
      const bytes = target.bytes!.length ? Buffer.from(target.bytes!) : Buffer.from('x');
      if (target.bytes!.length) bytes[Math.floor(bytes.length / 2)] ^= 0x01;
      const tampered = join(out, 'tampered.zip');
      writeFileSync(tampered, await writeZip(entries.map((e) => ({ name: e.name, bytes: e === target ? bytes : e.bytes! })), new Date()));
      const result = await verifyPacket(tampered);
      assert.equal(result.ok, false, `a changed byte in ${target.name} goes unnoticed`);
      const named = result.problems.map((p) => p.entry);
      if (target.name === 'signer.pub.pem') assert.ok(named.includes('signer.pub.pem') || named.includes('manifest.sig'), `${target.name}: ${JSON.stringify(result.problems)}`);
      else assert.ok(named.includes(target.name) || (target.name === 'manifest.json' && named.includes('manifest.sig')), `${target.name}: ${JSON.stringify(result.problems)}`);
    }
    const cliTampered = cli(root, ['packet', 'verify', join(out, 'tampered.zip')]);
    assert.equal(cliTampered.status, 1);

    // A missing and an extra file.
    const pruned = join(out, 'pruned.zip');
    writeFileSync(pruned, await writeZip([...entries.filter((e) => e.name !== 'run/predictions.csv').map((e) => ({ name: e.name, bytes: e.bytes! })), { name: 'notes/extra.txt', bytes: Buffer.from('added later') }], new Date()));
    const prunedResult = cli(root, ['packet', 'verify', pruned, '--json']);
    assert.equal(prunedResult.status, 1);
    const problems = (JSON.parse(prunedResult.stdout) as { problems: { kind: string; entry: string }[] }).problems;
    assert.deepEqual(problems.map((p) => `${p.kind} ${p.entry}`).sort(), ['extra notes/extra.txt', 'missing run/predictions.csv']);

    // Extraction of an intact packet, only into an empty folder.
    const target = join(out, 'extracted');
    const extracted = cli(root, ['packet', 'verify', packet, '--extract', target]);
    assert.equal(extracted.status, 0, extracted.stderr);
    assert.equal(readFileSync(join(target, 'report.html'), 'utf8'), html);
    assert.equal(cli(root, ['packet', 'verify', packet, '--extract', target]).status, 2, 'a non-empty target is refused');
    rmSync(root, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });
});
