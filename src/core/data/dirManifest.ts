import { md5Bytes } from './md5';
import { ProvenantError } from '../util/errors';

/** One file of a directory object: exactly the two keys DVC writes. */
export interface DirEntry {
  md5: string;
  /** Path below the directory, parts joined with "/" on every platform. */
  relpath: string;
}

export interface DirManifest {
  /** Entries in DVC order (code points of the whole relpath). */
  entries: DirEntry[];
  /** The exact bytes of the `.dir` cache object. */
  bytes: Buffer;
  /** `md5(bytes) + ".dir"`. */
  oid: string;
}

/**
 * Maps a UTF-16 code unit so that comparing mapped units orders well-formed strings by code point:
 * surrogates (astral characters) move above U+E000-U+FFFF, which move down to make room.
 */
function codePointOrderUnit(unit: number): number {
  if (unit < 0xd800) return unit;
  if (unit <= 0xdfff) return unit + 0x2000;
  return unit - 0x800;
}

/** Python `str` order: code points, not UTF-16 units, of the whole string ("B" < "a-b" < "a/b"). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrderUnit(x) - codePointOrderUnit(y);
  }
  return a.length - b.length;
}

/** Sorts in place by relpath, as `hashfile/tree.py` does before serializing. */
export function sortEntries<T extends { relpath: string }>(entries: T[]): T[] {
  return entries.sort((p, q) => compareCodePoints(p.relpath, q.relpath));
}

const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x08: '\\b',
  0x0c: '\\f',
};

/**
 * A string literal as Python's `json.dumps(..., ensure_ascii=True)` writes it: printable ASCII as is
 * ("/" included), short escapes for " \ \n \r \t \b \f, every other UTF-16 unit as lowercase \uXXXX
 * (so astral characters become surrogate pairs and DEL becomes \u007f).
 */
export function pythonJsonString(value: string): string {
  if (PLAIN_ASCII.test(value)) return `"${value}"`;
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const short = SHORT_ESCAPES[unit];
    if (short !== undefined) out += short;
    else if (unit >= 0x20 && unit <= 0x7e) out += value[i];
    else out += `\\u${unit.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/**
 * The bytes of a `.dir` object: `json.dumps(entries, sort_keys=True)` (separators ", " and ": ",
 * no newline). Entries must already be sorted; they are written in the order given.
 */
export function serializeManifest(entries: readonly DirEntry[]): Buffer {
  const parts = entries.map((e) => `{"md5": ${pythonJsonString(e.md5)}, "relpath": ${pythonJsonString(e.relpath)}}`);
  return Buffer.from(`[${parts.join(', ')}]`, 'ascii');
}

export function manifestOid(bytes: Uint8Array): string {
  return `${md5Bytes(bytes)}.dir`;
}

/** Sorts (a copy of) the entries and gives the object bytes and oid. */
export function buildManifest(entries: readonly DirEntry[]): DirManifest {
  const sorted = sortEntries(entries.map((e) => ({ md5: e.md5, relpath: e.relpath })));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i - 1]!.relpath === sorted[i]!.relpath) {
      throw new ProvenantError(`two entries share the path "${sorted[i]!.relpath}"`, { code: 'E_BAD_MANIFEST' });
    }
  }
  const bytes = serializeManifest(sorted);
  return { entries: sorted, bytes, oid: manifestOid(bytes) };
}

/** A relpath that stays inside its directory once joined: no empty, "." or ".." part, not absolute. */
function isSafeRelpath(relpath: string): boolean {
  if (relpath === '' || relpath.startsWith('/') || relpath.includes('\\') || relpath.includes('\0')) return false;
  if (/^[A-Za-z]:/.test(relpath)) return false;
  return relpath.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/**
 * Reads a `.dir` object from a cache. Entries are checked (a string md5 of at least 3 characters, a
 * relpath that cannot escape the directory) and returned in file order; `source` names the object in
 * errors. The hash key is `md5` in both DVC 2 and DVC 3 trees; other keys are ignored.
 */
export function parseManifest(data: string | Uint8Array, source?: string): DirEntry[] {
  const where = source ?? 'directory manifest';
  const fail = (why: string): ProvenantError =>
    new ProvenantError(`${where} is not a valid .dir manifest: ${why}`, {
      file: source,
      hint: 'The cache object may be corrupt; remove it and hash the directory again.',
      code: 'E_BAD_MANIFEST',
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  } catch (err) {
    throw fail((err as Error).message);
  }
  if (!Array.isArray(parsed)) throw fail('expected a JSON list');
  return parsed.map((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw fail(`entry ${index} is not an object`);
    const { md5, relpath } = item as Record<string, unknown>;
    if (typeof md5 !== 'string' || md5.length < 3) throw fail(`entry ${index} has no md5`);
    if (typeof relpath !== 'string' || !isSafeRelpath(relpath)) {
      throw fail(`entry ${index} has an unsafe or missing relpath ${JSON.stringify(relpath)}`);
    }
    return { md5: md5.toLowerCase(), relpath };
  });
}

/**
 * Builds the manifest of a directory from a walk: `files` are the walked files (relpaths below the
 * directory) and `hashFiles` gives their md5s in the same order.
 */
export async function manifestFromWalk<F extends { relpath: string }>(
  files: readonly F[],
  hashFiles: (files: readonly F[]) => Promise<string[]>,
): Promise<DirManifest> {
  const md5s = await hashFiles(files);
  return buildManifest(files.map((f, i) => ({ md5: md5s[i]!, relpath: f.relpath })));
}
