/**
 * Ed25519 signatures of a packet's manifest (node:crypto). The private key never lives in the
 * workspace: a PEM file elsewhere (CLI) or VS Code's secret storage (extension).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ProvenantError, describeError } from '../util/errors';
import { isInside } from '../util/paths';
import { sha256 } from './zip';

/** The real path of `file` (or of its folder when it does not exist yet). */
function realOf(file: string): string {
  if (existsSync(file)) return realpathSync(file);
  const dir = dirname(resolve(file));
  return resolve(existsSync(dir) ? realpathSync(dir) : dir, resolve(file).slice(dir.length + 1));
}

/** Refuses a key file inside the workspace (where it would be committed, shared, or packed). */
export function assertOutsideWorkspace(root: string, file: string): void {
  if (isInside(realOf(root), realOf(file))) {
    throw new ProvenantError('the signing key lies inside the workspace', {
      file,
      hint: 'Keep private keys outside the workspace (e.g. ~/.config/provenant/signing-key.pem), where they cannot be committed or packed.',
      code: 'E_KEY_IN_WORKSPACE',
    });
  }
}

export function parsePrivateKey(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new ProvenantError(`not a readable private key (${describeError(err)})`, { file: source, hint: 'Give an Ed25519 private key in PEM (PKCS#8), e.g. from `provenant packet keygen`.', code: 'E_KEY' });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ProvenantError(`the key is ${key.asymmetricKeyType ?? 'not asymmetric'}, not Ed25519`, { file: source, hint: 'Give an Ed25519 private key, e.g. from `provenant packet keygen`.', code: 'E_KEY' });
  return key;
}

/** Reads the private key of a file outside the workspace. */
export function loadPrivateKey(root: string, file: string): KeyObject {
  assertOutsideWorkspace(root, file);
  if (!existsSync(file)) throw new ProvenantError('the signing key file does not exist', { file, hint: 'Create one with `provenant packet keygen -o <file>` (outside the workspace).', code: 'E_KEY' });
  return parsePrivateKey(readFileSync(file, 'utf8'), file);
}

export function parsePublicKey(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new ProvenantError(`not a readable public key (${describeError(err)})`, { file: source, code: 'E_KEY' });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ProvenantError(`the key is ${key.asymmetricKeyType ?? 'not asymmetric'}, not Ed25519`, { file: source, code: 'E_KEY' });
  return key;
}

/**
 * A public key read strictly: the text must be exactly the canonical SPKI PEM of an Ed25519 key
 * (as `packet keygen` and `packet export` write it), so that no other byte string (changed
 * padding, a trailing byte, extra lines) passes for the same key. `allowCrlf` accepts Windows
 * line endings (for a key file the user gives, not for the one inside a packet).
 */
export function parsePublicKeyStrict(pem: string, source: string, allowCrlf = false): KeyObject {
  const key = parsePublicKey(pem, source);
  const canonical = key.export({ type: 'spki', format: 'pem' }).toString();
  const text = allowCrlf ? pem.replace(/\r\n/g, '\n') : pem;
  if (text !== canonical) {
    throw new ProvenantError('the public key is not in canonical form (extra, missing or changed bytes around or inside the PEM block)', {
      file: source,
      hint: 'Use the key file exactly as `provenant packet keygen` wrote it.',
      code: 'E_KEY',
    });
  }
  return key;
}

/** Length of an Ed25519 signature in bytes. */
const SIGNATURE_BYTES = 64;

/**
 * The bytes of a signature file (`manifest.sig`): the canonical base64 of 64 bytes followed by one
 * newline, nothing else. Anything else (other padding, whitespace, a trailing byte, another
 * length) is an error, so a verified packet has exactly one valid byte string per signature.
 */
export function decodeSignature(text: string): Buffer {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const bytes = Buffer.from(body, 'base64');
  if (bytes.length !== SIGNATURE_BYTES) throw new Error(`the signature holds ${bytes.length} bytes, not ${SIGNATURE_BYTES}`);
  if (bytes.toString('base64') !== body || `${body}\n` !== text) throw new Error('the signature is not in canonical form (base64 of 64 bytes and one newline)');
  return bytes;
}

export function generateSigningKey(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function publicPemOf(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
}

/** `sha256:<first 32 hex>` of the public key (SPKI DER): what a person compares. */
export function keyFingerprint(publicKey: KeyObject): string {
  return `sha256:${sha256(publicKey.export({ type: 'spki', format: 'der' })).slice(0, 32)}`;
}

export function signBytes(bytes: Buffer, privateKey: KeyObject): string {
  return sign(null, bytes, privateKey).toString('base64');
}

export function verifyBytes(bytes: Buffer, signature: Buffer, publicKey: KeyObject): boolean {
  try {
    return verify(null, bytes, publicKey, signature);
  } catch {
    return false;
  }
}
