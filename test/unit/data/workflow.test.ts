// data add / status / checkout / diff on real folders: the files DVC would read, the cache layout and
// permissions, the legacy (DVC 2) rules, unsaved changes, corrupt objects, locks and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { dataAdd, storePath } from '../../../src/core/data/add';
import { dataCheckout, UnsavedChangesError } from '../../../src/core/data/checkout';
import { dataDiff } from '../../../src/core/data/diff';
import { DVC_GITIGNORE, initDvcRepo, openDvcRepo, withRepoLock } from '../../../src/core/data/dvcRepo';
import { hashFiles } from '../../../src/core/data/hashPool';
import { md5Bytes, md5Dos2UnixBytes } from '../../../src/core/data/md5';
import { objectPath, storeFileObject } from '../../../src/core/data/objectStore';
import { cacheRunData, dataHistory } from '../../../src/core/data/runData';
import { dataStatus, isStageStatus, type OutputStatus } from '../../../src/core/data/status';
import { writeRun } from '../../../src/core/runs/store';
import { ProvenantError } from '../../../src/core/util/errors';
import { sampleRun } from '../../fixtures/runRecord';
import { git } from '../../helpers/git';

const FOO = 'acbd18db4cc2f85cedef654fccc4a4d8';
const BAR = '37b51d194a7513e45b56f6524f2d51f2';
const base = mkdtempSync(join(tmpdir(), 'provenant-dataflow-'));
test.after(() => rmSync(base, { recursive: true, force: true }));
const PAST = new Date(Date.now() - 3600_000);
let n = 0;

function workspace(files: Record<string, string | Buffer>): string {
  const root = join(base, `w${n++}`);
  mkdirSync(root, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    utimesSync(path, PAST, PAST);
  }
  return root;
}

async function outputs(root: string): Promise<OutputStatus[]> {
  return (await dataStatus(root)).filter((e): e is OutputStatus => !isStageStatus(e));
}

/** Every file below a folder (relative paths), for "nothing was written" checks. */
function listing(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

const isCode = (code: string, pattern?: RegExp) => (err: unknown) => err instanceof ProvenantError && err.code === code && (!pattern || pattern.test(err.message));

test('data add writes the .dvc files, cache objects (0444), .gitignore and the dvc init files', async () => {
  const root = workspace({ 'data/foo': 'foo', 'data/bar': 'bar', 'model.bin': 'foo' });
  const { results, initialized } = await dataAdd(root, ['data', 'model.bin']);
  assert.equal(initialized, true);
  assert.equal(readFileSync(join(root, 'data.dvc'), 'utf8'), 'outs:\n- md5: 5ea40360f5b4ec688df672a4db9c17d1.dir\n  size: 6\n  nfiles: 2\n  hash: md5\n  path: data\n');
  assert.equal(readFileSync(join(root, 'model.bin.dvc'), 'utf8'), `outs:\n- md5: ${FOO}\n  size: 3\n  hash: md5\n  path: model.bin\n`);
  assert.equal(readFileSync(join(root, '.gitignore'), 'utf8'), '/data\n/model.bin\n');
  assert.equal(readFileSync(join(root, '.dvc/.gitignore'), 'utf8'), DVC_GITIGNORE);
  assert.equal(readFileSync(join(root, '.dvc/config'), 'utf8'), '');
  assert.ok(existsSync(join(root, '.dvcignore')));
  assert.deepEqual(listing(join(root, '.dvc/cache')), [
    `files/md5/37/${BAR.slice(2)}`,
    'files/md5/5e/a40360f5b4ec688df672a4db9c17d1.dir',
    `files/md5/ac/${FOO.slice(2)}`,
  ]);
  const manifest = join(root, '.dvc/cache/files/md5/5e/a40360f5b4ec688df672a4db9c17d1.dir');
  assert.equal(readFileSync(manifest, 'utf8'), `[{"md5": "${BAR}", "relpath": "bar"}, {"md5": "${FOO}", "relpath": "foo"}]`);
  for (const f of listing(join(root, '.dvc/cache'))) assert.equal(statSync(join(root, '.dvc/cache', f)).mode & 0o777, 0o444, f);
  assert.deepEqual(results.map((r) => [r.path, r.change]), [['data', 'created'], ['model.bin', 'created']]);

  // again: nothing changes, nothing is rewritten; the .gitignore line is not repeated
  const before = statSync(join(root, 'data.dvc')).mtimeMs;
  const again = await dataAdd(root, ['data', 'model.bin']);
  assert.deepEqual(again.results.map((r) => r.change), ['unchanged', 'unchanged']);
  assert.equal(statSync(join(root, 'data.dvc')).mtimeMs, before);
  assert.equal(readFileSync(join(root, '.gitignore'), 'utf8'), '/data\n/model.bin\n');
  assert.deepEqual((await outputs(root)).map((o) => [o.path, o.status]), [['data', 'unchanged'], ['model.bin', 'unchanged']]);
});

test('non-ASCII names, an empty folder and a nested file: the .dvc sits beside the output', async () => {
  const root = workspace({ 'données/été.csv': 'foo', 'sub/dir/x.csv': 'bar' });
  mkdirSync(join(root, 'empty'));
  await dataAdd(root, ['données', 'empty', 'sub/dir/x.csv']);
  assert.match(readFileSync(join(root, 'données.dvc'), 'utf8'), /path: données\n/);
  const manifest = readFileSync(objectPath(join(root, '.dvc/cache'), readFileSync(join(root, 'données.dvc'), 'utf8').match(/md5: (\S+)/)![1]!), 'utf8');
  assert.equal(manifest, `[{"md5": "${FOO}", "relpath": "\\u00e9t\\u00e9.csv"}]`);
  assert.equal(readFileSync(join(root, 'empty.dvc'), 'utf8'), 'outs:\n- md5: d751713988987e9331980363e24189ce.dir\n  size: 0\n  nfiles: 0\n  hash: md5\n  path: empty\n');
  assert.equal(readFileSync(join(root, 'sub/dir/x.csv.dvc'), 'utf8'), `outs:\n- md5: ${BAR}\n  size: 3\n  hash: md5\n  path: x.csv\n`);
  assert.equal(readFileSync(join(root, 'sub/dir/.gitignore'), 'utf8'), '/x.csv\n');
});

test('status: modified (which files), missing, not in cache; a new version keeps the .dvc comments', async () => {
  const root = workspace({ 'data/foo': 'foo', 'data/bar': 'bar', 'data/sub/baz': 'baz', 'one.txt': 'foo' });
  await dataAdd(root, ['data', 'one.txt']);
  writeFileSync(join(root, 'data/foo'), 'FOO');
  rmSync(join(root, 'data/bar'));
  writeFileSync(join(root, 'data/sub/new'), 'new');
  rmSync(join(root, 'one.txt'));
  let st = await outputs(root);
  assert.equal(st[0]!.status, 'modified');
  assert.deepEqual(st[0]!.changes, { added: ['sub/new'], removed: ['bar'], modified: ['foo'] });
  assert.equal(st[1]!.status, 'missing');

  writeFileSync(join(root, 'data.dvc'), `# keep me\n${readFileSync(join(root, 'data.dvc'), 'utf8')}`);
  const { results } = await dataAdd(root, ['data']);
  assert.equal(results[0]!.change, 'updated');
  const text = readFileSync(join(root, 'data.dvc'), 'utf8');
  assert.match(text, /^# keep me\nouts:\n- md5: [0-9a-f]{32}\.dir\n {2}size: 9\n {2}nfiles: 3\n {2}hash: md5\n {2}path: data\n$/);

  // an object removed from the cache
  const oid = text.match(/md5: (\S+)/)![1]!;
  const fooObj = objectPath(join(root, '.dvc/cache'), md5Bytes('FOO'));
  chmodSync(fooObj, 0o644);
  rmSync(fooObj);
  st = await outputs(root);
  assert.equal(st[0]!.status, 'not-in-cache');
  assert.equal(st[0]!.missingObjects, 1);
  // an invalid .dvc/config is named where the cache is needed
  const config = readFileSync(join(root, '.dvc/config'), 'utf8');
  writeFileSync(join(root, '.dvc/config'), '[cache]\n    type = teleport\n');
  assert.match((await outputs(root))[0]!.error!, /\.dvc[\\/]config: cache\.type "teleport"/);
  writeFileSync(join(root, '.dvc/config'), config);
  // the .dir manifest itself gone
  rmSync(objectPath(join(root, '.dvc/cache'), oid), { force: true });
  assert.equal((await outputs(root))[0]!.status, 'not-in-cache');
});

test('checkout restores from the cache, refuses to overwrite unsaved changes, --force overwrites', async () => {
  const root = workspace({ 'data/foo': 'foo', 'data/bar': 'bar', 'f.txt': 'foo' });
  await dataAdd(root, ['data', 'f.txt']);
  rmSync(join(root, 'data'), { recursive: true });
  rmSync(join(root, 'f.txt'));
  const restored = await dataCheckout(root);
  assert.deepEqual(restored.map((r) => [r.path, r.restored.length]), [['data', 2], ['f.txt', 1]]);
  assert.equal(readFileSync(join(root, 'data/foo'), 'utf8'), 'foo');
  assert.equal(statSync(join(root, 'data/foo')).mode & 0o222, 0o200, 'a copy is writable again');
  assert.deepEqual((await outputs(root)).map((o) => o.status), ['unchanged', 'unchanged']);

  writeFileSync(join(root, 'data/foo'), 'unsaved edit');
  writeFileSync(join(root, 'data/extra'), 'unsaved new file');
  await assert.rejects(dataCheckout(root, ['data']), (err: unknown) => err instanceof UnsavedChangesError && err.paths.join() === 'data/foo,data/extra');
  assert.equal(readFileSync(join(root, 'data/foo'), 'utf8'), 'unsaved edit', 'nothing was touched');
  assert.ok(existsSync(join(root, 'data/extra')));
  await dataCheckout(root, ['data'], { force: true });
  assert.equal(readFileSync(join(root, 'data/foo'), 'utf8'), 'foo');
  assert.equal(existsSync(join(root, 'data/extra')), false);

  // a change whose content is in the cache (another version) is not "unsaved"
  writeFileSync(join(root, 'data/foo'), 'bar');
  await dataCheckout(root, ['data/']);
  assert.equal(readFileSync(join(root, 'data/foo'), 'utf8'), 'foo');
});

test('checkout with cache.type hardlink,copy links files read-only; symlink too; empty files are copied', async () => {
  for (const type of ['hardlink', 'symlink']) {
    const root = workspace({ 'data/foo': 'foo', 'data/empty': '' });
    initDvcRepo(root);
    writeFileSync(join(root, '.dvc/config'), `[cache]\n    type = ${type},copy\n`);
    await dataAdd(root, ['data']);
    const obj = objectPath(join(root, '.dvc/cache'), FOO);
    if (type === 'hardlink') assert.equal(statSync(join(root, 'data/foo')).ino, statSync(obj).ino, 'add relinks the workspace');
    rmSync(join(root, 'data'), { recursive: true, force: true });
    const [r] = await dataCheckout(root);
    assert.deepEqual(r!.linkTypes, [type, 'copy']);
    assert.equal(statSync(join(root, 'data/foo')).ino, statSync(obj).ino);
    assert.equal(readFileSync(join(root, 'data/empty'), 'utf8'), '');
    if (type === 'hardlink') assert.notEqual(statSync(join(root, 'data/empty')).ino, statSync(objectPath(join(root, '.dvc/cache'), 'd41d8cd98f00b204e9800998ecf8427e')).ino);
    assert.equal((await outputs(root))[0]!.status, 'unchanged');
  }
});

test('a corrupt cache object is detected and never served; the workspace is left as it was', async () => {
  const root = workspace({ 'data/foo': 'foo', 'data/bar': 'bar' });
  await dataAdd(root, ['data']);
  const obj = objectPath(join(root, '.dvc/cache'), FOO);
  chmodSync(obj, 0o644);
  writeFileSync(obj, 'not foo');
  rmSync(join(root, 'data/foo'));
  await assert.rejects(dataCheckout(root, ['data']), isCode('E_CACHE_CORRUPT', /corrupt.*not acbd18db/));
  assert.equal(existsSync(join(root, 'data/foo')), false, 'the corrupt bytes were not copied out');
  assert.equal(readFileSync(join(root, 'data/bar'), 'utf8'), 'bar');
  // a corrupt .dir manifest too
  const manifest = objectPath(join(root, '.dvc/cache'), '5ea40360f5b4ec688df672a4db9c17d1.dir');
  chmodSync(manifest, 0o644);
  writeFileSync(manifest, '[]');
  await assert.rejects(dataCheckout(root, ['data']), isCode('E_CACHE_CORRUPT'));
});

test('DVC 2 (legacy) entries: md5-dos2unix for CRLF text, legacy cache layout, left byte-identical', async () => {
  const crlf = 'a\r\nb\r\nc';
  const root = workspace({ 'notes.txt': crlf });
  initDvcRepo(root);
  const legacyMd5 = md5Dos2UnixBytes(Buffer.from(crlf));
  assert.equal(legacyMd5, 'c32b2057b9bd62caa835386346177935');
  const text = `outs:\n- md5: ${legacyMd5}\n  size: 7\n  path: notes.txt\n`;
  writeFileSync(join(root, 'notes.txt.dvc'), text);
  assert.deepEqual((await outputs(root)).map((o) => o.status), ['not-in-cache']);
  const { results } = await dataAdd(root, ['notes.txt']);
  assert.equal(results[0]!.change, 'unchanged');
  assert.equal(readFileSync(join(root, 'notes.txt.dvc'), 'utf8'), text, 'an unchanged legacy entry stays byte-identical');
  const legacyObject = join(root, '.dvc/cache', legacyMd5.slice(0, 2), legacyMd5.slice(2));
  assert.equal(readFileSync(legacyObject, 'utf8'), crlf, 'legacy objects hold the raw bytes, in the legacy layout');
  assert.deepEqual((await outputs(root)).map((o) => o.status), ['unchanged']);
  rmSync(join(root, 'notes.txt'));
  await dataCheckout(root);
  assert.equal(readFileSync(join(root, 'notes.txt'), 'utf8'), crlf);
  // a changed legacy file is recorded as DVC 3 (hash: md5 at the end of the entry)
  writeFileSync(join(root, 'notes.txt'), 'x\r\n');
  await dataAdd(root, ['notes.txt']);
  assert.equal(readFileSync(join(root, 'notes.txt.dvc'), 'utf8'), `outs:\n- md5: ${md5Bytes('x\r\n')}\n  size: 3\n  path: notes.txt\n  hash: md5\n`);
});

test('bad input: escaping paths, symlink loops, invalid .dvc files — errors naming the file, nothing written', async () => {
  const root = workspace({ 'data/ok': 'ok', 'other/x': 'x' });
  await assert.rejects(dataAdd(root, ['../outside']), isCode('E_PATH_ESCAPE'));
  await assert.rejects(dataAdd(root, ['/etc']), isCode('E_PATH_ESCAPE'));
  await assert.rejects(dataAdd(root, ['nope']), isCode('E_DATA_MISSING', /"nope" does not exist/));
  assert.equal(existsSync(join(root, '.dvc')), false, 'a refused add initializes nothing');

  symlinkSync('loop', join(root, 'data/loop'));
  await assert.rejects(dataAdd(root, ['data']), (err: unknown) => err instanceof ProvenantError && err.code === 'E_SYMLINK_LOOP' && /data[\\/]loop/.test(err.message));
  assert.equal(existsSync(join(root, 'data.dvc')), false);
  assert.deepEqual(listing(join(root, '.dvc/cache')).filter((f) => !f.endsWith('.dir')).length <= 1, true);

  // a loop appearing inside a tracked folder: status names it, the other outputs are still checked
  await dataAdd(root, ['other']);
  symlinkSync('loop2', join(root, 'other/loop2'));
  const looped = (await outputs(root)).find((o) => o.path === 'other')!;
  assert.equal(looped.status, 'error');
  assert.match(looped.error!, /other[\\/]loop2" is a symbolic link loop/);
  rmSync(join(root, 'other/loop2'));

  symlinkSync(join(root, 'other'), join(root, 'linked'));
  await assert.rejects(dataAdd(root, ['linked/x']), isCode('E_SYMLINK_PARENT'));
  await assert.rejects(dataAdd(root, ['linked']), isCode('E_SYMLINK'));

  writeFileSync(join(root, 'broken.dvc'), 'outs:\n- path: [oops\n');
  writeFileSync(join(root, 'escape.dvc'), 'outs:\n- path: ../../x\n  md5: acbd18db4cc2f85cedef654fccc4a4d8\n');
  const entries = await dataStatus(root);
  const byFile = new Map(entries.filter((e): e is OutputStatus => !isStageStatus(e)).map((e) => [e.file, e]));
  assert.equal(byFile.get('broken.dvc')!.status, 'error');
  assert.match(byFile.get('broken.dvc')!.error!, /broken\.dvc is not valid YAML \(line \d+/);
  assert.match(byFile.get('escape.dvc')!.error!, /escape\.dvc: the path "\.\.\/\.\.\/x" lies outside the workspace/);
  // an existing but invalid .dvc blocks a re-add of its output, untouched
  writeFileSync(join(root, 'data.dvc'), 'outs: 3\n');
  rmSync(join(root, 'data/loop'));
  await assert.rejects(dataAdd(root, ['data']), isCode('E_BAD_DVC_FILE', /data\.dvc/));
  assert.equal(readFileSync(join(root, 'data.dvc'), 'utf8'), 'outs: 3\n');
});

test('worker threads store what they hash: objects named by md5, read-only, no temporary files left', async () => {
  const root = workspace({ 'a.txt': 'foo', 'b.txt': 'bar', 'c.bin': Buffer.alloc(3 << 20, 1) });
  const storeIn = join(root, 'objects');
  const jobs = ['a.txt', 'b.txt', 'c.bin'].map((f) => ({ absPath: join(root, f), size: statSync(join(root, f)).size, mtimeMs: statSync(join(root, f)).mtimeMs }));
  const md5s = await hashFiles(jobs, { storeIn, mainThreadMaxBytes: 0 });
  assert.deepEqual(md5s.slice(0, 2), [FOO, BAR]);
  assert.deepEqual(listing(storeIn), md5s.map((m) => join(m.slice(0, 2), m.slice(2))).sort());
  for (const m of md5s) {
    const obj = join(storeIn, m.slice(0, 2), m.slice(2));
    assert.equal(statSync(obj).mode & 0o777, 0o444);
    assert.equal(md5Bytes(readFileSync(obj)), m);
  }
});

test('a file changing while it is hashed: refused, and the cache holds no partial or misnamed object', async () => {
  const root = workspace({ 'big.bin': Buffer.alloc(3 << 20, 7), 'small.txt': 'foo' });
  const { repo } = initDvcRepo(root);
  const storeIn = join(repo.config.cacheDir, 'files/md5');
  for (const file of ['big.bin', 'small.txt']) {
    const st = statSync(join(root, file));
    // the stamp listed before reading differs from the one at the end: what a concurrent writer causes
    const job = { absPath: join(root, file), size: st.size, mtimeMs: st.mtimeMs - 1000 };
    await assert.rejects(hashFiles([job], { storeIn, mainThreadMaxBytes: 0 }), isCode('E_CHANGED_WHILE_HASHING', new RegExp(file)));
    assert.throws(() => storeFileObject(job.absPath, job, storeIn), isCode('E_CHANGED_WHILE_HASHING'));
  }
  assert.deepEqual(listing(storeIn), [], 'no temporary or misnamed object left');
  // a run's recorded hash that no longer matches the file
  await assert.rejects(storePath(repo, 'small.txt', {}, BAR), isCode('E_CHANGED_WHILE_HASHING', /now hashes to/));
});

test("DVC's locks are honoured: a held .dvc/tmp/lock or a live rwlock entry blocks writing", async () => {
  const root = workspace({ 'data/foo': 'foo' });
  const { repo } = initDvcRepo(root);
  mkdirSync(join(root, '.dvc/tmp'), { recursive: true });
  writeFileSync(join(root, '.dvc/tmp/rwlock'), JSON.stringify({ read: {}, write: { [join(root, 'data')]: { pid: process.pid, cmd: 'dvc repro' } } }));
  await assert.rejects(dataAdd(root, ['data']), isCode('E_DVC_LOCKED', /in use by DVC \(pid \d+: dvc repro/));
  // a dead process's entry is ignored
  writeFileSync(join(root, '.dvc/tmp/rwlock'), JSON.stringify({ read: {}, write: { data: { pid: 2 ** 22 + 17, cmd: 'dvc repro' } } }));
  await dataAdd(root, ['data']);

  // another process holding the flock (as zc.lockfile does)
  // -o: only flock itself holds the lock, so killing it releases the lock
  const holder = spawn('flock', ['-n', '-o', join(root, '.dvc/tmp/lock'), 'sh', '-c', 'echo held; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
  const held = await new Promise<boolean>((resolve) => {
    holder.stdout.once('data', () => resolve(true));
    holder.once('error', () => resolve(false));
    holder.once('exit', () => resolve(false));
  });
  if (!held) return; // no flock(1) here: the lock helper falls back to python3, tested by the first half
  try {
    await assert.rejects(withRepoLock(repo, async () => 'never'), isCode('E_DVC_LOCKED'));
  } finally {
    process.kill(-holder.pid!, 'SIGKILL');
    await new Promise((r) => (holder.exitCode !== null || holder.signalCode !== null ? r(undefined) : holder.once('exit', r)));
  }
  assert.equal(await withRepoLock(openDvcRepo(root)!, async () => 'free again'), 'free again');
});

test('runs: their data is stored in the cache, checked out again with --run, and listed per version', async () => {
  const root = workspace({ 'data/a.csv': 'v1', '.provenant/.keep': '' });
  git(root, 'init', '-q');
  assert.deepEqual(await cacheRunData(root, [{ path: 'data', md5: 'whatever.dir', size: 2 }]), [], 'no .dvc/: nothing to do');
  await dataAdd(root, ['data']);
  const v1 = readFileSync(join(root, 'data.dvc'), 'utf8').match(/md5: (\S+)/)![1]!;
  writeFileSync(join(root, 'data/a.csv'), 'v2 of the data');
  const [version2] = await (await import('../../../src/core/data/hashData')).hashDataDependencies(root, ['data']);
  assert.deepEqual(await cacheRunData(root, [version2!]), []);
  const run1 = sampleRun({ id: '20250101-000000-aaaaaa', name: 'first', data: [{ path: 'data', md5: v1, size: 2, nfiles: 1 }] });
  const run2 = sampleRun({ id: '20250102-000000-bbbbbb', name: 'second', data: [version2!] });
  writeRun(root, run1);
  writeRun(root, run2);
  const warnings = await cacheRunData(root, [{ path: 'data', md5: v1, size: 2, nfiles: 1 }]);
  assert.match(warnings[0]!, /changed while it was being hashed|now hashes to/);

  const history = dataHistory(root);
  assert.equal(history.length, 1);
  assert.deepEqual(
    history[0]!.versions.map((v) => [v.md5, v.current, v.inCache, v.runs.map((r) => r.name)]),
    [
      [v1, true, true, ['first']],
      [version2!.md5, false, true, ['second']],
    ],
  );
  // the workspace holds run 2's data (saved in the cache), so checking out run 1's needs no --force
  await dataCheckout(root, ['data'], { run: 'first' });
  assert.equal(readFileSync(join(root, 'data/a.csv'), 'utf8'), 'v1');
  await dataCheckout(root, [], { run: '20250102-000000-bbbbbb' });
  assert.equal(readFileSync(join(root, 'data/a.csv'), 'utf8'), 'v2 of the data');
  assert.equal((await outputs(root))[0]!.status, 'modified', 'the .dvc file still records v1');

  const diff = await dataDiff(root, 'first', 'second');
  assert.deepEqual(diff.datasets.map((d) => [d.path, d.status, d.changes]), [['data', 'modified', { added: [], removed: [], modified: ['a.csv'] }]]);
  const vsWorkspace = await dataDiff(root, 'first', 'workspace');
  assert.equal(vsWorkspace.datasets[0]!.status, 'modified');
  await assert.rejects(dataDiff(root, 'first', 'no-such-thing'), isCode('E_BAD_REV'));
});

test('diff between git revisions reads the .dvc files at each commit', async () => {
  const root = workspace({ 'data/a': 'a', 'data/b': 'b' });
  git(root, 'init', '-q', '-b', 'main');
  await dataAdd(root, ['data']);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'v1');
  writeFileSync(join(root, 'data/a'), 'A');
  writeFileSync(join(root, 'data/c'), 'c');
  rmSync(join(root, 'data/b'));
  await dataAdd(root, ['data']);
  git(root, 'commit', '-qam', 'v2');
  const d = await dataDiff(root, 'HEAD~1', 'main');
  assert.deepEqual(d.datasets, [
    {
      path: 'data',
      status: 'modified',
      old: d.datasets[0]!.old,
      new: d.datasets[0]!.new,
      changes: { added: ['c'], removed: ['b'], modified: ['a'] },
    },
  ]);
  const short = git(root, 'rev-parse', '--short', 'HEAD~1');
  assert.equal((await dataDiff(root, short, 'HEAD')).datasets[0]!.status, 'modified');
  assert.equal((await dataDiff(root, 'HEAD', 'workspace')).datasets[0]!.status, 'unchanged');
});
