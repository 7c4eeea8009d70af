/**
 * `provenant packet verify`: every file of a packet against the SHA-256 in its manifest, the
 * manifest against its Ed25519 signature; modified, missing, extra, duplicate, conflicting and
 * unsafe entries (links, `../`, folders) are named. The packet is read in memory; nothing is
 * written unless `extractTo` is given and the packet is intact, and then only inside that folder.
 *
 * What a result proves: a valid signature binds every byte of every file to the signer's key
 * (tampering is detected, provided the key is the signer's); an unsigned packet's hashes only
 * detect accidental change, since whoever edits a file can rewrite manifest.json too.
 */
import type { KeyObject } from 'node:crypto';
import { closeSync, constants, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, realpathSync, rmSync, rmdirSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ProvenantError, describeError } from '../util/errors';
import { isInside } from '../util/paths';
import { MANIFEST_FIELDS, MANIFEST_FILE, PACKET_SCHEMA, PUBLIC_KEY_FILE, SIGNATURE_FILE, type PacketManifest } from './manifest';
import { decodeSignature, keyFingerprint, parsePublicKeyStrict, verifyBytes } from './signing';
import { readZip, sha256, type RawEntry } from './zip';

export interface VerifyProblem {
  kind: 'modified' | 'missing' | 'extra' | 'duplicate' | 'conflict' | 'unsafe' | 'manifest' | 'signature' | 'unreadable';
  entry: string;
  detail?: string;
}

export interface VerifyResult {
  file: string;
  ok: boolean;
  run: string | null;
  /** Files whose hash was checked. */
  checked: number;
  /** `valid, key …`, `invalid`, `absent`, `missing`. */
  signature: string;
  signer: string | null;
  /** What an intact result proves, in one sentence (signed against tampering, unsigned against accidents only). */
  guarantee: string;
  problems: VerifyProblem[];
  extractedTo?: string;
}

export interface VerifyOptions {
  /** The signer's public key (PEM file); without it the key shipped in the packet is used and named. */
  publicKeyFile?: string;
  /** Extract an intact packet into this folder (created; must be empty if it exists). */
  extractTo?: string;
}

export const UNSIGNED_GUARANTEE = 'unsigned: the hashes detect accidental change only, not tampering (whoever edits a file can rewrite manifest.json too); sign packets (--key) to detect tampering';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const FINGERPRINT = /^sha256:[0-9a-f]{32}$/;

type Manifest = PacketManifest;

/** Parses manifest.json; shape errors of single entries become problems, a wrong overall shape throws. */
function readManifest(bytes: Buffer, problems: VerifyProblem[]): { manifest: Manifest; badEntries: Set<string> } {
  const parsed: unknown = JSON.parse(bytes.toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
  const m = parsed as Record<string, unknown>;
  if (m.schema !== PACKET_SCHEMA) throw new Error(`not a ${PACKET_SCHEMA} manifest (schema ${JSON.stringify(m.schema)})`);
  const unknown = Object.keys(m).filter((k) => !(MANIFEST_FIELDS as readonly string[]).includes(k));
  if (unknown.length) throw new Error(`unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; export writes only ${MANIFEST_FIELDS.join(', ')}`);
  if (typeof m.files !== 'object' || m.files === null || Array.isArray(m.files)) throw new Error('"files" must be an object of file names to {sha256, size}');
  if (m.signature !== undefined) {
    const s = m.signature as Record<string, unknown> | null;
    if (typeof s !== 'object' || s === null || s.algorithm !== 'ed25519' || typeof s.key !== 'string' || !FINGERPRINT.test(s.key) || Object.keys(s).length !== 2) {
      throw new Error('"signature" must be {"algorithm": "ed25519", "key": "sha256:<32 hex>"}');
    }
  }
  const badEntries = new Set<string>();
  for (const [name, meta] of Object.entries(m.files as Record<string, unknown>)) {
    const e = meta as Record<string, unknown> | null;
    const shaped = typeof e === 'object' && e !== null && !Array.isArray(e) && Object.keys(e).length === 2 && typeof e.sha256 === 'string' && SHA256_HEX.test(e.sha256) && Number.isSafeInteger(e.size) && (e.size as number) >= 0;
    if (!shaped) {
      badEntries.add(name);
      problems.push({ kind: 'manifest', entry: name, detail: `manifest.json lists it as ${JSON.stringify(meta)?.slice(0, 80) ?? 'undefined'}, not {"sha256": <64 hex>, "size": <bytes>}` });
    } else if ([MANIFEST_FILE, SIGNATURE_FILE, PUBLIC_KEY_FILE].includes(name)) {
      badEntries.add(name);
      problems.push({ kind: 'manifest', entry: name, detail: 'manifest.json must not list itself, the signature or the public key' });
    }
  }
  return { manifest: m as unknown as Manifest, badEntries };
}

/** Names that cannot all be extracted: a file that is also the folder of another, names equal but for case. */
function conflicts(names: string[]): VerifyProblem[] {
  const out: VerifyProblem[] = [];
  names = [...names].sort();
  const set = new Set(names);
  for (const name of names) {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      if (set.has(folder)) out.push({ kind: 'conflict', entry: name, detail: `${folder} is a file in the packet, so it cannot also be the folder of ${name}` });
    }
  }
  const folded = new Map<string, string>();
  for (const name of names) {
    const key = name.normalize('NFC').toLowerCase();
    const other = folded.get(key);
    if (other !== undefined) out.push({ kind: 'conflict', entry: name, detail: `differs from ${other} only in case or Unicode form: one would overwrite the other on macOS and Windows` });
    else folded.set(key, name);
  }
  return out;
}

export async function verifyPacket(file: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  if (!existsSync(file)) throw new ProvenantError('the packet file does not exist', { file, code: 'E_PACKET_MISSING' });
  const result: VerifyResult = { file, ok: false, run: null, checked: 0, signature: 'absent', signer: null, guarantee: UNSIGNED_GUARANTEE, problems: [] };
  let entries: RawEntry[];
  try {
    entries = await readZip(readFileSync(file));
  } catch (err) {
    result.problems.push({ kind: 'unreadable', entry: file, detail: `not a readable zip: ${describeError(err)}` });
    result.guarantee = 'nothing could be checked';
    return result;
  }
  const files = new Map<string, Buffer>();
  for (const e of entries) {
    if (e.unsafe) {
      result.problems.push({ kind: 'unsafe', entry: e.name, detail: `${e.unsafe}; refused` });
      continue;
    }
    if (e.directory) {
      result.problems.push({ kind: 'extra', entry: e.name, detail: 'a folder entry; a packet lists files only, every one in the manifest' });
      continue;
    }
    if (files.has(e.name)) {
      result.problems.push({ kind: 'duplicate', entry: e.name, detail: 'the name occurs more than once' });
      continue;
    }
    files.set(e.name, e.bytes!);
  }
  result.problems.push(...conflicts([...files.keys()]));

  const manifestBytes = files.get(MANIFEST_FILE);
  let manifest: Manifest | null = null;
  let badEntries = new Set<string>();
  if (!manifestBytes) result.problems.push({ kind: 'missing', entry: MANIFEST_FILE, detail: 'the packet has no manifest' });
  else {
    try {
      ({ manifest, badEntries } = readManifest(manifestBytes, result.problems));
      result.run = typeof manifest.run === 'string' ? manifest.run : null;
    } catch (err) {
      result.problems.push({ kind: 'manifest', entry: MANIFEST_FILE, detail: describeError(err) });
    }
  }
  if (manifest) {
    for (const [name, meta] of Object.entries(manifest.files)) {
      if (badEntries.has(name)) continue;
      const bytes = files.get(name);
      if (!bytes) {
        result.problems.push({ kind: 'missing', entry: name });
        continue;
      }
      result.checked++;
      const actual = sha256(bytes);
      if (actual !== meta.sha256 || bytes.length !== meta.size) result.problems.push({ kind: 'modified', entry: name, detail: `SHA-256 ${actual.slice(0, 16)}…, manifest says ${meta.sha256.slice(0, 16)}…` });
    }
    const signature = files.get(SIGNATURE_FILE);
    const known = new Set([...Object.keys(manifest.files), MANIFEST_FILE, SIGNATURE_FILE, ...(signature ? [PUBLIC_KEY_FILE] : [])]);
    for (const name of files.keys()) {
      if (!known.has(name)) result.problems.push({ kind: 'extra', entry: name, detail: name === PUBLIC_KEY_FILE ? 'a public key in a packet without a signature' : 'not listed in the manifest' });
    }
    checkSignature(result, manifest, manifestBytes!, signature, files.get(PUBLIC_KEY_FILE), options);
  }
  result.ok = result.problems.length === 0;
  if (!result.ok && result.signature.startsWith('valid')) result.guarantee = 'the signature is valid, but the packet does not match it: see the problems below';
  if (result.ok && options.extractTo) result.extractedTo = extract(files, options.extractTo);
  return result;
}

function checkSignature(result: VerifyResult, manifest: Manifest, manifestBytes: Buffer, signature: Buffer | undefined, shippedKey: Buffer | undefined, options: VerifyOptions): void {
  const fail = (entry: string, detail: string, state = 'invalid') => {
    result.signature = state;
    result.guarantee = 'the signature does not hold: treat the packet as untrusted';
    result.problems.push({ kind: 'signature', entry, detail });
  };
  const recorded = manifest.signature;
  if (!signature) {
    if (recorded) return fail(SIGNATURE_FILE, `manifest.json records a signature (${recorded.algorithm}, key ${recorded.key}) but ${SIGNATURE_FILE} is missing: the signature was removed`, 'missing');
    if (options.publicKeyFile) return fail(SIGNATURE_FILE, 'a public key was given but the packet is not signed', 'absent');
    return;
  }
  const keySource = options.publicKeyFile ?? PUBLIC_KEY_FILE;
  const pem = options.publicKeyFile ? readFileSync(options.publicKeyFile, 'utf8') : shippedKey?.toString('utf8');
  if (!pem) return fail(SIGNATURE_FILE, `no public key to check it with (${PUBLIC_KEY_FILE} is missing; pass --public-key)`);
  let sig: Buffer;
  try {
    sig = decodeSignature(signature.toString('utf8'));
  } catch (err) {
    return fail(SIGNATURE_FILE, describeError(err));
  }
  let key: KeyObject;
  try {
    key = parsePublicKeyStrict(pem, keySource, options.publicKeyFile !== undefined);
    result.signer = keyFingerprint(key);
  } catch (err) {
    return fail(keySource, describeError(err));
  }
  if (!verifyBytes(manifestBytes, sig, key)) return fail(SIGNATURE_FILE, `the manifest's signature does not verify with key ${result.signer}`);
  if (options.publicKeyFile && shippedKey) {
    // The shipped key is not what was checked, but its bytes still belong to the packet.
    try {
      if (keyFingerprint(parsePublicKeyStrict(shippedKey.toString('utf8'), PUBLIC_KEY_FILE)) !== result.signer) return fail(PUBLIC_KEY_FILE, `the key shipped in the packet is not the given key ${result.signer}`);
    } catch (err) {
      return fail(PUBLIC_KEY_FILE, describeError(err));
    }
  }
  if (recorded && recorded.key !== result.signer) return fail(MANIFEST_FILE, `manifest.json names signer ${recorded.key}, but the signature is by ${result.signer}`);
  const given = options.publicKeyFile !== undefined;
  result.signature = `valid, key ${result.signer}${given ? ' (the given public key)' : " (shipped in the packet: compare it with the signer's published key, or pass --public-key)"}`;
  result.guarantee = given
    ? `signed: every file is bound to key ${result.signer} (the key you gave); tampering is detected`
    : `signed with key ${result.signer}, shipped in the packet: tampering is detected only if that is the signer's published key (compare it, or pass --public-key)`;
}

/** Writes the files of an intact packet into a new or empty folder: never through a link, never over a file, never outside. */
function extract(files: Map<string, Buffer>, target: string): string {
  const dir = resolve(target);
  const targetError = (message: string) => new ProvenantError(message, { file: dir, hint: 'Give a new or empty folder.', code: 'E_EXTRACT_TARGET' });
  const link = lstatSync(dir, { throwIfNoEntry: false });
  if (link?.isSymbolicLink() && !existsSync(dir)) throw targetError('the folder to extract into is a symbolic link to a place that does not exist');
  let createdRoot = false;
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw targetError('the place to extract into is not a folder');
    if (readdirSync(dir).length > 0) throw targetError('the folder to extract into is not empty');
  } else {
    try {
      mkdirSync(dir, { recursive: true });
      createdRoot = true;
    } catch (err) {
      throw targetError(`cannot create the folder to extract into: ${describeError(err)}`);
    }
  }
  const real = realpathSync(dir);
  const created: { path: string; folder: boolean }[] = [];
  let current = '';
  try {
    for (const name of [...files.keys()].sort()) {
      current = name;
      const parts = name.split('/');
      let folder = real;
      for (const part of parts.slice(0, -1)) {
        folder = join(folder, part);
        const st = lstatSync(folder, { throwIfNoEntry: false });
        if (!st) {
          mkdirSync(folder);
          created.push({ path: folder, folder: true });
        } else if (!st.isDirectory()) throw new Error(`${folder.slice(real.length + 1)} exists and is not a folder`);
      }
      const path = join(folder, parts[parts.length - 1]!);
      if (!isInside(real, path)) throw new ProvenantError(`refusing to write ${name} outside ${real}`, { code: 'E_PATH_ESCAPE' });
      // O_EXCL + O_NOFOLLOW: never through a link, never over an existing file.
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
      created.push({ path, folder: false });
      try {
        const bytes = files.get(name)!;
        let offset = 0;
        while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  } catch (err) {
    for (const c of created.reverse()) {
      try {
        if (c.folder) rmdirSync(c.path);
        else rmSync(c.path, { force: true });
      } catch {
        // left for the user; the message says where
      }
    }
    if (createdRoot) rmSync(real, { recursive: true, force: true });
    if (err instanceof ProvenantError) throw err;
    throw new ProvenantError(`extraction stopped at ${current}: ${describeError(err)}; what had been written was removed`, { file: real, code: 'E_EXTRACT' });
  }
  return real;
}
