// Code snapshot of a run vs the same work done by native git, on a repository of 5,000 files.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snapshotWorkingTree } from '../src/core/git/snapshot';

const FILES = 5000;
const ROUNDS = 3;

function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();
}

function makeRepository(): string {
  const root = mkdtempSync(join(tmpdir(), 'provenant-bench-snapshot-'));
  git(root, ['init', '-q', '-b', 'main']);
  for (let i = 0; i < FILES; i++) {
    const dir = join(root, `pkg${i % 50}`, `mod${i % 7}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `file${i}.py`), `# module ${i}\nVALUE = ${i}\n`.repeat(8));
  }
  git(root, ['add', '-A']);
  git(root, ['-c', 'user.name=Bench', '-c', 'user.email=b@example.com', 'commit', '-q', '-m', 'init']);
  git(root, ['config', 'user.name', 'Bench']);
  git(root, ['config', 'user.email', 'b@example.com']);
  // A day's work: two edits and one new file.
  writeFileSync(join(root, 'pkg0', 'mod0', 'file0.py'), 'VALUE = "edited"\n');
  writeFileSync(join(root, 'pkg1', 'mod1', 'file1.py'), 'VALUE = "edited too"\n');
  writeFileSync(join(root, 'new_module.py'), 'NEW = 1\n');
  git(root, ['status', '--porcelain']); // git's stat cache refreshed, as after any editor session
  return root;
}

/** What native git needs for the same result: a private index, `add -A`, `write-tree`, `commit-tree`, `update-ref`. */
function nativeSnapshot(root: string, n: number): void {
  const scratch = mkdtempSync(join(tmpdir(), 'provenant-bench-index-'));
  const env = { ...process.env, GIT_INDEX_FILE: join(scratch, 'index') };
  copyFileSync(join(root, '.git', 'index'), join(scratch, 'index'));
  git(root, ['add', '-A'], env);
  const tree = git(root, ['write-tree'], env);
  const commit = git(root, ['commit-tree', tree, '-p', 'HEAD', '-m', 'snapshot'], env);
  git(root, ['update-ref', `refs/bench/native/${n}`, commit]);
  rmSync(scratch, { recursive: true, force: true });
}

export async function benchSnapshot(): Promise<void> {
  const root = makeRepository();
  try {
    const ours: number[] = [];
    const native: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let t = performance.now();
      nativeSnapshot(root, round);
      native.push(performance.now() - t);
      t = performance.now();
      await snapshotWorkingTree(root, { runId: `20260101-000000-00000${round}` });
      ours.push(performance.now() - t);
    }
    const best = (xs: number[]) => Math.min(...xs);
    console.log(`\nCode snapshot of a run: ${FILES} files, 2 edited, 1 added (best of ${ROUNDS})`);
    console.log(`  provenant (isomorphic-git, stat cache reused)  ${best(ours).toFixed(0)} ms`);
    console.log(`  native git (add -A, write-tree, commit-tree)   ${best(native).toFixed(0)} ms`);
    console.log(`  ratio native/provenant                          ${(best(native) / best(ours)).toFixed(2)}  (above 1: provenant is faster)`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchSnapshot().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
