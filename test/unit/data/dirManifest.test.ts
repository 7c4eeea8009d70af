import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildManifest,
  compareCodePoints,
  manifestOid,
  parseManifest,
  pythonJsonString,
  serializeManifest,
  sortEntries,
} from '../../../src/core/data/dirManifest';
import { hashDirectory } from '../../../src/core/data/hashData';
import { ProvenantError } from '../../../src/core/util/errors';
import { writeFiles } from '../../helpers/git';

const FOO = 'acbd18db4cc2f85cedef654fccc4a4d8';
const BAR = '37b51d194a7513e45b56f6524f2d51f2';

const base = mkdtempSync(join(tmpdir(), 'provenant-manifest-'));
test.after(() => rmSync(base, { recursive: true, force: true }));

let counter = 0;
function tree(files: Record<string, string>): string {
  const root = join(base, `t${counter++}`);
  mkdirSync(root, { recursive: true });
  writeFiles(root, files);
  return root;
}

test('first vector: exact manifest bytes and oid of foo+bar', () => {
  const m = buildManifest([
    { md5: FOO, relpath: 'foo' },
    { md5: BAR, relpath: 'bar' },
  ]);
  assert.equal(
    m.bytes.toString('utf8'),
    '[{"md5": "37b51d194a7513e45b56f6524f2d51f2", "relpath": "bar"}, {"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": "foo"}]',
  );
  assert.equal(m.oid, '5ea40360f5b4ec688df672a4db9c17d1.dir');
});

test('every .dir oid of the spec table, from real directories', async () => {
  const rows: [Record<string, string>, string][] = [
    [{ foo: 'foo', bar: 'bar' }, '5ea40360f5b4ec688df672a4db9c17d1.dir'],
    [{ foo: 'foo', bar: 'bar', 'subdir/data': 'data' }, '8761c4e9acad696bee718615e23e22db.dir'],
    [{ data: 'data' }, 'af314506f1622d107e0ed3f14ec1a3b5.dir'],
    [{ foo: 'foo', bar: 'bar', baz: 'baz' }, 'ba75a2162ca9c29acecb7957105a0bc2.dir'],
    [{ foo: 'foo', bar: 'bar', 'subdir/lorem': 'lorem', 'subdir/ipsum': 'ipsum' }, '15b0e3c73ad2c748ce206988cb6b7319.dir'],
    [{ master: 'master', one: 'one', two: 'two' }, '839ef9371606817569c1ee0e5f4ed233.dir'],
  ];
  for (const [files, oid] of rows) {
    const r = await hashDirectory(tree(files));
    assert.equal(r.oid, oid, JSON.stringify(files));
    assert.equal(r.nfiles, Object.keys(files).length);
    assert.equal(r.size, Object.values(files).reduce((s, c) => s + c.length, 0));
    assert.equal(manifestOid(r.manifest), oid);
  }
  const first = await hashDirectory(tree({ foo: 'foo', bar: 'bar' }));
  assert.equal(first.size, 6);
  assert.deepEqual(first.entries, [
    { md5: BAR, relpath: 'bar' },
    { md5: FOO, relpath: 'foo' },
  ]);
});

test('empty directory: [] and d751713988987e9331980363e24189ce.dir, nfiles 0', async () => {
  assert.equal(serializeManifest([]).toString(), '[]');
  assert.equal(buildManifest([]).oid, 'd751713988987e9331980363e24189ce.dir');
  const root = tree({});
  mkdirSync(join(root, 'empty/nested'), { recursive: true }); // empty subdirectories are not recorded
  const r = await hashDirectory(root);
  assert.deepEqual({ oid: r.oid, size: r.size, nfiles: r.nfiles }, { oid: 'd751713988987e9331980363e24189ce.dir', size: 0, nfiles: 0 });
});

test('sort order is by code points of the whole relpath: B < a-b < a/b', () => {
  const sorted = sortEntries(['a/b', 'a-b', 'B'].map((relpath) => ({ md5: FOO, relpath })));
  assert.deepEqual(sorted.map((e) => e.relpath), ['B', 'a-b', 'a/b']);
  // astral characters sort above U+E000..U+FFFF (UTF-16 order would put them below)
  const names = ['\uffff', '😀', '\ue000', 'z'];
  assert.deepEqual([...names].sort(compareCodePoints), ['z', '\ue000', '\uffff', '😀']);
  assert.ok(compareCodePoints('a', 'ab') < 0);
  assert.equal(compareCodePoints('x', 'x'), 0);
});

test('strings escaped as Python json.dumps with ensure_ascii', () => {
  const cases: [string, string][] = [
    ['café.csv', '"caf\\u00e9.csv"'],
    ['😀/x.bin', '"\\ud83d\\ude00/x.bin"'],
    ['a\x7fb', '"a\\u007fb"'],
    ['tab\tname', '"tab\\tname"'],
    ['quo"te', '"quo\\"te"'],
    ['back\\slash', '"back\\\\slash"'],
    ['new\nline\r', '"new\\nline\\r"'],
    ['\b\f', '"\\b\\f"'],
    ['ctl\x01\x1f', '"ctl\\u0001\\u001f"'],
    ['数据/train.csv', '"\\u6570\\u636e/train.csv"'],
    ['sl/ash', '"sl/ash"'],
    ['plain ~!', '"plain ~!"'],
  ];
  for (const [input, expected] of cases) assert.equal(pythonJsonString(input), expected, JSON.stringify(input));
});

test('manifest with non-ASCII and special names matches Python bytes and md5', () => {
  const names = ['café.csv', '😀/x.bin', 'a\x7fb', 'tab\tname', 'quo"te', 'back\\slash', 'new\nline', '数据/train.csv', 'B', 'a-b', 'a/b', 'ctl\x01\x1f', 'sl/ash'];
  const m = buildManifest(names.map((relpath) => ({ md5: FOO, relpath })));
  const e = (rel: string): string => `{"md5": "${FOO}", "relpath": "${rel}"}`;
  const expected = `[${[
    'B',
    'a-b',
    'a/b',
    'a\\u007fb',
    'back\\\\slash',
    'caf\\u00e9.csv',
    'ctl\\u0001\\u001f',
    'new\\nline',
    'quo\\"te',
    'sl/ash',
    'tab\\tname',
    '\\u6570\\u636e/train.csv',
    '\\ud83d\\ude00/x.bin',
  ]
    .map(e)
    .join(', ')}]`;
  assert.equal(m.bytes.toString('ascii'), expected);
  assert.equal(m.oid, '8c53cb8b5706a711a6202b9585fb3563.dir');
});

test('a real directory with a café and an emoji file name', async () => {
  const r = await hashDirectory(tree({ café: 'foo', '😀': 'bar' }));
  assert.equal(
    r.manifest.toString('ascii'),
    `[{"md5": "${FOO}", "relpath": "caf\\u00e9"}, {"md5": "${BAR}", "relpath": "\\ud83d\\ude00"}]`,
  );
  assert.equal(r.oid, 'e52ef4766cddc8dad125be60c9f11515.dir');
});

test('parseManifest reads back what serializeManifest writes, and refuses bad objects', () => {
  const m = buildManifest([
    { md5: FOO, relpath: 'café/😀' },
    { md5: BAR, relpath: 'a/b' },
  ]);
  assert.deepEqual(parseManifest(m.bytes), m.entries);
  assert.deepEqual(parseManifest('[{"md5": "ABCDEF", "relpath": "x", "extra": 1}]'), [{ md5: 'abcdef', relpath: 'x' }]);
  for (const bad of ['not json', '{}', '[1]', '[{"relpath": "x"}]', '[{"md5": "abc", "relpath": "../x"}]', '[{"md5": "abc", "relpath": "/etc/x"}]', '[{"md5": "abc", "relpath": "a//b"}]']) {
    assert.throws(() => parseManifest(bad, 'cache/ab/cd.dir'), (err: unknown) => err instanceof ProvenantError && err.code === 'E_BAD_MANIFEST', bad);
  }
});

test('duplicate relpaths are refused', () => {
  assert.throws(() => buildManifest([{ md5: FOO, relpath: 'x' }, { md5: BAR, relpath: 'x' }]), /share the path/);
});
