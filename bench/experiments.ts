// Experiment branches on a repository of 5,000 files and 200 branches: list, new, switch and a
// run's code snapshot, Provenant vs native git doing the same work, measured in the same run.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listExperiments, newExperiment, switchExperiment } from '../src/core/experiments/experiments';
import { snapshotWorkingTree } from '../src/core/git/snapshot';

const FILES = 5000;
const BRANCHES = 200;
const ROUNDS = 3;

function git(cwd: string, args: string[], input?: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync('git', args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...(input !== undefined ? { input } : {}) }).trim();
}

function makeRepository(): string {
  const root = mkdtempSync(join(tmpdir(), 'provenant-bench-exp-'));
  git(root, ['init', '-q', '-b', 'main']);
  git(root, ['config', 'user.name', 'Bench']);
  git(root, ['config', 'user.email', 'b@example.com']);
  const path = (i: number) => `pkg${i % 50}/mod${i % 7}/file${i}.py`;
  for (let i = 0; i < FILES; i++) {
    mkdirSync(join(root, `pkg${i % 50}`, `mod${i % 7}`), { recursive: true });
    writeFileSync(join(root, path(i)), `# module ${i}\nVALUE = ${i}\n`.repeat(8));
  }
  writeFileSync(join(root, '.gitignore'), '.provenant/runs/\n');
  git(root, ['add', '-A']);
  git(root, ['commit', '-q', '-m', 'init']);
  // 200 experiment branches, each with two commits changing two files (one fast-import stream).
  const main = git(root, ['rev-parse', 'HEAD']);
  let stream = '';
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  for (let b = 0; b < BRANCHES; b++) {
    for (let c = 0; c < 2; c++) {
      stream += `commit refs/heads/exp/b${b}\ncommitter Bench <b@example.com> ${1700000000 + b * 10 + c} +0000\n${data(`b${b} c${c}`)}`;
      if (c === 0) stream += `from ${main}\n`;
      stream += `M 100644 inline ${path((b * 2 + c) * 13 % FILES)}\n${data(`VALUE = "branch ${b} commit ${c}"\n`)}`;
    }
  }
  git(root, ['fast-import', '--quiet'], stream);
  git(root, ['status', '--porcelain']);
  return root;
}

async function time(fn: () => unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function nativeSnapshot(root: string, n: number): void {
  const scratch = mkdtempSync(join(tmpdir(), 'provenant-bench-index-'));
  const env = { ...process.env, GIT_INDEX_FILE: join(scratch, 'index') };
  copyFileSync(join(root, '.git', 'index'), join(scratch, 'index'));
  git(root, ['add', '-A'], undefined, env);
  const tree = git(root, ['write-tree'], undefined, env);
  const commit = git(root, ['commit-tree', tree, '-p', 'HEAD', '-m', 'snapshot'], undefined, env);
  git(root, ['update-ref', `refs/bench/native/${n}`, commit]);
  rmSync(scratch, { recursive: true, force: true });
}

export async function benchExperiments(): Promise<void> {
  const root = makeRepository();
  const rows: [string, number, number, string][] = [];
  const best = (xs: number[]) => Math.min(...xs);
  try {
    // list: branches with ahead/behind main (native: for-each-ref + rev-list --left-right --count per branch)
    const ours: number[] = [];
    const native: number[] = [];
    const nativeRefsOnly: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      ours.push(await time(() => listExperiments(root, { runs: [] })));
      nativeRefsOnly.push(await time(() => git(root, ['for-each-ref', '--format=%(refname:short)', 'refs/heads'])));
      native.push(
        await time(() => {
          for (const b of git(root, ['for-each-ref', '--format=%(refname:short)', 'refs/heads']).split('\n')) git(root, ['rev-list', '--left-right', '--count', `main...${b}`]);
        }),
      );
    }
    rows.push(['list (with ahead/behind)', best(ours), best(native), 'for-each-ref + rev-list --count per branch']);
    rows.push(['list (names only baseline)', best(ours), best(nativeRefsOnly), 'for-each-ref alone']);

    // new from HEAD
    const newOurs: number[] = [];
    const newNative: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      newNative.push(await time(() => git(root, ['switch', '-q', '-c', `native-new-${r}`])));
      git(root, ['switch', '-q', 'main']);
      newOurs.push(await time(() => newExperiment(root, `ours-new-${r}`)));
      git(root, ['switch', '-q', 'main']);
    }
    rows.push(['new (from HEAD, switch to it)', best(newOurs), best(newNative), 'git switch -c']);

    // switch between two experiments (4 files differ), back and forth
    const sw: Record<string, number[]> = { isomorphic: [], native: [], git: [] };
    for (let r = 0; r < ROUNDS; r++) {
      sw.git!.push(await time(() => git(root, ['switch', '-q', 'exp/b1'])));
      git(root, ['switch', '-q', 'exp/b2']);
      sw.isomorphic!.push(await time(() => switchExperiment(root, 'exp/b1', { engine: 'isomorphic' })));
      await switchExperiment(root, 'exp/b2', { engine: 'isomorphic' });
      sw.native!.push(await time(() => switchExperiment(root, 'exp/b1', { engine: 'native' })));
      await switchExperiment(root, 'exp/b2');
    }
    rows.push(['switch (built-in engine)', best(sw.isomorphic!), best(sw.git!), 'git switch']);
    rows.push(['switch (through git executable)', best(sw.native!), best(sw.git!), 'git switch']);

    // a run's code snapshot with two edits and one new file
    writeFileSync(join(root, 'pkg0', 'mod0', 'file0.py'), 'VALUE = "edited"\n');
    writeFileSync(join(root, 'pkg1', 'mod1', 'file1.py'), 'VALUE = "edited too"\n');
    writeFileSync(join(root, 'new_module.py'), 'NEW = 1\n');
    git(root, ['status', '--porcelain']);
    const snapOurs: number[] = [];
    const snapNative: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      snapNative.push(await time(() => nativeSnapshot(root, r)));
      snapOurs.push(await time(() => snapshotWorkingTree(root, { runId: `20260101-000000-00000${r}` })));
    }
    rows.push(['snapshot a run (2 edits, 1 new file)', best(snapOurs), best(snapNative), 'add -A to a private index, write-tree, commit-tree']);

    console.log(`\nExperiment branches: ${FILES} files, ${BRANCHES + 1} branches (best of ${ROUNDS}); ratio = provenant / native (below 1: provenant is faster)`);
    for (const [what, a, b, baseline] of rows) {
      console.log(`  ${what.padEnd(38)} provenant ${a.toFixed(0).padStart(6)} ms   native ${b.toFixed(0).padStart(6)} ms   ratio ${(a / b).toFixed(2).padStart(6)}   (${baseline})`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchExperiments().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
