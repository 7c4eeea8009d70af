import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { delimiter, join, resolve } from 'node:path';
import { requirePython } from '../helpers/python';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const HELPER_DIR = join(REPO, 'python');
const HIRING = join(REPO, 'examples', 'hiring');

const temps: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `provenant-${prefix}-`));
  temps.push(dir);
  return dir;
}
process.on('exit', () => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

interface PyResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs Python with the helper importable; `runDir` null leaves PROVENANT_RUN_DIR unset. */
function runPython(args: string[], options: { runDir: string | null; seed?: string; cwd?: string }): PyResult {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.PROVENANT_RUN_DIR;
  delete env.PROVENANT_SEED;
  env.PYTHONPATH = [HELPER_DIR, process.env.PYTHONPATH].filter(Boolean).join(delimiter);
  env.PYTHONDONTWRITEBYTECODE = '1';
  if (options.runDir !== null) env.PROVENANT_RUN_DIR = options.runDir;
  if (options.seed !== undefined) env.PROVENANT_SEED = options.seed;
  const result = spawnSync(requirePython(), args, { cwd: options.cwd ?? tempDir('cwd'), env, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a Python snippet (after `import provenant`) in a fresh run folder and returns that folder. */
function runSnippet(code: string, options: { seed?: string } = {}): { runDir: string; result: PyResult } {
  const runDir = join(tempDir('run'), 'run');
  const result = runPython(['-c', `import provenant\n${code}`], { runDir, ...options });
  assert.equal(result.status, 0, `python failed:\n${result.stderr}`);
  return { runDir, result };
}

const readJson = (dir: string, name: string): unknown => JSON.parse(readFileSync(join(dir, name), 'utf8'));
const readText = (dir: string, name: string): string => readFileSync(join(dir, name), 'utf8');

function assertNoTempFiles(dir: string): void {
  const leftovers = readdirSync(dir).filter((name) => name.endsWith('.tmp') || name.startsWith('.'));
  assert.deepEqual(leftovers, [], `temporary files left in the run folder: ${leftovers.join(', ')}`);
}

describe('python helper (provenant)', () => {
  test('seed_everything seeds random and numpy from PROVENANT_SEED and writes seeded.json', () => {
    const { runDir, result } = runSnippet(
      [
        'import random, numpy as np',
        'seed = provenant.seed_everything()',
        'a = (random.random(), float(np.random.rand()))',
        'random.seed(11); np.random.seed(11)',
        'random.seed(seed); np.random.seed(seed)',
        'b = (random.random(), float(np.random.rand()))',
        'print(seed, a == b)',
      ].join('\n'),
      { seed: '1234' },
    );
    assert.equal(result.stdout.trim(), '1234 True');
    const seeded = readJson(runDir, 'seeded.json') as { seed: number; libraries: Record<string, string> };
    assert.equal(seeded.seed, 1234);
    assert.ok(Object.keys(seeded.libraries).includes('random'));
    assert.ok(Object.keys(seeded.libraries).includes('numpy'));
    assert.match(seeded.libraries.random!, /^3\.\d+\.\d+/);
    assert.match(seeded.libraries.numpy!, /^\d+\.\d+/);
    assertNoTempFiles(runDir);
  });

  test('seed_everything: an argument beats PROVENANT_SEED, which beats default; invalid seeds are refused', () => {
    const { runDir, result } = runSnippet(
      [
        'print(provenant.seed_everything(99, default=5))',
        'print(provenant.seed_everything(default=5))',
        'for bad in (-1, 2**32, "x"):',
        '    try:',
        '        provenant.seed_everything(bad)',
        '        print("accepted", bad)',
        '    except (ValueError, TypeError) as err:',
        '        print(type(err).__name__)',
      ].join('\n'),
      { seed: '8' },
    );
    assert.deepEqual(result.stdout.trim().split('\n'), ['99', '8', 'ValueError', 'ValueError', 'ValueError']);
    assert.equal((readJson(runDir, 'seeded.json') as { seed: number }).seed, 8);
  });

  test('log_params flattens nested dicts with dots, merges calls and stringifies non-scalars', () => {
    const { runDir, result } = runSnippet(
      [
        'import numpy as np',
        'flat = provenant.log_params({"model": {"C": 1, "kernel": {"name": "rbf"}}, "seed": np.int64(3), "lr": np.float64(0.5)})',
        'print(flat)',
        'provenant.log_params({"model": {"C": 2.5}, "layers": [64, 32], "flag": True, "none": None, "bad": float("nan")})',
      ].join('\n'),
    );
    assert.equal(result.stdout.trim(), "{'model.C': 1, 'model.kernel.name': 'rbf', 'seed': 3, 'lr': 0.5}");
    assert.deepEqual(readJson(runDir, 'params.json'), {
      'model.C': 2.5,
      'model.kernel.name': 'rbf',
      seed: 3,
      lr: 0.5,
      layers: '[64, 32]',
      flag: true,
      none: null,
      bad: 'nan',
    });
    assert.deepEqual(Object.keys(readJson(runDir, 'params.json') as object), ['model.C', 'model.kernel.name', 'seed', 'lr', 'layers', 'flag', 'none', 'bad']);
    assertNoTempFiles(runDir);
  });

  test('log_metric keeps the history with steps in metrics.jsonl and the latest value in metrics.json', () => {
    const { runDir } = runSnippet(
      [
        'import numpy as np',
        'for step, loss in enumerate([0.9, 0.5, 0.25]):',
        '    provenant.log_metric("loss", np.float32(loss) if step == 1 else loss, step=step)',
        'provenant.log_metrics({"auc": 0.875, "n": np.int64(12)})',
        'provenant.log_metric("loss", 0.125)',
      ].join('\n'),
    );
    const history = readText(runDir, 'metrics.jsonl')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { name: string; value: number; step: number | null; timestamp: string });
    assert.deepEqual(
      history.map(({ name, value, step }) => ({ name, value, step })),
      [
        { name: 'loss', value: 0.9, step: 0 },
        { name: 'loss', value: 0.5, step: 1 },
        { name: 'loss', value: 0.25, step: 2 },
        { name: 'auc', value: 0.875, step: null },
        { name: 'n', value: 12, step: null },
        { name: 'loss', value: 0.125, step: null },
      ],
    );
    for (const point of history) {
      assert.deepEqual(Object.keys(point), ['name', 'value', 'step', 'timestamp']);
      assert.ok(!Number.isNaN(Date.parse(point.timestamp)), `timestamp ${point.timestamp}`);
    }
    assert.equal(readText(runDir, 'metrics.json'), '{\n  "loss": 0.125,\n  "auc": 0.875,\n  "n": 12\n}\n');
    assertNoTempFiles(runDir);
  });

  test('log_metric refuses non-numbers and non-integer steps', () => {
    const { result } = runSnippet(
      [
        'for call in (lambda: provenant.log_metric("x", "high"), lambda: provenant.log_metric("x", 1.0, step=1.5), lambda: provenant.log_metric("", 1.0)):',
        '    try:',
        '        call(); print("accepted")',
        '    except (TypeError, ValueError) as err:',
        '        print(type(err).__name__)',
      ].join('\n'),
    );
    assert.deepEqual(result.stdout.trim().split('\n'), ['TypeError', 'TypeError', 'ValueError']);
  });

  test('log_predictions writes the CSV at full precision and describes it in predictions.json', () => {
    const { runDir } = runSnippet(
      [
        'import numpy as np',
        'y_true = np.array([1, 0, 1, 0])',
        'y_score = np.array([0.1 + 0.2, 1 / 3, 0.75, 2e-17])',
        'y_pred = (y_score >= 0.5).astype(int)',
        'features = {"age": np.array([30, 41, 25, 52]), "income": [1.5, 2.25, None, 4.0], "group": ["A", "B", "A", "B, C"]}',
        'meta = provenant.log_predictions(y_true, y_score=y_score, y_pred=y_pred, features=features)',
        'assert meta["rows"] == 4, meta',
        'X = np.array([[1.0, 2.0], [3.0, 4.0]])',
        'provenant.log_predictions([0, 1], y_score=[0.2, 0.8], features=X, feature_names=["f1", "f2"], name="train")',
        'provenant.log_predictions(["no", "yes"], y_pred=["no", "no"], features=[{"a": 1}, {"a": 2, "b": "x"}], name="rows")',
        'rec = np.array([(1, 0.5), (2, 1.5)], dtype=[("k", "i4"), ("w", "f8")])',
        'provenant.log_predictions([1, 1], y_score=[0.9, 0.6], features=rec, name="structured")',
        'class Frame:',
        '    def to_dict(self, orient):',
        '        assert orient == "list"',
        '        return {"p": [1, 2], "q": ["u", "v"]}',
        'provenant.log_predictions([0, 0], y_pred=[1, 0], features=Frame(), name="frame")',
      ].join('\n'),
    );
    assert.equal(
      readText(runDir, 'predictions.csv'),
      [
        'y_true,y_score,y_pred,age,income,group',
        '1,0.30000000000000004,0,30,1.5,A',
        '0,0.3333333333333333,0,41,2.25,B',
        '1,0.75,1,25,,A',
        '0,2e-17,0,52,4.0,"B, C"',
        '',
      ].join('\n'),
    );
    assert.equal(readText(runDir, 'predictions.train.csv'), 'y_true,y_score,f1,f2\n0,0.2,1.0,2.0\n1,0.8,3.0,4.0\n');
    assert.equal(readText(runDir, 'predictions.rows.csv'), 'y_true,y_pred,a,b\nno,no,1,\nyes,no,2,x\n');
    assert.equal(readText(runDir, 'predictions.structured.csv'), 'y_true,y_score,k,w\n1,0.9,1,0.5\n1,0.6,2,1.5\n');
    assert.equal(readText(runDir, 'predictions.frame.csv'), 'y_true,y_pred,p,q\n0,1,1,u\n0,0,2,v\n');
    const index = readJson(runDir, 'predictions.json') as Record<string, unknown>;
    assert.deepEqual(Object.keys(index), ['holdout', 'train', 'rows', 'structured', 'frame']);
    assert.deepEqual(index.holdout, {
      file: 'predictions.csv',
      rows: 4,
      columns: ['y_true', 'y_score', 'y_pred', 'age', 'income', 'group'],
      y_true: 'y_true',
      y_score: 'y_score',
      y_pred: 'y_pred',
      features: ['age', 'income', 'group'],
    });
    assert.deepEqual(index.train, {
      file: 'predictions.train.csv',
      rows: 2,
      columns: ['y_true', 'y_score', 'f1', 'f2'],
      y_true: 'y_true',
      y_score: 'y_score',
      y_pred: null,
      features: ['f1', 'f2'],
    });
    assert.deepEqual(index.rows, {
      file: 'predictions.rows.csv',
      rows: 2,
      columns: ['y_true', 'y_pred', 'a', 'b'],
      y_true: 'y_true',
      y_score: null,
      y_pred: 'y_pred',
      features: ['a', 'b'],
    });
    assertNoTempFiles(runDir);
  });

  test('log_predictions refuses mismatched lengths, missing predictions and 2-D scores with a ValueError', () => {
    const { runDir, result } = runSnippet(
      [
        'import numpy as np',
        'cases = [',
        '    dict(y_true=[1, 0, 1], y_score=[0.5, 0.5]),',
        '    dict(y_true=[1, 0], y_score=[0.5, 0.5], features={"age": [1, 2, 3]}),',
        '    dict(y_true=[1, 0]),',
        '    dict(y_true=[1, 0], y_score=np.array([[0.4, 0.6], [0.7, 0.3]])),',
        ']',
        'for kwargs in cases:',
        '    try:',
        '        provenant.log_predictions(**kwargs); print("accepted")',
        '    except ValueError as err:',
        '        print("ValueError:", err)',
      ].join('\n'),
    );
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^ValueError: .*as many rows as y_true \(3\): y_score has 2/);
    assert.match(lines[1]!, /^ValueError: .*as many rows as y_true \(2\): age has 3/);
    assert.match(lines[2]!, /^ValueError: .*y_score or y_pred/);
    assert.match(lines[3]!, /^ValueError: .*one-dimensional.*proba\[:, 1\]/);
    assert.equal(existsSync(join(runDir, 'predictions.json')), false);
    assert.equal(existsSync(join(runDir, 'predictions.csv')), false);
  });

  test('log_artifact lists each path once, as an absolute path', () => {
    const cwd = tempDir('art');
    const runDir = join(tempDir('run'), 'run');
    const result = runPython(
      [
        '-c',
        [
          'import provenant',
          'open("model.pkl", "wb").write(b"x")',
          'print(provenant.log_artifact("model.pkl"))',
          'provenant.log_artifact("out/report.txt")',
          'import pathlib',
          'provenant.log_artifact(pathlib.Path("model.pkl"))',
        ].join('\n'),
      ],
      { runDir, cwd },
    );
    assert.equal(result.status, 0, result.stderr);
    const real = realpathSync(cwd);
    assert.equal(result.stdout.trim(), join(real, 'model.pkl'));
    assert.deepEqual(readJson(runDir, 'artifacts.json'), [join(real, 'model.pkl'), join(real, 'out/report.txt')]);
    assert.match(result.stderr, /out\/report\.txt' does not exist/);
    assertNoTempFiles(runDir);
  });

  test('every write is atomic: after many writes the run folder holds only the final files', () => {
    const { runDir } = runSnippet(
      [
        'provenant.seed_everything(1)',
        'for i in range(50):',
        '    provenant.log_params({"i": i})',
        '    provenant.log_metrics({"a": i / 7, "b": i}, step=i)',
        '    provenant.log_predictions([i], y_score=[0.5], name="p%d" % (i % 3))',
        '    provenant.log_artifact("f%d" % (i % 5))',
      ].join('\n'),
    );
    assert.deepEqual(readdirSync(runDir).sort(), [
      'artifacts.json',
      'metrics.json',
      'metrics.jsonl',
      'params.json',
      'predictions.json',
      'predictions.p0.csv',
      'predictions.p1.csv',
      'predictions.p2.csv',
      'seeded.json',
    ]);
    assert.equal(readText(runDir, 'metrics.jsonl').split('\n').filter(Boolean).length, 100);
    assert.deepEqual(readJson(runDir, 'metrics.json'), { a: 49 / 7, b: 49 });
    assert.deepEqual(readJson(runDir, 'params.json'), { i: 49 });
  });

  test('without PROVENANT_RUN_DIR nothing is written, calls still return, and one warning is printed', () => {
    const cwd = tempDir('noop');
    const result = runPython(
      [
        '-c',
        [
          'import random, provenant',
          'print(provenant.seed_everything(5), random.random() == random.Random(5).random())',
          'print(provenant.log_params({"a": {"b": 1}}))',
          'provenant.log_metric("x", 1.0, step=1)',
          'print(provenant.log_predictions([1], y_pred=[1])["rows"])',
          'print(provenant.log_artifact("m.pkl"))',
          'try:',
          '    provenant.log_predictions([1, 0], y_pred=[1])',
          'except ValueError:',
          '    print("ValueError")',
        ].join('\n'),
      ],
      { runDir: null, cwd },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), ['5 True', "{'a.b': 1}", '1', join(realpathSync(cwd), 'm.pkl'), 'ValueError']);
    assert.equal(result.stderr.match(/PROVENANT_RUN_DIR is not set/g)?.length, 1, result.stderr);
    assert.deepEqual(readdirSync(cwd), []);
  });

  test('python -m provenant prints usage', () => {
    const result = runPython(['-m', 'provenant'], { runDir: null });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /seed_everything/);
    assert.match(result.stdout, /log_predictions/);
  });
});

describe('hiring example (examples/hiring/train.py)', () => {
  function trainRun(seed: string, params?: (text: string) => string): { runDir: string; stdout: string; cwd: string } {
    const work = tempDir('hiring');
    cpSync(HIRING, work, { recursive: true, filter: (src) => !/(model\.pkl|__pycache__)$/.test(src) });
    if (params) {
      const file = join(work, 'params.yaml');
      writeFileSync(file, params(readFileSync(file, 'utf8')));
    }
    const runDir = join(tempDir('run'), 'run');
    const result = runPython(['train.py'], { runDir, seed, cwd: work });
    assert.equal(result.status, 0, `train.py failed:\n${result.stderr}\n${result.stdout}`);
    assert.ok(existsSync(join(work, 'model.pkl')), 'model.pkl written');
    return { runDir, stdout: result.stdout, cwd: work };
  }

  function selectionRates(runDir: string): Record<string, number> {
    const [header, ...rows] = readText(runDir, 'predictions.csv').trim().split('\n');
    const columns = header!.split(',');
    const pred = columns.indexOf('y_pred');
    const group = columns.indexOf('group');
    assert.ok(pred >= 0 && group >= 0, `columns: ${header}`);
    const counts: Record<string, { n: number; selected: number }> = {};
    for (const row of rows) {
      const cells = row.split(',');
      const entry = (counts[cells[group]!] ??= { n: 0, selected: 0 });
      entry.n += 1;
      entry.selected += Number(cells[pred]);
    }
    return Object.fromEntries(Object.entries(counts).map(([name, c]) => [name, c.selected / c.n]));
  }

  test('the same seed gives byte-identical metrics, another seed different ones; Togruta is selected under 4/5 as often', () => {
    const first = trainRun('7');
    const second = trainRun('7');
    const metrics = readText(first.runDir, 'metrics.json');
    assert.equal(readText(second.runDir, 'metrics.json'), metrics);
    assert.equal(readText(second.runDir, 'predictions.csv'), readText(first.runDir, 'predictions.csv'));

    const other = trainRun('8');
    assert.notEqual(readText(other.runDir, 'metrics.json'), metrics);

    const values = JSON.parse(metrics) as Record<string, number>;
    for (const name of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'log_loss', 'brier', 'selection_rate_weequay', 'selection_rate_togruta', 'disparate_impact']) {
      assert.equal(typeof values[name], 'number', `metric ${name}`);
    }
    assert.ok(values.roc_auc! > 0.7, `roc_auc ${values.roc_auc}`);

    const rates = selectionRates(first.runDir);
    assert.deepEqual(Object.keys(rates).sort(), ['Togruta', 'Weequay']);
    const ratio = rates.Togruta! / rates.Weequay!;
    assert.ok(ratio < 0.8, `disparate impact ${ratio}`);
    assert.ok(Math.abs(ratio - values.disparate_impact!) < 1e-12);

    assert.equal((readJson(first.runDir, 'seeded.json') as { seed: number }).seed, 7);
    const params = readJson(first.runDir, 'params.json') as Record<string, unknown>;
    assert.equal(params.seed, 7);
    assert.equal(params['model.type'], 'logistic_regression');
    assert.equal(params['split.test_size'], 0.25);
    assert.deepEqual(readJson(first.runDir, 'artifacts.json'), [join(realpathSync(first.cwd), 'model.pkl')]);
    const predictions = readJson(first.runDir, 'predictions.json') as Record<string, { rows: number; features: string[]; y_score: string | null }>;
    assert.equal(predictions.holdout!.rows, 750);
    assert.equal(predictions.holdout!.y_score, 'y_score');
    assert.ok(predictions.holdout!.features.includes('group'));
    const steps = readText(first.runDir, 'metrics.jsonl')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { name: string; step: number | null })
      .filter((point) => point.name === 'holdout_log_loss' && point.step !== null);
    assert.equal(steps.length, 10);
    assert.match(first.stdout, /disparate impact Togruta\/Weequay: 0\.\d+/);
  });

  test('gradient boosting logs one history point per stage and is deterministic too', () => {
    const toBoosting = (text: string): string => text.replace(/type: logistic_regression/, 'type: gradient_boosting');
    const first = trainRun('7', toBoosting);
    const second = trainRun('7', toBoosting);
    assert.equal(readText(second.runDir, 'metrics.json'), readText(first.runDir, 'metrics.json'));
    const stages = readText(first.runDir, 'metrics.jsonl')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { name: string; step: number | null })
      .filter((point) => point.name === 'holdout_log_loss' && point.step !== null)
      .map((point) => point.step);
    assert.deepEqual(stages, Array.from({ length: 100 }, (_, i) => i + 1));
    const rates = selectionRates(first.runDir);
    assert.ok(rates.Togruta! / rates.Weequay! < 0.8);
  });
});
