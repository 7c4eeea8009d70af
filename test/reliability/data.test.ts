// Hostile input and kill -9 for `provenant data`: `.dvc` files and `.dir` manifests that name paths
// through symbolic links, into `.git/` or `.dvc/`, with control characters; `data add` killed at
// random points. After each case a sentinel folder outside the workspace is byte-identical,
// `.git/config` and `.git/hooks` are unchanged and `git fsck --strict` is clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeManifest } from '../../src/core/data/dirManifest';
import { cli, cliProcess } from '../helpers/cli';
import { git, makeRepo, tempDir, writeFiles } from '../helpers/git';

const md5 = (b: string | Buffer) => createHash('md5').update(b).digest('hex');
let faults = 0;
let operations = 0;
const cleanup: string[] = [];
test.after(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  console.log(`# faults: ${faults}, operations: ${operations}`);
});

/** Every entry below `dir`: file content hash and mode, link target, or folder. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const abs = join(d, name);
      const key = rel ? `${rel}/${name}` : name;
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) out[key] = `link ${readlinkSync(abs)}`;
      else if (st.isDirectory()) {
        out[key] = 'dir';
        walk(abs, key);
      } else out[key] = `file ${(st.mode & 0o777).toString(8)} ${md5(readFileSync(abs))}`;
    }
  };
  walk(dir, '');
  return out;
}

interface Scene {
  root: string;
  sentinel: string;
  before: { sentinel: Record<string, string>; config: string; hooks: Record<string, string> };
}

/** A real git repository with data tracked, and a sentinel folder outside it. */
function scene(files: Record<string, string> = {}): Scene {
  const root = makeRepo();
  const sentinel = tempDir('provenant-sentinel-');
  cleanup.push(root, sentinel);
  writeFiles(sentinel, { 'keep.txt': 'do not touch\n', 'pwned.csv': 'original\n', 'deep/inner.txt': 'inner\n' });
  writeFiles(root, files);
  return { root, sentinel, before: { sentinel: snapshot(sentinel), config: readFileSync(join(root, '.git/config'), 'utf8'), hooks: snapshot(join(root, '.git/hooks')) } };
}

function assertIntact(s: Scene, what: string): void {
  assert.deepEqual(snapshot(s.sentinel), s.before.sentinel, `${what}: the sentinel outside the workspace changed`);
  assert.equal(readFileSync(join(s.root, '.git/config'), 'utf8'), s.before.config, `${what}: .git/config changed`);
  assert.deepEqual(snapshot(join(s.root, '.git/hooks')), s.before.hooks, `${what}: .git/hooks changed`);
  git(s.root, 'fsck', '--strict', '--no-dangling');
  // The fsmonitor payload would create this file at the next `git status`.
  git(s.root, 'status', '--porcelain');
  assert.ok(!existsSync(join(s.root, 'PWNED')) && !existsSync(join(s.sentinel, 'PWNED')), `${what}: a command ran through git`);
}

function add(s: Scene, ...paths: string[]): void {
  const r = cli(s.root, ['data', 'add', ...paths]);
  assert.equal(r.status, 0, r.stderr);
}

/** Runs a hostile command: it must be refused (exit 2, message matching `why`), nothing written. */
function refused(s: Scene, args: string[], why: RegExp, what: string): void {
  faults++;
  operations++;
  const r = cli(s.root, args);
  assert.equal(r.status, 2, `${what}: expected a refusal\n${r.stdout}${r.stderr}`);
  assert.match(r.stderr, why, what);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: a stack trace`);
  assertIntact(s, what);
}

const PAYLOAD = '[core]\n\trepositoryformatversion = 0\n\tfsmonitor = touch PWNED\n';

function dvcFile(md5sum: string, path: string, size = 1): string {
  return `outs:\n- md5: ${md5sum}\n  size: ${size}\n  hash: md5\n  path: ${path}\n`;
}

test('checkout never writes through a symbolic link, into .git or .dvc, nor names with control characters', () => {
  // A .dvc path through a symlinked folder.
  {
    const s = scene({ 'payload.csv': 'evil\n' });
    add(s, 'payload.csv');
    symlinkSync(s.sentinel, join(s.root, 'link'));
    writeFileSync(join(s.root, 'pwned.dvc'), dvcFile(md5('evil\n'), 'link/pwned.csv', 5));
    refused(s, ['data', 'checkout'], /link\/pwned\.csv[\s\S]*symbolic link "link"/, 'path through a symlinked folder');
    refused(s, ['data', 'checkout', '--force'], /symbolic link "link"/, 'path through a symlinked folder, --force');
    refused(s, ['data', 'checkout', 'pwned.dvc', '--force'], /symbolic link "link"/, 'target through a symlinked folder');
    // dvc pull would check it out: refused before dvc is asked
    refused(s, ['data', 'pull'], /symbolic link "link"/, 'pull of a path through a symlinked folder');
  }
  // A .dir entry under a symlinked subfolder.
  {
    const s = scene({ 'data/a.csv': 'a\n', 'data/sub/pwned.csv': 'evil\n' });
    add(s, 'data');
    rmSync(join(s.root, 'data/sub'), { recursive: true });
    symlinkSync(s.sentinel, join(s.root, 'data/sub'));
    refused(s, ['data', 'checkout', '--force'], /data\/sub\/pwned\.csv[\s\S]*symbolic link "data\/sub"/, '.dir entry under a symlinked subfolder');
    // The output itself a link to a folder outside.
    rmSync(join(s.root, 'data'), { recursive: true });
    symlinkSync(s.sentinel, join(s.root, 'data'));
    refused(s, ['data', 'checkout', '--force'], /"data".*symbolic link/, 'directory output that is a symlink');
  }
  // .git/config (with --force: it exists) and new hook files (without --force: they do not).
  {
    const s = scene({ 'payload.txt': PAYLOAD, 'hook.sh': '#!/bin/sh\ntouch PWNED\n' });
    add(s, 'payload.txt', 'hook.sh');
    const cfg = md5(PAYLOAD);
    const hook = md5('#!/bin/sh\ntouch PWNED\n');
    for (const [path, sum, force] of [
      ['.git/config', cfg, true],
      ['.git/hooks/pre-commit', hook, false],
      ['.GIT/config', cfg, true],
      ['.Git/hooks/post-checkout', hook, false],
      ['sub/.git/config', cfg, false],
      ['.dvc/config', cfg, true],
      ['.git./config', cfg, true],
    ] as const) {
      rmSync(join(s.root, 'evil.dvc'), { force: true });
      writeFileSync(join(s.root, 'evil.dvc'), dvcFile(sum, path));
      refused(s, ['data', 'checkout', ...(force ? ['--force'] : [])], /refusing to check out[\s\S]*(\.git|\.dvc)/i, `path: ${path}`);
      refused(s, ['data', 'pull'], /refusing to pull/, `pull of path: ${path}`);
    }
    assert.equal(readFileSync(join(s.root, '.dvc/config'), 'utf8'), '');
  }
  // Hostile names in a .dir manifest: control characters, .git inside the folder.
  {
    const s = scene({ 'payload.txt': PAYLOAD });
    add(s, 'payload.txt');
    const cacheDir = join(s.root, '.dvc/cache/files/md5');
    for (const relpath of ['a\nb.csv', 'ok/\u001b]0;title\u0007.csv', 'x\u0000y', '.git/config', 'sub/.GIT/hooks/pre-commit', 'sub/.dvc/config']) {
      const bytes = serializeManifest([{ md5: md5(PAYLOAD), relpath }]);
      const oid = `${md5(bytes)}.dir`;
      mkdirSync(join(cacheDir, oid.slice(0, 2)), { recursive: true });
      rmSync(join(cacheDir, oid.slice(0, 2), oid.slice(2)), { force: true });
      writeFileSync(join(cacheDir, oid.slice(0, 2), oid.slice(2)), bytes);
      writeFileSync(join(s.root, 'evil.dvc'), `outs:\n- md5: ${oid}\n  size: 1\n  nfiles: 1\n  hash: md5\n  path: data\n`);
      refused(s, ['data', 'checkout', '--force'], /refusing to check out|not a valid \.dir manifest/, `manifest entry ${JSON.stringify(relpath)}`);
      assert.ok(!existsSync(join(s.root, 'data')), `manifest entry ${JSON.stringify(relpath)}: nothing written`);
    }
  }
});

test('checkout --run --force refuses a run path through a symbolic link; a link at the file itself is replaced, not followed', () => {
  const s = scene({ '.provenant/config.yaml': 'train: [sh, -c, "true"]\ndata: [d/x.csv]\n', 'd/x.csv': 'run data\n', 'seed.txt': 's\n' });
  add(s, 'seed.txt'); // makes .dvc/ so the run stores its data in the cache
  operations++;
  const run = cli(s.root, ['run', '-q', '--name', 'r1']);
  assert.equal(run.status, 0, run.stderr);
  const id = readdirSync(join(s.root, '.provenant/runs'))[0]!;
  rmSync(join(s.root, 'd'), { recursive: true });
  symlinkSync(s.sentinel, join(s.root, 'd'));
  refused(s, ['data', 'checkout', '--run', id, '--force'], /d\/x\.csv[\s\S]*symbolic link "d"/, 'checkout --run through a symlinked folder');

  // d is a real folder again, but d/x.csv is a link to a file outside: the link is replaced.
  rmSync(join(s.root, 'd'));
  mkdirSync(join(s.root, 'd'));
  symlinkSync(join(s.sentinel, 'pwned.csv'), join(s.root, 'd/x.csv'));
  operations++;
  const ok = cli(s.root, ['data', 'checkout', '--run', id, '--force']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.ok(!lstatSync(join(s.root, 'd/x.csv')).isSymbolicLink());
  assert.equal(readFileSync(join(s.root, 'd/x.csv'), 'utf8'), 'run data\n');
  assertIntact(s, 'final-component link replaced');
});

test('data add killed with SIGKILL at random points: stale temporary objects are removed by the next add, the cache stays consistent', async () => {
  const s = scene();
  const files: Record<string, string> = {};
  for (let i = 0; i < 32; i++) files[`big/f${String(i).padStart(2, '0')}.bin`] = `${String(i)}:`.repeat(300_000 + i);
  writeFiles(s.root, files);
  const objects = join(s.root, '.dvc/cache/files/md5');
  const temps = () => (existsSync(objects) ? readdirSync(objects).filter((n) => n.endsWith('.tmp')) : []);
  let leftBehind = 0;
  for (let round = 0; round < 8; round++) {
    rmSync(join(s.root, '.dvc/cache'), { recursive: true, force: true });
    rmSync(join(s.root, '.provenant/state'), { recursive: true, force: true });
    const child = cliProcess(s.root, ['data', 'add', 'big']);
    const exited = new Promise((r) => child.once('exit', r));
    // A random point once the store has begun (the object folder exists), or anywhere before it.
    let done = false;
    void exited.then(() => (done = true));
    const early = round % 4 === 0;
    for (let waited = 0; !early && !done && !existsSync(objects) && waited < 20_000; waited += 5) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * (early ? 800 : 300))));
    child.kill('SIGKILL');
    await exited;
    faults++;
    operations++;
    const left = temps();
    leftBehind += left.length;
    // Age what the killed process left behind past the cleanup threshold, as time would.
    const old = new Date(Date.now() - 3600_000);
    for (const name of left) utimesSync(join(objects, name), old, old);
    // One more left by a dead process, whatever the kill hit; a fresh one of a live process (this
    // one) must survive the cleanup.
    mkdirSync(objects, { recursive: true });
    writeFileSync(join(objects, '.provenant-999999999-0-0.tmp'), 'partial');
    utimesSync(join(objects, '.provenant-999999999-0-0.tmp'), old, old);
    const live = `.provenant-${process.pid}-live${round}.tmp`;
    writeFileSync(join(objects, live), 'in progress');
    operations++;
    const again = cli(s.root, ['data', 'add', 'big']);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(temps(), [live], `round ${round}: stale temporary files remain`);
    rmSync(join(objects, live));
    // Every object is named by the hash of its bytes and read-only; the status is clean.
    for (const sub of readdirSync(objects)) {
      for (const name of readdirSync(join(objects, sub))) {
        const bytes = readFileSync(join(objects, sub, name));
        assert.equal(`${sub}${name}`.replace(/\.dir$/, ''), md5(bytes), `object ${sub}/${name} does not match its name`);
        assert.equal(lstatSync(join(objects, sub, name)).mode & 0o222, 0, `object ${sub}/${name} is writable`);
      }
    }
    const status = cli(s.root, ['data', 'status', '--json']);
    assert.equal(status.status, 0, status.stderr);
    assert.deepEqual((JSON.parse(status.stdout) as { status: string }[]).map((e) => e.status), ['unchanged']);
    assertIntact(s, `kill round ${round}`);
  }
  console.log(`# data add killed 8 times; ${leftBehind} temporary files were left behind and cleaned`);
});
