import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as m from '../../../src/core/analysis/metrics';
import { Random } from '../../../src/core/analysis/random';
import { dependenceGrid, featureMatrix, mquantile, permutationImportance, shapley, type Model } from '../../../src/core/analysis/explain';
import type { RowBatch } from '../../../src/core/analysis/predictor';

const y = Float64Array.from([0, 0, 1, 1]);
const s = Float64Array.from([0.1, 0.4, 0.35, 0.8]);
const all = m.allRows(4);
const QLOW = 9.46295635;
const QHIGH = 933.86110593;

test('ROC AUC, average precision, log loss and Brier on scikit-learn documentation examples', () => {
  assert.equal(m.rocAuc(y, s, all), 0.75); // roc_auc_score docs
  assert.ok(Math.abs(m.averagePrecision(y, s, all) - 0.8333333333333333) < 1e-12); // average_precision_score docs
  // ties: one positive and one negative share a score → half credit
  assert.equal(m.rocAuc(Float64Array.from([0, 1]), Float64Array.from([0.5, 0.5]), m.allRows(2)), 0.5);
  assert.ok(Number.isNaN(m.rocAuc(Float64Array.from([1, 1]), s, m.allRows(2))));
  const ll = -(Math.log(0.9) + Math.log(0.6) + Math.log(0.35) + Math.log(0.8)) / 4;
  assert.ok(Math.abs(m.logLoss(y, s, all) - ll) < 1e-12);
  assert.ok(Math.abs(m.brier(y, s, all) - (0.01 + 0.16 + 0.4225 + 0.04) / 4) < 1e-12);
  const d = m.decide(s, 0.5);
  assert.deepEqual([...d], [0, 0, 0, 1]);
  assert.equal(m.accuracy(y, d, all), 0.75);
  assert.equal(m.precision(y, d, all), 1);
  assert.equal(m.recall(y, d, all), 0.5);
  assert.ok(Math.abs(m.f1(y, d, all) - 2 / 3) < 1e-12);
  assert.equal(m.r2(Float64Array.from([1, 2, 3]), Float64Array.from([1, 2, 3]), m.allRows(3)), 1);
});

test('bootstrap intervals are seeded and contain the estimate for a stable metric', () => {
  const rng = new Random(3);
  const yy = Float64Array.from({ length: 500 }, () => (rng.next() < 0.4 ? 1 : 0));
  const ss = Float64Array.from(yy, (v) => v * 0.3 + rng.next() * 0.7);
  const fn = (idx: m.Rows) => m.rocAuc(yy, ss, idx);
  const a = m.estimate(fn, m.allRows(500), { resamples: 300, seed: 9, level: 0.95 });
  const b = m.estimate(fn, m.allRows(500), { resamples: 300, seed: 9, level: 0.95 });
  assert.deepEqual(a, b);
  assert.ok(a.low! < a.value && a.value < a.high!, JSON.stringify(a));
  assert.ok(a.high! - a.low! < 0.15);
});

test('mquantiles and the grid of scikit-learn', () => {
  const sorted = Float64Array.from({ length: 101 }, (_, i) => i ** 1.5);
  // scipy.stats.mstats.mquantiles(np.arange(101.)**1.5, [0.05, 0.95])
  assert.ok(Math.abs(mquantile(sorted, 0.05) - QLOW) < 1e-7, String(mquantile(sorted, 0.05)));
  assert.ok(Math.abs(mquantile(sorted, 0.95) - QHIGH) < 1e-7, String(mquantile(sorted, 0.95)));
  assert.deepEqual([mquantile(Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 0.05), mquantile(Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 0.95)], [0, 10]);
  assert.deepEqual(dependenceGrid(Float64Array.from([3, 1, 2, 3]), 'numeric', { gridResolution: 100, percentiles: [0.05, 0.95] }), [1, 2, 3]);
  const grid = dependenceGrid(sorted, 'numeric', { gridResolution: 5, percentiles: [0.05, 0.95] });
  assert.equal(grid.length, 5);
  assert.ok(Math.abs(grid[0]! - QLOW) < 1e-7 && grid[4] === mquantile(sorted, 0.95));
});

/** A model in process: f(x) = w·x + c, with a call counter. */
function linear(w: number[], c: number): Model & { rows: number } {
  const model = {
    rows: 0,
    async predict(batch: RowBatch): Promise<Float64Array> {
      const n = batch.values.length / batch.columns;
      model.rows += n;
      const out = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        let v = c;
        for (let j = 0; j < batch.columns; j++) v += w[j]! * batch.values[r * batch.columns + j]!;
        out[r] = v;
      }
      return out;
    },
  };
  return model;
}

function randomFeatures(n: number, m: number, seed: number) {
  const rng = new Random(seed);
  return Array.from({ length: m }, (_, j) => ({ name: `f${j}`, kind: 'numeric' as const, categories: null, values: Float64Array.from({ length: n }, () => rng.next() * 10) }));
}

for (const [algorithm, M] of [['exact', 5], ['permutation', 13]] as const) {
  test(`Shapley (${algorithm}, ${M} features) of a linear model equal w_j (x_j − mean_b b_j); efficiency holds`, async () => {
    const w = Array.from({ length: M }, (_, j) => (j % 3) - 1 + j * 0.25);
    const x = featureMatrix(randomFeatures(60, M, 5));
    const model = linear(w, 2);
    const run = await shapley(x, [0, 7], { algorithm: 'auto', backgroundSize: 20, maxEvals: 200, seed: 4, exactMaxFeatures: 10 }, { model });
    assert.equal(run.algorithm, algorithm);
    for (const e of run.result) {
      for (let j = 0; j < M; j++) {
        const meanB = m.mean(run.background.map((b) => x.values[b * M + j]!));
        const expected = w[j]! * (x.values[e.row * M + j]! - meanB);
        assert.ok(Math.abs(e.values[`f${j}`]! - expected) < 1e-9, `φ_${j}: ${e.values[`f${j}`]} vs ${expected}`);
      }
      const sum = Object.values(e.values).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - (e.prediction - e.baseValue)) < 1e-9, 'efficiency');
    }
    assert.equal(model.rows, 2 * run.coalitionsPerRow * 20, 'model evaluations = rows × coalitions × background');
  });
}

test('Shapley symmetry and dummy on a nonlinear model', async () => {
  // f = x0 * x1 (symmetric in x0, x1), x2 unused (dummy).
  const model: Model = {
    async predict(batch) {
      const n = batch.values.length / 3;
      return Float64Array.from({ length: n }, (_, r) => batch.values[r * 3]! * batch.values[r * 3 + 1]!);
    },
  };
  const features = [
    { name: 'a', kind: 'numeric' as const, categories: null, values: Float64Array.from([1, 2, 3, 2]) },
    { name: 'b', kind: 'numeric' as const, categories: null, values: Float64Array.from([1, 2, 3, 2]) },
    { name: 'c', kind: 'numeric' as const, categories: null, values: Float64Array.from([5, 1, 9, 0]) },
  ];
  const run = await shapley(featureMatrix(features), [2], { algorithm: 'exact', backgroundSize: 4, maxEvals: 100, seed: 0, exactMaxFeatures: 10 }, { model });
  const e = run.result[0]!;
  assert.ok(Math.abs(e.values.a! - e.values.b!) < 1e-12, 'symmetry');
  assert.equal(e.values.c, 0, 'dummy');
  assert.ok(Math.abs(e.values.a! + e.values.b! - (9 - 4.5)) < 1e-12, 'efficiency: f(x)=9, mean f(b)=(1+4+9+4)/4');
  assert.equal(e.baseValue, 4.5);
});

test('permutation importance: a feature the model ignores scores exactly 0; repeats are seeded', async () => {
  const features = randomFeatures(200, 3, 8);
  const x = featureMatrix(features);
  const yy = Float64Array.from({ length: 200 }, (_, i) => (features[0]!.values[i]! + features[1]!.values[i]! * 0.2 > 6 ? 1 : 0));
  const model = linear([1, 0.2, 0], -6);
  const settings = { repeats: 4, seed: 1, scoring: 'roc_auc' as const, threshold: 0.5 };
  const a = await permutationImportance(x, yy, settings, { model });
  const b = await permutationImportance(x, yy, settings, { model });
  assert.deepEqual(a, b);
  assert.equal(a.result[2]!.importance, 0);
  assert.equal(a.result[2]!.std, 0);
  assert.ok(a.result[0]!.importance > a.result[1]!.importance && a.result[1]!.importance > 0);
  assert.equal(a.result[0]!.repeats.length, 4);
  assert.ok(Math.abs(a.result[0]!.std - m.std(a.result[0]!.repeats)) < 1e-15);
});
