// Hostile audit packets, crafted entry by entry with yazl: folder entries, links, conflicting
// names, malformed manifests, stripped or re-encoded signatures and keys, and extraction into
// hostile targets. Each must be a clear verification failure (exit 1) or a clear usage error
// (exit 2), never a crash, never a write outside the extraction folder.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yazl from 'yazl';
import { tempDir } from '../helpers/git';
import { cli } from '../helpers/cli';
import { MANIFEST_FILE, PACKET_SCHEMA, PUBLIC_KEY_FILE, SIGNATURE_FILE } from '../../src/core/packet/manifest';
import { generateSigningKey, keyFingerprint, parsePrivateKey, parsePublicKey, publicPemOf, signBytes } from '../../src/core/packet/signing';
import { verifyPacket, type VerifyResult } from '../../src/core/packet/verify';

let faults = 0;
let operations = 0;

interface Entry {
  name: string;
  bytes?: Buffer;
  /** Unix mode (file type and permissions) stored in the entry's attributes. */
  mode?: number;
  folder?: boolean;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const json = (v: unknown) => Buffer.from(`${JSON.stringify(v, null, 2)}\n`);

async function zipOf(entries: Entry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    if (e.folder) zip.addEmptyDirectory(e.name, { mtime: new Date(0) });
    else zip.addBuffer(e.bytes ?? Buffer.alloc(0), e.name, { mtime: new Date(0), mode: e.mode ?? 0o100644 });
  }
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
  zip.end();
  return done;
}

const FILES: Record<string, Buffer> = {
  'report.html': Buffer.from('<!doctype html><p>report</p>\n'),
  'run/run.json': Buffer.from('{"id":"20260101-000000-abcd"}\n'),
};

function manifestOf(files: Record<string, Buffer>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schema: PACKET_SCHEMA, run: '20260101-000000-abcd', createdAt: '2026-01-01T00:00:00.000Z', generator: 'test', algorithm: 'sha256', files: Object.fromEntries(Object.entries(files).map(([n, b]) => [n, { sha256: sha(b), size: b.length }])), ...extra };
}

const key = parsePrivateKey(generateSigningKey().privatePem, 'test key');
const publicPem = publicPemOf(key);
const fingerprint = keyFingerprint(parsePublicKey(publicPem, 'test'));

/** The entries of a packet as export writes it: files, manifest, and (signed) signature and key. */
function packetEntries(options: { signed: boolean; files?: Record<string, Buffer>; manifest?: Record<string, unknown> }): Entry[] {
  const files = options.files ?? FILES;
  const manifest = json(options.manifest ?? manifestOf(files, options.signed ? { signature: { algorithm: 'ed25519', key: fingerprint } } : {}));
  const entries: Entry[] = [...Object.entries(files).map(([name, bytes]) => ({ name, bytes })), { name: MANIFEST_FILE, bytes: manifest }];
  if (options.signed) entries.push({ name: SIGNATURE_FILE, bytes: Buffer.from(`${signBytes(manifest, key)}\n`) }, { name: PUBLIC_KEY_FILE, bytes: Buffer.from(publicPem) });
  return entries;
}

const dir = tempDir('provenant-rel-packet-');
let count = 0;
async function write(entries: Entry[]): Promise<string> {
  const file = join(dir, `p${count++}.zip`);
  writeFileSync(file, await zipOf(entries));
  return file;
}

async function verify(entries: Entry[], options: Parameters<typeof verifyPacket>[1] = {}): Promise<VerifyResult> {
  operations++;
  return verifyPacket(await write(entries), options);
}

const problems = (r: VerifyResult) => r.problems.map((p) => `${p.kind} ${p.entry}`);
const replace = (entries: Entry[], name: string, bytes: Buffer | null): Entry[] => (bytes === null ? entries.filter((e) => e.name !== name) : entries.map((e) => (e.name === name ? { ...e, bytes } : e)));

describe('hostile packets are reported, never certified', () => {
  test('the packets export writes verify, signed and unsigned, and say what they prove', async () => {
    const signed = await verify(packetEntries({ signed: true }));
    assert.equal(signed.ok, true, JSON.stringify(signed.problems));
    assert.match(signed.signature, /^valid, key sha256:/);
    assert.match(signed.guarantee, /tampering is detected only if that is the signer's published key/);
    const unsigned = await verify(packetEntries({ signed: false }));
    assert.equal(unsigned.ok, true);
    assert.equal(unsigned.signature, 'absent');
    assert.match(unsigned.guarantee, /^unsigned: the hashes detect accidental change only, not tampering/);
  });

  test('an extra folder entry is named', async () => {
    faults++;
    const r = await verify([...packetEntries({ signed: true }), { name: 'approved-by-auditor/', folder: true }]);
    assert.equal(r.ok, false);
    assert.deepEqual(problems(r), ['extra approved-by-auditor/']);
  });

  test('a manifest entry that is null (or another shape) is a named problem, not a crash', async () => {
    for (const bad of [null, 'abc', [1], { sha256: 'x', size: 1 }, { sha256: sha(Buffer.from('a')), size: -1 }, { sha256: sha(Buffer.from('a')), size: 1, extra: true }]) {
      faults++;
      const files = { ...FILES, 'notes.txt': Buffer.from('a') };
      const manifest = manifestOf(files);
      (manifest.files as Record<string, unknown>)['notes.txt'] = bad;
      const r = await verify(packetEntries({ signed: false, files, manifest }));
      assert.equal(r.ok, false, JSON.stringify(bad));
      assert.deepEqual(problems(r), ['manifest notes.txt'], JSON.stringify(bad));
      assert.match(r.problems[0]!.detail!, /not \{"sha256"/);
    }
    for (const files of [null, [], 'x']) {
      faults++;
      const r = await verify(packetEntries({ signed: false, manifest: { ...manifestOf(FILES), files } }));
      assert.deepEqual(problems(r), ['manifest manifest.json'], JSON.stringify(files));
    }
  });

  test('a manifest with a field export never writes is refused; an unsigned edit of a known field verifies but is called unsigned', async () => {
    faults++;
    const added = await verify(packetEntries({ signed: false, manifest: manifestOf(FILES, { approvedBy: 'auditor' }) }));
    assert.deepEqual(problems(added), ['manifest manifest.json']);
    assert.match(added.problems[0]!.detail!, /unknown field\(s\) "approvedBy"/);

    faults++;
    const edited = await verify(packetEntries({ signed: false, manifest: { ...manifestOf(FILES), run: '20990101-000000-ffff' } }));
    assert.equal(edited.ok, true, 'nothing can detect an edit of an unsigned manifest');
    assert.match(edited.guarantee, /unsigned: the hashes detect accidental change only, not tampering/);
    operations++;
    const shown = cli(dir, ['packet', 'verify', await write(packetEntries({ signed: false }))]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /unsigned: the hashes detect accidental change only, not tampering/);
  });

  test('a stripped signature of a signed packet is reported without --public-key', async () => {
    const signed = packetEntries({ signed: true });
    faults++;
    const noSig = await verify(replace(signed, SIGNATURE_FILE, null));
    assert.equal(noSig.ok, false);
    assert.equal(noSig.signature, 'missing');
    assert.ok(problems(noSig).includes('signature manifest.sig'), JSON.stringify(noSig.problems));
    assert.match(noSig.problems.find((p) => p.kind === 'signature')!.detail!, /records a signature \(ed25519, key sha256:[0-9a-f]{32}\) but manifest\.sig is missing/);
    faults++;
    const noSigNoKey = await verify(replace(replace(signed, SIGNATURE_FILE, null), PUBLIC_KEY_FILE, null));
    assert.deepEqual(problems(noSigNoKey), ['signature manifest.sig']);
    operations++;
    const viaCli = cli(dir, ['packet', 'verify', await write(replace(signed, SIGNATURE_FILE, null))]);
    assert.equal(viaCli.status, 1);
    assert.match(viaCli.stdout, /NOT INTACT/);
    assert.match(viaCli.stdout, /the signature was removed/);
    // A lone public key in an unsigned packet is an extra file.
    faults++;
    const loneKey = await verify([...packetEntries({ signed: false }), { name: PUBLIC_KEY_FILE, bytes: Buffer.from(publicPem) }]);
    assert.deepEqual(problems(loneKey), ['extra signer.pub.pem']);
  });

  test('a re-encoded signature (padding, trailing byte, unused bits, whitespace) is a failure', async () => {
    const signed = packetEntries({ signed: true });
    const text = signed.find((e) => e.name === SIGNATURE_FILE)!.bytes!.toString();
    const b64 = text.trim();
    assert.ok(b64.endsWith('=='), 'the base64 of 64 bytes ends with two padding characters');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = b64[b64.length - 3]!;
    // The last character before the padding carries 4 unused bits: another value decodes to the same bytes.
    const unusedBits = b64.slice(0, -3) + alphabet[alphabet.indexOf(last) ^ 0b0001] + '==';
    assert.deepEqual(Buffer.from(unusedBits, 'base64'), Buffer.from(b64, 'base64'));
    for (const variant of [`${b64.slice(0, -2)}\n`, `${b64.slice(0, -1)}\n`, `${b64}=\n`, `${b64}\nx`, `${b64}A\n`, `${b64} \n`, ` ${b64}\n`, `${b64}\n\n`, `${b64}`, `${b64}\r\n`, `${unusedBits}\n`, `${b64.slice(0, 40)}\n${b64.slice(40)}\n`]) {
      faults++;
      // Lenient decoding gives the same 64 bytes for most of these: the signature would still verify.
      const r = await verify(replace(signed, SIGNATURE_FILE, Buffer.from(variant)));
      assert.equal(r.ok, false, JSON.stringify(variant));
      assert.deepEqual(problems(r), ['signature manifest.sig'], JSON.stringify(variant));
    }
  });

  test('a re-encoded public key (trailing byte, extra line, changed padding) is a failure', async () => {
    const signed = packetEntries({ signed: true });
    const lines = publicPem.split('\n');
    const body = lines[1]!;
    for (const variant of [`${publicPem}\n`, `${publicPem}x`, publicPem.trimEnd(), publicPem.replace(/\n/g, '\r\n'), `\n${publicPem}`, publicPem.replace(body, `${body.replace(/=+$/, '')}`), publicPem.replace(body, `${body}=`)]) {
      faults++;
      const r = await verify(replace(signed, PUBLIC_KEY_FILE, Buffer.from(variant)));
      assert.equal(r.ok, false, JSON.stringify(variant));
      assert.ok(r.problems.every((p) => p.kind === 'signature'), JSON.stringify(r.problems));
    }
    // The key the user gives may have Windows line endings; a trailing byte is refused there too.
    const keyFile = join(dir, 'signer-crlf.pub.pem');
    writeFileSync(keyFile, publicPem.replace(/\n/g, '\r\n'));
    assert.equal((await verify(signed, { publicKeyFile: keyFile })).ok, true);
    writeFileSync(keyFile, `${publicPem}#`);
    faults++;
    assert.equal((await verify(signed, { publicKeyFile: keyFile })).ok, false);
    // With the right key given, a shipped key swapped for another one is still a changed byte of the packet.
    writeFileSync(keyFile, publicPem);
    faults++;
    const swapped = await verify(replace(signed, PUBLIC_KEY_FILE, Buffer.from(publicPemOf(parsePrivateKey(generateSigningKey().privatePem, 'other')))), { publicKeyFile: keyFile });
    assert.deepEqual(problems(swapped), ['signature signer.pub.pem']);
    // A manifest naming another signer than the one whose signature verifies.
    faults++;
    const otherSigner = packetEntries({ signed: true, manifest: manifestOf(FILES, { signature: { algorithm: 'ed25519', key: `sha256:${'0'.repeat(32)}` } }) });
    assert.deepEqual(problems(await verify(otherSigner)), ['signature manifest.json']);
  });

  test('links, special files and conflicting names are refused; --extract reports them instead of a raw EEXIST', async () => {
    const link = Buffer.from('../../../../etc');
    const inner = Buffer.from('x');
    const files = { ...FILES, 'run/link': link, 'run/link/x': inner };
    faults++;
    // A symbolic link listed in the manifest with its correct hash.
    const linked = await verify([...packetEntries({ signed: true, files: { ...FILES, 'run/link': link } }).map((e) => (e.name === 'run/link' ? { ...e, mode: 0o120777 } : e))]);
    assert.equal(linked.ok, false);
    assert.ok(linked.problems.some((p) => p.kind === 'unsafe' && p.entry === 'run/link' && /symbolic link/.test(p.detail!)), JSON.stringify(linked.problems));
    faults++;
    const fifo = await verify([...packetEntries({ signed: false }), { name: 'run/pipe', mode: 0o010644 }]);
    assert.ok(fifo.problems.some((p) => p.kind === 'unsafe' && p.entry === 'run/pipe' && /FIFO/.test(p.detail!)), JSON.stringify(fifo.problems));

    faults++;
    const conflicting = await verify(packetEntries({ signed: true, files }));
    assert.equal(conflicting.ok, false);
    assert.deepEqual(problems(conflicting), ['conflict run/link/x']);
    faults++;
    const cased = await verify(packetEntries({ signed: true, files: { ...FILES, 'Report.html': Buffer.from('other') } }));
    assert.deepEqual(problems(cased), ['conflict report.html']);

    const sentinel = tempDir('provenant-rel-sentinel-');
    writeFileSync(join(sentinel, 'keep.txt'), 'keep\n');
    for (const packet of [packetEntries({ signed: true, files }), packetEntries({ signed: true, files: { ...FILES, 'run/link': link } }).map((e) => (e.name === 'run/link' ? { ...e, mode: 0o120777 } : e))]) {
      const target = join(dir, `out-${count}`);
      operations++;
      const r = cli(dir, ['packet', 'verify', await write(packet), '--extract', target]);
      assert.equal(r.status, 1, r.stderr);
      assert.doesNotMatch(`${r.stdout}${r.stderr}`, /EEXIST|ENOENT|at .*\.js:\d+/);
      assert.ok(!existsSync(target), 'nothing is extracted from a packet that is not intact');
    }
    assert.deepEqual(readdirSync(sentinel), ['keep.txt']);
  });

  test('--extract into a dangling link, a file or a non-empty folder is a clear error that writes nothing', async () => {
    const packet = await write(packetEntries({ signed: true }));
    const elsewhere = join(tempDir('provenant-rel-elsewhere-'), 'not-yet');
    const dangling = join(dir, 'dangling');
    symlinkSync(elsewhere, dangling);
    faults++;
    operations++;
    const r = cli(dir, ['packet', 'verify', packet, '--extract', dangling]);
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, /symbolic link to a place that does not exist/);
    assert.doesNotMatch(r.stderr, /ENOENT|at .*\.js:\d+/);
    assert.ok(!existsSync(elsewhere), 'nothing is created where the link points');

    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    faults++;
    operations++;
    const onFile = cli(dir, ['packet', 'verify', packet, '--extract', file]);
    assert.equal(onFile.status, 2);
    assert.match(onFile.stderr, /not a folder/);
    assert.equal(readFileSync(file, 'utf8'), 'x');

    const ok = join(dir, 'extracted');
    operations++;
    const extracted = cli(dir, ['packet', 'verify', packet, '--extract', ok]);
    assert.equal(extracted.status, 0, extracted.stderr);
    assert.deepEqual(readdirSync(join(ok, 'run')), ['run.json']);
    assert.deepEqual(readFileSync(join(ok, 'report.html')), FILES['report.html']);
    mkdirSync(join(dir, 'full'));
    writeFileSync(join(dir, 'full', 'f'), '');
    operations++;
    assert.equal(cli(dir, ['packet', 'verify', packet, '--extract', join(dir, 'full')]).status, 2);
  });

  after(() => {
    console.log(`# faults: ${faults}, operations: ${operations}`);
    rmSync(dir, { recursive: true, force: true });
  });
});
