import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { PredictionData } from '../../../src/core/analysis/dataset';
import { fairness, thresholdExplorer, attributesWithIntersections } from '../../../src/core/analysis/fairness';
import { summarizeAt, thresholdGrid } from '../../../src/core/analysis/thresholds';
import { ProvenantError } from '../../../src/core/util/errors';

/** A prediction set built by hand: columns of text, decisions given as y_pred. */
function data(columns: { y: number[]; pred?: number[]; score?: number[]; groups: Record<string, string[]> }): PredictionData {
  const raw = new Map<string, string[]>(Object.entries(columns.groups));
  return {
    runId: 'r',
    set: { name: 'holdout', file: 'predictions.csv', rows: columns.y.length, columns: [], yTrue: 'y_true', yScore: null, yPred: 'y_pred', features: [] },
    file: '.provenant/runs/r/predictions.csv',
    rows: columns.y.length,
    task: 'classification',
    yTrue: Float64Array.from(columns.y),
    yScore: columns.score ? Float64Array.from(columns.score) : null,
    yPred: columns.pred ? Float64Array.from(columns.pred) : null,
    raw,
    features: [],
    featureSource: 'test',
  };
}

// Group a: 4 rows, y = 1 1 0 0, ŷ = 1 0 1 0  → SR 0.5, TPR 0.5, FPR 0.5
// Group b: 6 rows, y = 1 1 1 0 0 0, ŷ = 1 1 1 1 0 0 → SR 4/6, TPR 1, FPR 1/3
const example = () =>
  data({
    y: [1, 1, 0, 0, 1, 1, 1, 0, 0, 0],
    pred: [1, 0, 1, 0, 1, 1, 1, 1, 0, 0],
    groups: { g: ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b', 'b', 'b'], s: ['x', 'y', 'x', 'y', 'x', 'y', 'x', 'y', 'x', 'y'] },
  });

describe('fairness metrics against hand-computed values', () => {
  const r = fairness(example(), 'g', { bootstrap: { resamples: 200, seed: 1 }, minGroupSize: 5 });
  const close = (a: number | null, b: number, what: string) => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

  test('by-group rates and sizes', () => {
    assert.deepEqual(r.groups.map((g) => [g.group, g.n, g.positives]), [['a', 4, 2], ['b', 6, 3]]);
    close(r.groups[0]!.selectionRate, 0.5, 'SR a');
    close(r.groups[1]!.selectionRate, 4 / 6, 'SR b');
    close(r.groups[0]!.tpr, 0.5, 'TPR a');
    close(r.groups[1]!.tpr, 1, 'TPR b');
    close(r.groups[0]!.fpr, 0.5, 'FPR a');
    close(r.groups[1]!.fpr, 1 / 3, 'FPR b');
    close(r.overall.selectionRate, 0.6, 'overall SR');
    close(r.overall.tpr, 0.8, 'overall TPR');
    close(r.overall.fpr, 0.4, 'overall FPR');
  });

  test('Fairlearn: between groups and to_overall', () => {
    close(r.demographicParityDifference, 4 / 6 - 0.5, 'DP difference');
    close(r.demographicParityRatio, 0.5 / (4 / 6), 'DP ratio');
    close(r.equalOpportunityDifference, 0.5, 'EO difference');
    close(r.equalOpportunityRatio, 0.5, 'EO ratio');
    close(r.equalizedOddsDifference, Math.max(0.5, 0.5 - 1 / 3), 'EOdds difference (worst case)');
    close(r.equalizedOddsRatio, Math.min(0.5, (1 / 3) / 0.5), 'EOdds ratio');
    close(r.toOverall.demographicParityDifference, Math.max(Math.abs(0.5 - 0.6), Math.abs(4 / 6 - 0.6)), 'DP to_overall');
    close(r.toOverall.demographicParityRatio, Math.min(0.5 / 0.6, 0.6 / (4 / 6)), 'DP ratio to_overall');
    close(r.toOverall.equalOpportunityDifference, Math.max(0.3, 0.2), 'EO to_overall');
    close(r.toOverall.equalizedOddsDifference, Math.max(0.3, 0.2, 0.1, 0.4 - 1 / 3), 'EOdds to_overall');
  });

  test('AIF360: privileged = most selected group unless given', () => {
    assert.equal(r.privileged, 'b');
    assert.equal(r.unprivileged, 'a');
    close(r.statisticalParityDifference, 0.5 - 4 / 6, 'SPD');
    close(r.disparateImpact, 0.5 / (4 / 6), 'DI');
    close(r.aif360EqualOpportunityDifference, 0.5 - 1, 'EOD');
    close(r.averageOddsDifference, ((0.5 - 1 / 3) + (0.5 - 1)) / 2, 'AOD');
    const flipped = fairness(example(), 'g', { privileged: 'a', bootstrap: { resamples: 0 } });
    close(flipped.disparateImpact, (4 / 6) / 0.5, 'DI with a privileged');
    assert.throws(() => fairness(example(), 'g', { privileged: 'zzz' }), /not a group of g/);
  });

  test('four-fifths rule: ratio 0.75 fails, the small group is named with the interval', () => {
    assert.equal(r.fourFifths.pass, false);
    close(r.fourFifths.ratio, 0.75, 'ratio');
    assert.deepEqual(r.fourFifths.flagged, ['a']);
    assert.deepEqual(r.fourFifths.smallGroups, ['a']);
    assert.ok(r.fourFifths.interval && r.fourFifths.interval[0] <= 0.75 && r.fourFifths.interval[1] >= 0.5, JSON.stringify(r.fourFifths.interval));
    assert.ok(r.warnings.some((w) => /a \(n=4\) is smaller than 5 rows: the four-fifths ratio 0\.750 means little \(its 95% interval is/.test(w)), r.warnings.join('\n'));
    assert.ok(r.warnings.some((w) => /adverse impact/.test(w)));
    const big = fairness(example(), 'g', { bootstrap: { resamples: 0 }, minGroupSize: 4 });
    assert.deepEqual(big.fourFifths.smallGroups, []);
    assert.equal(big.fourFifths.interval, null, 'no resamples, no interval');
  });

  test('intervals are seeded: same seed same interval, another seed another', () => {
    const again = fairness(example(), 'g', { bootstrap: { resamples: 200, seed: 1 }, minGroupSize: 5 });
    assert.deepEqual(again.groups[1]!.selectionRateInterval, r.groups[1]!.selectionRateInterval);
    const other = fairness(example(), 'g', { bootstrap: { resamples: 200, seed: 2 }, minGroupSize: 5 });
    assert.notDeepEqual(other.fourFifths.interval, r.fourFifths.interval);
  });

  test('intersections are groups too', () => {
    assert.deepEqual(attributesWithIntersections(['g', 's'], true), ['g', 's', 'g & s']);
    const x = fairness(example(), 'g & s', { bootstrap: { resamples: 0 } });
    assert.deepEqual(x.groups.map((g) => [g.group, g.n]), [['a & x', 2], ['a & y', 2], ['b & x', 3], ['b & y', 3]]);
    // b & y: rows 5, 7, 9 → ŷ 1, 1, 0
    assert.ok(Math.abs(x.groups[3]!.selectionRate - 2 / 3) < 1e-12);
  });

  test('a missing attribute is a clear error naming the file', () => {
    assert.throws(
      () => fairness(example(), 'gender'),
      (err: unknown) => err instanceof ProvenantError && err.file === '.provenant/runs/r/predictions.csv' && /"gender" is not a column/.test(err.message),
    );
  });
});

describe('threshold explorer', () => {
  const d = data({
    y: [1, 0, 1, 0, 1, 0],
    score: [0.9, 0.4, 0.6, 0.2, 0.3, 0.35],
    groups: { g: ['p', 'p', 'p', 'u', 'u', 'u'] },
  });
  const e = thresholdExplorer(d, 'g');

  test('rates per group along the grid (score ≥ threshold selects)', () => {
    assert.equal(e.thresholds.length, 101);
    assert.equal(e.thresholds[50], 0.5);
    const p = e.groups.find((g) => g.group === 'p')!;
    const u = e.groups.find((g) => g.group === 'u')!;
    assert.equal(p.selectionRate[0], 1);
    assert.equal(p.selectionRate[50], 2 / 3); // 0.9, 0.6
    assert.equal(p.tpr[50], 1);
    assert.equal(p.fpr[50], 0);
    assert.equal(u.selectionRate[30], 2 / 3); // 0.3, 0.35
    assert.equal(u.tpr[30], 1);
    assert.equal(u.fpr[30], 0.5);
    assert.equal(e.overall.selectionRate[100], 0);
  });

  test('one shared threshold vs one per group: the trade-off in numbers', () => {
    const shared = summarizeAt(e, 0.5);
    assert.equal(shared.groups.find((g) => g.group === 'u')!.selectionRate, 0);
    assert.equal(shared.disparateImpact, 0);
    assert.equal(shared.fourFifthsPass, false);
    const perGroup = summarizeAt(e, { p: 0.5, u: 0.3 });
    assert.equal(perGroup.disparateImpact, 1);
    assert.equal(perGroup.fourFifthsPass, true);
    assert.equal(perGroup.equalOpportunityDifference, 0);
    assert.equal(perGroup.equalizedOddsDifference, 0.5);
    assert.deepEqual(thresholdGrid(4), [0, 0.25, 0.5, 0.75, 1]);
  });

  test('without scores the explorer says what to log', () => {
    assert.throws(() => thresholdExplorer(example(), 'g'), /needs scores \(y_score\)/);
  });
});

describe('the four-fifths threshold and unusable attributes', () => {
  // Group a selects 3 of 4 (0.75), group b 4 of 4 (1.0): ratio 0.75.
  const rates = () => data({ y: [1, 1, 1, 0, 1, 1, 1, 1], pred: [1, 1, 1, 0, 1, 1, 1, 1], groups: { g: ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b'] } });

  test('the configured threshold decides pass, flagged groups and the explorer alike', () => {
    const loose = fairness(rates(), 'g', { bootstrap: { resamples: 0 }, fourFifths: 0.7 });
    assert.equal(loose.fourFifths.pass, true);
    assert.deepEqual(loose.fourFifths.flagged, []);
    assert.equal(loose.fourFifths.threshold, 0.7);
    const strict = fairness(rates(), 'g', { bootstrap: { resamples: 0 }, fourFifths: 0.9 });
    assert.equal(strict.fourFifths.pass, false);
    assert.deepEqual(strict.fourFifths.flagged, ['a'], 'a is below 0.9 of the highest rate though above 0.8 of it');
    assert.match(strict.warnings.join('\n'), /below 0\.9 \(checks\.four_fifths\) of b's/);
    const byDefault = fairness(rates(), 'g', { bootstrap: { resamples: 0 } });
    assert.equal(byDefault.fourFifths.threshold, 0.8);
    assert.equal(byDefault.fourFifths.pass, false);
    const scored = data({ y: [1, 1, 1, 0, 1, 1, 1, 1], score: [0.9, 0.9, 0.9, 0.1, 0.9, 0.9, 0.9, 0.9], groups: { g: ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b'] } });
    const explorer = thresholdExplorer(scored, 'g');
    assert.equal(summarizeAt(explorer, 0.5, 0.5, 0.7).fourFifthsPass, true);
    assert.equal(summarizeAt(explorer, 0.5, 0.5, 0.9).fourFifthsPass, false);
  });

  /** 300 rows whose "income" has 300 distinct values; decisions depend on it. */
  const continuous = () => {
    const income = Array.from({ length: 300 }, (_, i) => String(20000 + i * 137.5));
    const pred = income.map((_, i) => (i % 3 === 0 ? 1 : 0));
    return data({ y: pred.map((p, i) => (i % 5 === 0 ? 1 - p : p)), pred, groups: { income, gender: income.map((_, i) => (i % 2 ? 'f' : 'm')) } });
  };

  test('a continuous attribute is refused with advice to bin it, naming the column and the counts', () => {
    assert.throws(
      () => fairness(continuous(), 'income', { bootstrap: { resamples: 0 } }),
      (err: unknown) => {
        assert.ok(err instanceof ProvenantError);
        assert.equal(err.code, 'E_ATTRIBUTE');
        assert.match(err.message, /"income" has 300 distinct values in 300 rows \(300 groups smaller than 30 rows, median group size 1\)/);
        assert.match(err.hint ?? '', /--bins 4/);
        return true;
      },
    );
    assert.throws(() => fairness(continuous(), 'gender & income', { bootstrap: { resamples: 0 } }), /"income" has 300 distinct values/, 'an intersection names the attribute to bin');
  });

  test('--bins cuts it into quantile bins labelled by interval', () => {
    const r = fairness(continuous(), 'income', { bootstrap: { resamples: 0 }, bins: 4 });
    assert.deepEqual(r.groups.map((g) => g.group), ['[20000, 30278.1)', '[30278.1, 40556.3)', '[40556.3, 50834.4)', '[50834.4, 61112.5]']);
    assert.deepEqual(r.groups.map((g) => g.n), [75, 75, 75, 75]);
    const both = fairness(continuous(), 'income & gender', { bootstrap: { resamples: 0 }, bins: 2 });
    assert.equal(both.groups.length, 4, 'two bins times two genders');
    assert.ok(both.groups.every((g) => / & [fm]$/.test(g.group)));
    // A column with few values is left as it is.
    assert.deepEqual(fairness(rates(), 'g', { bootstrap: { resamples: 0 }, bins: 4 }).groups.map((g) => g.group), ['a', 'b']);
  });
});
