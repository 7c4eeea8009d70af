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
