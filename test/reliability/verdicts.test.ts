// Hostile working trees and records against the written-files walk and the reproduction
// comparison: a script that leaves a FIFO, a symlink loop and a symlink to a folder outside the
// workspace, prints bytes that are not UTF-8, and writes a prediction file that is not valid CSV;
// then a run record edited to list a path that leaves the workspace. Nothing may hang, follow a
// link out of the workspace, crash or change anything outside; git stays valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, tempDir, writeFiles } from '../helpers/git';
import { cli } from '../helpers/cli';
import { requirePython } from '../helpers/python';
import type { RunRecord } from '../../src/core/runs/types';
import type { ReproductionRecord } from '../../src/core/governance/reproductionRecord';

function folderDigest(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) hash.update(name).update(readFileSync(join(dir, name)));
  return hash.digest('hex');
}

test('a hostile working tree and an edited record neither hang, escape nor crash the walk and the comparison', () => {
  let faults = 0;
  let operations = 0;
  const sentinel = tempDir('provenant-verdict-sentinel-');
  writeFiles(sentinel, { 'secret.txt': 'do not touch\n', 'big.bin': Buffer.alloc(4096, 7) });
  const sentinelBefore = folderDigest(sentinel);

  const root = tempDir('provenant-verdict-hostile-');
  const script = [
    'import os, sys, provenant',
    `OUTSIDE = ${JSON.stringify(sentinel)}`,
    'for name, make in [("pipe", lambda: os.mkfifo("pipe")), ("loop", lambda: os.symlink(".", "loop")), ("outside", lambda: os.symlink(OUTSIDE, "outside"))]:',
    '    if not os.path.lexists(name):',
    '        make()',
    'sys.stdout.buffer.write(b"\\xff\\xfe not utf-8 \\x80\\n")',
    'with open("result.txt", "w") as f:',
    '    f.write("42\\n")',
    'run = provenant.run_dir()',
    'with open(os.path.join(run, "predictions.csv"), "w") as f:',
    '    f.write(\'y_true,y_score\\n1,"0.5\\n\')',
    'provenant._write_json(os.path.join(run, "predictions.json"), {"holdout": {"file": "predictions.csv", "rows": 1, "columns": ["y_true", "y_score"], "y_true": "y_true", "y_score": "y_score", "y_pred": None, "features": []}})',
    '',
  ].join('\n');
  writeFiles(root, {
    'hostile.py': script,
    '.gitignore': '/pipe\n/loop\n/outside\n/result.txt\n',
    '.provenant/config.yaml': `train: python3 hostile.py\npython: ${requirePython()}\n`,
    '.provenant/.gitignore': '/runs/\n/state/\n/tmp/\n',
  });
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'hostile');
  faults += 5; // FIFO, symlink loop, symlink out of the workspace, non-UTF-8 output, broken CSV

  for (let i = 0; i < 2; i++) {
    const ran = cli(root, ['run', '--quiet']);
    operations++;
    assert.equal(ran.status, 0, ran.stderr);
  }
  const runs = JSON.parse(cli(root, ['runs', 'list', '--json']).stdout) as RunRecord[];
  const first = runs.find((r) => r.written!.files.some((f) => f.path === 'result.txt' && f.change === 'added'))!;
  assert.ok(first, JSON.stringify(runs.map((r) => r.written)));
  // Only the regular file is recorded: no FIFO, no link, nothing from behind a link.
  assert.deepEqual(first.written!.files.map((f) => f.path), ['result.txt']);
  assert.ok(!runs.some((r) => r.written!.files.some((f) => /secret|big\.bin|^loop\/|^outside\//.test(f.path))));

  const rep = JSON.parse(cli(root, ['reproduce', first.id, '--json']).stdout) as ReproductionRecord;
  operations++;
  assert.equal(rep.verdict, 'identical', JSON.stringify(rep.differences));
  assert.equal(rep.compared.predictionSets, 1);
  assert.equal(rep.compared.output!.stdout, 1);

  // The record edited to list a file outside the workspace: compared as a path, never opened.
  const file = join(root, '.provenant', 'runs', first.id, 'run.json');
  const record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
  record.written!.files.push({ path: `../${sentinel.split('/').pop()}/secret.txt`, change: 'added', size: 13, sha256: createHash('sha256').update('do not touch\n').digest('hex') });
  writeFileSync(file, JSON.stringify(record));
  faults++;
  const edited = cli(root, ['reproduce', first.id, '--json']);
  operations++;
  assert.equal(edited.status, 1, edited.stderr);
  const diverged = JSON.parse(edited.stdout) as ReproductionRecord;
  assert.ok(diverged.differences.some((d) => d.kind === 'file' && d.name.endsWith('/secret.txt') && d.reproduced === 'not written'), JSON.stringify(diverged.differences));

  assert.equal(folderDigest(sentinel), sentinelBefore, 'nothing outside the workspace changed');
  execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: root });
  console.log(`# faults: ${faults}, operations: ${operations}`);
});
