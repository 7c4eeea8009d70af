import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { git, makeRepo, tempDir, writeFiles } from '../helpers/git';
import { cli, cliProcess } from '../helpers/cli';
import { hiringWorkspace } from '../helpers/hiring';
import type { RunRecord } from '../../src/core/runs/types';

function runs(root: string): RunRecord[] {
  const result = cli(root, ['runs', 'list', '--json']);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as RunRecord[];
}

function onlyRun(root: string): RunRecord {
  const all = runs(root);
  assert.equal(all.length, 1, `expected one run, found ${all.length}`);
  return all[0]!;
}

/** The demo as a fresh git workspace whose config names a Python with scikit-learn. */

function gitView(root: string) {
  const env = { ...process.env, GIT_OPTIONAL_LOCKS: '0' };
  return {
    head: git(root, 'rev-parse', 'HEAD'),
    branch: git(root, 'symbolic-ref', 'HEAD'),
    index: readFileSync(join(root, '.git', 'index')).toString('base64'),
    status: execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: root, env, encoding: 'utf8' }),
  };
}

describe('the hiring demo through the CLI', () => {
  test('a run captures code, seed, environment, data, params, metrics, predictions and artifacts; git is untouched', () => {
    const root = hiringWorkspace('provenant-hiring-');
    writeFiles(root, { 'notes.txt': 'uncommitted idea\n' });
    execFileSync('git', ['status'], { cwd: root });
    const before = gitView(root);
    const result = cli(root, ['run', '--name', 'baseline', '--quiet']);
    assert.equal(result.status, 0, result.stderr);
    const after = gitView(root);
    assert.equal(after.head, before.head);
    assert.equal(after.branch, before.branch);
    assert.equal(after.index, before.index, 'the index is byte-identical');
    const lines = (text: string) => text.split('\n').filter(Boolean).sort();
    assert.deepEqual(lines(after.status), lines(`${before.status}?? .provenant/.gitignore\n`), 'only the new .provenant/.gitignore shows');
    execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: root });

    const run = onlyRun(root);
    assert.equal(run.name, 'baseline');
    assert.equal(run.status, 'succeeded');
    assert.equal(run.exitCode, 0);
    assert.equal(run.experiment, 'main');
    assert.deepEqual(run.command, ['python3', 'train.py']);
    assert.equal(run.code.baseCommit, before.head);
    assert.equal(run.code.dirty, true);
    assert.ok(run.code.changedFiles.some((f) => f.path === 'notes.txt' && f.change === 'added'));
    assert.equal(git(root, 'show', `${run.code.snapshotCommit}:notes.txt`), 'uncommitted idea');
    assert.equal(git(root, 'rev-parse', `${run.code.snapshotRef}^`), run.code.snapshotCommit, 'the ref holds the record on top of the snapshot');
    const stored = JSON.parse(git(root, 'show', `${run.code.snapshotRef}:.provenant/runs/${run.id}/run.json`)) as RunRecord;
    assert.deepEqual(stored, run, 'the record in git equals the record on disk');

    assert.deepEqual({ root: run.seeds.root, source: run.seeds.source }, { root: 42, source: 'params' });
    assert.equal(run.seeds.env.PYTHONHASHSEED, '42');
    assert.deepEqual(run.seeds.seeded, ['numpy', 'random']);

    assert.match(run.environment.python!.version, /^3\.\d+/);
    assert.ok(run.environment.packages['scikit-learn'], 'scikit-learn is in the package list');
    assert.match(run.environment.fingerprint, /^[0-9a-f]{64}$/);
    assert.ok(run.environment.cpu.cores > 0 && run.environment.memoryBytes > 0);

    const csv = readFileSync(join(root, 'data', 'applicants.csv'));
    const { createHash } = require('node:crypto') as typeof import('node:crypto');
    assert.deepEqual(run.data, [{ path: 'data/applicants.csv', md5: createHash('md5').update(csv).digest('hex'), size: csv.length }]);

    assert.equal(run.params['model.type'], 'logistic_regression');
    assert.ok(run.metrics.roc_auc! > 0.7 && run.metrics.roc_auc! < 1);
    assert.equal(run.predictions[0]?.name, 'holdout');
    assert.equal(run.predictions[0]?.rows, 750);
    assert.deepEqual(run.artifacts.map((a) => [a.path, a.stored]), [['model.pkl', 'artifacts/model.pkl']]);
    const runFolder = join(root, '.provenant', 'runs', run.id);
    assert.match(readFileSync(join(runFolder, 'stdout.log'), 'utf8'), /disparate impact/);
    assert.ok(readFileSync(join(runFolder, 'metrics.jsonl'), 'utf8').split('\n').length > 5, 'metric history kept');
  });

  test('two runs with the same seed give identical metrics; another seed does not', () => {
    const root = hiringWorkspace('provenant-hiring-');
    writeFileSync(join(root, 'params.yaml'), readFileSync(join(root, 'params.yaml'), 'utf8').replace('logistic_regression', 'gradient_boosting'));
    for (const seed of ['11', '11', '12']) assert.equal(cli(root, ['run', '--seed', seed, '--quiet']).status, 0);
    const [third, second, first] = runs(root);
    assert.equal(first!.seeds.source, 'flag');
    assert.equal(first!.params['model.type'], 'gradient_boosting');
    assert.deepEqual(second!.metrics, first!.metrics);
    assert.equal(
      readFileSync(join(root, '.provenant', 'runs', first!.id, 'predictions.csv'), 'utf8'),
      readFileSync(join(root, '.provenant', 'runs', second!.id, 'predictions.csv'), 'utf8'),
    );
    assert.notDeepEqual(third!.metrics, first!.metrics);
  });
});

describe('capture with any command', () => {
  test('metrics.json and params.json written by a shell script are collected; nested keys are flattened', () => {
    const root = makeRepo({ 'params.yaml': 'seed: 5\nlr: 0.1\nmodel:\n  depth: 3\n' });
    const script = 'printf \'{"auc": 0.91, "loss": {"train": 0.2}}\' > "$PROVENANT_RUN_DIR/metrics.json"; printf \'{"extra": {"k": "v"}}\' > "$PROVENANT_RUN_DIR/params.json"; echo "seed=$PROVENANT_SEED hash=$PYTHONHASHSEED"';
    const result = cli(root, ['run', '--', 'sh', '-c', script]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /seed=5 hash=5/);
    const run = onlyRun(root);
    assert.deepEqual(run.metrics, { auc: 0.91, 'loss.train': 0.2 });
    assert.deepEqual(run.params, { seed: 5, lr: 0.1, 'model.depth': 3, 'extra.k': 'v' });
    assert.equal(run.seeds.source, 'params');
  });

  test('without a seed anywhere one is generated, recorded and passed on', () => {
    const root = makeRepo();
    const result = cli(root, ['run', '--', 'sh', '-c', 'echo "$PROVENANT_SEED"']);
    assert.equal(result.status, 0, result.stderr);
    const run = onlyRun(root);
    assert.equal(run.seeds.source, 'generated');
    assert.equal(result.stdout.trim(), String(run.seeds.root));
  });

  test('DVCLive output written during the run is read, with its step history; stale DVCLive output is not', () => {
    const root = makeRepo({ '.gitignore': 'dvclive/\n' });
    writeFiles(root, { 'dvclive/metrics.json': '{"stale": 1}' });
    const old = new Date(Date.now() - 3600_000);
    require('node:fs').utimesSync(join(root, 'dvclive/metrics.json'), old, old);
    assert.equal(cli(root, ['run', '--', 'true']).status, 0);
    assert.deepEqual(runs(root)[0]!.metrics, {}, 'an earlier run\'s DVCLive file is not taken');

    const script = [
      'mkdir -p dvclive/plots/metrics/train',
      'printf \'{"acc": 0.8, "train": {"loss": 0.3}}\' > dvclive/metrics.json',
      'printf \'step\\tloss\\n0\\t0.9\\n1\\t0.5\\n2\\t0.3\\n\' > dvclive/plots/metrics/train/loss.tsv',
    ].join(' && ');
    assert.equal(cli(root, ['run', '--', 'sh', '-c', script]).status, 0);
    const run = runs(root)[0]!;
    assert.deepEqual(run.metrics, { acc: 0.8, 'train.loss': 0.3 });
    const history = readFileSync(join(root, '.provenant', 'runs', run.id, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(history.map((p) => [p.name, p.step, p.value]), [['train/loss', 0, 0.9], ['train/loss', 1, 0.5], ['train/loss', 2, 0.3]]);
  });

  test('a failing command is recorded as failed with its exit code, and the CLI exits non-zero', () => {
    const root = makeRepo();
    const result = cli(root, ['run', '--', 'sh', '-c', 'echo boom >&2; exit 3']);
    assert.equal(result.status, 3);
    const run = onlyRun(root);
    assert.equal(run.status, 'failed');
    assert.equal(run.exitCode, 3);
    assert.equal(readFileSync(join(root, '.provenant', 'runs', run.id, 'stderr.log'), 'utf8'), 'boom\n');
  });

  test('a command that cannot start is recorded as failed with the reason', () => {
    const root = makeRepo();
    const result = cli(root, ['run', '--', 'no-such-program-provenant']);
    assert.notEqual(result.status, 0);
    const run = onlyRun(root);
    assert.equal(run.status, 'failed');
    assert.match(run.note ?? '', /cannot start "no-such-program-provenant"/);
  });
});

describe('secrets', () => {
  test('a secret in the environment appears nowhere in the run folder or in the git objects of the run', () => {
    const root = makeRepo({ '.provenant/config.yaml': 'data: []\n' });
    const secret = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY-provenant';
    const result = cli(root, ['run', '--', 'sh', '-c', 'echo working; test -n "$AWS_SECRET_ACCESS_KEY"'], { AWS_SECRET_ACCESS_KEY: secret, OMP_NUM_THREADS: '1' });
    assert.equal(result.status, 0, result.stderr);
    const run = onlyRun(root);
    assert.equal(run.environment.variables.OMP_NUM_THREADS, '1', 'allow-listed variables are recorded');
    const folder = join(root, '.provenant', 'runs', run.id);
    for (const name of readdirSync(folder)) assert.ok(!readFileSync(join(folder, name), 'utf8').includes(secret), `${name} holds the secret`);
    const objects = execFileSync('sh', ['-c', `git rev-list --objects ${run.code.snapshotRef} | cut -d' ' -f1 | git cat-file --batch`], { cwd: root, maxBuffer: 1 << 28 });
    assert.ok(!objects.includes(Buffer.from(secret)), 'no git object reachable from the run ref holds the secret');
    assert.ok(objects.includes(Buffer.from('OMP_NUM_THREADS')), 'the scan does read the record');
  });
});

describe('interruptions and damaged records', () => {
  test('SIGTERM to the runner records the run as interrupted, with a valid record', async () => {
    const root = makeRepo();
    const child = cliProcess(root, ['run', '--', 'sh', '-c', 'echo started; sleep 30']);
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('started') && resolve()));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.notEqual(code, 0);
    const run = onlyRun(root);
    assert.equal(run.status, 'interrupted');
    assert.equal(run.signal, 'SIGTERM');
    assert.ok(run.endedAt && run.durationMs! < 30_000);
  });

  test('a runner killed outright is found and recorded as interrupted the next time Provenant starts', async () => {
    const root = makeRepo();
    const child = cliProcess(root, ['run', '--', 'sh', '-c', 'echo started; sleep 2']);
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('started') && resolve()));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const folder = join(root, '.provenant', 'runs', readdirSync(join(root, '.provenant', 'runs'))[0]!);
    assert.equal(JSON.parse(readFileSync(join(folder, 'run.json'), 'utf8')).status, 'running');
    const run = onlyRun(root); // `runs list` recovers
    assert.equal(run.status, 'interrupted');
    assert.match(run.note ?? '', /ended without recording/);
    assert.equal(JSON.parse(git(root, 'show', `${run.code.snapshotRef}:.provenant/runs/${run.id}/run.json`)).status, 'interrupted');
  });

  test('a corrupt run record and one of an unknown schema are reported by name and skipped', () => {
    const root = makeRepo();
    assert.equal(cli(root, ['run', '--', 'true']).status, 0);
    const good = onlyRun(root);
    mkdirSync(join(root, '.provenant/runs/20200101-000000-aaaaaa'), { recursive: true });
    writeFileSync(join(root, '.provenant/runs/20200101-000000-aaaaaa/run.json'), '{"schema": "provenant.run/1", "id": ');
    mkdirSync(join(root, '.provenant/runs/20200101-000000-bbbbbb'), { recursive: true });
    writeFileSync(join(root, '.provenant/runs/20200101-000000-bbbbbb/run.json'), JSON.stringify({ ...good, schema: 'provenant.run/9' }));
    const result = cli(root, ['runs', 'list']);
    assert.equal(result.status, 0);
    assert.match(result.stdout, new RegExp(good.id));
    assert.match(result.stderr, /20200101-000000-aaaaaa\/run\.json: .*not valid JSON/);
    assert.match(result.stderr, /20200101-000000-bbbbbb\/run\.json: .*unknown run record schema "provenant\.run\/9"/);
    const show = cli(root, ['runs', 'show', '20200101-000000-aaaaaa']);
    assert.notEqual(show.status, 0);
    assert.match(show.stderr, /no run matches|not valid JSON/);
  });
});

describe('bad input', () => {
  test('an invalid config.yaml is an error naming the file and the line, and nothing is recorded', () => {
    const root = makeRepo({ '.provenant/config.yaml': 'train: python train.py\ndata: [a.csv\n' });
    const result = cli(root, ['run']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /\.provenant\/config\.yaml: line \d+: invalid YAML/);
    assert.ok(!existsSync(join(root, '.provenant', 'runs')), 'no run folder');
  });

  test('a data path escaping the workspace is refused before anything runs, leaving no run and no ref', () => {
    const root = makeRepo({ '.provenant/config.yaml': 'data: [../outside.csv]\n' });
    const result = cli(root, ['run', '--', 'sh', '-c', 'touch ran.txt']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /outside the workspace/);
    assert.ok(!existsSync(join(root, 'ran.txt')), 'the command did not run');
    assert.ok(!existsSync(join(root, '.provenant', 'runs')) || readdirSync(join(root, '.provenant', 'runs')).length === 0, 'no run folder');
    assert.equal(git(root, 'for-each-ref', 'refs/provenant'), '');
  });

  test('no command anywhere says how to set one', () => {
    const root = makeRepo();
    const result = cli(root, ['run']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /no training command[\s\S]*train:/);
  });

  test('outside a git repository the error says to run git init', () => {
    const result = cli(tempDir(), ['run', '--', 'true']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /not inside a git repository[\s\S]*git init/);
  });
});
