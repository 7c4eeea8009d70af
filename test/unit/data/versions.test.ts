// Run data versions in the DVC cache: lookup, restore with verification, the configured cache.dir
// honoured by governance's data lookup and by compare's manifest reader.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { makeRepo, tempDir, writeFiles } from '../../helpers/git';
import { sampleRun } from '../../fixtures/runRecord';
import { buildManifest } from '../../../src/core/data/dirManifest';
import { openDvcRepo } from '../../../src/core/data/dvcRepo';
import { objectPath } from '../../../src/core/data/objectStore';
import { lookupVersion, readWorkspaceManifest, restoreVersion } from '../../../src/core/data/versions';
import { locateData } from '../../../src/core/governance/dataSources';
import { compareRunsFull } from '../../../src/core/runs/compare';
import { ProvenantError } from '../../../src/core/util/errors';

const md5 = (x: Buffer) => createHash('md5').update(x).digest('hex');

function putObject(cache: string, oid: string, bytes: Buffer): void {
  mkdirSync(join(objectPath(cache, oid), '..'), { recursive: true });
  writeFileSync(objectPath(cache, oid), bytes);
}

describe('DVC cache lookup', () => {
  it('uses .dvc/cache or the configured dir, finds files and directories, restores with verification', () => {
    const root = tempDir();
    writeFiles(root, { '.dvc/config': '' });
    assert.equal(openDvcRepo(root)!.config.cacheDir, join(root, '.dvc', 'cache'));
    writeFiles(root, { '.dvc/config': "[core]\n    remote = x\n['cache']\n    dir = ../elsewhere\n" });
    const repo = openDvcRepo(root)!;
    assert.equal(repo.config.cacheDir, join(root, 'elsewhere'));
    const cache = repo.config.cacheDir;
    const a = Buffer.from('alpha\n');
    const b = Buffer.from('beta\n');
    const dir = buildManifest([{ md5: md5(a), relpath: 'a.txt' }, { md5: md5(b), relpath: 'sub/b.txt' }]);
    for (const [oid, bytes] of [[md5(a), a], [dir.oid, dir.bytes]] as const) putObject(cache, oid, bytes);
    assert.deepEqual(lookupVersion(repo, { md5: md5(a) }), { present: true, missing: [] });
    assert.deepEqual(lookupVersion(repo, { md5: dir.oid }), { present: false, missing: [md5(b)] });
    putObject(cache, md5(b), b);
    const out = tempDir();
    assert.equal(restoreVersion(repo, { path: 'd', md5: dir.oid }, join(out, 'd')), 2);
    assert.deepEqual(readdirSync(join(out, 'd')).sort(), ['a.txt', 'sub']);
    writeFileSync(objectPath(cache, md5(a)), 'tampered');
    assert.throws(() => restoreVersion(repo, { path: 'a.txt', md5: md5(a) }, join(out, 'a2.txt')), (e: unknown) => e instanceof ProvenantError && e.code === 'E_CACHE_CORRUPT' && /a\.txt/.test(e.message));
    assert.ok(!existsSync(join(out, 'a2.txt')), 'nothing written from a damaged object');
  });

  it('restores nothing when an object is missing, and nothing outside the target through a symlinked folder', () => {
    const root = tempDir();
    writeFiles(root, { '.dvc/config': '' });
    const repo = openDvcRepo(root)!;
    const a = Buffer.from('alpha\n');
    const b = Buffer.from('beta\n');
    const dir = buildManifest([{ md5: md5(a), relpath: 'a.txt' }, { md5: md5(b), relpath: 'sub/b.txt' }]);
    putObject(repo.config.cacheDir, dir.oid, dir.bytes);
    putObject(repo.config.cacheDir, md5(a), a);
    const out = tempDir();
    assert.throws(() => restoreVersion(repo, { path: 'd', md5: dir.oid }, join(out, 'd')), (e: unknown) => e instanceof ProvenantError && e.code === 'E_NOT_IN_CACHE' && e.message.includes(md5(b)));
    assert.ok(!existsSync(join(out, 'd')), 'nothing written while an object is missing');
    putObject(repo.config.cacheDir, md5(b), b);
    const outside = tempDir();
    mkdirSync(join(out, 'd'));
    symlinkSync(outside, join(out, 'd', 'sub'));
    assert.throws(() => restoreVersion(repo, { path: 'd', md5: dir.oid }, join(out, 'd')), (e: unknown) => e instanceof ProvenantError && e.code === 'E_PATH_ESCAPE');
    assert.deepEqual(readdirSync(outside), []);
    assert.equal(readFileSync(join(out, 'd', 'a.txt'), 'utf8'), 'alpha\n');
  });
});

describe('a configured cache.dir', () => {
  const a = Buffer.from('alpha\n');
  const b = Buffer.from('beta\n');
  const first = buildManifest([{ md5: md5(a), relpath: 'a.txt' }]);
  const second = buildManifest([{ md5: md5(a), relpath: 'a.txt' }, { md5: md5(b), relpath: 'b.txt' }]);
  const root = makeRepo();
  writeFiles(root, { '.dvc/config': '[cache]\n    dir = ../shared-cache\n' });
  const cache = join(root, 'shared-cache');
  for (const [oid, bytes] of [[first.oid, first.bytes], [second.oid, second.bytes], [md5(a), a], [md5(b), b]] as const) putObject(cache, oid, bytes);
  const runA = sampleRun({ id: '20250101-000000-aaaaaa', name: 'a', data: [{ path: 'data', md5: first.oid, size: 6, nfiles: 1 }] });
  const runB = sampleRun({ id: '20250101-000001-bbbbbb', name: 'b', data: [{ path: 'data', md5: second.oid, size: 11, nfiles: 2 }] });

  it('is where governance finds a run data version', async () => {
    const where = await locateData(root, runB, runB.data[0]!);
    assert.equal(where.where, 'cache');
    assert.equal(where.where === 'cache' && where.repo.config.cacheDir, cache);
    assert.ok(!existsSync(join(root, '.dvc', 'cache')), 'the default cache was not used');
  });

  it('is where compare reads the .dir manifests', async () => {
    assert.deepEqual(readWorkspaceManifest(root, second.oid), second.entries);
    const c = await compareRunsFull(root, [runA, runB], { readManifest: async (oid) => readWorkspaceManifest(root, oid) });
    const data = c.data.find((d) => d.path === 'data')!;
    assert.deepEqual([data.added, data.removed, data.modified, data.note], [['b.txt'], [], [], null]);
  });
});
