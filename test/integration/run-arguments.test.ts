// What a run records of its command line, with real Python: the interpreter the command really
// runs (not the first python3 on PATH), its arguments as params, seeds written as projects write
// them, and secrets given as arguments kept out of every record.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { git, makeRepo, tempDir } from '../helpers/git';
import { cli } from '../helpers/cli';
import { hiringWorkspace } from '../helpers/hiring';
import { requirePython } from '../helpers/python';
import type { RunRecord } from '../../src/core/runs/types';

const TRAIN = `import argparse, os, sys
import sklearn  # only the interpreter with scikit-learn can run this
import provenant

parser = argparse.ArgumentParser()
parser.add_argument("alpha", type=float)
parser.add_argument("--n-estimators", type=int, default=10)
parser.add_argument("--max_depth", type=int)
parser.add_argument("--bootstrap", action="store_true")
parser.add_argument("--criterion", default="gini")
parser.add_argument("--password")
parser.add_argument("--api-key")
args = parser.parse_args()
# The script's own params win over what Provenant read from its command line.
provenant.log_params({"args": {"criterion": "from-script"}, "estimator": "forest"})
provenant.log_metrics({"alpha_seen": args.alpha, "secret_given": 1 if args.password or args.api_key else 0})
print("seed", os.environ.get("PROVENANT_SEED"), "python", sys.executable)
`;

/** Two interpreters: a venv without scikit-learn (put first on PATH), and a folder whose python3 is the one with scikit-learn. */
function interpreters(): { bare: string; sk: string; path: string } {
  const dir = tempDir('provenant-interp-');
  const py = requirePython();
  execFileSync(py, ['-m', 'venv', '--without-pip', join(dir, 'bare')]);
  const bare = join(dir, 'bare', 'bin');
  assert.notEqual(spawnSync(join(bare, 'python3'), ['-c', 'import sklearn']).status, 0, 'the venv has no scikit-learn');
  const sk = join(dir, 'sk');
  mkdirSync(sk);
  const real = spawnSync(py, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
  symlinkSync(real, join(sk, 'python3'));
  return { bare, sk, path: `${bare}${delimiter}${process.env.PATH}` };
}

function lastRun(root: string): RunRecord {
  const result = cli(root, ['runs', 'list', '--json']);
  assert.equal(result.status, 0, result.stderr);
  return (JSON.parse(result.stdout) as RunRecord[])[0]!;
}

function runIn(root: string, env: NodeJS.ProcessEnv, command: string[], extra: string[] = []): RunRecord {
  const result = cli(root, ['run', '--quiet', ...extra, '--', ...command], env);
  assert.equal(result.status, 0, `${command.join(' ')}: ${result.stderr}`);
  return lastRun(root);
}

describe('the interpreter a run records is the one its command runs', () => {
  test('absolute path, shebang, env VAR=…, sh -c, PATH of the command; reproduce and explain use it too', () => {
    const { bare, sk, path } = interpreters();
    const py = requirePython();
    const root = makeRepo({ 'train.py': TRAIN, 'README.md': '# t\n' });
    const env = { PATH: path };

    const absolute = runIn(root, env, [py, 'train.py', '0.5']);
    const pyPath = spawnSync('sh', ['-c', `command -v "${py}"`], { encoding: 'utf8', env: { ...process.env, PATH: path } }).stdout.trim();
    assert.deepEqual(absolute.environment.interpreter, { path: pyPath, source: 'command' });
    assert.ok(absolute.environment.packages['scikit-learn'], 'the packages are those of the interpreter that ran (scikit-learn)');

    writeFileSync(join(root, 'fit.py'), `#!${join(sk, 'python3')}\n${TRAIN}`);
    chmodSync(join(root, 'fit.py'), 0o755);
    const shebang = runIn(root, env, ['./fit.py', '0.5']);
    assert.deepEqual(shebang.environment.interpreter, { path: join(sk, 'python3'), source: 'shebang' });
    assert.ok(shebang.environment.packages['scikit-learn']);

    const viaEnv = runIn(root, env, ['env', `PATH=${sk}${delimiter}${path}`, 'VERBOSE=1', 'python3', 'train.py', '0.5']);
    assert.deepEqual(viaEnv.environment.interpreter, { path: join(sk, 'python3'), source: 'command' });
    assert.ok(viaEnv.environment.packages['scikit-learn']);

    const viaShell = runIn(root, env, ['sh', '-c', `echo start && PATH=${sk}${delimiter}$PATH python3 train.py 0.5`]);
    assert.deepEqual(viaShell.environment.interpreter, { path: join(sk, 'python3'), source: 'command' });
    assert.ok(viaShell.environment.packages['scikit-learn']);

    // `python3` alone is the venv first on the command's PATH: recorded as such, without scikit-learn.
    const failed = cli(root, ['run', '--quiet', '--', 'python3', 'train.py', '0.5'], env);
    assert.notEqual(failed.status, 0);
    const bareRun = lastRun(root);
    assert.deepEqual(bareRun.environment.interpreter, { path: join(bare, 'python3'), source: 'command' });
    assert.equal(bareRun.environment.packages['scikit-learn'], undefined);
    assert.match(cli(root, ['runs', 'show', absolute.id]).stdout, new RegExp(`interpreter ${pyPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(named by the command\\)`));
  });

  test('reproduce and explain default to the recorded interpreter, not python3 on PATH', () => {
    const { sk, path } = interpreters();
    const root = hiringWorkspace('provenant-interp-hiring-', { config: (text) => text.replace(/^python: .*\n/m, '') });
    const run = runIn(root, { PATH: `${sk}${delimiter}${path}` }, ['python3', 'train.py'], ['--name', 'with-sk']);
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.environment.interpreter, { path: join(sk, 'python3'), source: 'command' });

    // Now python3 first on PATH is the venv without scikit-learn.
    const reproduced = cli(root, ['reproduce', run.id, '--json'], { PATH: path });
    assert.equal(reproduced.status, 0, reproduced.stderr);
    const verdict = JSON.parse(reproduced.stdout) as { verdict: string; environment: { drift: string[] } };
    assert.equal(verdict.verdict, 'identical', reproduced.stdout);
    assert.deepEqual(verdict.environment.drift, [], 'no false environment drift');

    const explained = cli(root, ['explain', run.id, '-m', 'permutation', '--repeats', '1', '--max-rows', '60', '--json'], { PATH: path });
    assert.equal(explained.status, 0, explained.stderr);
    assert.ok((JSON.parse(explained.stdout) as unknown[]).length > 0);
  });
});

describe('command-line arguments', () => {
  test('become params (args.0, args.<name>), typed; the script’s own params win; shown by runs show and compare', () => {
    const py = requirePython();
    const root = makeRepo({ 'train.py': TRAIN, 'README.md': '# t\n' });
    const a = runIn(root, {}, [py, 'train.py', '0.5', '--n-estimators', '20', '--max_depth=3', '--bootstrap', '--criterion', 'entropy']);
    assert.equal(a.params['args.0'], 0.5);
    assert.equal(a.params['args.n_estimators'], 20);
    assert.equal(a.params['args.max_depth'], 3);
    assert.equal(a.params['args.bootstrap'], true);
    assert.equal(a.params['args.criterion'], 'from-script', 'the script logged it itself');
    assert.equal(a.params.estimator, 'forest');
    assert.equal(a.metrics.alpha_seen, 0.5);
    const b = runIn(root, {}, [py, 'train.py', '0.25', '--n-estimators=40']);
    assert.equal(b.params['args.n_estimators'], 40);
    assert.equal(b.params['args.bootstrap'], undefined);

    const compared = cli(root, ['compare', a.id, b.id]);
    assert.equal(compared.status, 0, compared.stderr);
    assert.match(compared.stdout, /args\.n_estimators\s+20\s+40/);
    assert.match(compared.stdout, /command/);
    assert.ok(compared.stdout.includes('train.py 0.25 --n-estimators=40'), compared.stdout);
    const md = cli(root, ['compare', a.id, b.id, '--md']);
    assert.equal(md.status, 0, md.stderr);
    assert.ok(md.stdout.includes('train.py 0.5 --n-estimators 20 --max_depth=3 --bootstrap --criterion entropy |'), md.stdout);
  });

  test('seeds as projects write them: params.yaml train.random_state, or --random_state on the command line', () => {
    const py = requirePython();
    const root = makeRepo({ 'train.py': TRAIN, 'params.yaml': 'train:\n  n_estimators: 10\n  random_state: 7\n', 'README.md': '# t\n' });
    const fromParams = runIn(root, {}, [py, 'train.py', '0.5']);
    assert.equal(fromParams.seeds.root, 7);
    assert.equal(fromParams.seeds.source, 'params');
    assert.deepEqual(fromParams.seeds.param, { key: 'train.random_state', value: 7, file: 'params.yaml' });
    assert.match(readFileSync(join(root, '.provenant', 'runs', fromParams.id, 'stdout.log'), 'utf8'), /^seed 7 /m, 'the script was given the seed');

    const bare = makeRepo({ 'fit.py': 'import sys\nprint(sys.argv)\n', 'README.md': '# t\n' });
    const fromArgs = runIn(bare, {}, [py, 'fit.py', '--random_state', '11']);
    assert.equal(fromArgs.seeds.source, 'generated');
    assert.deepEqual(fromArgs.seeds.param, { key: 'args.random_state', value: 11, file: 'command line' });
    assert.match(cli(bare, ['runs', 'show', fromArgs.id]).stdout, /declared\s+args\.random_state = 11 \(command line\)/);
  });
});

describe('secrets given as command-line arguments', () => {
  const SECRETS = ['hunter2-S3CRET', 'K3Y-0F-THE-API-77', 'sh3ll t0ken'];

  /** Every text Provenant keeps of a run: its folder, every file of its git ref, and an exported packet. */
  function everything(root: string, id: string): string {
    const texts: string[] = [];
    const folder = join(root, '.provenant', 'runs', id);
    for (const name of execFileSync('ls', ['-A', folder], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
      if (name !== 'stdout.log' && name !== 'stderr.log') texts.push(readFileSync(join(folder, name)).toString('latin1'));
    }
    const ref = `refs/provenant/runs/${id}`;
    for (const file of git(root, 'ls-tree', '-r', '--name-only', ref).split('\n').filter(Boolean)) texts.push(git(root, 'show', `${ref}:${file}`));
    texts.push(git(root, 'log', '--format=%B', '-n', '3', ref));
    const packet = join(tempDir('provenant-packet-'), 'p.zip');
    const exported = cli(root, ['packet', 'export', id, '-o', packet]);
    assert.equal(exported.status, 0, exported.stderr);
    const unzipped = tempDir('provenant-unzip-');
    execFileSync('unzip', ['-q', packet, '-d', unzipped]);
    texts.push(execFileSync('sh', ['-c', 'find . -type f -exec cat {} +'], { cwd: unzipped, encoding: 'latin1', maxBuffer: 1 << 28 }));
    return texts.join('\n');
  }

  test('are redacted in run.json, the run ref and packets; reproduce asks for them through the environment', () => {
    const py = requirePython();
    const root = makeRepo({ 'train.py': TRAIN, 'README.md': '# t\n' });
    const started = cli(root, ['run', '--', py, 'train.py', '0.5', '--password', SECRETS[0]!, `--api-key=${SECRETS[1]}`]);
    assert.equal(started.status, 0, started.stderr);
    for (const s of SECRETS) assert.ok(!started.stderr.includes(s), 'progress messages do not show it');
    const run = lastRun(root);
    assert.equal(run.metrics.secret_given, 1, 'the script received the real values');
    assert.deepEqual(run.command, [py, 'train.py', '0.5', '--password', '[redacted]', '--api-key=[redacted]']);
    assert.deepEqual(run.redactedArguments!.map((r) => r.argument), ['--password', '--api-key']);
    assert.equal(run.params['args.password'], '[redacted]');
    for (const s of SECRETS) assert.ok(!everything(root, run.id).includes(s), `no trace of ${s}`);

    const shell = cli(root, ['run', '--', 'sh', '-c', `${py} train.py 0.5 --api-key '${SECRETS[2]}'`]);
    assert.equal(shell.status, 0, shell.stderr);
    const shellRun = lastRun(root);
    assert.equal(shellRun.metrics.secret_given, 1);
    assert.ok(!everything(root, shellRun.id).includes(SECRETS[2]!));

    // Reproduction: refused, naming the argument and the variable, until the value is given.
    const refused = cli(root, ['reproduce', run.id]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /secret arguments --password, --api-key/);
    assert.match(refused.stderr, /PROVENANT_SECRET_PASSWORD, PROVENANT_SECRET_API_KEY/);
    const wrong = cli(root, ['reproduce', run.id], { PROVENANT_SECRET_PASSWORD: 'guess', PROVENANT_SECRET_API_KEY: SECRETS[1]! });
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /PROVENANT_SECRET_PASSWORD is not the --password that run/);
    const ok = cli(root, ['reproduce', run.id, '--json', '--keep'], { PROVENANT_SECRET_PASSWORD: SECRETS[0]!, PROVENANT_SECRET_API_KEY: SECRETS[1]! });
    assert.equal(ok.status, 0, ok.stderr);
    const verdict = JSON.parse(ok.stdout) as { verdict: string; reproduction: string; checkout: string; rerun: { metrics: Record<string, number> } };
    assert.equal(verdict.verdict, 'identical', ok.stdout);
    assert.equal(verdict.rerun.metrics.secret_given, 1, 'the re-run was given the real values');
    const rerun = JSON.parse(readFileSync(join(verdict.checkout, '.provenant', 'runs', verdict.reproduction, 'run.json'), 'utf8')) as RunRecord;
    assert.deepEqual(rerun.command, run.command);
    const all = everything(root, run.id) + everything(verdict.checkout, verdict.reproduction);
    for (const s of SECRETS) assert.ok(!all.includes(s), `no trace of ${s} after the reproduction`);
  });

  test('a secret passed through the environment and named in train: stays a variable; the re-run reads it from the environment', () => {
    const py = requirePython();
    const root = makeRepo({ 'train.py': TRAIN, '.provenant/config.yaml': `train: ${py} train.py 0.5 --api-key "$MY_API_KEY"\n`, 'README.md': '# t\n' });
    const value = 'ENV-K3Y-0F-THE-API';
    const started = cli(root, ['run', '--quiet'], { MY_API_KEY: value });
    assert.equal(started.status, 0, started.stderr);
    const run = lastRun(root);
    assert.equal(run.metrics.secret_given, 1, 'the script was given the value');
    assert.deepEqual(run.command, ['sh', '-c', `${py} train.py 0.5 --api-key "$MY_API_KEY"`]);
    assert.equal(run.params['args.api_key'], '$MY_API_KEY');
    assert.equal(run.redactedArguments, undefined, 'nothing to redact');
    assert.ok(!everything(root, run.id).includes(value));
    const reproduced = cli(root, ['reproduce', run.id, '--json'], { MY_API_KEY: value });
    assert.equal(reproduced.status, 0, reproduced.stderr);
    assert.equal((JSON.parse(reproduced.stdout) as { verdict: string }).verdict, 'identical');
  });
});
