import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flattenParams, flattenMetrics } from '../../../src/core/runs/flatten';
import { resolveSeeds, determinismEnv } from '../../../src/core/runner/seeds';
import { resolveCommand } from '../../../src/core/runner/command';
import { newRunId, isRunId } from '../../../src/core/runs/ids';
import { recordedVariables } from '../../../src/core/env/system';
import { tempDir } from '../../helpers/git';

test('params flatten with dots; lists become JSON text; non-finite numbers become text', () => {
  assert.deepEqual(flattenParams({ a: 1, m: { c: 0.5, deep: { k: 'v' } }, l: [1, 2], n: null, b: true, inf: Infinity }), {
    a: 1,
    'm.c': 0.5,
    'm.deep.k': 'v',
    l: '[1,2]',
    n: null,
    b: true,
    inf: 'Infinity',
  });
});

test('metrics keep finite numbers only', () => {
  assert.deepEqual(flattenMetrics({ auc: 0.9, loss: { train: 0.1, note: 'x' }, flag: true, bad: NaN, list: [1] }), { auc: 0.9, 'loss.train': 0.1 });
});

test('the seed comes from the flag, then params.yaml, then is generated', () => {
  const root = tempDir();
  writeFileSync(join(root, 'params.yaml'), 'seed: 1234\nother: 1\n');
  assert.deepEqual(resolveSeeds(root, 'params.yaml', '7'), { root: 7, source: 'flag', env: determinismEnv(7), seeded: [] });
  assert.equal(resolveSeeds(root, 'params.yaml').root, 1234);
  assert.equal(resolveSeeds(root, 'params.yaml').source, 'params');
  const generated = resolveSeeds(tempDir(), 'params.yaml');
  assert.equal(generated.source, 'generated');
  assert.ok(Number.isInteger(generated.root) && generated.root >= 0);
  assert.notEqual(resolveSeeds(tempDir(), 'params.yaml').root, generated.root, 'two generated seeds differ (1 in 2^31 chance of a false failure)');
});

test('determinism variables carry the seed', () => {
  const env = determinismEnv(99);
  assert.equal(env.PROVENANT_SEED, '99');
  assert.equal(env.PYTHONHASHSEED, '99');
  assert.equal(env.CUBLAS_WORKSPACE_CONFIG, ':4096:8');
});

test('bad seeds are refused with a clear message', () => {
  assert.throws(() => resolveSeeds(tempDir(), 'params.yaml', '-1'), /--seed must be a whole number/);
  assert.throws(() => resolveSeeds(tempDir(), 'params.yaml', 'abc'), /--seed must be a whole number/);
  const root = tempDir();
  writeFileSync(join(root, 'params.yaml'), 'seed: 1.5\n');
  assert.throws(() => resolveSeeds(root, 'params.yaml'), /"seed" must be a whole number/);
  writeFileSync(join(root, 'params.yaml'), 'seed: [\n');
  assert.throws(() => resolveSeeds(root, 'params.yaml'), (err: Error & { file?: string }) => err.file === 'params.yaml' && /invalid YAML/.test(err.message));
});

test('commands: strings are split like a shell, operators go through sh, python is the configured interpreter', () => {
  assert.deepEqual(resolveCommand('python train.py --lr "0.1 0.2"', '/opt/py/bin/python'), {
    argv: ['python', 'train.py', '--lr', '0.1 0.2'],
    exec: ['/opt/py/bin/python', 'train.py', '--lr', '0.1 0.2'],
  });
  assert.deepEqual(resolveCommand('python prep.py && python train.py', undefined).exec, ['sh', '-c', 'python prep.py && python train.py']);
  assert.deepEqual(resolveCommand(['Rscript', 'train.R'], '/usr/bin/python3').exec, ['Rscript', 'train.R']);
  assert.deepEqual(resolveCommand('python train.py --token "$HF_TOKEN" --x ${Y}', undefined).argv, ['sh', '-c', 'python train.py --token "$HF_TOKEN" --x ${Y}'], 'variables are left to the shell, not emptied');
  assert.deepEqual(resolveCommand("python train.py --note '$not_a_variable'", undefined).argv, ['python', 'train.py', '--note', '$not_a_variable']);
  assert.throws(() => resolveCommand(undefined, undefined), /no training command/);
});

test('run ids sort by time and are recognized', () => {
  const a = newRunId(new Date('2026-01-02T03:04:05Z'), 'abcdef');
  assert.equal(a, '20260102-030405-abcdef');
  assert.ok(isRunId(a));
  assert.ok(!isRunId('../etc'));
  assert.ok(newRunId(new Date('2026-01-02T03:04:06Z')) > a);
});

test('only allow-listed environment variables are recorded', () => {
  const recorded = recordedVariables({ OMP_NUM_THREADS: '4', AWS_SECRET_ACCESS_KEY: 'secret', HOME: '/root', GITHUB_TOKEN: 't', LANG: 'C.UTF-8' });
  assert.deepEqual(recorded, { OMP_NUM_THREADS: '4', LANG: 'C.UTF-8' });
});
