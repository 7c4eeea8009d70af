import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directoryFingerprint, RACY_WINDOW_MS, STATE_INDEX_PATH, StateIndex } from '../../../src/core/data/stateIndex';

const base = mkdtempSync(join(tmpdir(), 'provenant-state-'));
test.after(() => rmSync(base, { recursive: true, force: true }));
let counter = 0;
const freshRoot = (): string => {
  const root = join(base, `r${counter++}`);
  mkdirSync(root);
  return root;
};

const MD5 = 'acbd18db4cc2f85cedef654fccc4a4d8';
const stamp = { ino: 42, mtimeMs: 1_700_000_000_123.456, size: 3 };
const later = stamp.mtimeMs + RACY_WINDOW_MS + 1;

test('an entry is trusted only when inode, mtime and size all match', () => {
  const root = freshRoot();
  const index = StateIndex.load(root);
  assert.equal(index.recordFile('data/a.csv', stamp, MD5, later), true);
  assert.equal(index.lookupFile('data/a.csv', stamp), MD5);
  assert.equal(index.lookupFile('data/a.csv', { ...stamp, ino: 43 }), undefined);
  assert.equal(index.lookupFile('data/a.csv', { ...stamp, mtimeMs: stamp.mtimeMs + 0.001 }), undefined);
  assert.equal(index.lookupFile('data/a.csv', { ...stamp, size: 4 }), undefined);
  assert.equal(index.lookupFile('other', stamp), undefined);
});

test('saved as JSON at .provenant/state/hashes.json and read back', () => {
  const root = freshRoot();
  const index = StateIndex.load(root);
  index.recordFile('a', stamp, MD5, later);
  index.recordFile('__proto__', stamp, MD5, later);
  index.recordDir('d', { fingerprint: 'f', oid: 'd751713988987e9331980363e24189ce.dir', size: 0, nfiles: 0 });
  assert.equal(index.save(), true);
  const file = join(root, STATE_INDEX_PATH);
  const json = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(json.files.a, { inode: 42, mtimeMs: stamp.mtimeMs, size: 3, md5: MD5 });
  const again = StateIndex.load(root);
  assert.equal(again.lookupFile('a', stamp), MD5);
  assert.equal(again.lookupFile('__proto__', stamp), MD5);
  assert.equal(again.lookupDir('d', 'f')?.oid, 'd751713988987e9331980363e24189ce.dir');
  assert.equal(again.lookupDir('d', 'other'), undefined);
  // nothing changed: no write
  rmSync(file);
  assert.equal(again.save(), true);
  assert.equal(existsSync(file), false);
});

test('a hash of a file modified within the racy window is not recorded', () => {
  const index = StateIndex.load(freshRoot());
  assert.equal(index.recordFile('a', stamp, MD5, stamp.mtimeMs + 10), false);
  assert.equal(index.lookupFile('a', stamp), undefined);
});

test('corrupt or foreign state files give an empty index, rewritten on save', () => {
  for (const junk of ['', '{', '42', '{"version": 99, "files": {}}', '{"version": 1, "files": {"a": {"inode": 1, "mtimeMs": 1, "size": 1, "md5": "nothex"}}}']) {
    const root = freshRoot();
    mkdirSync(join(root, '.provenant/state'), { recursive: true });
    writeFileSync(join(root, STATE_INDEX_PATH), junk);
    const index = StateIndex.load(root);
    assert.equal(index.size, 0, junk);
    index.save();
    assert.equal(JSON.parse(readFileSync(join(root, STATE_INDEX_PATH), 'utf8')).version, 1);
  }
});

test('pruneBelow drops entries of files gone from a directory only', () => {
  const index = StateIndex.load(freshRoot());
  for (const k of ['data/a', 'data/b', 'data2/c', 'top']) index.recordFile(k, stamp, MD5, later);
  index.pruneBelow('data', new Set(['data/a']));
  assert.equal(index.lookupFile('data/a', stamp), MD5);
  assert.equal(index.lookupFile('data/b', stamp), undefined);
  assert.equal(index.lookupFile('data2/c', stamp), MD5);
  assert.equal(index.lookupFile('top', stamp), MD5);
});

test('the directory fingerprint moves with any path or stamp', () => {
  const files = [
    { relpath: 'a', ...stamp },
    { relpath: 'b', ...stamp, ino: 7 },
  ];
  const fp = directoryFingerprint(files);
  assert.equal(directoryFingerprint(files.map((f) => ({ ...f }))), fp);
  assert.notEqual(directoryFingerprint([files[0]!, { ...files[1]!, mtimeMs: 1 }]), fp);
  assert.notEqual(directoryFingerprint([files[0]!, { ...files[1]!, relpath: 'c' }]), fp);
  assert.notEqual(directoryFingerprint([files[0]!]), fp);
});
