/**
 * `provenant packet verify`: every file of a packet against the SHA-256 in its manifest, the
 * manifest against its Ed25519 signature; modified, missing, extra, duplicate and unsafe entries
 * are named. The packet is read in memory; nothing is written unless `extractTo` is given and
 * the packet is intact, and then only inside that folder.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import { ProvenantError, describeError } from '../util/errors';
import { isInside } from '../util/paths';
import { MANIFEST_FILE, PACKET_SCHEMA, PUBLIC_KEY_FILE, SIGNATURE_FILE, type PacketManifest } from './manifest';
import { keyFingerprint, parsePublicKey, verifyBytes } from './signing';
import { readZip, sha256, type RawEntry } from './zip';

export interface VerifyProblem {
  kind: 'modified' | 'missing' | 'extra' | 'duplicate' | 'unsafe' | 'manifest' | 'signature' | 'unreadable';
  entry: string;
  detail?: string;
}

export interface VerifyResult {
  file: string;
  ok: boolean;
  run: string | null;
  /** Files whose hash was checked. */
  checked: number;
  /** `valid (key …)`, `invalid`, `absent`. */
  signature: string;
  signer: string | null;
  problems: VerifyProblem[];
  extractedTo?: string;
}

export interface VerifyOptions {
  /** The signer's public key (PEM file); without it the key shipped in the packet is used and named. */
  publicKeyFile?: string;
  /** Extract an intact packet into this folder (created; must be empty if it exists). */
  extractTo?: string;
}

export async function verifyPacket(file: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  if (!existsSync(file)) throw new ProvenantError('the packet file does not exist', { file, code: 'E_PACKET_MISSING' });
  const result: VerifyResult = { file, ok: false, run: null, checked: 0, signature: 'absent', signer: null, problems: [] };
  let entries: RawEntry[];
  try {
    entries = await readZip(readFileSync(file));
  } catch (err) {
    result.problems.push({ kind: 'unreadable', entry: file, detail: `not a readable zip: ${describeError(err)}` });
    return result;
  }
  const files = new Map<string, Buffer>();
  for (const e of entries) {
    if (e.unsafe) {
      result.problems.push({ kind: 'unsafe', entry: e.name, detail: `${e.unsafe}; refused` });
      continue;
    }
    if (e.directory) continue;
    if (files.has(e.name)) {
      result.problems.push({ kind: 'duplicate', entry: e.name, detail: 'the name occurs more than once' });
      continue;
    }
    files.set(e.name, e.bytes!);
  }
  const manifestBytes = files.get(MANIFEST_FILE);
  let manifest: PacketManifest | null = null;
  if (!manifestBytes) result.problems.push({ kind: 'missing', entry: MANIFEST_FILE, detail: 'the packet has no manifest' });
  else {
    try {
      const parsed = JSON.parse(manifestBytes.toString('utf8')) as PacketManifest;
      if (parsed.schema !== PACKET_SCHEMA || typeof parsed.files !== 'object' || parsed.files === null) throw new Error(`not a ${PACKET_SCHEMA} manifest`);
      manifest = parsed;
      result.run = typeof parsed.run === 'string' ? parsed.run : null;
    } catch (err) {
      result.problems.push({ kind: 'manifest', entry: MANIFEST_FILE, detail: describeError(err) });
    }
  }
  if (manifest) {
    for (const [name, meta] of Object.entries(manifest.files)) {
      const bytes = files.get(name);
      if (!bytes) {
        result.problems.push({ kind: 'missing', entry: name });
        continue;
      }
      result.checked++;
      const actual = sha256(bytes);
      if (actual !== meta.sha256 || bytes.length !== meta.size) result.problems.push({ kind: 'modified', entry: name, detail: `SHA-256 ${actual.slice(0, 16)}…, manifest says ${String(meta.sha256).slice(0, 16)}…` });
    }
    const known = new Set([...Object.keys(manifest.files), MANIFEST_FILE, SIGNATURE_FILE, PUBLIC_KEY_FILE]);
    for (const name of files.keys()) if (!known.has(name)) result.problems.push({ kind: 'extra', entry: name, detail: 'not listed in the manifest' });

    const signature = files.get(SIGNATURE_FILE);
    if (signature) {
      const keySource = options.publicKeyFile ?? PUBLIC_KEY_FILE;
      const pem = options.publicKeyFile ? readFileSync(options.publicKeyFile, 'utf8') : files.get(PUBLIC_KEY_FILE)?.toString('utf8');
      if (!pem) {
        result.signature = 'invalid';
        result.problems.push({ kind: 'signature', entry: SIGNATURE_FILE, detail: `no public key to check it with (${PUBLIC_KEY_FILE} is missing; pass --public-key)` });
      } else {
        try {
          const key = parsePublicKey(pem, keySource);
          result.signer = keyFingerprint(key);
          if (verifyBytes(manifestBytes!, signature.toString('utf8'), key)) {
            result.signature = `valid, key ${result.signer}${options.publicKeyFile ? ' (the given public key)' : ' (shipped in the packet: compare it with the signer\'s published key, or pass --public-key)'}`;
          } else {
            result.signature = 'invalid';
            result.problems.push({ kind: 'signature', entry: SIGNATURE_FILE, detail: `the manifest's signature does not verify with key ${result.signer}` });
          }
        } catch (err) {
          result.signature = 'invalid';
          result.problems.push({ kind: 'signature', entry: keySource, detail: describeError(err) });
        }
      }
    } else if (options.publicKeyFile) {
      result.signature = 'absent';
      result.problems.push({ kind: 'signature', entry: SIGNATURE_FILE, detail: 'a public key was given but the packet is not signed' });
    }
  }
  result.ok = result.problems.length === 0;
  if (result.ok && options.extractTo) result.extractedTo = extract(files, options.extractTo);
  return result;
}

function extract(files: Map<string, Buffer>, target: string): string {
  const dir = resolve(target);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new ProvenantError('the folder to extract into is not empty', { file: dir, hint: 'Give a new or empty folder.', code: 'E_EXTRACT_TARGET' });
  mkdirSync(dir, { recursive: true });
  const real = realpathSync(dir);
  for (const [name, bytes] of files) {
    const path = resolve(real, name);
    mkdirSync(dirname(path), { recursive: true });
    if (!isInside(real, path) || !isInside(real, realpathSync(dirname(path)))) throw new ProvenantError(`refusing to write ${name} outside ${real}`, { code: 'E_PATH_ESCAPE' });
    writeFileAtomic(path, bytes);
  }
  return real;
}
