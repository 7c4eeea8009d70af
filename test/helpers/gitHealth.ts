// Checks shared by the reliability tests of git and experiments: the repository is valid for
// native git, nothing partial is left under a final name, nothing outside the workspace changed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './git';

/** Every file below `dir` (relative path), recursively. */
export function filesBelow(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const d of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...filesBelow(dir, path));
    else out.push(path);
  }
  return out;
}

/** A folder outside the workspace, with a fingerprint to compare after each fault. */
export function makeSentinel(): { dir: string; assertUnchanged(): void } {
  const dir = tempDir('provenant-sentinel-');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'a.txt'), 'sentinel\n');
  writeFileSync(join(dir, 'sub', 'b.bin'), Buffer.from([0, 1, 2, 3]));
  const fingerprint = () => {
    const h = createHash('sha256');
    for (const f of filesBelow(dir).sort()) {
      const st = statSync(join(dir, f));
      h.update(`${f}\0${st.size}\0${st.mtimeMs}\0`).update(readFileSync(join(dir, f)));
    }
    return h.digest('hex');
  };
  const before = fingerprint();
  return { dir, assertUnchanged: () => assert.equal(fingerprint(), before, 'the sentinel folder outside the workspace changed') };
}

/** Loose objects that are empty: git takes them as present and they are unreadable. */
export function emptyObjects(root: string): string[] {
  const objects = join(root, '.git', 'objects');
  return filesBelow(objects).filter((f) => /^[0-9a-f]{2}\/[0-9a-f]{38}$/.test(f) && statSync(join(objects, f)).size === 0);
}

/** Temporary files of Provenant's writes left in `.git` (allowed only after a kill, never after a handled error). */
export function leftovers(root: string): string[] {
  return filesBelow(join(root, '.git')).filter((f) => /(^|\/)tmp_obj_|\.lock$|\.tmp$/.test(f));
}

/** `git fsck --strict` passes (dangling objects are fine: failed attempts leave some). */
export function assertFsck(root: string, context = ''): void {
  const r = spawnSync('git', ['fsck', '--strict', '--no-dangling', '--no-progress'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `git fsck --strict failed ${context}:\n${r.stderr}${r.stdout}`);
  assert.deepEqual(emptyObjects(root), [], `empty objects under their final names ${context}`);
}

/** The repository still works for native git: add, commit and clone of everything in the working tree. */
export function assertGitUsable(root: string, context = ''): void {
  const env = { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@e' };
  execFileSync('git', ['add', '-A'], { cwd: root, env });
  execFileSync('git', ['commit', '-q', '--allow-empty', '-m', 'after the fault'], { cwd: root, env });
  const clone = tempDir('provenant-clone-');
  try {
    const r = spawnSync('git', ['clone', '-q', '--no-local', root, join(clone, 'c')], { encoding: 'utf8' });
    assert.equal(r.status, 0, `git clone failed ${context}: ${r.stderr}`);
    assertFsck(join(clone, 'c'), `(clone) ${context}`);
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
}
