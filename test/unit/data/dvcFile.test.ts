// The .dvc file format, byte for byte as DVC 3 writes it (reference/dvc-format.md §1): fresh files,
// rewrites that keep comments, legacy entries, the stage md5, and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeStageMd5, freshDvcFileText, parseDvcFile, updateDvcFileText } from '../../../src/core/data/dvcFile';
import { ruamelReadsAsNonString, toDvcYaml } from '../../../src/core/data/yamlFormat';
import { ProvenantError } from '../../../src/core/util/errors';

const FOO = 'acbd18db4cc2f85cedef654fccc4a4d8';
const root = mkdtempSync(join(tmpdir(), 'provenant-dvcfile-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const parse = (text: string, name = 'data.dvc') => parseDvcFile(root, join(root, name), text);

function rejects(text: string, code: string, pattern: RegExp, name = 'data.dvc'): void {
  assert.throws(
    () => parse(text, name),
    (err: unknown) => err instanceof ProvenantError && err.code === code && err.file === name && pattern.test(err.message),
    `${JSON.stringify(text)} → ${code} ${pattern}`,
  );
}

test('example A (test_install.py): a directory output, byte for byte', () => {
  const text = freshDvcFileText([{ md5: '5ea40360f5b4ec688df672a4db9c17d1.dir', size: 6, nfiles: 2, path: 'data' }]);
  assert.equal(text, 'outs:\n- md5: 5ea40360f5b4ec688df672a4db9c17d1.dir\n  size: 6\n  nfiles: 2\n  hash: md5\n  path: data\n');
});

test('example B (test_add): a file output, and isexec before hash (test_add_executable)', () => {
  assert.equal(freshDvcFileText([{ md5: FOO, size: 3, path: 'foo' }]), `outs:\n- md5: ${FOO}\n  size: 3\n  hash: md5\n  path: foo\n`);
  assert.equal(freshDvcFileText([{ md5: FOO, size: 3, isexec: true, path: 'foo' }]), `outs:\n- md5: ${FOO}\n  size: 3\n  isexec: true\n  hash: md5\n  path: foo\n`);
});

test('quoting follows ruamel: numbers-looking hashes and dates single-quoted, UTF-8 names as is', () => {
  const digits = '12345678901234567890123456789012';
  assert.equal(freshDvcFileText([{ md5: digits, size: 1, path: 'x' }]), `outs:\n- md5: '${digits}'\n  size: 1\n  hash: md5\n  path: x\n`);
  // an md5 like 1e5… only digits around one "e" is a float to YAML 1.2
  const floaty = `1e${'2'.repeat(30)}`;
  assert.match(freshDvcFileText([{ md5: floaty, size: 1, path: 'x' }]), new RegExp(`md5: '${floaty}'`));
  assert.match(freshDvcFileText([{ md5: FOO, size: 1, path: '2024-01-31' }]), /path: '2024-01-31'\n/);
  assert.match(freshDvcFileText([{ md5: FOO, size: 1, path: 'données été.csv' }]), /path: données été\.csv\n/);
  assert.match(freshDvcFileText([{ md5: FOO, size: 1, path: 'null' }]), /path: 'null'\n/);
  assert.match(freshDvcFileText([{ md5: FOO, size: 1, path: '#x' }]), /path: '#x'\n/);
  assert.equal(toDvcYaml({ schema: '2.0' }), "schema: '2.0'\n");
  for (const s of ['0b0101', '1_000', '0o17', '0x1F', '.inf', 'True', '~', '', '<<', '2001-12-14t21:59:43.10-05:00']) assert.ok(ruamelReadsAsNonString(s), s);
  for (const s of [FOO, 'yes', 'on', 'data', '5ea40360f5b4ec688df672a4db9c17d1.dir']) assert.ok(!ruamelReadsAsNonString(s), s);
  // a long path is not folded (ruamel would fold at spaces past column 80; both read back the same)
  const long = `${'a'.repeat(60)} ${'b'.repeat(60)}`;
  assert.match(freshDvcFileText([{ md5: FOO, size: 1, path: long }]), new RegExp(`path: ${long}\n`));
});

test('stage md5 vector: import stage of test_import_url_preserve_fields gives 8fc199641730e3f512deac0bd9a0e0b6', () => {
  const minimal = { deps: [{ hash: 'md5', md5: FOO, path: 'foo' }], outs: [{ hash: 'md5', md5: FOO, path: 'bar' }] };
  assert.equal(computeStageMd5(minimal), '8fc199641730e3f512deac0bd9a0e0b6');
  // every excluded key (desc, type, labels, meta, frozen, size...), wdir ".", and the md5 itself are left out
  const full = {
    md5: 'whatever',
    desc: 'top desc',
    wdir: '.',
    frozen: true,
    deps: [{ path: 'foo', md5: FOO, size: 3, hash: 'md5' }],
    outs: [{ path: 'bar', desc: 'out desc', type: 'mytype', labels: ['label1', 'label2'], meta: { key: 'value' }, md5: FOO, size: 3, hash: 'md5', persist: true, isexec: true }],
    meta: 'some metadata',
  };
  assert.equal(computeStageMd5(full), '8fc199641730e3f512deac0bd9a0e0b6');
  assert.notEqual(computeStageMd5({ ...minimal, wdir: 'sub' }), '8fc199641730e3f512deac0bd9a0e0b6');
});

const EXAMPLE_C = `deps:
- path: foo # dep comment
  md5: ${FOO}
  size: 3
  hash: md5
outs:
- path: bar # out comment
  desc: out desc
  type: mytype
  labels:
  - label1
  meta:
    key: value
  md5: ${FOO}
  size: 3
  hash: md5
meta: some metadata
md5: 8fc199641730e3f512deac0bd9a0e0b6
frozen: true
`;

test('example C reads back, and a rewrite keeps comments, annotations and key order, changing values in place', () => {
  const parsed = parse(EXAMPLE_C, 'bar.dvc');
  assert.equal(parsed.md5, '8fc199641730e3f512deac0bd9a0e0b6');
  assert.equal(parsed.frozen, true);
  assert.equal(parsed.outs[0]!.relPath, 'bar');
  assert.equal(parsed.outs[0]!.hashName, 'md5');
  assert.equal(parsed.deps[0]!.md5, FOO);
  const NEW = '37b51d194a7513e45b56f6524f2d51f2';
  const rewritten = updateDvcFileText(EXAMPLE_C, 'bar.dvc', 0, { md5: NEW, size: 4, path: 'bar' });
  assert.equal(rewritten, EXAMPLE_C.replace(`  md5: ${FOO}\n  size: 3\n  hash: md5\nmeta`, `  md5: ${NEW}\n  size: 4\n  hash: md5\nmeta`));
});

test('example D: a DVC 2 entry is legacy md5-dos2unix; rewriting it adds hash: md5 at the end of the entry', () => {
  const legacy = 'outs:\n- md5: a304afb96060aad90176268345e10355\n  size: 37891850\n  path: data.xml\n';
  const parsed = parse(legacy, 'data.xml.dvc');
  assert.equal(parsed.outs[0]!.hashName, 'md5-dos2unix');
  assert.equal(parsed.outs[0]!.md5, 'a304afb96060aad90176268345e10355');
  const upgraded = updateDvcFileText(legacy, 'data.xml.dvc', 0, { md5: 'a86ca87250ed8e54a9e2e8d6d34c252e', size: 37891850, path: 'data.xml' });
  assert.equal(upgraded, 'outs:\n- md5: a86ca87250ed8e54a9e2e8d6d34c252e\n  size: 37891850\n  path: data.xml\n  hash: md5\n');
  // quotes are not kept by ruamel's round trip: a quoted plain-safe string comes back plain
  const quoted = updateDvcFileText('outs:\n- md5: "a304afb96060aad90176268345e10355"\n  size: 1\n  path: "data.xml"\n', 'x.dvc', 0, { md5: FOO, size: 3, path: 'data.xml' });
  assert.equal(quoted, `outs:\n- md5: ${FOO}\n  size: 3\n  path: data.xml\n  hash: md5\n`);
  // a directory turning into a file loses nfiles
  const dir = freshDvcFileText([{ md5: '5ea40360f5b4ec688df672a4db9c17d1.dir', size: 6, nfiles: 2, path: 'data' }]);
  assert.equal(updateDvcFileText(dir, 'data.dvc', 0, { md5: FOO, size: 3, path: 'data' }), `outs:\n- md5: ${FOO}\n  size: 3\n  hash: md5\n  path: data\n`);
});

test('an int checksum is coerced to a string and hashes are lower-cased (CHECKSUM_SCHEMA)', () => {
  const parsed = parse(`outs:\n- md5: ${FOO.toUpperCase()}\n  path: foo\n  hash: md5\n`);
  assert.equal(parsed.outs[0]!.md5, FOO);
  rejects('outs:\n- md5: 12\n  path: foo\n', 'E_BAD_DVC_FILE', /at least 3 characters/);
});

test('bad input: invalid YAML, wrong schema, unknown keys — each an error naming the file (and line)', () => {
  rejects('outs:\n- md5: [unclosed\n', 'E_BAD_DVC_FILE', /not valid YAML \(line \d+/);
  rejects('outs: {a: 1}\n', 'E_BAD_DVC_FILE', /"outs" must be a list/);
  rejects('- just\n- a list\n', 'E_BAD_DVC_FILE', /mapping at the top/);
  rejects('outz:\n- path: foo\n', 'E_BAD_DVC_FILE', /unknown key "outz"/);
  rejects('outs:\n- path: foo\n  colour: red\n', 'E_BAD_DVC_FILE', /outs\.0\.colour \(line 3\): unknown key "colour"/);
  rejects('outs:\n- md5: xyz\n', 'E_BAD_DVC_FILE', /"path" must be a non-empty string/);
  rejects('outs:\n- path: foo\n  size: -1\n', 'E_BAD_DVC_FILE', /"size" must be a non-negative integer/);
  rejects('outs:\n- path: foo\n  hash: sha256\n', 'E_BAD_DVC_FILE', /"hash" must be md5/);
  rejects(`outs:\n- path: foo\n  md5: ${FOO}\n  md5: ${FOO}\n`, 'E_BAD_DVC_FILE', /not valid YAML/);
  rejects('outs:\n- path: foo\n  md5: not-a-hash-at-all\n', 'E_BAD_DVC_FILE', /not an md5/);
});

test('bad input: a path escaping the workspace (../, absolute, wdir) is refused naming the .dvc file', () => {
  rejects('outs:\n- path: ../outside\n', 'E_PATH_ESCAPE', /outside the workspace/);
  rejects('outs:\n- path: /etc/passwd\n', 'E_PATH_ESCAPE', /absolute/);
  rejects('outs:\n- path: sub/../../x\n', 'E_PATH_ESCAPE', /outside the workspace/, 'data.dvc');
  rejects('wdir: ../..\nouts:\n- path: x\n', 'E_PATH_ESCAPE', /wdir/);
  // inside a sub-folder, "../" that stays in the workspace is fine
  assert.equal(parse('outs:\n- path: ../data\n  hash: md5\n', 'sub/data.dvc').outs[0]!.relPath, 'data');
});
