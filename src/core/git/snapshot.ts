import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { git, fs, headCommit, authorIdentity, detectLimitations, gitExecutableAvailable } from './repo';
import { collectWorkingTree } from './workingTree';
import { readGitIndex } from './indexFile';
import { writeTreeFromFiles, diffTrees, treeWithFiles } from './trees';
import { ProvenantError } from '../util/errors';
import type { CodeState } from '../runs/types';

export const RUN_REF_PREFIX = 'refs/provenant/runs/';

export interface SnapshotOptions {
  runId: string;
  message?: string;
  /** Called for each working-tree file visited (progress). */
  onFile?: () => void;
}

async function headTree(root: string, head: string | null): Promise<string | null> {
  if (!head) return null;
  const { commit } = await git.readCommit({ fs, dir: root, oid: head });
  return commit.tree;
}

/** Tree of the working tree through the git executable, with a throw-away copy of the index. */
function nativeWorkingTree(root: string): string {
  const scratch = mkdtempSync(join(tmpdir(), 'provenant-index-'));
  try {
    const gitDir = spawnSync('git', ['rev-parse', '--git-dir'], { cwd: root, encoding: 'utf8' }).stdout.trim();
    const indexFile = join(scratch, 'index');
    const realIndex = join(root, gitDir, 'index');
    if (existsSync(realIndex)) copyFileSync(realIndex, indexFile);
    const env = { ...process.env, GIT_INDEX_FILE: indexFile };
    const add = spawnSync('git', ['add', '-A', '--', '.'], { cwd: root, env, encoding: 'utf8' });
    if (add.status !== 0) throw new Error(add.stderr.trim());
    const tree = spawnSync('git', ['write-tree'], { cwd: root, env, encoding: 'utf8' });
    if (tree.status !== 0) throw new Error(tree.stderr.trim());
    return tree.stdout.trim();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Records the exact code state of the working tree as a commit on `refs/provenant/runs/<id>`,
 * parent = HEAD. HEAD, the index and the working tree are left untouched.
 */
export async function snapshotWorkingTree(root: string, options: SnapshotOptions): Promise<CodeState> {
  const limitations = detectLimitations(root);
  const blocking = limitations.filter((l) => !l.nativeFallback);
  if (blocking.length > 0) {
    throw new ProvenantError(`cannot snapshot the code: ${blocking.map((l) => l.message).join('; ')}`, {
      file: root,
      hint: 'Finish or abort it with git (e.g. `git merge --abort`), then start the run again.',
      code: 'E_REPO_STATE',
    });
  }
  const head = await headCommit(root);
  let tree: string;
  if (limitations.length > 0) {
    if (!gitExecutableAvailable()) {
      throw new ProvenantError(`cannot snapshot the code: ${limitations.map((l) => l.message).join('; ')}, which the built-in git library does not support`, {
        file: root,
        hint: 'Install the git executable (Provenant then uses it for this repository), or turn the feature off (e.g. `git config feature.manyFiles false && git update-index --index-version 2`).',
        code: 'E_REPO_UNSUPPORTED',
      });
    }
    tree = nativeWorkingTree(root);
  } else {
    const index = readGitIndex(join(root, '.git'));
    const files = await collectWorkingTree(root, index, options.onFile);
    tree = await writeTreeFromFiles(root, files);
  }
  const author = await authorIdentity(root);
  const now = Math.floor(Date.now() / 1000);
  const identity = { ...author, timestamp: now, timezoneOffset: new Date().getTimezoneOffset() };
  const snapshotCommit = await git.writeCommit({
    fs,
    dir: root,
    commit: {
      message: options.message ?? `provenant: code snapshot of run ${options.runId}\n`,
      tree,
      parent: head ? [head] : [],
      author: identity,
      committer: identity,
    },
  });
  const snapshotRef = `${RUN_REF_PREFIX}${options.runId}`;
  await git.writeRef({ fs, dir: root, ref: snapshotRef, value: snapshotCommit, force: true });
  const changedFiles = await diffTrees(root, await headTree(root, head), tree);
  return { baseCommit: head, snapshotCommit, snapshotRef, dirty: changedFiles.length > 0, changedFiles };
}

/**
 * Stores the run's record in git: a commit on top of the snapshot whose tree is the snapshot plus
 * the run folder's small files at `.provenant/runs/<id>/`. The run ref then points at it, so
 * pushing `refs/provenant/runs/*` shares runs with their code.
 */
export async function commitRunRecord(root: string, code: CodeState, runId: string, files: Map<string, Uint8Array>): Promise<string> {
  const { commit: snapshot } = await git.readCommit({ fs, dir: root, oid: code.snapshotCommit });
  const tree = await treeWithFiles(root, snapshot.tree, `.provenant/runs/${runId}`, files);
  const author = await authorIdentity(root);
  const identity = { ...author, timestamp: Math.floor(Date.now() / 1000), timezoneOffset: new Date().getTimezoneOffset() };
  const oid = await git.writeCommit({
    fs,
    dir: root,
    commit: { message: `provenant: record of run ${runId}\n`, tree, parent: [code.snapshotCommit], author: identity, committer: identity },
  });
  await git.writeRef({ fs, dir: root, ref: code.snapshotRef, value: oid, force: true });
  return oid;
}
