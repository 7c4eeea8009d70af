// The analysis engine on real runs of the hiring demo and of small scripts, through the built CLI
// and real Python with scikit-learn: partial dependence equals scikit-learn's, Shapley values meet
// the linear closed form, a brute-force enumeration and efficiency, metrics equal scikit-learn's,
// and a predictor that crashes, hangs or writes garbage ends with a clear error and no process left.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeRepo, tempDir } from '../helpers/git';
import { cli, CLI } from '../helpers/cli';
import { requirePython } from '../helpers/python';
import { hiringWorkspace } from '../helpers/hiring';
import type { RunRecord } from '../../src/core/runs/types';
import type { EvaluationResult, FairnessResult, PartialDependence, PermutationImportance, ShapleyExplanation } from '../../src/core/analysis/types';

function run(root: string, ...args: string[]): RunRecord {
  const result = cli(root, ['run', '--quiet', ...args]);
  assert.equal(result.status, 0, result.stderr);
  const all = JSON.parse(cli(root, ['runs', 'list', '--json']).stdout) as RunRecord[];
  return all[0]!;
}

function json<T>(root: string, args: string[]): T {
  // Partial dependence with every ICE curve is several MiB of JSON: more than cli()'s buffer.
  const result = spawnSync(process.execPath, [CLI, ...args, '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28, timeout: 180_000 });
  assert.equal(result.status, 0, `provenant ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** Runs Python with scikit-learn on a script, returns its JSON stdout. */
function python<T>(script: string, cwd: string): T {
  const result = spawnSync(requirePython(), ['-c', script], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as T;
}

const FEATURES = ['age', 'years_experience', 'university', 'education_level', 'test_score', 'interview_score', 'referrals'];
const LOAD = (runId: string) => `
import csv, json, pickle, numpy as np
run = ".provenant/runs/${runId}"
model = pickle.load(open(run + "/artifacts/model.pkl", "rb"))
rows = list(csv.DictReader(open(run + "/predictions.csv")))
FEATURES = ${JSON.stringify(FEATURES)}
X = np.array([[float(r[f]) for f in FEATURES] for r in rows])
`;

describe('the hiring demo', () => {
  let root: string;
  let logistic: RunRecord;
  let boosting: RunRecord;
  before(() => {
    root = hiringWorkspace('provenant-analysis-');
    logistic = run(root, '--name', 'logistic');
    writeFileSync(join(root, 'params.yaml'), readFileSync(join(root, 'params.yaml'), 'utf8').replace('type: logistic_regression', 'type: gradient_boosting'));
    boosting = run(root, '--name', 'boosting');
  });

  for (const which of ['logistic', 'boosting'] as const) {
    test(`partial dependence and ICE of the ${which} model equal scikit-learn's partial_dependence(method='brute') to 1e-9`, () => {
      const r = which === 'logistic' ? logistic : boosting;
      const ours = json<PartialDependence[]>(root, ['explain', r.id, '--method', 'pdp', '--grid-resolution', '20']);
      assert.deepEqual(ours.map((p) => p.feature), FEATURES);
      const theirs = python<{ grid: number[]; average: number[]; individual: number[][] }[]>(
        `${LOAD(r.id)}
from sklearn.inspection import partial_dependence
out = []
for j in range(len(FEATURES)):
    pd = partial_dependence(model, X, [j], kind="both", method="brute", grid_resolution=20)
    out.append({"grid": pd["values"][0].tolist(), "average": pd["average"][0].tolist(), "individual": pd["individual"][0].tolist()})
print(json.dumps(out))`,
        root,
      );
      let compared = 0;
      ours.forEach((pd, j) => {
        const ref = theirs[j]!;
        assert.equal(pd.grid.length, ref.grid.length, `${pd.feature}: grid size`);
        pd.grid.forEach((g, k) => assert.ok(Math.abs((g as number) - ref.grid[k]!) <= 1e-9, `${pd.feature} grid[${k}] ${g} vs ${ref.grid[k]}`));
        pd.average.forEach((a, k) => assert.ok(Math.abs(a - ref.average[k]!) <= 1e-9, `${pd.feature} average[${k}] ${a} vs ${ref.average[k]}`));
        assert.equal(pd.individual.length, ref.individual.length);
        pd.individual.forEach((curve, i) => curve.forEach((v, k) => {
          assert.ok(Math.abs(v - ref.individual[pd.rows[i]!]![k]!) <= 1e-9);
          compared++;
        }));
      });
      assert.ok(compared > 750 * 7 * 2, `${compared} ICE points compared`);
    });
  }

  test('Shapley values of the boosting model equal a brute-force enumeration in Python; efficiency holds for every row', () => {
    const explained = json<ShapleyExplanation[]>(root, ['explain', boosting.id, '--method', 'shapley', '--rows', '0,3,11', '--background', '12']);
    const stored = readdirSync(join(root, '.provenant', 'runs', boosting.id, 'analysis')).filter((f) => f.startsWith('shapley-'));
    assert.equal(stored.length, 1);
    const record = JSON.parse(readFileSync(join(root, '.provenant', 'runs', boosting.id, 'analysis', stored[0]!), 'utf8')) as { settings: { backgroundRows: number[]; algorithmUsed: string; coalitionsPerRow: number }; cost: { modelEvaluations: number } };
    assert.equal(record.settings.algorithmUsed, 'exact');
    assert.equal(record.settings.backgroundRows.length, 12);
    assert.equal(record.cost.modelEvaluations, 3 * 128 * 12, 'rows × 2^7 coalitions × background');
    const reference = python<{ phi: number[]; base: number; fx: number }[]>(
      `${LOAD(boosting.id)}
from itertools import combinations
from math import factorial
B = X[${JSON.stringify(record.settings.backgroundRows)}]
M = X.shape[1]
f = lambda Z: model.predict_proba(Z)[:, 1]
def v(x, S):
    Z = B.copy()
    Z[:, list(S)] = x[list(S)]
    return f(Z).mean()
out = []
for i in [0, 3, 11]:
    x = X[i]
    phi = []
    for j in range(M):
        rest = [k for k in range(M) if k != j]
        total = 0.0
        for size in range(M):
            for S in combinations(rest, size):
                total += factorial(size) * factorial(M - size - 1) / factorial(M) * (v(x, S + (j,)) - v(x, S))
        phi.append(total)
    out.append({"phi": phi, "base": float(f(B).mean()), "fx": float(f(x[None, :])[0])})
print(json.dumps(out))`,
      root,
    );
    const csv = readFileSync(join(root, '.provenant', 'runs', boosting.id, 'predictions.csv'), 'utf8').trim().split('\n').slice(1);
    explained.forEach((e, k) => {
      const ref = reference[k]!;
      FEATURES.forEach((f, j) => assert.ok(Math.abs(e.values[f]! - ref.phi[j]!) < 1e-9, `row ${e.row} ${f}: ${e.values[f]} vs ${ref.phi[j]}`));
      assert.ok(Math.abs(e.baseValue - ref.base) < 1e-12);
      assert.ok(Math.abs(e.prediction - ref.fx) < 1e-12);
      const sum = Object.values(e.values).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - (e.prediction - e.baseValue)) < 1e-12, 'efficiency');
      assert.ok(Math.abs(e.prediction - Number(csv[e.row]!.split(',')[1])) < 1e-12, 'the prediction is the logged y_score');
    });
  });

  test('permutation importance: every feature listed with its std; the sampled estimator keeps efficiency', () => {
    const imp = json<PermutationImportance[]>(root, ['explain', logistic.id, '--method', 'permutation', '--repeats', '3']);
    assert.deepEqual(imp.map((i) => i.feature), FEATURES);
    for (const i of imp) assert.ok(Number.isFinite(i.importance) && i.std >= 0);
    const top = [...imp].sort((a, b) => b.importance - a.importance).slice(0, 3).map((i) => i.feature);
    assert.ok(top.includes('university'), `university carries the group gap: ${top}`);
    const sampled = json<ShapleyExplanation[]>(root, ['explain', logistic.id, '--method', 'shapley', '--rows', '5', '--algorithm', 'permutation', '--max-evals', '60', '--background', '30']);
    const e = sampled[0]!;
    assert.ok(Math.abs(Object.values(e.values).reduce((a, b) => a + b, 0) - (e.prediction - e.baseValue)) < 1e-12);
  });

  test('evaluation metrics equal scikit-learn; champion vs challenger is paired', () => {
    const ev = json<EvaluationResult>(root, ['eval', logistic.id, '--resamples', '200']);
    const ref = python<Record<string, number>>(
      `import csv, json
from sklearn import metrics as m
rows = list(csv.DictReader(open(".provenant/runs/${logistic.id}/predictions.csv")))
y = [int(r["y_true"]) for r in rows]; s = [float(r["y_score"]) for r in rows]; d = [int(v >= 0.5) for v in s]
print(json.dumps({"accuracy": m.accuracy_score(y, d), "precision": m.precision_score(y, d), "recall": m.recall_score(y, d), "f1": m.f1_score(y, d),
  "roc_auc": m.roc_auc_score(y, s), "pr_auc": m.average_precision_score(y, s), "log_loss": m.log_loss(y, s), "brier": m.brier_score_loss(y, s)}))`,
      root,
    );
    for (const [name, value] of Object.entries(ref)) assert.ok(Math.abs(ev.metrics[name]!.value - value) < 1e-12, `${name}: ${ev.metrics[name]?.value} vs ${value}`);
    assert.ok(Math.abs(ev.metrics.roc_auc!.value - logistic.metrics.roc_auc!) < 1e-12, 'the same as train.py logged');
    assert.ok(ev.metrics.roc_auc!.low! < ev.metrics.roc_auc!.value && ev.metrics.roc_auc!.value < ev.metrics.roc_auc!.high!);
    assert.deepEqual(ev.bootstrap, { resamples: 200, seed: 0, level: 0.95 });
    const cmp = json<{ metrics: { metric: string; difference: { value: number } }[] }>(root, ['eval', boosting.id, '--against', logistic.id, '--resamples', '200']);
    const auc = cmp.metrics.find((x) => x.metric === 'roc_auc')!;
    assert.ok(Math.abs(auc.difference.value - (boosting.metrics.roc_auc! - logistic.metrics.roc_auc!)) < 1e-12);
  });

  test('fairness: the demo model selects Togruta applicants at well under four fifths of the Weequay rate', () => {
    const f = json<FairnessResult>(root, ['fairness', logistic.id, '--resamples', '200']);
    assert.equal(f.attribute, 'group');
    assert.equal(f.threshold, 0.5);
    assert.deepEqual(f.groups.map((g) => g.group), ['Togruta', 'Weequay']);
    assert.equal(f.privileged, 'Weequay');
    assert.equal(f.unprivileged, 'Togruta');
    assert.ok(Math.abs(f.disparateImpact - logistic.metrics.disparate_impact!) < 1e-12, `${f.disparateImpact} vs train.py's ${logistic.metrics.disparate_impact}`);
    assert.ok(f.disparateImpact < 0.8);
    assert.equal(f.fourFifths.pass, false);
    const [t, w] = f.groups;
    assert.ok(Math.abs(t!.selectionRate - logistic.metrics.selection_rate_togruta!) < 1e-12);
    assert.ok(Math.abs(w!.selectionRate - logistic.metrics.selection_rate_weequay!) < 1e-12);
    assert.equal(t!.n + w!.n, 750);
    for (const key of ['demographicParityDifference', 'demographicParityRatio', 'equalOpportunityDifference', 'equalizedOddsDifference', 'disparateImpact'] as const) assert.equal(typeof f[key], 'number', key);
  });

  test('explanations are cached per run and settings, stored with how they were obtained', () => {
    const first = cli(root, ['explain', logistic.id, '--method', 'shapley', '--rows', '2']);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /Stored in \.provenant\/runs\/.*\/analysis\/shapley-[0-9a-f]{16}\.json \(12,800 model evaluations/);
    const second = cli(root, ['explain', logistic.id, '--method', 'shapley', '--rows', '2']);
    assert.match(second.stdout, /From the stored result/);
    const other = cli(root, ['explain', logistic.id, '--method', 'shapley', '--rows', '2', '--background', '50']);
    assert.match(other.stdout, /Stored in/, 'other settings: computed again');
    const file = /(\.provenant\/runs\/\S+\.json)/.exec(first.stdout)![1]!;
    const stored = JSON.parse(readFileSync(join(root, file), 'utf8')) as { schema: string; settings: Record<string, unknown>; inputs: { model: { md5: string }; predictions: { md5: string } } };
    assert.equal(stored.schema, 'provenant.analysis/1');
    assert.equal(stored.settings.backgroundSize, 100);
    assert.equal(stored.settings.seed, 0);
    assert.match(stored.inputs.model.md5, /^[0-9a-f]{32}$/);
    assert.equal(stored.inputs.model.md5, logistic.artifacts[0]!.md5);
  });
});

/** A workspace whose train script fits a linear regression on 12 features and logs everything. */
function linearWorkspace(features: number): string {
  const names = Array.from({ length: features }, (_, j) => `x${j}`);
  return makeRepo({
    'train.py': `import pickle, numpy as np, provenant
from sklearn.linear_model import LinearRegression
rng = np.random.RandomState(0)
X = rng.normal(size=(300, ${features})) * 3 + 1
y = X @ (np.arange(${features}) - 4.5) + rng.normal(size=300)
model = LinearRegression().fit(X, y)
provenant.log_params({"features": ",".join(${JSON.stringify(names)})})
provenant.log_predictions(y[:120], y_pred=model.predict(X[:120]), features={n: X[:120, j] for j, n in enumerate(${JSON.stringify(names)})})
pickle.dump(model, open("model.pkl", "wb"))
provenant.log_artifact("model.pkl")
`,
    '.provenant/config.yaml': `train: python3 train.py\npython: ${requirePython()}\n`,
    '.gitignore': 'model.pkl\n',
  });
}

describe('Shapley values of a linear model', () => {
  test('equal w_j (x_j − mean_b b_j) exactly, with the exact and the sampling algorithm (12 features)', () => {
    const root = linearWorkspace(12);
    const r = run(root);
    const coef = python<{ w: number[] }>(`import pickle, json; m = pickle.load(open(".provenant/runs/${r.id}/artifacts/model.pkl", "rb")); print(json.dumps({"w": m.coef_.tolist()}))`, root).w;
    const csv = readFileSync(join(root, '.provenant', 'runs', r.id, 'predictions.csv'), 'utf8').trim().split('\n');
    const header = csv[0]!.split(',');
    const X = csv.slice(1).map((line) => line.split(',').map(Number));
    for (const algorithm of ['permutation', 'exact']) {
      const out = cli(root, ['explain', r.id, '--method', 'shapley', '--rows', '4,9', '--background', '25', '--algorithm', algorithm, '--json']);
      assert.equal(out.status, 0, out.stderr);
      const explained = JSON.parse(out.stdout) as ShapleyExplanation[];
      const analysis = join(root, '.provenant', 'runs', r.id, 'analysis');
      const record = readdirSync(analysis).map((f) => JSON.parse(readFileSync(join(analysis, f), 'utf8')) as { kind: string; settings: { algorithmUsed: string; backgroundRows: number[] } }).find((s) => s.kind === 'shapley' && s.settings.algorithmUsed === algorithm)!;
      assert.ok(record, `a stored ${algorithm} result`);
      for (const e of explained) {
        coef.forEach((w, j) => {
          const col = header.indexOf(`x${j}`);
          const meanB = record.settings.backgroundRows.reduce((s, b) => s + X[b]![col]!, 0) / record.settings.backgroundRows.length;
          const expected = w * (X[e.row]![col]! - meanB);
          assert.ok(Math.abs(e.values[`x${j}`]! - expected) < 1e-9, `${algorithm} row ${e.row} x${j}: ${e.values[`x${j}`]} vs ${expected}`);
        });
        assert.ok(Math.abs(Object.values(e.values).reduce((a, b) => a + b, 0) - (e.prediction - e.baseValue)) < 1e-9);
      }
    }
  });
});

describe('predictor failures and bad input', () => {
  function withPredictor(predictor: string): { root: string; id: string } {
    const root = linearWorkspace(3);
    const r = run(root);
    const config = join(root, '.provenant', 'config.yaml');
    // A YAML flow list in JSON syntax: no shell quoting to get wrong.
    writeFileSync(config, `${readFileSync(config, 'utf8')}predictor: ${JSON.stringify(['python3', '-c', predictor])}\n`);
    return { root, id: r.id };
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  test('a predictor that crashes: a clear error with its stderr, exit 2', () => {
    const { root, id } = withPredictor(`import sys; sys.stderr.write('model file is corrupt\\n'); sys.exit(3)`);
    const result = cli(root, ['explain', id, '--method', 'permutation']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /\.provenant\/config\.yaml: the predictor exited \(code 3\) before announcing itself; its stderr ends with:\n\s+model file is corrupt/);
    assert.match(result.stderr, /predictor protocol/);
  });

  test('a predictor that hangs is stopped after the timeout, with its whole process group', () => {
    const pidFile = join(tempDir(), 'pid');
    const script = `import os, sys, time, json; open(${JSON.stringify(pidFile)}, 'w').write(str(os.getpid())); print(json.dumps({'protocol': 'provenant.predictor/1', 'features': None, 'output': 'value', 'encodings': ['json']}), flush=True); time.sleep(600)`;
    const { root, id } = withPredictor(script);
    const result = cli(root, ['explain', id, '--method', 'permutation', '--timeout', '2']);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /the predictor did not answer within 2 s to a batch: it was stopped/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(pid > 0);
    assert.equal(alive(pid), false, 'no orphan predictor process');
  });

  test('a predictor that writes something else than protocol lines', () => {
    const { root, id } = withPredictor(`print('loading model...')`);
    const result = cli(root, ['explain', id, '--method', 'permutation']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /wrote a line that is not a protocol message: "loading model\.\.\." \(only protocol lines may go to stdout\)/);
  });

  test('a predictor error on a batch names the error; the run folder is unchanged', () => {
    const { root, id } = withPredictor(`import json,sys; print(json.dumps({'protocol':'provenant.predictor/1','features':None,'output':'value','encodings':['json']}), flush=True); [print(json.dumps({'id': json.loads(l)['id'], 'error': 'ValueError: bad input'}), flush=True) for l in sys.stdin]`);
    const before = readdirSync(join(root, '.provenant', 'runs', id)).sort();
    const result = cli(root, ['explain', id, '--method', 'pdp']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /the predictor failed on a batch of \d+ rows: ValueError: bad input/);
    assert.deepEqual(readdirSync(join(root, '.provenant', 'runs', id)).sort(), before, 'no analysis file written');
  });

  test('damaged predictions and unknown attributes: errors name the file; nothing is lost', () => {
    const root = linearWorkspace(3);
    const r = run(root);
    const csvPath = join(root, '.provenant', 'runs', r.id, 'predictions.csv');
    const original = readFileSync(csvPath, 'utf8');
    writeFileSync(csvPath, original.replace(/\n([^\n]*)\n/, '\n$1,extra\n'));
    const broken = cli(root, ['eval', r.id]);
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, new RegExp(`\\.provenant/runs/${r.id}/predictions\\.csv: the predictions file is not valid CSV`));
    const lines = original.split('\n');
    lines[3] = lines[3]!.replace(/^([^,]*),([^,]*),/, '$1,abc,');
    writeFileSync(csvPath, lines.join('\n'));
    const text = cli(root, ['eval', r.id]);
    assert.equal(text.status, 2);
    assert.match(text.stderr, /predictions\.csv: row 4: the prediction column "y_pred" holds "abc", not a number/);
    writeFileSync(csvPath, original);
    const attr = cli(root, ['fairness', r.id, '--attribute', 'gender']);
    assert.equal(attr.status, 2);
    assert.match(attr.stderr, /predictions\.csv: fairness metrics need a binary classification target/);
    assert.equal(readFileSync(csvPath, 'utf8'), original);
    assert.ok(existsSync(join(root, '.provenant', 'runs', r.id, 'run.json')));
    const shap = cli(root, ['explain', r.id, '--method', 'shapley']);
    assert.equal(shap.status, 2);
    assert.match(shap.stderr, /--method shapley needs --rows/);
    const far = cli(root, ['explain', r.id, '--method', 'shapley', '--rows', '5000']);
    assert.match(far.stderr, /row 5000 is not a row of the predictions \(0…119\)/);
  });
});
