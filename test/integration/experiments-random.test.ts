// Randomized check of experiment branches on real repositories: seeded sequences of
// new / edit / run / switch / commit / merge / archive / restore, each step checked against a
// simple model of what every branch and the working tree must contain. Nothing committed or
// uncommitted may be lost, and native git (`git fsck`, `git status --porcelain`) must agree.
// Reproduce one sequence: PROVENANT_RANDOM_SEED=<seed> node --import tsx --test <this file>
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { git, makeRepo, writeFiles } from '../helpers/git';
import { sampleRun } from '../fixtures/runRecord';
import { snapshotWorkingTree } from '../../src/core/git/snapshot';
import { writeRun } from '../../src/core/runs/store';
import { newRunId } from '../../src/core/runs/ids';
import { archiveExperiment, mergeExperiment, newExperiment, restoreExperiment, switchExperiment, type DirtyPolicy } from '../../src/core/experiments/experiments';
import type { Engine } from '../../src/core/experiments/gitops';
import { ProvenantError } from '../../src/core/util/errors';

type Files = Map<string, string>;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POOL = ['a.txt', 'b.txt', 'src/model.py', 'src/util.py', 'data/params.yaml', 'notes.md'];

function blobId(content: string): string {
  const bytes = Buffer.from(content);
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

function diskFiles(root: string): Files {
  const out: Files = new Map();
  const visit = (rel: string) => {
    for (const d of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${d.name}` : d.name;
      if (!rel && (d.name === '.git' || d.name === '.provenant')) continue;
      if (d.isDirectory()) visit(path);
      else out.set(path, readFileSync(join(root, path), 'utf8'));
    }
  };
  visit('');
  return out;
}

function treeFiles(root: string, ref: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of git(root, 'ls-tree', '-r', ref).split('\n').filter(Boolean)) {
    const [meta, path] = line.split('\t') as [string, string];
    if (path.startsWith('.provenant/')) continue;
    out.set(path, meta.split(' ')[2]!);
  }
  return out;
}

const GITIGNORE = '/runs/\n/state/\n/tmp/\n';

/** The tree id git must hold for `files` (plus the committed .provenant/.gitignore), computed here. */
function treeId(files: Files): string {
  type Dir = Map<string, Dir | string>;
  const top: Dir = new Map();
  for (const [path, content] of [...files, ['.provenant/.gitignore', GITIGNORE] as [string, string]]) {
    const parts = path.split('/');
    let dir = top;
    for (const part of parts.slice(0, -1)) {
      if (!dir.has(part)) dir.set(part, new Map());
      dir = dir.get(part) as Dir;
    }
    dir.set(parts[parts.length - 1]!, content);
  }
  const hash = (dir: Dir): string => {
    const entries = [...dir].map(([name, v]) => ({ name, isTree: typeof v !== 'string', oid: typeof v === 'string' ? blobId(v) : hash(v) }));
    entries.sort((a, b) => Buffer.compare(Buffer.from(a.isTree ? `${a.name}/` : a.name), Buffer.from(b.isTree ? `${b.name}/` : b.name)));
    const body = Buffer.concat(entries.flatMap((e) => [Buffer.from(`${e.isTree ? '40000' : '100644'} ${e.name}\0`), Buffer.from(e.oid, 'hex')]));
    return createHash('sha1').update(`tree ${body.length}\0`).update(body).digest('hex');
  };
  return hash(top);
}

function ids(files: Files): Map<string, string> {
  return new Map([...files].map(([p, c]) => [p, blobId(c)]));
}

function dirtyPaths(working: Files, committed: Files): string[] {
  const paths = new Set([...working.keys(), ...committed.keys()]);
  return [...paths].filter((p) => working.get(p) !== committed.get(p)).sort();
}

function differing(a: Files, b: Files): Set<string> {
  return new Set([...new Set([...a.keys(), ...b.keys()])].filter((p) => a.get(p) !== b.get(p)));
}

function codeOf(err: unknown): string {
  return err instanceof ProvenantError ? err.code : `unexpected: ${(err as Error).stack ?? String(err)}`;
}

function isAncestor(root: string, a: string, b: string): boolean {
  try {
    git(root, 'merge-base', '--is-ancestor', a, b);
    return true;
  } catch {
    return false;
  }
}

async function sequence(seed: number, steps: number, engine: Engine | undefined, log: string[]): Promise<void> {
  const random = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const root = makeRepo({ 'a.txt': 'a0\n', 'src/model.py': 'model0\n', '.provenant/.gitignore': '/runs/\n/state/\n/tmp/\n' });
  const initial: Files = new Map([['a.txt', 'a0\n'], ['src/model.py', 'model0\n']]);
  const branches = new Map<string, Files>([['main', new Map(initial)]]);
  const archived = new Map<string, Files>();
  const snapshots = new Map<string, Files>();
  let working: Files = new Map(initial);
  let current = 'main';
  let counter = 0;
  const opts = engine ? { engine } : {};

  const check = (what: string) => {
    const disk = diskFiles(root);
    assert.deepEqual(new Map([...disk].sort()), new Map([...working].sort()), `${what}: working tree content`);
    assert.equal(git(root, 'symbolic-ref', '--short', 'HEAD'), current, `${what}: current branch`);
    const refs = new Map(
      git(root, 'for-each-ref', '--format=%(refname) %(tree)', 'refs/heads', 'refs/provenant/archive')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ') as [string, string]),
    );
    const expected = new Map([...[...branches].map(([n, f]) => [`refs/heads/${n}`, treeId(f)] as const), ...[...archived].map(([n, f]) => [`refs/provenant/archive/${n}`, treeId(f)] as const)]);
    assert.deepEqual(new Map([...refs].sort()), new Map([...expected].sort()), `${what}: branches and their committed content`);
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--no-renames'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3))
      .filter((p) => !p.startsWith('.provenant/'))
      .sort();
    assert.deepEqual(status, dirtyPaths(working, branches.get(current)!), `${what}: git status --porcelain`);
    git(root, 'fsck', '--no-dangling', '--no-progress');
    assert.ok(!existsSync(join(root, '.git', 'index.lock')), `${what}: index lock released`);
  };

  const expectRefusal = async (what: string, action: () => Promise<unknown>, codes: string[]) => {
    await assert.rejects(action, (err: unknown) => {
      assert.ok(codes.includes(codeOf(err)), `${what}: expected ${codes.join('/')} but got ${codeOf(err)}`);
      return true;
    });
  };

  try {
    check('start');
    for (let step = 0; step < steps; step++) {
      const r = random();
      const policy: DirtyPolicy | undefined = pick([undefined, 'commit', 'carry'] as const);
      if (r < 0.3) {
        const path = pick(POOL);
        const kind = working.has(path) && random() < 0.25 ? 'delete' : 'write';
        log.push(`edit ${kind} ${path}`);
        if (kind === 'delete') {
          rmSync(join(root, path));
          for (let dir = path.split('/').slice(0, -1).join('/'); dir && readdirSync(join(root, dir)).length === 0; dir = dir.split('/').slice(0, -1).join('/')) rmSync(join(root, dir), { recursive: true });
          working.delete(path);
        } else {
          const content = `${path}@${seed}.${step}\n`;
          writeFiles(root, { [path]: content });
          working.set(path, content);
        }
      } else if (r < 0.4) {
        const name = `e${counter++}`;
        log.push(`new ${name}`);
        await newExperiment(root, name, opts);
        branches.set(`exp/${name}`, new Map(branches.get(current)!));
        current = `exp/${name}`;
      } else if (r < 0.47) {
        const id = newRunId(new Date(Date.UTC(2026, 0, 1, 0, 0, step)), (seed % 0xfff).toString(16).padStart(3, '0') + step.toString(16).padStart(3, '0'));
        log.push(`run ${id}`);
        const code = await snapshotWorkingTree(root, { runId: id });
        writeRun(root, sampleRun({ id, name: id, experiment: current, code }));
        snapshots.set(id, new Map(working));
        assert.deepEqual(treeFiles(root, code.snapshotCommit), ids(working), 'run snapshot holds the working tree');
      } else if (r < 0.52 && snapshots.size) {
        const id = pick([...snapshots.keys()]);
        const name = `r${counter++}`;
        log.push(`new ${name} --from ${id} (${policy ?? 'no policy'})`);
        const target = snapshots.get(id)!;
        const dirty = dirtyPaths(working, branches.get(current)!);
        const clash = dirty.filter((p) => differing(branches.get(current)!, target).has(p));
        if (dirty.length && differing(branches.get(current)!, target).size && (!policy || (policy === 'carry' && clash.length))) {
          await expectRefusal('new --from', () => newExperiment(root, name, { ...opts, from: id, ...(policy ? { dirty: policy } : {}) }), ['E_DIRTY', 'E_WOULD_OVERWRITE', 'E_GIT']);
        } else {
          await newExperiment(root, name, { ...opts, from: id, ...(policy ? { dirty: policy } : {}) });
          if (dirty.length && differing(branches.get(current)!, target).size && policy === 'commit') branches.set(current, new Map(working));
          const carried = policy === 'carry' || !differing(branches.get(current)!, target).size ? dirty : [];
          const next = new Map(target);
          for (const p of carried) (working.has(p) ? next.set(p, working.get(p)!) : next.delete(p));
          if (!differing(branches.get(current)!, target).size) for (const p of dirty) (working.has(p) ? next.set(p, working.get(p)!) : next.delete(p));
          working = next;
          branches.set(`exp/${name}`, new Map(target));
          current = `exp/${name}`;
        }
      } else if (r < 0.72) {
        const target = pick([...branches.keys()]);
        log.push(`switch ${target} (${policy ?? 'no policy'})`);
        const committed = branches.get(current)!;
        const dirty = dirtyPaths(working, committed);
        if (target === current) {
          await switchExperiment(root, target, { ...opts, ...(policy ? { dirty: policy } : {}) });
        } else if (dirty.length && !policy) {
          await expectRefusal('switch', () => switchExperiment(root, target, opts), ['E_DIRTY']);
        } else {
          const from = policy === 'commit' && dirty.length ? new Map(working) : committed;
          const to = branches.get(target)!;
          const touched = differing(from, to);
          const carried = policy === 'carry' ? dirty : [];
          if (carried.some((p) => touched.has(p))) {
            await expectRefusal('switch --carry', () => switchExperiment(root, target, { ...opts, dirty: 'carry' }), ['E_WOULD_OVERWRITE', 'E_GIT']);
          } else {
            await switchExperiment(root, target, { ...opts, ...(policy ? { dirty: policy } : {}) });
            if (policy === 'commit' && dirty.length) branches.set(current, new Map(working));
            const next = new Map(to);
            for (const p of carried) (working.has(p) ? next.set(p, working.get(p)!) : next.delete(p));
            working = next;
            current = target;
          }
        }
      } else if (r < 0.8) {
        log.push('commit (native git)');
        if (dirtyPaths(working, branches.get(current)!).length) {
          git(root, 'add', '-A');
          git(root, 'commit', '-q', '-m', `step ${step}`);
          branches.set(current, new Map(working));
        }
      } else if (r < 0.9 && current === 'main') {
        const candidates = [...branches.keys()].filter((b) => b !== 'main');
        if (!candidates.length) continue;
        const exp = pick(candidates);
        const mergePolicy = random() < 0.5 ? 'commit' : undefined;
        log.push(`merge ${exp} into main (${mergePolicy ?? 'no policy'})`);
        let ours = branches.get('main')!;
        const tracked = dirtyPaths(working, ours).filter((p) => ours.has(p));
        if (isAncestor(root, `refs/heads/${exp}`, 'refs/heads/main')) {
          assert.equal((await mergeExperiment(root, exp, opts)).status, 'up-to-date');
          check(`step ${step}`);
          continue;
        }
        if (tracked.length && !mergePolicy) {
          await expectRefusal('merge with tracked changes', () => mergeExperiment(root, exp, opts), ['E_DIRTY']);
          continue;
        }
        const theirs = branches.get(exp)!;
        // Model of the merge; base and ancestry from git, contents from the model.
        const dirtyAll = dirtyPaths(working, ours);
        const willCommit = mergePolicy === 'commit' && dirtyAll.length > 0;
        const oursAfter = willCommit ? new Map(working) : ours;
        const untracked = willCommit ? [] : dirtyAll.filter((p) => !ours.has(p));
        let result: Files | 'conflict' | 'same';
        const upToDate = !willCommit && isAncestor(root, `refs/heads/${exp}`, 'refs/heads/main');
        const ff = !willCommit && isAncestor(root, 'refs/heads/main', `refs/heads/${exp}`);
        if (upToDate) result = 'same';
        else if (ff) result = new Map(theirs);
        else {
          const baseRef = git(root, 'merge-base', 'main', exp);
          const baseIds = treeFiles(root, baseRef);
          const oursIds = ids(oursAfter);
          const theirIds = ids(theirs);
          const merged: Files = new Map();
          let conflict = false;
          for (const p of new Set([...baseIds.keys(), ...oursIds.keys(), ...theirIds.keys()])) {
            const [b, o, t] = [baseIds.get(p), oursIds.get(p), theirIds.get(p)];
            const value = o === t ? 'ours' : b === o ? 'theirs' : b === t ? 'ours' : 'conflict';
            if (value === 'conflict') conflict = true;
            else if (value === 'ours' && oursAfter.has(p)) merged.set(p, oursAfter.get(p)!);
            else if (value === 'theirs' && theirs.has(p)) merged.set(p, theirs.get(p)!);
          }
          result = conflict ? 'conflict' : merged;
        }
        const overwrite = result instanceof Map && untracked.some((p) => result instanceof Map && result.get(p) !== undefined && result.get(p) !== working.get(p) && differing(oursAfter, result).has(p));
        if (result === 'conflict' || overwrite) {
          await expectRefusal('merge', () => mergeExperiment(root, exp, { ...opts, ...(mergePolicy ? { dirty: 'commit' as const } : {}) }), ['E_MERGE_CONFLICT', 'E_WOULD_OVERWRITE', 'E_GIT']);
          if (willCommit) branches.set('main', new Map(working)); // the commit happened before the merge was refused
          continue;
        }
        await mergeExperiment(root, exp, { ...opts, ...(mergePolicy ? { dirty: 'commit' as const } : {}) });
        if (willCommit) branches.set('main', new Map(working));
        if (result instanceof Map) {
          branches.set('main', result);
          const next = new Map(result);
          for (const p of untracked) next.set(p, working.get(p)!);
          working = next;
        }
      } else if (r < 0.95) {
        const candidates = [...branches.keys()].filter((b) => b !== 'main' && b !== current);
        if (!candidates.length) continue;
        const name = pick(candidates);
        log.push(`archive ${name}`);
        await archiveExperiment(root, name, { reason: `step ${step}` });
        archived.set(name, branches.get(name)!);
        branches.delete(name);
      } else if (archived.size) {
        const name = pick([...archived.keys()]);
        log.push(`restore ${name}`);
        await restoreExperiment(root, name);
        branches.set(name, archived.get(name)!);
        archived.delete(name);
      }
      check(`step ${step}`);
    }
    // Every run snapshot still holds the code it captured.
    for (const [id, files] of snapshots) assert.deepEqual(treeFiles(root, `refs/provenant/runs/${id}`), ids(files), `run ${id} snapshot`);
    assert.ok(lstatSync(join(root, '.git')).isDirectory());
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const ONE = process.env.PROVENANT_RANDOM_SEED;
const SEQUENCES = ONE ? 1 : Number(process.env.PROVENANT_RANDOM_SEQUENCES ?? 200);
const STEPS = Number(process.env.PROVENANT_RANDOM_STEPS ?? 10);

test(`experiment branches: ${SEQUENCES} seeded random sequences of ${STEPS} steps lose nothing and agree with native git`, { timeout: 600_000 }, async () => {
  for (let i = 0; i < SEQUENCES; i++) {
    const seed = ONE ? Number(ONE) : 1000 + i;
    // Most sequences use the built-in engine; every fourth goes through the git executable.
    const engine: Engine | undefined = seed % 4 === 3 ? 'native' : undefined;
    const log: string[] = [];
    try {
      await sequence(seed, STEPS, engine, log);
    } catch (err) {
      const message = `seed ${seed} (engine ${engine ?? 'auto'}) failed after: ${log.join(' → ')}\nreproduce: PROVENANT_RANDOM_SEED=${seed} node --import tsx --test test/integration/experiments-random.test.ts\n${(err as Error).message}`;
      throw Object.assign(new Error(message), { cause: err });
    }
  }
});
