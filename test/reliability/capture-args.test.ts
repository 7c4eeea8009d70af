// Hostile command lines: secrets hidden in every spelling a shell allows, control characters in
// arguments, and interpreters that cannot be probed (a shebang naming a folder, a FIFO on PATH, a
// script that is not readable as text). Nothing leaks, nothing hangs, and the run is recorded.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { redactCommand, restoreSecretArguments, secretVariable } from '../../src/core/runner/redact';
import { resolveInterpreter } from '../../src/core/runner/interpreter';
import { argumentParams } from '../../src/core/runner/args';
import { cli } from '../helpers/cli';
import { git, makeRepo, tempDir } from '../helpers/git';
import { requirePython } from '../helpers/python';
import type { RunRecord } from '../../src/core/runs/types';
import { Random } from '../../src/core/analysis/random';

/** A deterministic generator, so a failure can be replayed from the printed seed. */
function generator(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}

const NAMES = ['--password', '--token', '--api-key', '--client_secret', '--hfToken', '-password', '--db.credentials', '--private-key'];
const NOISE = ['--lr', '0.1', 'train.py', '--keys', 'k.csv', '--max-tokens', '512', '-p', '8080', '--', 'x=1'];
const ODD = [' ', "'", '"', '$', '\\', '=', '-', ';', '&', '|', '(', ')', '*', 'é', '🔑', '\t'];

function secretValue(next: () => number): string {
  let v = `S${randomBytes(6).toString('hex')}`;
  const extra = Math.floor(next() * 4);
  for (let i = 0; i < extra; i++) v += ODD[Math.floor(next() * ODD.length)]! + randomBytes(2).toString('hex');
  return v;
}

/** Single-quoted for sh, whatever it holds. */
const shq = (v: string) => `'${v.split("'").join("'\\''")}'`;

describe('hostile command lines', () => {
  test('secrets in any spelling never survive redaction; restoring gives the same command (sh runs it the same)', () => {
    const seed = Number(process.env.PROVENANT_FUZZ_SEED ?? 20260101);
    const next = generator(seed);
    let faults = 0;
    let operations = 0;
    const dir = tempDir();
    for (let round = 0; round < 300; round++) {
      const secrets = new Map<string, string>();
      const argv: string[] = ['python3', 'train.py'];
      const script: string[] = ['printf', "'%s\\n'"];
      const pieces = 2 + Math.floor(next() * 5);
      for (let i = 0; i < pieces; i++) {
        if (next() < 0.4) {
          const noise = NOISE[Math.floor(next() * NOISE.length)]!;
          argv.push(noise);
          script.push(noise === '--' ? 'dashdash' : noise);
          continue;
        }
        const name = NAMES[Math.floor(next() * NAMES.length)]!;
        if ([...secrets.keys()].some((n) => secretVariable(n) === secretVariable(name))) continue;
        const value = secretValue(next);
        secrets.set(name, value);
        faults++;
        if (next() < 0.5) argv.push(name, value);
        else argv.push(`${name}=${value}`);
        const form = Math.floor(next() * 3);
        if (form === 0) script.push(name, shq(value));
        else if (form === 1) script.push(`${name}=${shq(value)}`);
        else script.push(`${name}="${value.replace(/(["\\$`])/g, '\\$1')}"`);
      }
      const env: NodeJS.ProcessEnv = {};
      for (const [name, value] of secrets) env[secretVariable(name)] = value;

      // A cheap digest stands in for scrypt here (the real one is tested elsewhere): the value itself, reversed.
      const digest = (v: string) => `test:${[...v].reverse().join('')}`;
      const verify = (v: string, d: string) => d === digest(v);
      const plain = redactCommand(argv, digest);
      const shell = redactCommand(['sh', '-c', script.join(' ')], digest);
      const recorded = JSON.stringify([plain.argv, shell.argv, argumentParams(plain.argv, {}, dir)]);
      for (const value of secrets.values()) assert.ok(!recorded.includes(value), `seed ${seed} round ${round}: ${JSON.stringify(value)} leaked in ${recorded}`);
      assert.equal(plain.redacted.length, secrets.size, `seed ${seed} round ${round}: every secret found in ${JSON.stringify(argv)}`);
      assert.equal(shell.redacted.length, secrets.size, `seed ${seed} round ${round}: every secret found in the script ${script.join(' ')}`);

      assert.deepEqual(restoreSecretArguments('r', plain.argv, plain.redacted, env, verify), argv, `seed ${seed} round ${round}: the plain command comes back exactly`);
      const restoredShell = restoreSecretArguments('r', shell.argv, shell.redacted, env, verify);
      const original = spawnSync('sh', ['-c', script.join(' ')], { encoding: 'utf8' });
      const again = spawnSync(restoredShell[0]!, restoredShell.slice(1), { encoding: 'utf8' });
      assert.equal(again.stdout, original.stdout, `seed ${seed} round ${round}: the restored script prints the same words`);
      operations += 4;
    }
    console.log(`# faults: ${faults}, operations: ${operations}`);
  });

  test('interpreters that cannot be probed: a folder, a FIFO, an unreadable or binary script, a self-referencing shebang', () => {
    const dir = tempDir('provenant-hostile-interp-');
    const bin = join(dir, 'bin');
    mkdirSync(join(bin, 'python3'), { recursive: true }); // a folder named python3 first on PATH
    execFileSync('mkfifo', [join(dir, 'fifo.py')]);
    writeFileSync(join(dir, 'binary'), randomBytes(4096));
    writeFileSync(join(dir, 'self.py'), `#!${join(dir, 'self.py')}\n`);
    writeFileSync(join(dir, 'long.py'), `#!/usr/bin/env ${'p'.repeat(100_000)}\n`);
    writeFileSync(join(dir, 'dir-shebang.py'), `#!${bin}\n`);
    for (const f of ['binary', 'self.py', 'long.py', 'dir-shebang.py']) chmodSync(join(dir, f), 0o755);
    const cases: string[][] = [['python3', 'x.py'], ['./fifo.py'], ['./binary'], ['./self.py'], ['./long.py'], ['./dir-shebang.py'], ['sh', '-c', ''], ['sh', '-c'], ['env'], ['env', '-S'], [''], ['sh', '-c', 'sh -c "sh -c \\"python3 x.py\\""']];
    let operations = 0;
    for (const argv of cases) {
      const found = resolveInterpreter(argv, { PATH: bin }, dir);
      assert.equal(found, null, `${JSON.stringify(argv)} names no usable Python`);
      operations++;
    }
    console.log(`# faults: ${cases.length}, operations: ${operations}`);
  });

  test('a run whose arguments hold newlines, ANSI escapes and a secret is recorded; outputs escape them; git stays valid', () => {
    const py = requirePython();
    const sentinel = tempDir('provenant-sentinel-');
    writeFileSync(join(sentinel, 'keep.txt'), 'unchanged\n');
    const root = makeRepo({ 'fit.py': 'import sys\nprint(len(sys.argv))\n', 'README.md': '# t\n' });
    const hostile = ['line1\nline2', '\u001b]0;pwned\u0007title', '\u001b[31mred'];
    const result = cli(root, ['run', '--quiet', '--', py, 'fit.py', ...hostile, '--token', 'T0K3N-hostile-\n-value']);
    assert.equal(result.status, 0, result.stderr);
    const run = (JSON.parse(cli(root, ['runs', 'list', '--json']).stdout) as RunRecord[])[0]!;
    assert.deepEqual(run.command.slice(2), [...hostile, '--token', '[redacted]']);
    assert.equal(run.params['args.0'], hostile[0]);
    const shown = cli(root, ['runs', 'show', run.id]).stdout;
    const commandLine = shown.split('\n').find((l) => l.startsWith('  command'))!;
    assert.ok(!/[\u0000-\u001f]/.test(commandLine), `control characters escaped: ${JSON.stringify(commandLine)}`);
    assert.ok(commandLine.includes("'line1\\nline2'") && commandLine.includes('\\x1b]0;pwned\\x07title'));
    for (const text of [readFileSync(join(root, '.provenant', 'runs', run.id, 'run.json'), 'utf8'), git(root, 'show', `refs/provenant/runs/${run.id}:.provenant/runs/${run.id}/run.json`), shown]) {
      assert.ok(!text.includes('T0K3N-hostile'), 'the secret is nowhere');
    }
    execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: root });
    assert.equal(readFileSync(join(sentinel, 'keep.txt'), 'utf8'), 'unchanged\n');
    console.log('# faults: 4, operations: 3');
  });
});
