// `.dir` manifests kept with each run: checked against their oid when read, capped in size when written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashDataDependencies } from '../../../src/core/data/hashData';
import { keepRunManifests } from '../../../src/core/data/runData';
import { keptManifestName, readKeptManifest, readWorkspaceManifest } from '../../../src/core/data/versions';
import { tempDir, writeFiles } from '../../helpers/git';

const roots: string[] = [];
test.after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

test('a run keeps its folder manifests; a damaged copy is not used; a manifest over the cap is left out with a warning', async () => {
  const root = tempDir();
  roots.push(root);
  writeFiles(root, { 'data/a.csv': 'a\n', 'data/sub/b.csv': 'b\n', 'one.csv': '1\n' });
  const data = await hashDataDependencies(root, ['data', 'one.csv']);
  const run = join(root, '.provenant/runs/20260101-120000-abcdef');
  assert.deepEqual(await keepRunManifests(root, run, data), []);
  const oid = data[0]!.md5;
  assert.deepEqual(readdirSync(run), [keptManifestName(oid)], 'only the folder has a manifest');
  assert.deepEqual(readWorkspaceManifest(root, oid), [
    { md5: '60b725f10c9c85c70d97880dfe8191b3', relpath: 'a.csv' },
    { md5: '3b5d5c3712955042212316173ccf37be', relpath: 'sub/b.csv' },
  ]);

  writeFileSync(join(run, keptManifestName(oid)), '[]');
  assert.equal(readKeptManifest(root, oid), null, 'bytes that do not hash to the oid are not used');
  assert.equal(readKeptManifest(root, '../../../etc/passwd'), null);

  rmSync(run, { recursive: true });
  const warnings = await keepRunManifests(root, run, data, { maxBytes: 10 });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /file list of data \(\d+ bytes\) is over the 10-byte cap/);
  assert.ok(!existsSync(join(run, keptManifestName(oid))));

  // The folder changed since the run hashed it: nothing wrong is kept.
  writeFileSync(join(root, 'data/a.csv'), 'changed\n');
  const changed = await keepRunManifests(root, run, data);
  assert.match(changed[0]!, /changed since the run hashed it/);
  assert.ok(!existsSync(join(run, keptManifestName(oid))));
});
