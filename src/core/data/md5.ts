import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { ProvenantError } from '../util/errors';

/** DVC reads files in chunks of 1 MiB (`dvc_data/hashfile/hash.py`); the legacy CRLF rule depends on it. */
export const CHUNK_SIZE = 1 << 20;

/** Bytes looked at to decide whether a block is text (`istextfile.py`, DEFAULT_CHUNK_SIZE). */
export const TEXT_BLOCK_SIZE = 512;

/** Stat fields that must not move while a file is read; `mtimeMs` is fractional (sub-millisecond). */
export interface FileStamp {
  size: number;
  mtimeMs: number;
}

export interface HashFileOptions {
  /**
   * The stamp the caller saw before asking (e.g. from a directory walk). When given, a file whose
   * stamp differs when it is opened is reported as changed, so a hash never pairs with a stale size.
   */
  expected?: FileStamp;
  /** Called after every chunk with the bytes read so far: progress, or a test hook. */
  onChunk?: (bytesRead: number) => void;
}

export interface FileHash {
  md5: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

/** One read buffer per thread: hashing is synchronous, so reusing it is safe and avoids 1 MiB allocations. */
let sharedBuffer: Buffer | undefined;
function chunkBuffer(): Buffer {
  sharedBuffer ??= Buffer.allocUnsafe(CHUNK_SIZE);
  return sharedBuffer;
}

export function changedWhileHashing(path: string, detail: string): ProvenantError {
  return new ProvenantError(`"${path}" changed while it was being hashed (${detail})`, {
    file: path,
    hint: 'Wait until whatever writes this file has finished, then try again.',
    code: 'E_CHANGED_WHILE_HASHING',
  });
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function describeStampChange(before: FileStamp, after: FileStamp): string {
  if (before.size !== after.size) return `size ${before.size} -> ${after.size} bytes`;
  return 'modification time moved';
}

/** Reads `want` bytes at `position` (fewer only at end of file); short reads are retried so chunks are exact. */
function readChunk(fd: number, buffer: Buffer, want: number, position: number): number {
  let filled = 0;
  while (filled < want) {
    const n = readSync(fd, buffer, filled, want - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return filled;
}

/**
 * Reads a whole file chunk by chunk through `consume`, checking that it does not change meanwhile.
 * The reference stamp is `expected` when given (e.g. from the walk, sparing one fstat), else the
 * descriptor's stamp at open. Exactly that many bytes are read, then the stamp after the last read must
 * equal the reference: a file that grew, shrank or was rewritten is reported, never hashed half-old.
 */
function streamFile(path: string, options: HashFileOptions, consume: (chunk: Buffer) => void): Stats {
  const fd = openSync(path, 'r');
  try {
    let reference: FileStamp | undefined = options.expected;
    if (reference === undefined) {
      const st = fstatSync(fd);
      if (!st.isFile()) throw notRegularFile(path);
      reference = st;
    }
    const buffer = chunkBuffer();
    let total = 0;
    while (total < reference.size) {
      const n = readChunk(fd, buffer, Math.min(buffer.length, reference.size - total), total);
      if (n === 0) break;
      consume(n === buffer.length ? buffer : buffer.subarray(0, n));
      total += n;
      options.onChunk?.(total);
    }
    const after = fstatSync(fd);
    if (!after.isFile()) throw notRegularFile(path);
    if (!sameStamp(reference, after)) throw changedWhileHashing(path, describeStampChange(reference, after));
    if (total !== after.size) throw changedWhileHashing(path, `read ${total} of ${after.size} bytes`);
    return after;
  } finally {
    closeSync(fd);
  }
}

function notRegularFile(path: string): ProvenantError {
  return new ProvenantError(`"${path}" is not a regular file`, { file: path, code: 'E_NOT_A_FILE' });
}

/** DVC 3 `md5`: the lowercase hex md5 of the raw bytes. */
export function md5File(path: string, options: HashFileOptions = {}): FileHash {
  const hash = createHash('md5');
  const st = streamFile(path, options, (chunk) => hash.update(chunk));
  return { md5: hash.digest('hex'), size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}

/** Byte class table of `istextblock`: 1 for the bytes counted as text (0x20-0x7E, \n \r \t \f \b). */
const TEXT_BYTES = (() => {
  const table = new Uint8Array(256);
  for (let b = 0x20; b <= 0x7e; b++) table[b] = 1;
  for (const b of [0x0a, 0x0d, 0x09, 0x0c, 0x08]) table[b] = 1;
  return table;
})();

/**
 * DVC's `istextblock`: empty is text, any NUL is binary, otherwise text when at most 30% of the
 * bytes are outside the text set (bytes >= 0x80 count as non-text).
 */
export function isTextBlock(block: Uint8Array): boolean {
  if (block.length === 0) return true;
  let nonText = 0;
  for (let i = 0; i < block.length; i++) {
    const b = block[i]!;
    if (b === 0) return false;
    if (TEXT_BYTES[b] === 0) nonText++;
  }
  return nonText / block.length <= 0.3;
}

/** Feeds `chunk` to `hash` with every CRLF inside it replaced by LF (a CR ending the chunk is kept). */
function updateDos2Unix(hash: Hash, chunk: Buffer): void {
  let start = 0;
  let cr = chunk.indexOf(0x0d);
  while (cr !== -1 && cr + 1 < chunk.length) {
    if (chunk[cr + 1] === 0x0a) {
      hash.update(chunk.subarray(start, cr));
      start = cr + 1; // keeps the LF
    }
    cr = chunk.indexOf(0x0d, cr + 1);
  }
  hash.update(chunk.subarray(start));
}

/**
 * DVC 2 `md5-dos2unix` as DVC 3 re-checks it (`Dos2UnixHashStreamFile`): each 1 MiB chunk whose first
 * 512 bytes look like text has its CRLFs replaced by LF; a CRLF split across two chunks is left alone.
 */
export function md5Dos2UnixFile(path: string, options: HashFileOptions = {}): FileHash {
  const hash = createHash('md5');
  const st = streamFile(path, options, (chunk) => {
    if (isTextBlock(chunk.subarray(0, TEXT_BLOCK_SIZE))) updateDos2Unix(hash, chunk);
    else hash.update(chunk);
  });
  return { md5: hash.digest('hex'), size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}

/** md5 of bytes in memory (manifests, test vectors). */
export function md5Bytes(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** `md5-dos2unix` of bytes in memory, chunked exactly like the file variant. */
export function md5Dos2UnixBytes(data: Uint8Array): string {
  const hash = createHash('md5');
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (let offset = 0; offset < bytes.length; offset += CHUNK_SIZE) {
    const chunk = bytes.subarray(offset, offset + CHUNK_SIZE);
    if (isTextBlock(chunk.subarray(0, TEXT_BLOCK_SIZE))) updateDos2Unix(hash, chunk);
    else hash.update(chunk);
  }
  return hash.digest('hex');
}
