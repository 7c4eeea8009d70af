import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, loadConfig, DEFAULT_CONFIG } from '../../../src/core/config/config';
import { tempDir } from '../../helpers/git';

test('a missing config file gives the defaults', () => {
  assert.deepEqual(loadConfig(tempDir()), DEFAULT_CONFIG);
});

test('an empty file gives the defaults', () => {
  assert.deepEqual(parseConfig(''), DEFAULT_CONFIG);
  assert.deepEqual(parseConfig('# only a comment\n'), DEFAULT_CONFIG);
});

test('every setting is read, with snake_case names mapped', () => {
  const config = parseConfig(
    [
      'train: python train.py --fast',
      'python: .venv/bin/python',
      'data: [data/train.csv, data/images]',
      'eval_data: [data/test.csv]',
      'params: conf/params.yaml',
      'target: label',
      'positive_label: 1',
      'sensitive_attributes: [group, age_band]',
      'predictor: [python, -m, provenant, serve, model.pkl]',
      'key_metric: roc_auc',
      'experiment_prefix: lab/',
      'checks:',
      '  min_group_size: 30',
      '  perfect_score: 0.999',
    ].join('\n'),
  );
  assert.deepEqual(config, {
    train: 'python train.py --fast',
    python: '.venv/bin/python',
    data: ['data/train.csv', 'data/images'],
    evalData: ['data/test.csv'],
    paramsFile: 'conf/params.yaml',
    target: 'label',
    positiveLabel: 1,
    sensitiveAttributes: ['group', 'age_band'],
    predictor: ['python', '-m', 'provenant', 'serve', 'model.pkl'],
    keyMetric: 'roc_auc',
    experimentPrefix: 'lab/',
    checks: { min_group_size: 30, perfect_score: 0.999 },
  });
});

const errorCases: [string, string, RegExp][] = [
  ['invalid YAML', 'train: python train.py\ndata: a: b\nkey_metric: auc\n', /line 2: invalid YAML: Nested mappings/],
  ['an unknown key', 'train: x\ntrian: y\n', /line 2: unknown setting "trian"/],
  ['a list where a string is expected', 'python:\n  - a\n', /line 1: "python" must be a non-empty string/],
  ['a string where a list is expected', 'data: data.csv\n', /line 1: "data" must be a list of strings/],
  ['a list holding a number', 'data:\n  - a.csv\n  - 3\n', /line 1: "data" must be a list of strings/],
  ['an empty command list', 'train: []\n', /line 1: "train" must not be empty/],
  ['a top level that is not a mapping', '- train\n', /line 1: the file must be a mapping/],
  ['checks holding a list', 'checks:\n  x: [1]\n', /line 2: each entry of "checks"/],
];
for (const [what, text, expected] of errorCases) {
  test(`${what} is an error naming the file and the line`, () => {
    assert.throws(() => parseConfig(text), (err: Error & { file?: string }) => {
      assert.match(err.message, expected);
      assert.equal(err.file, '.provenant/config.yaml');
      return true;
    });
  });
}

// Thresholds under checks: a value out of range, of another type or under a misspelled name would
// silently turn a governance check off; each is refused with the line.
const thresholdCases: [string, string, RegExp][] = [
  ['a negative four-fifths ratio', 'key_metric: auc\nchecks:\n  min_group_size: 30\n  four_fifths: -5\n', /line 4: "checks\.four_fifths" must be a number in \(0, 1\].*not -5/],
  ['a zero four-fifths ratio', 'checks:\n  four_fifths: 0\n', /line 2: "checks\.four_fifths" must be a number in \(0, 1\]/],
  ['a four-fifths ratio above 1', 'checks: { four_fifths: 1.5 }\n', /line 1: "checks\.four_fifths" must be a number in \(0, 1\]/],
  ['a misspelled threshold', 'train: x\nchecks:\n  four_fifth: 0.8\n', /line 3: unknown threshold "four_fifth" under "checks" \(known: perfect_score, .*four_fifths/],
  ['a quoted number', 'checks:\n  perfect_score: "0.99"\n', /line 2: "checks\.perfect_score" must be a number in \[0, 1\].*not the string "0\.99"/],
  ['a boolean', 'checks:\n  max_group_gap: true\n', /line 2: "checks\.max_group_gap" must be a number in \[0, 1\].*not true/],
  ['an empty value', 'checks:\n  imbalance_share:\n', /line 2: "checks\.imbalance_share" must be a number in \[0, 1\].*not empty/],
  ['not a number', 'checks:\n  perfect_score: .nan\n', /line 2: "checks\.perfect_score" must be/],
  ['an infinite tolerance', 'checks:\n  reproduce_abs_tolerance: .inf\n', /line 2: "checks\.reproduce_abs_tolerance" must be a number ≥ 0/],
  ['a negative tolerance', 'checks:\n  reproduce_rel_tolerance: -1e-6\n', /line 2: "checks\.reproduce_rel_tolerance" must be a number ≥ 0/],
  ['a fractional count', 'checks:\n  min_group_size: 2.5\n', /line 2: "checks\.min_group_size" must be a whole number ≥ 0/],
  ['a negative count', 'checks:\n  max_overlap_rows: -1\n', /line 2: "checks\.max_overlap_rows" must be a whole number ≥ 0/],
  ['a mapping as a value', 'checks:\n  four_fifths:\n    value: 0.8\n', /line 2: each entry of "checks" must be a threshold name with a number/],
  ['checks as a list', 'checks:\n  - four_fifths\n', /line 1: "checks" must be a mapping of threshold names to numbers/],
];
for (const [what, text, expected] of thresholdCases) {
  test(`checks: ${what} is an error naming the file and the line`, () => {
    assert.throws(() => parseConfig(text), (err: Error & { file?: string; code?: string }) => {
      assert.match(err.message, expected);
      assert.equal(err.file, '.provenant/config.yaml');
      assert.equal(err.code, 'E_CONFIG');
      return true;
    });
  });
}

test('checks: every threshold at the edges of its range is accepted', () => {
  const config = parseConfig(
    'checks:\n  perfect_score: 0\n  imbalance_share: 1\n  four_fifths: 1\n  min_group_size: 0\n  max_group_gap: 0\n  max_overlap_rows: 12\n  reproduce_abs_tolerance: 0\n  reproduce_rel_tolerance: 0.5\n',
  );
  assert.deepEqual(config.checks, { perfect_score: 0, imbalance_share: 1, four_fifths: 1, min_group_size: 0, max_group_gap: 0, max_overlap_rows: 12, reproduce_abs_tolerance: 0, reproduce_rel_tolerance: 0.5 });
  assert.equal(parseConfig('checks:\n  four_fifths: 0.001\n').checks.four_fifths, 0.001);
});
