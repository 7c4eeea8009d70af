import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffEnvironments } from '../../../src/core/env/diff';
import { environmentFingerprint, lockfileHashes } from '../../../src/core/env/snapshot';
import { validateRunRecord } from '../../../src/core/runs/schema';
import { sampleRun } from '../../fixtures/runRecord';
import { listRuns, type RunCache } from '../../../src/core/runs/store';
import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeFiles } from '../../helpers/git';

test('environment diff lists added, removed and changed packages and other drift', () => {
  const a = sampleRun().environment;
  const b = { ...a, packages: { ...a.packages }, python: { ...a.python!, version: '3.12.1' } };
  const [first] = Object.keys(a.packages);
  delete b.packages[first!];
  b.packages['brand-new'] = '1.0';
  const [, second] = Object.keys(a.packages);
  b.packages[second!] = '999';
  const diff = diffEnvironments(a, b);
  assert.deepEqual(diff.added, { 'brand-new': '1.0' });
  assert.deepEqual(Object.keys(diff.removed), [first]);
  assert.deepEqual(diff.changed[second!]?.to, '999');
  assert.ok(diff.other.some((o) => o.field === 'python.version' && o.to === '3.12.1'));
  assert.equal(diff.same, false);
  assert.equal(diffEnvironments(a, a).same, true);
});

test('the fingerprint follows packages and interpreter but not host memory', () => {
  const env = sampleRun().environment;
  const base = environmentFingerprint(env);
  assert.equal(environmentFingerprint({ ...env }), base);
  assert.notEqual(environmentFingerprint({ ...env, packages: { ...env.packages, extra: '1' } }), base);
  assert.notEqual(environmentFingerprint({ ...env, python: { ...env.python!, version: '3.0.0' } }), base);
  assert.equal(environmentFingerprint({ ...env, memoryBytes: 1 } as typeof env), base);
});

test('lockfiles are found and hashed (md5 as DVC uses)', () => {
  const root = tempDir();
  writeFiles(root, { 'requirements.txt': 'foo', 'poetry.lock': '', 'requirements/dev.txt': 'x', 'README.md': 'no' });
  assert.deepEqual(lockfileHashes(root), {
    'poetry.lock': 'd41d8cd98f00b204e9800998ecf8427e',
    'requirements.txt': 'acbd18db4cc2f85cedef654fccc4a4d8',
    'requirements/dev.txt': '9dd4e461268c8034f5c8564e155c67a6',
  });
});

test('the run record schema accepts a full record and names what is wrong in a bad one', () => {
  const run = sampleRun();
  assert.equal(validateRunRecord(JSON.parse(JSON.stringify(run)), 'run.json').id, run.id);
  assert.throws(() => validateRunRecord({ ...run, status: 'done' }, 'x/run.json'), /x\/run\.json|status/);
  assert.throws(() => validateRunRecord({ ...run, metrics: { auc: 'high' } }, 'run.json'), /metrics/);
  assert.throws(() => validateRunRecord({ ...run, schema: 'provenant.run/2' }, 'run.json'), /unknown run record schema "provenant.run\/2"/);
  const { seeds: _dropped, ...withoutSeeds } = run;
  assert.throws(() => validateRunRecord(withoutSeeds, 'run.json'), /seeds/);
});

test('listRuns with a cache reads a record again only when its run.json changes', () => {
  const root = tempDir();
  const run = sampleRun();
  const file = join(root, '.provenant', 'runs', run.id, 'run.json');
  writeFiles(root, { [`.provenant/runs/${run.id}/run.json`]: JSON.stringify(run) });
  const then = new Date('2026-01-01T00:00:00Z');
  utimesSync(file, then, then);
  const cache: RunCache = new Map();
  assert.equal(listRuns(root, cache).runs[0]!.name, run.name);
  // Same size and mtime: the cached record is served without reading the file.
  writeFileSync(file, JSON.stringify({ ...run, name: run.name.replace(/./, 'X') }));
  utimesSync(file, then, then);
  assert.equal(listRuns(root, cache).runs[0]!.name, run.name);
  // A real change (new mtime) is read and validated again.
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  assert.equal(listRuns(root, cache).runs[0]!.name, run.name.replace(/./, 'X'));
  writeFileSync(file, '{ broken');
  assert.equal(listRuns(root, cache).problems.length, 1, 'a damaged record is reported, not served from the cache');
  rmSync(join(root, '.provenant', 'runs', run.id), { recursive: true });
  assert.deepEqual(listRuns(root, cache).runs, []);
  assert.equal(cache.size, 0, 'removed runs leave the cache');
});

test('runs started in the same second are listed newest first by their start instant, not by the random tail of their ids', () => {
  const root = tempDir();
  const first = sampleRun({ id: '20260101-120000-ffffff', startedAt: '2026-01-01T12:00:00.100Z' });
  const second = sampleRun({ id: '20260101-120000-000000', startedAt: '2026-01-01T12:00:00.900Z' });
  for (const run of [first, second]) writeFiles(root, { [`.provenant/runs/${run.id}/run.json`]: JSON.stringify(run) });
  assert.deepEqual(listRuns(root).runs.map((r) => r.id), [second.id, first.id]);
});
