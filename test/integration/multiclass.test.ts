// A 3-class classifier (scikit-learn LogisticRegression on iris-like generated data) saved with
// joblib.dump, evaluated and explained through the real predictor process: metrics equal
// scikit-learn's on the logged predictions, permutation importance scores every class's
// probability, Shapley values explain one class's probability, fairness asks for positive_label,
// and a damaged joblib file is named as such.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeRepo } from '../helpers/git';
import { cli } from '../helpers/cli';
import { requirePython } from '../helpers/python';
import type { RunRecord } from '../../src/core/runs/types';
import { comparisonExtras } from '../../src/core/runs/compareEvaluation';
import { loadConfig } from '../../src/core/config/config';
import { isComparisonExtras } from '../../src/shared/messages';
import { gatherReport } from '../../src/core/packet/report';
import { reportHtml } from '../../src/core/packet/reportView';
import type { EvaluationResult, PermutationImportance, ShapleyExplanation } from '../../src/core/analysis/types';

const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'noise'];

function python<T>(script: string, cwd: string): T {
  const result = spawnSync(requirePython(), ['-c', script], { cwd, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as T;
}

function workspace(config = '', labels = '[0, 1, 2]'): string {
  return makeRepo({
    'train.py': `import joblib, numpy as np, provenant
from sklearn.linear_model import LogisticRegression
rng = np.random.RandomState(0)
centers = np.array([[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]])
y = np.repeat(${labels}, 100)
X = np.hstack([centers[np.repeat([0, 1, 2], 100)] + rng.normal(scale=[0.4, 0.35, 0.5, 0.25], size=(300, 4)), rng.normal(size=(300, 1))])
order = rng.permutation(300)
X, y = X[order], y[order]
site = np.where(np.arange(300) % 2 == 0, "north", "south")
model = LogisticRegression(max_iter=1000).fit(X[:180], y[:180])
names = ${JSON.stringify(FEATURES)}
provenant.log_params({"features": ",".join(names)})
features = {n: X[180:, j] for j, n in enumerate(names)}
features["site"] = site[180:]
provenant.log_predictions(y[180:], y_pred=model.predict(X[180:]), y_proba=model.predict_proba(X[180:]), classes=model.classes_, features=features)
joblib.dump(model, "model.joblib", compress=3)
provenant.log_artifact("model.joblib")
`,
    '.provenant/config.yaml': `train: python3 train.py\npython: ${requirePython()}\nsensitive_attributes: [site]\n${config}`,
    '.gitignore': 'model.joblib\n',
  });
}

function train(root: string): RunRecord {
  const result = cli(root, ['run', '--quiet']);
  assert.equal(result.status, 0, result.stderr);
  return (JSON.parse(cli(root, ['runs', 'list', '--json']).stdout) as RunRecord[])[0]!;
}

function json<T>(root: string, args: string[]): T {
  const result = cli(root, [...args, '--json']);
  assert.equal(result.status, 0, `provenant ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

const LOAD = (runId: string) => `
import csv, json, joblib, numpy as np
from sklearn import metrics as M
run = ".provenant/runs/${runId}"
model = joblib.load(run + "/artifacts/model.joblib")
rows = list(csv.DictReader(open(run + "/predictions.csv")))
X = np.array([[float(r[f]) for f in ${JSON.stringify(FEATURES)}] for r in rows])
y = np.array([int(r["y_true"]) for r in rows])
`;

describe('a 3-class classifier saved with joblib', () => {
  let root: string;
  let r: RunRecord;
  before(() => {
    root = workspace();
    r = train(root);
  });

  test('is evaluated as multiclass; every metric and the confusion matrix equal scikit-learn on the logged predictions', () => {
    const ev = json<EvaluationResult>(root, ['eval', r.id, '--resamples', '50']);
    assert.equal(ev.task, 'multiclass');
    assert.deepEqual(ev.classes, ['0', '1', '2']);
    const ref = python<Record<string, number | number[][]>>(`${LOAD(r.id)}
d = np.array([int(r["y_pred"]) for r in rows])
p = np.array([[float(r["proba_%d" % c]) for c in range(3)] for r in rows])
out = {"accuracy": M.accuracy_score(y, d), "roc_auc_ovr": M.roc_auc_score(y, p, multi_class="ovr"), "log_loss": M.log_loss(y, p), "confusion": M.confusion_matrix(y, d).tolist()}
for avg in ("macro", "weighted"):
    out["precision_" + avg] = M.precision_score(y, d, average=avg); out["recall_" + avg] = M.recall_score(y, d, average=avg); out["f1_" + avg] = M.f1_score(y, d, average=avg)
print(json.dumps(out))`, root);
    for (const name of ['accuracy', 'precision_macro', 'recall_macro', 'f1_macro', 'precision_weighted', 'recall_weighted', 'f1_weighted', 'roc_auc_ovr', 'log_loss']) {
      assert.ok(ev.metrics[name], `${name} reported`);
      assert.ok(Math.abs(ev.metrics[name]!.value - (ref[name] as number)) < 1e-12, `${name}: ${ev.metrics[name]!.value} vs ${ref[name]}`);
      assert.ok(ev.metrics[name]!.low !== null && ev.metrics[name]!.high !== null, `${name} has an interval`);
    }
    assert.deepEqual(ev.confusionMatrix, ref.confusion);
    assert.equal(ev.metrics.r2, undefined, 'not evaluated as regression');
    const text = cli(root, ['eval', r.id, '--resamples', '0']);
    assert.match(text.stdout, /Confusion matrix \(rows: true class, columns: predicted class\)/);
    assert.match(text.stdout, /f1_macro/);
  });

  test('permutation importance scores the log loss of every class probability through the predictor process', () => {
    const out = cli(root, ['explain', r.id, '--method', 'permutation', '--repeats', '3', '--json']);
    assert.equal(out.status, 0, out.stderr);
    const importances = JSON.parse(out.stdout) as PermutationImportance[];
    const stored = JSON.parse(readFileSync(join(root, /(\.provenant\/runs\/\S+\/analysis\/permutation-[0-9a-f]+\.json)/.exec(cli(root, ['explain', r.id, '--method', 'permutation', '--repeats', '3']).stdout)![1]!), 'utf8')) as { settings: { scoring: string; baselineScore: number } };
    assert.equal(stored.settings.scoring, 'neg_log_loss');
    const ref = python<{ baseline: number }>(`${LOAD(r.id)}
print(json.dumps({"baseline": -M.log_loss(y, model.predict_proba(X))}))`, root);
    assert.ok(Math.abs(stored.settings.baselineScore - ref.baseline) < 1e-9, `baseline ${stored.settings.baselineScore} vs scikit-learn ${ref.baseline}`);
    const by = Object.fromEntries(importances.map((i) => [i.feature, i.importance]));
    assert.ok(by.petal_length! > 0.1, `petal_length matters: ${by.petal_length}`);
    assert.ok(Math.abs(by.noise!) < by.petal_length! / 10, `noise matters little: ${by.noise}`);
    const accuracy = json<PermutationImportance[]>(root, ['explain', r.id, '--method', 'permutation', '--repeats', '3', '--scoring', 'accuracy']);
    assert.equal(accuracy.length, FEATURES.length);
    const bad = cli(root, ['explain', r.id, '--method', 'permutation', '--scoring', 'roc_auc']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /scoring "roc_auc" does not apply to a target with 3 classes: use accuracy or neg_log_loss/);
  });

  test("Shapley values explain one class's probability; they add up to it", () => {
    const explained = json<ShapleyExplanation[]>(root, ['explain', r.id, '--method', 'shapley', '--rows', '3', '--class', '1', '--background', '30']);
    const ref = python<{ p: number }>(`${LOAD(r.id)}
print(json.dumps({"p": float(model.predict_proba(X[3:4])[0, 1])}))`, root);
    const e = explained[0]!;
    assert.ok(Math.abs(e.prediction - ref.p) < 1e-12, `prediction ${e.prediction} is P(class 1) = ${ref.p}`);
    assert.ok(Math.abs(Object.values(e.values).reduce((a, b) => a + b, 0) - (e.prediction - e.baseValue)) < 1e-9, 'efficiency');
    const unknown = cli(root, ['explain', r.id, '--method', 'pdp', '--class', '7']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /"7" is not a class of the target \(classes: 0, 1, 2\)/);
  });

  test('fairness refuses a multiclass target and names positive_label; with it set, class 2 against the rest', () => {
    const refused = cli(root, ['fairness', r.id]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /the target "y_true" has 3 classes \(0, 1, 2\): which one is the favourable decision\?/);
    assert.match(refused.stderr, /positive_label/);
    const config = join(root, '.provenant', 'config.yaml');
    const original = readFileSync(config, 'utf8');
    writeFileSync(config, `${original}positive_label: 2\n`);
    try {
      const ev = json<EvaluationResult>(root, ['eval', r.id, '--resamples', '0']);
      assert.equal(ev.task, 'classification');
      const fair = cli(root, ['fairness', r.id, '--resamples', '0']);
      assert.equal(fair.status, 0, fair.stderr);
      assert.match(fair.stdout, /Fairness by site/);
    } finally {
      writeFileSync(config, original);
    }
  });

  test('a damaged joblib file: the error names its format', () => {
    const stored = join(root, '.provenant', 'runs', r.id, 'artifacts', 'model.joblib');
    const original = readFileSync(stored);
    writeFileSync(stored, original.subarray(0, 200));
    try {
      const out = cli(root, ['explain', r.id, '--method', 'permutation', '--no-cache']);
      assert.equal(out.status, 2);
      assert.match(out.stderr, /model\.joblib is a joblib \(zlib-compressed\) file but could not be loaded/);
    } finally {
      writeFileSync(stored, original);
    }
  });
});

describe('text class labels', () => {
  test('are classes matched by label between the predictions and the model; the compare panel and the audit report show the evaluation', async () => {
    const root = workspace('', '["setosa", "versicolor", "virginica"]');
    const r = train(root);
    const ev = json<EvaluationResult>(root, ['eval', r.id, '--resamples', '0']);
    assert.equal(ev.task, 'multiclass');
    assert.deepEqual(ev.classes, ['setosa', 'versicolor', 'virginica']);
    const ref = python<{ accuracy: number; baseline: number }>(`
import csv, json, joblib, numpy as np
from sklearn import metrics as M
run = ".provenant/runs/${r.id}"
model = joblib.load(run + "/artifacts/model.joblib")
rows = list(csv.DictReader(open(run + "/predictions.csv")))
X = np.array([[float(r[f]) for f in ${JSON.stringify(FEATURES)}] for r in rows])
y = [r["y_true"] for r in rows]
print(json.dumps({"accuracy": M.accuracy_score(y, [r["y_pred"] for r in rows]), "baseline": -M.log_loss(y, model.predict_proba(X), labels=model.classes_)}))`, root);
    assert.ok(Math.abs(ev.metrics.accuracy!.value - ref.accuracy) < 1e-12);
    const out = cli(root, ['explain', r.id, '--method', 'permutation', '--repeats', '2']);
    assert.equal(out.status, 0, out.stderr);
    const baseline = Number(/baseline (-?[0-9.]+)/.exec(out.stdout)![1]);
    assert.ok(Math.abs(baseline - ref.baseline) < 1e-3, `baseline ${baseline} vs ${ref.baseline}`);
    const extras = comparisonExtras(root, [r], loadConfig(root), { bootstrap: { resamples: 20 } });
    assert.equal(extras.evaluations[0]!.task, 'multiclass');
    assert.ok(isComparisonExtras(extras), 'the compare panel message guard accepts a multiclass run');
    const html = reportHtml(await gatherReport(root, r.id));
    assert.match(html, /Confusion matrix \(rows: true class, columns: predicted class\)/);
    for (const c of ['setosa', 'versicolor', 'virginica']) assert.match(html, new RegExp(`Actual ${c}`));
    assert.match(html, /f1_macro/);
  });
});
