import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { tempDir, writeFiles } from '../../helpers/git';
import { findOverlap, normalizeCell, type Table } from '../../../src/core/governance/overlap';
import { unsafeEntryName, writeZip } from '../../../src/core/packet/zip';
import { verifyPacket } from '../../../src/core/packet/verify';
import { PACKET_SCHEMA } from '../../../src/core/packet/manifest';
import { assertOutsideWorkspace, generateSigningKey, loadPrivateKey } from '../../../src/core/packet/signing';
import { isReportNode, isReportPanelHostMessage, isReportPanelWebviewMessage } from '../../../src/shared/messages';
import { renderReport, toHtml } from '../../../src/core/packet/reportView';
import { ProvenantError } from '../../../src/core/util/errors';

/** A zip written byte by byte (stored entries), so names that zip libraries refuse can be crafted. */
function rawZip(entries: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, e.data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + e.data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('train/test overlap by content', () => {
  it('normalizes numbers and text', () => {
    assert.equal(normalizeCell(' 4.80 '), '4.8');
    assert.equal(normalizeCell('4.8e0'), '4.8');
    assert.equal(normalizeCell('-0.0'), '0');
    assert.equal(normalizeCell('007'), '7');
    assert.equal(normalizeCell('Weequay '), 'Weequay');
    assert.equal(normalizeCell('1e400'), '1e400', 'not finite: compared as text');
    assert.notEqual(normalizeCell('abc'), normalizeCell('ABC'));
  });

  it('finds shared rows whatever the column order, row order and number format; common columns only', () => {
    const train: Table = { name: 'train.csv', columns: ['id', 'x', 'g', 'y'], rows: [['1', '0.5', 'a', '1'], ['2', '1.5', 'b', '0'], ['3', '2', 'a', '1'], ['4', '2', 'a', '0']] };
    const test: Table = { name: 'other_name.csv', columns: ['g', 'x', 'z'], rows: [['a', '2.0', 'q'], ['c', '9', 'q'], ['b', '1.50', 'r']] };
    const ov = findOverlap(test, train);
    assert.deepEqual(ov.columns, ['g', 'x']);
    assert.deepEqual(ov.rowsOfA, [0, 2]);
    assert.deepEqual(ov.duplicatedInB, [0], 'row 0 (a, 2) occurs twice in train');
    assert.deepEqual(findOverlap({ ...test, rows: [['c', '9', 'q']] }, train).rowsOfA, []);
  });
});

describe('packet zip safety', () => {
  it('judges entry names', () => {
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'C:\\x', 'C:/x', 'a\\..\\x', 'a//b', './a', '']) assert.ok(unsafeEntryName(bad), bad);
    for (const good of ['report.html', 'run/run.json', 'analysis/evaluation-1.json', 'a..b/c']) assert.equal(unsafeEntryName(good), null, good);
  });

  it('refuses a crafted zip with ../ and absolute entries, and writes nothing outside (or inside) the target', async () => {
    const dir = tempDir('provenant-zipslip-');
    const payload = Buffer.from('owned\n');
    const manifest = Buffer.from(JSON.stringify({ schema: PACKET_SCHEMA, run: 'x', createdAt: '', generator: '', algorithm: 'sha256', files: { 'report.html': { sha256: sha(payload), size: payload.length } } }));
    const zip = rawZip([
      { name: 'report.html', data: payload },
      { name: '../evil.txt', data: payload },
      { name: 'nested/../../evil2.txt', data: payload },
      { name: '/tmp/provenant-absolute-evil.txt', data: payload },
      { name: 'manifest.json', data: manifest },
    ]);
    const file = join(dir, 'crafted.zip');
    writeFileSync(file, zip);
    const target = join(dir, 'out', 'inner');
    const result = await verifyPacket(file, { extractTo: target });
    assert.equal(result.ok, false);
    assert.deepEqual(result.problems.filter((p) => p.kind === 'unsafe').map((p) => p.entry), ['../evil.txt', 'nested/../../evil2.txt', '/tmp/provenant-absolute-evil.txt']);
    assert.equal(result.extractedTo, undefined);
    assert.ok(!existsSync(join(dir, 'evil.txt')) && !existsSync(join(dir, 'out', 'evil.txt')) && !existsSync(join(dir, 'out', 'evil2.txt')) && !existsSync('/tmp/provenant-absolute-evil.txt'));
    assert.ok(!existsSync(target), 'nothing extracted from a refused packet');
  });

  it('names duplicate entries and refuses a non-zip', async () => {
    const dir = tempDir();
    const a = Buffer.from('a');
    const manifest = Buffer.from(JSON.stringify({ schema: PACKET_SCHEMA, run: 'x', createdAt: '', generator: '', algorithm: 'sha256', files: { 'a.txt': { sha256: sha(a), size: 1 } } }));
    writeFileSync(join(dir, 'dup.zip'), rawZip([{ name: 'a.txt', data: a }, { name: 'a.txt', data: Buffer.from('b') }, { name: 'manifest.json', data: manifest }]));
    const dup = await verifyPacket(join(dir, 'dup.zip'));
    assert.deepEqual(dup.problems.map((p) => `${p.kind} ${p.entry}`), ['duplicate a.txt']);
    writeFileSync(join(dir, 'not.zip'), 'hello');
    const bad = await verifyPacket(join(dir, 'not.zip'));
    assert.equal(bad.ok, false);
    assert.equal(bad.problems[0]!.kind, 'unreadable');
    const ok = await verifyPacket(await (async () => {
      writeFileSync(join(dir, 'ok.zip'), await writeZip([{ name: 'a.txt', bytes: a }, { name: 'manifest.json', bytes: manifest }], new Date(0)));
      return join(dir, 'ok.zip');
    })());
    assert.equal(ok.ok, true, JSON.stringify(ok.problems));
    assert.equal(ok.signature, 'absent');
  });

  it('refuses a signing key inside the workspace, and a key that is not Ed25519', () => {
    const root = tempDir();
    const { privatePem } = generateSigningKey();
    writeFiles(root, { 'keys/k.pem': privatePem });
    assert.throws(() => loadPrivateKey(root, join(root, 'keys', 'k.pem')), (e: unknown) => e instanceof ProvenantError && e.code === 'E_KEY_IN_WORKSPACE');
    assert.throws(() => assertOutsideWorkspace(root, join(root, 'new.pem')), /inside the workspace/);
    const outside = tempDir();
    writeFileSync(join(outside, 'k.pem'), privatePem);
    assert.equal(loadPrivateKey(root, join(outside, 'k.pem')).asymmetricKeyType, 'ed25519');
    writeFileSync(join(outside, 'bad.pem'), 'not a key');
    assert.throws(() => loadPrivateKey(root, join(outside, 'bad.pem')), (e: unknown) => e instanceof ProvenantError && e.file === join(outside, 'bad.pem'));
  });
});

describe('report documents and the report panel contract', () => {
  it('the guard accepts rendered reports and refuses scripts, handlers, links and odd shapes', () => {
    const node = { tag: 'article', children: [{ tag: 'p', attrs: { class: 'x' }, children: ['<img src=x onerror=alert(1)>'] }, { tag: 'svg', attrs: { viewBox: '0 0 1 1' }, children: [{ tag: 'rect', attrs: { x: '0' } }] }] };
    assert.ok(isReportNode(node));
    assert.match(toHtml(node), /&lt;img src=x onerror=alert\(1\)&gt;/);
    for (const bad of [
      { tag: 'script', children: ['alert(1)'] },
      { tag: 'p', attrs: { onclick: 'x()' } },
      { tag: 'a', attrs: { href: 'https://example.com' } },
      { tag: 'p', attrs: { style: 'background:url(https://x)' } },
      { tag: 'p', attrs: { class: 1 } },
      { tag: 'p', extra: true },
      { tag: 'iframe' },
      { tag: 'p', children: [{ tag: 'img', attrs: { src: 'x' } }] },
    ]) {
      assert.equal(isReportNode(bad), false, JSON.stringify(bad));
      if (!('extra' in bad) && !(bad.attrs && 'class' in bad.attrs)) assert.throws(() => toHtml(bad as never), JSON.stringify(bad));
    }
    let deep: unknown = 'x';
    for (let i = 0; i < 60; i++) deep = { tag: 'div', children: [deep] };
    assert.equal(isReportNode(deep), false, 'too deep');
    assert.ok(isReportPanelWebviewMessage({ type: 'export', sign: false }));
    assert.equal(isReportPanelWebviewMessage({ type: 'export', sign: false, path: '/etc' }), false);
    assert.equal(isReportPanelHostMessage({ type: 'showReport', run: { id: '../x', name: 'n' }, document: node, canSign: false, trusted: true }), false);
    assert.equal(typeof renderReport, 'function');
  });
});
