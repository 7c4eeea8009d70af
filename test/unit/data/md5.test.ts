import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { CHUNK_SIZE, isTextBlock, md5Bytes, md5Dos2UnixBytes, md5Dos2UnixFile, md5File } from '../../../src/core/data/md5';
import { ProvenantError } from '../../../src/core/util/errors';

const dir = mkdtempSync(join(tmpdir(), 'provenant-md5-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function file(content: string | Uint8Array): string {
  const path = join(dir, `f${counter++}`);
  writeFileSync(path, content);
  return path;
}

test('DVC 3 md5 vectors: "foo" and the empty file', () => {
  assert.equal(md5File(file('foo')).md5, 'acbd18db4cc2f85cedef654fccc4a4d8');
  assert.equal(md5File(file('foo')).size, 3);
  assert.equal(md5File(file('')).md5, 'd41d8cd98f00b204e9800998ecf8427e');
  assert.equal(md5File(file('')).size, 0);
  assert.equal(md5Bytes('foo'), 'acbd18db4cc2f85cedef654fccc4a4d8');
});

test('md5 and md5-dos2unix table of the spec', () => {
  const rows: [string, string, string][] = [
    ['a\r\nb\r\nc', '17800212205a0baee12dcf34c0748370', 'c32b2057b9bd62caa835386346177935'],
    ['foo\r\n', '2145971cf82058b108229a3a2e3bff35', 'd3b07384d113edec49eaa6238ad5ff00'],
    ['\x00\r\n', '692c8022360661692872fdc730517229', '692c8022360661692872fdc730517229'],
  ];
  for (const [input, md5, dos2unix] of rows) {
    const path = file(Buffer.from(input, 'latin1'));
    assert.equal(md5File(path).md5, md5, JSON.stringify(input));
    assert.equal(md5Dos2UnixFile(path).md5, dos2unix, JSON.stringify(input));
    assert.equal(md5Dos2UnixBytes(Buffer.from(input, 'latin1')), dos2unix);
  }
  // the converted form equals md5 of the LF text
  assert.equal(md5Bytes('a\nb\nc'), 'c32b2057b9bd62caa835386346177935');
});

test('legacy CRLF rule: only CRLF pairs become LF; lone CR kept; empty file is text', () => {
  assert.equal(md5Dos2UnixFile(file(Buffer.from('\r\r\n', 'latin1'))).md5, '81051bcc2cf1bedf378224b0a93e2877');
  assert.equal(md5Dos2UnixFile(file('')).md5, 'd41d8cd98f00b204e9800998ecf8427e');
  // UTF-8 text stays text (2 high bytes in 7)
  assert.equal(md5Dos2UnixFile(file(Buffer.from('caf\xc3\xa9\r\n', 'latin1'))).md5, '6e99834b7c3e3fd53529a5489725d7e8');
  // more than 30% bytes >= 0x80: binary, hashed raw
  const high = Buffer.from('\xe9\r\n'.repeat(10), 'latin1');
  assert.equal(md5Dos2UnixFile(file(high)).md5, '3a0256de677365569ca00888bff607ca');
  assert.equal(md5File(file(high)).md5, '3a0256de677365569ca00888bff607ca');
  // the decision is made on the first 512 bytes only: a NUL later does not make it binary
  assert.equal(md5Dos2UnixFile(file(Buffer.from('line\r\n'.repeat(10) + '\x00\r\n', 'latin1'))).md5, '46662d154ba4dcdd00efdbc38b047739');
});

test('istextblock rules', () => {
  assert.equal(isTextBlock(new Uint8Array(0)), true);
  assert.equal(isTextBlock(Buffer.from('abc\x00')), false);
  assert.equal(isTextBlock(Buffer.from([0x41, 0x42, 0x43, 0x80, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49])), true); // 10%
  assert.equal(isTextBlock(Buffer.from([0x41, 0x42, 0x43, 0x80, 0x81, 0x82, 0x46, 0x47, 0x48, 0x49])), true); // exactly 30%
  assert.equal(isTextBlock(Buffer.from([0x41, 0x42, 0x43, 0x80, 0x81, 0x82, 0x83, 0x47, 0x48, 0x49])), false); // 40%
  assert.equal(isTextBlock(Buffer.from('\n\r\t\f\b ~')), true);
  assert.equal(isTextBlock(Buffer.from([0x7f, 0x7f, 0x7f, 0x41])), false); // DEL is not text
});

test('md5-dos2unix: a CRLF straddling the 1 MiB chunk boundary is not converted', () => {
  const data = Buffer.concat([Buffer.alloc(CHUNK_SIZE - 1, 'x'), Buffer.from('\r\ny\r\n')]);
  assert.equal(CHUNK_SIZE, 1048576);
  assert.equal(md5File(file(data)).md5, '7e9dd6c74edc74a5b3fc64ef718baddb');
  assert.equal(md5Dos2UnixFile(file(data)).md5, 'e1825541a28894307881fc219afcc49f');
  assert.equal(md5Dos2UnixBytes(data), 'e1825541a28894307881fc219afcc49f');
  // equals the md5 of the text with only the second CRLF converted
  const expected = createHash('md5').update(Buffer.concat([Buffer.alloc(CHUNK_SIZE - 1, 'x'), Buffer.from('\r\ny\n')])).digest('hex');
  assert.equal(expected, 'e1825541a28894307881fc219afcc49f');
});

test('md5-dos2unix (DVC 3 variant) decides text or binary per 1 MiB chunk', () => {
  const binaryChunk = Buffer.from('\x00\r\n'.repeat(CHUNK_SIZE / 3 + 1), 'latin1').subarray(0, CHUNK_SIZE);
  const data = Buffer.concat([binaryChunk, Buffer.from('line\r\n'.repeat(10))]);
  assert.equal(md5File(file(data)).md5, 'bc60bf86cb7a5140e4a77a8fad21e6cb');
  assert.equal(md5Dos2UnixFile(file(data)).md5, 'f728c9846786c58a0d71bbd940cfee78');
});

test('multi-chunk file equals a one-shot md5', () => {
  const data = Buffer.alloc(3 * CHUNK_SIZE + 12345);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  const r = md5File(file(data));
  assert.equal(r.md5, createHash('md5').update(data).digest('hex'));
  assert.equal(r.size, data.length);
});

test('a file growing while it is hashed is reported, naming it', () => {
  const path = file(Buffer.alloc(3 * CHUNK_SIZE, 'a'));
  let calls = 0;
  assert.throws(
    () =>
      md5File(path, {
        onChunk: () => {
          if (calls++ === 0) appendFileSync(path, 'more'); // a writer appends after the first chunk
        },
      }),
    (err: unknown) => err instanceof ProvenantError && err.code === 'E_CHANGED_WHILE_HASHING' && err.message.includes(path) && err.file === path,
  );
});

test('a file rewritten with the same size but a new mtime while hashed is reported', () => {
  const path = file(Buffer.alloc(2 * CHUNK_SIZE, 'a'));
  assert.throws(
    () =>
      md5Dos2UnixFile(path, {
        onChunk: (n) => {
          if (n !== CHUNK_SIZE) return;
          writeFileSync(path, Buffer.alloc(2 * CHUNK_SIZE, 'b'));
          // a distinct mtime even on a coarse clock, so the test does not depend on timing
          utimesSync(path, new Date(), new Date(Date.now() + 60_000));
        },
      }),
    (err: unknown) => err instanceof ProvenantError && err.code === 'E_CHANGED_WHILE_HASHING',
  );
});

test('a stamp differing from the one the caller listed is reported as a change', () => {
  const path = file('foo');
  const st = statSync(path);
  assert.equal(md5File(path, { expected: { size: 3, mtimeMs: st.mtimeMs } }).md5, 'acbd18db4cc2f85cedef654fccc4a4d8');
  assert.throws(
    () => md5File(path, { expected: { size: 2, mtimeMs: st.mtimeMs } }),
    (err: unknown) => err instanceof ProvenantError && err.code === 'E_CHANGED_WHILE_HASHING',
  );
});
