// Multiclass metrics against scikit-learn computed in the same test (real Python, no stored
// numbers), and the rule that decides whether a target is binary, multiclass or regression.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as m from '../../../src/core/analysis/metrics';
import { Random } from '../../../src/core/analysis/random';
import { targetTask } from '../../../src/core/analysis/dataset';
import { DEFAULT_CONFIG } from '../../../src/core/config/config';
import type { PredictionSet } from '../../../src/core/runs/types';
import { requirePython } from '../../helpers/python';

/** Labels and probabilities of a noisy 3-class model (class 2 rarer), seeded. */
function sample(n: number, k: number, seed: number): { y: Float64Array; p: Float64Array; d: Float64Array } {
  const rng = new Random(seed);
  const y = Float64Array.from({ length: n }, () => (rng.next() < 0.2 ? 2 : rng.int(k - 1)));
  const p = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let c = 0; c < k; c++) {
      const v = rng.next() + (c === y[i] ? 0.8 : 0);
      p[i * k + c] = v;
      total += v;
    }
    for (let c = 0; c < k; c++) p[i * k + c]! /= total;
  }
  return { y, p, d: m.argmax(p, k) };
}

function sklearn(y: Float64Array, d: Float64Array, p: Float64Array, k: number): Record<string, number | number[][]> {
  const script = `
import json, sys, numpy as np
from sklearn import metrics as M
data = json.load(sys.stdin)
y, d, k = np.array(data["y"], dtype=int), np.array(data["d"], dtype=int), data["k"]
p = np.array(data["p"]).reshape(-1, k)
out = {"accuracy": M.accuracy_score(y, d), "roc_auc_ovr": M.roc_auc_score(y, p, multi_class="ovr"), "log_loss": M.log_loss(y, p, labels=list(range(k))),
       "confusion": M.confusion_matrix(y, d, labels=list(range(k))).tolist()}
for avg in ("macro", "weighted"):
    out["precision_" + avg] = M.precision_score(y, d, average=avg, zero_division=0)
    out["recall_" + avg] = M.recall_score(y, d, average=avg, zero_division=0)
    out["f1_" + avg] = M.f1_score(y, d, average=avg, zero_division=0)
print(json.dumps(out))
`;
  const result = spawnSync(requirePython(), ['-c', script], { input: JSON.stringify({ y: [...y], d: [...d], p: [...p], k }), encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, number | number[][]>;
}

test('accuracy, macro/weighted precision, recall, F1, one-vs-rest ROC AUC, log loss and the confusion matrix equal scikit-learn', () => {
  const k = 3;
  for (const seed of [1, 2, 3]) {
    const { y, p, d } = sample(257, k, seed);
    // A class never predicted (zero_division) in one of the cases.
    if (seed === 3) for (let i = 0; i < d.length; i++) if (d[i] === 2) d[i] = 0;
    const ref = sklearn(y, d, p, k);
    const all = m.allRows(y.length);
    const scores = m.classScores(y, d, k, all);
    const ours: Record<string, number> = {
      accuracy: m.multiclassAccuracy(y, d, all),
      roc_auc_ovr: m.rocAucOvr(y, p, k, all),
      log_loss: m.multiclassLogLoss(y, p, k, all),
      precision_macro: m.averaged(scores, 'precision', 'macro'),
      recall_macro: m.averaged(scores, 'recall', 'macro'),
      f1_macro: m.averaged(scores, 'f1', 'macro'),
      precision_weighted: m.averaged(scores, 'precision', 'weighted'),
      recall_weighted: m.averaged(scores, 'recall', 'weighted'),
      f1_weighted: m.averaged(scores, 'f1', 'weighted'),
    };
    for (const [name, value] of Object.entries(ours)) assert.ok(Math.abs(value - (ref[name] as number)) < 1e-12, `seed ${seed} ${name}: ${value} vs scikit-learn ${ref[name]}`);
    assert.deepEqual(m.confusionMatrix(y, d, k, all), ref.confusion);
  }
});

test('task: binary for two values or a positive label, multiclass for few whole-number or text labels, regression otherwise', () => {
  const set = (extra: Partial<PredictionSet> = {}): PredictionSet => ({ name: 'holdout', file: 'predictions.csv', rows: 0, columns: [], yTrue: 'y_true', yScore: null, yPred: 'y_pred', features: [], ...extra });
  const raw = (pred: string[]) => new Map([['y_pred', pred]]);
  const labels = ['0', '1', '2', '2', '1', '0'];
  assert.equal(targetTask(set(), labels, raw(labels), DEFAULT_CONFIG), 'multiclass');
  assert.equal(targetTask(set(), ['setosa', 'versicolor', 'virginica'], raw(['setosa', 'setosa', 'virginica']), DEFAULT_CONFIG), 'multiclass');
  assert.equal(targetTask(set(), ['0', '1', '1'], raw(['0', '1', '0']), DEFAULT_CONFIG), 'classification');
  assert.equal(targetTask(set(), labels, raw(labels), { ...DEFAULT_CONFIG, positiveLabel: 2 }), 'classification', 'positive_label: that class against the rest');
  assert.equal(targetTask(set(), labels, raw(['0.2', '1.1', '1.9', '2.2', '0.8', '0.1']), DEFAULT_CONFIG), 'regression', 'fractional predictions of a whole-number target');
  assert.equal(targetTask(set(), ['1.5', '2.25', '3'], raw(['1', '2', '3']), DEFAULT_CONFIG), 'regression');
  const many = Array.from({ length: 40 }, (_, i) => String(i));
  assert.equal(targetTask(set(), many, raw(many), DEFAULT_CONFIG), 'regression', 'more whole numbers than MAX_CLASSES');
  assert.equal(targetTask(set({ yPred: null, yProba: { classes: ['0', '1', '2'], columns: ['proba_0', 'proba_1', 'proba_2'] } }), labels, raw([]), DEFAULT_CONFIG), 'multiclass');
});
