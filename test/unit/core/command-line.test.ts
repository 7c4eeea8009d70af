import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { argumentParams, parseArguments, scriptArguments, typedValue } from '../../../src/core/runner/args';
import { innerCommand, probedInterpreter, resolveInterpreter } from '../../../src/core/runner/interpreter';
import { REDACTED, isSecretName, redactCommand, restoreSecretArguments, secretMatches, secretVariable } from '../../../src/core/runner/redact';
import { findSeedParam, resolveSeeds, withDeclaredSeed } from '../../../src/core/runner/seeds';
import { tempDir } from '../../helpers/git';

/** A folder with fake executables: `bin/python3`, `bin/python`, `other/python3` and a few scripts. */
function fakeTree(): { dir: string; bin: string; other: string } {
  const dir = tempDir();
  const bin = join(dir, 'bin');
  const other = join(dir, 'other');
  mkdirSync(bin);
  mkdirSync(other);
  for (const file of [join(bin, 'python3'), join(bin, 'python'), join(other, 'python3')]) {
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o755);
  }
  const script = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  };
  script('env-shebang.py', '#!/usr/bin/env python3\nprint(1)\n');
  script('env-s-shebang.py', '#!/usr/bin/env -S python3 -u\nprint(1)\n');
  script('abs-shebang.py', `#!${join(other, 'python3')}\nprint(1)\n`);
  script('train.sh', '#!/bin/sh\necho hi\n');
  return { dir, bin, other };
}

test('the interpreter is the one the command runs, looked up on the PATH the command gets', () => {
  const { dir, bin, other } = fakeTree();
  const env = { PATH: bin };
  assert.deepEqual(resolveInterpreter(['python3', 'train.py'], env, dir), { path: join(bin, 'python3'), source: 'command' });
  assert.deepEqual(resolveInterpreter([join(other, 'python3'), 'train.py'], env, dir), { path: join(other, 'python3'), source: 'command' });
  assert.deepEqual(resolveInterpreter(['other/python3', 'train.py'], env, dir), { path: join(other, 'python3'), source: 'command' }, 'relative to the working folder');
  assert.deepEqual(resolveInterpreter(['python3', 'x.py'], { PATH: `${other}:${bin}` }, dir), { path: join(other, 'python3'), source: 'command' }, 'first on PATH wins');
  assert.deepEqual(resolveInterpreter(['./env-shebang.py'], env, dir), { path: join(bin, 'python3'), source: 'shebang' });
  assert.deepEqual(resolveInterpreter(['./env-s-shebang.py', '--lr', '1'], { PATH: other }, dir), { path: join(other, 'python3'), source: 'shebang' });
  assert.deepEqual(resolveInterpreter(['./abs-shebang.py'], env, dir), { path: join(other, 'python3'), source: 'shebang' });
  assert.deepEqual(resolveInterpreter(['sh', '-c', 'cd . && exec python3 train.py --lr 0.1'], env, dir), { path: join(bin, 'python3'), source: 'command' });
  assert.deepEqual(resolveInterpreter(['bash', '-ec', `PATH=${other} python3 train.py`], env, dir), { path: join(other, 'python3'), source: 'command' }, 'assignment in the script');
  assert.deepEqual(resolveInterpreter(['env', `PATH=${other}`, 'VAR=1', 'python3', 'train.py'], env, dir), { path: join(other, 'python3'), source: 'command' });
  assert.deepEqual(resolveInterpreter(['/usr/bin/env', '-u', 'X', 'python', 'train.py'], env, dir), { path: join(bin, 'python'), source: 'command' });
  assert.deepEqual(resolveInterpreter(['nohup', 'nice', '-n', '5', 'python3', 't.py'], env, dir), { path: join(bin, 'python3'), source: 'command' });
  assert.equal(resolveInterpreter(['./train.sh'], env, dir), null, 'a shell script runs no Python we can name');
  assert.equal(resolveInterpreter(['Rscript', 'train.R'], env, dir), null);
  assert.equal(resolveInterpreter(['python3', 'x.py'], { PATH: join(dir, 'nowhere') }, dir), null);
  assert.deepEqual(probedInterpreter(['Rscript', 'train.R'], env, dir, undefined), { path: join(bin, 'python3'), source: 'default' });
  assert.deepEqual(probedInterpreter(['Rscript', 'train.R'], env, dir, 'other/python3'), { path: join(other, 'python3'), source: 'configured' });
});

test('wrappers come off: env, sh -c (the Python command of the script), exec', () => {
  const { dir, bin } = fakeTree();
  const inner = innerCommand(['env', 'LR=1', 'sh', '-c', 'echo start; python3 train.py --lr "$LR" && echo done'], { PATH: bin }, dir);
  assert.deepEqual(inner.argv, ['python3', 'train.py', '--lr', '1']);
  assert.deepEqual(inner.wrappers, ['env', 'sh -c']);
  assert.equal(inner.guessed, false);
  assert.deepEqual(inner.literal, ['python3', 'train.py', '--lr', '$LR'], 'what may be recorded keeps the variable');
  const make = innerCommand(['sh', '-c', 'make data'], { PATH: bin }, dir);
  assert.deepEqual([make.argv, make.guessed], [['make', 'data'], true], 'no Python: the first command, marked as a guess');
});

test('script arguments: the interpreter, its options and the script are taken off', () => {
  assert.deepEqual(scriptArguments(['python3', '-u', '-W', 'ignore', 'train.py', '0.1', '--lr', '2']), ['0.1', '--lr', '2']);
  assert.deepEqual(scriptArguments(['python', '-m', 'pkg.train', '--epochs=3']), ['--epochs=3']);
  assert.deepEqual(scriptArguments(['./train.py', '0.1', '0.9']), ['0.1', '0.9']);
  assert.deepEqual(scriptArguments(['Rscript', '--vanilla', 'train.R', 'x']), ['x']);
  assert.deepEqual(scriptArguments(['python3']), []);
});

test('arguments become params: positional, --name value, --name=value, flags, Hydra overrides; numbers typed', () => {
  assert.deepEqual(parseArguments(['0.1', '0.9', '--lr', '0.01', '--max-depth=5', '--verbose', '--model', 'rf', '-n', '-3', 'data.csv', 'opt.momentum=0.9', '--', '--not-an-option']), {
    'args.0': 0.1,
    'args.1': 0.9,
    'args.lr': 0.01,
    'args.max_depth': 5,
    'args.verbose': true,
    'args.model': 'rf',
    'args.n': -3,
    'args.2': 'data.csv',
    'args.opt.momentum': 0.9,
    'args.3': '--not-an-option',
  });
  assert.deepEqual(parseArguments(['--fast', '--lr', '1', '--lr', '2', '--last']), { 'args.fast': true, 'args.lr': 2, 'args.last': true });
  assert.equal(typedValue('1e-3'), 0.001);
  assert.equal(typedValue('007'), '007');
  assert.equal(typedValue('12345678901234567890'), '12345678901234567890');
  assert.equal(typedValue('True'), 'True');
  const { dir, bin } = fakeTree();
  assert.deepEqual(argumentParams(['sh', '-c', 'python3 train.py 0.5 --C=2'], { PATH: bin }, dir), { 'args.0': 0.5, 'args.C': 2 });
  assert.deepEqual(argumentParams(['sh', '-c', `printf '{"a": 1}' > out.json; echo done`], { PATH: bin }, dir), {}, 'a script without Python gives no params');
  assert.deepEqual(argumentParams(['Rscript', 'train.R', '--lr', '0.1'], { PATH: bin }, dir), { 'args.lr': 0.1 });
  const fromEnv = argumentParams(['env', 'X=1', 'sh', '-c', 'python3 train.py --lr "$LR" --hf ${HF}'], { PATH: bin, LR: '0.5', HF: 'tok-secret-value' }, dir);
  assert.deepEqual(fromEnv, { 'args.lr': '$LR', 'args.hf': '$HF' }, 'values of the environment are never recorded');
});

test('secret names: password, token, secret, *key, credential, auth…; not keys, key-file, tokenizer or max-tokens', () => {
  for (const name of ['--password', '--db-password', '--passwd', '--token', '--hf_token', '--api-key', '--apiKey', '--access_key', '--key', 'AWS_SECRET_ACCESS_KEY', 'db.password', '--client-secret', '--credentials', '--auth', '--private-key', '--pass']) {
    assert.ok(isSecretName(name), name);
  }
  for (const name of ['--keys', '--key-file', '--key-column', '--tokenizer', '--max-tokens', '--author', '--lr', '-p', '--passes', '--monkey']) {
    assert.ok(!isSecretName(name), name);
  }
});

test('redaction replaces secret values everywhere in the command and keeps a salted digest', () => {
  const argv = ['env', 'API_TOKEN=tok-abc', 'python3', 'train.py', '--password', 'hunter2', '--api-key=K3Y', '--lr', '0.1', 'db.password=pw9', '-p', '8080'];
  const { argv: out, redacted } = redactCommand(argv);
  assert.deepEqual(out, ['env', `API_TOKEN=${REDACTED}`, 'python3', 'train.py', '--password', REDACTED, `--api-key=${REDACTED}`, '--lr', '0.1', `db.password=${REDACTED}`, '-p', '8080']);
  assert.deepEqual(redacted.map((r) => [r.index, r.argument]), [[1, 'API_TOKEN'], [5, '--password'], [6, '--api-key'], [9, 'db.password']]);
  assert.ok(!JSON.stringify({ out, redacted }).includes('hunter2'));
  assert.ok(secretMatches('hunter2', redacted[1]!.digest));
  assert.ok(!secretMatches('hunter3', redacted[1]!.digest));
  assert.notEqual(redactCommand(argv).redacted[1]!.digest, redacted[1]!.digest, 'salted');

  const script = redactCommand(['bash', '-c', `python3 train.py --token "s3 cret" --secret='x y' && curl -H x --password=abc`]);
  assert.deepEqual(script.argv, ['bash', '-c', `python3 train.py --token ${REDACTED} --secret=${REDACTED} && curl -H x --password=${REDACTED}`]);
  assert.ok(secretMatches('s3 cret', script.redacted[0]!.digest));
  assert.ok(secretMatches('x y', script.redacted[1]!.digest));
  assert.deepEqual(redactCommand(['python3', 'train.py', '--lr', '1']).redacted, []);
  assert.deepEqual(redactCommand(['sh', '-c', 'python3 train.py --token "$HF_TOKEN" --api-key=${KEY}']).redacted, [], 'a variable holds no secret: the shell fills it in');
});

test('a reproduction takes redacted values from PROVENANT_SECRET_<NAME>, checks them, or refuses naming them', () => {
  const original = ['bash', '-c', `python3 train.py --token 'it'"'"'s' --lr 1`];
  const { argv, redacted } = redactCommand(['python3', 'train.py', '--api-key', 'K3Y', '--password=hunter2']);
  assert.equal(secretVariable('--api-key'), 'PROVENANT_SECRET_API_KEY');
  assert.equal(secretVariable('db.password'), 'PROVENANT_SECRET_DB_PASSWORD');
  assert.throws(() => restoreSecretArguments('r1', argv, redacted, {}), (err: Error & { code?: string; hint?: string }) => err.code === 'E_SECRET_ARGUMENT' && /--api-key, --password/.test(err.message) && /PROVENANT_SECRET_API_KEY, PROVENANT_SECRET_PASSWORD/.test(err.hint ?? ''));
  assert.throws(() => restoreSecretArguments('r1', argv, redacted, { PROVENANT_SECRET_API_KEY: 'K3Y', PROVENANT_SECRET_PASSWORD: 'wrong' }), /PROVENANT_SECRET_PASSWORD is not the --password that run r1 used/);
  assert.deepEqual(restoreSecretArguments('r1', argv, redacted, { PROVENANT_SECRET_API_KEY: 'K3Y', PROVENANT_SECRET_PASSWORD: 'hunter2' }), ['python3', 'train.py', '--api-key', 'K3Y', '--password=hunter2']);
  const shell = redactCommand(original);
  assert.deepEqual(restoreSecretArguments('r2', shell.argv, shell.redacted, { PROVENANT_SECRET_TOKEN: "it's" }), ['bash', '-c', "python3 train.py --token 'it'\\''s' --lr 1"]);
  assert.equal(restoreSecretArguments('r3', ['python3'], undefined, {}).length, 1);
});

test('seeds as projects write them: random_state, random_seed, nested keys; the source is recorded', () => {
  assert.deepEqual(findSeedParam({ 'train.random_state': 42, 'split.seed': 7, lr: 0.1 }), { key: 'split.seed', value: 7 });
  assert.deepEqual(findSeedParam({ 'model.random_state': 3, random_state: 5 }), { key: 'random_state', value: 5 }, 'shallowest first');
  assert.deepEqual(findSeedParam({ random_state: null, 'a.seed': '11' }), { key: 'a.seed', value: 11 }, 'null is not a seed');
  assert.equal(findSeedParam({ seeds: 1, seed_everything: 2 }), undefined);
  const root = tempDir();
  writeFileSync(join(root, 'params.yaml'), 'train:\n  n_estimators: 10\n  random_state: 42\n');
  const seeds = resolveSeeds(root, 'params.yaml');
  assert.equal(seeds.root, 42);
  assert.equal(seeds.source, 'params');
  assert.equal(seeds.env.PROVENANT_SEED, '42');
  assert.deepEqual(seeds.param, { key: 'train.random_state', value: 42, file: 'params.yaml' });
  writeFileSync(join(root, 'p2.yaml'), 'random_seed: 9\nseed: 3\n');
  assert.equal(resolveSeeds(root, 'p2.yaml').root, 3, 'seed at the top comes first');

  const generated = resolveSeeds(tempDir(), 'params.yaml');
  const declared = withDeclaredSeed(generated, { 'args.random_state': 17, lr: 1 });
  assert.equal(declared.root, generated.root, 'the root seed stays what was passed to the process');
  assert.deepEqual(declared.param, { key: 'args.random_state', value: 17, file: 'command line' });
  assert.deepEqual(withDeclaredSeed(generated, { 'model.seed': 5 }).param, { key: 'model.seed', value: 5, file: 'params logged by the run' });
  assert.equal(withDeclaredSeed(generated, { lr: 1 }).param, undefined);
});

test('the command is shown quoted as a shell would need it, control characters escaped, cut in the middle', async () => {
  const { commandText, truncateMiddle } = await import('../../../src/core/runs/commandText');
  const { rowOf, columnValue, compileFilter } = await import('../../../src/core/runs/table');
  const { comparisonTables, compareRunsFull } = await import('../../../src/core/runs/compare');
  const { sampleRun } = await import('../../fixtures/runRecord');
  assert.equal(commandText(['python', 'train.py', '--note', "it's a test", '--lr=0.1', '\u001b[31mred\nline']), `python train.py --note 'it'\\''s a test' --lr=0.1 '\\x1b[31mred\\nline'`);
  assert.equal(truncateMiddle('abcdefghijklmnopqrstuvwxyz', 11), 'abcdef…wxyz');
  const run = sampleRun({ command: ['python', 'train.py', '--lr', '0.1', ...Array.from({ length: 100 }, (_, i) => `--opt${i}`)] });
  const row = rowOf(run, false);
  assert.ok(row.command.startsWith('python train.py --lr 0.1') && row.command.endsWith('--opt99') && row.command.length === 300 && row.command.includes('…'));
  assert.equal(columnValue(row, 'command'), row.command);
  assert.equal(compileFilter('command ~ "--lr 0.1"')(row), true);
  const c = await compareRunsFull(tempDir(), [run, sampleRun({ id: '20250101-000001-bbbbbb' })]);
  const runsTable = comparisonTables(c)[0]!;
  assert.equal(runsTable.header.at(-1), 'command');
  assert.equal(runsTable.rows[1]!.at(-1), "python train.py --max-depth 6 --learning-rate 0.05 --note 'depth 6 baseline'");
});
