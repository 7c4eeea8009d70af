/**
 * Zip reading and writing for audit packets, over yazl (writer) and yauzl (reader): both are
 * small, long-maintained, dependency-free-at-runtime libraries by the same author, already the
 * zip layer of `vsce`; yauzl reads the central directory first, validates entry sizes, and can
 * hand over raw (undecoded) names so that every name is judged here, by our own rules, before
 * anything is decompressed or written.
 */
import { createHash } from 'node:crypto';
import * as yazl from 'yazl';
import * as yauzl from 'yauzl';

/** Largest uncompressed entry and total we read (a zip bomb is refused, not inflated). */
export const MAX_ENTRY_BYTES = 1 << 30;
export const MAX_TOTAL_BYTES = 4 * (1 << 30);

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Builds a zip in memory; entries in the given order, with a fixed timestamp. */
export async function writeZip(entries: { name: string; bytes: Buffer }[], mtime: Date): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(e.bytes, e.name, { mtime, mode: 0o100644, compress: true });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolvePromise, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolvePromise(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
  zip.end();
  return done;
}

/**
 * Why an entry name is unsafe to extract, or null: absolute paths (`/x`, `C:\x`, `\\server`),
 * `..` or `.` segments, empty segments, backslashes, control characters.
 */
export function unsafeEntryName(name: string): string | null {
  if (name === '') return 'empty name';
  if (/[\u0000-\u001f]/.test(name)) return 'control character in the name';
  if (name.includes('\\')) return 'backslash in the name (a Windows path)';
  if (name.startsWith('/')) return 'absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'absolute path (drive letter)';
  const parts = name.replace(/\/$/, '').split('/');
  if (parts.some((p) => p === '..')) return 'parent-directory (..) segment';
  if (parts.some((p) => p === '.' || p === '')) return 'empty or "." segment';
  return null;
}

export interface RawEntry {
  /** The name as stored (UTF-8 decoded, or Latin-1 when the bytes are not UTF-8). */
  name: string;
  directory: boolean;
  /** The Unix file type in the entry's attributes when it is neither a regular file nor a folder (`symbolic link`, …), else null. */
  special: string | null;
  uncompressedSize: number;
  /** Read only for safe, non-directory names. */
  bytes: Buffer | null;
  unsafe: string | null;
}

const FILE_TYPES: Record<number, string> = { 0o120000: 'symbolic link', 0o140000: 'socket', 0o060000: 'block device', 0o020000: 'character device', 0o010000: 'FIFO' };

/** Unix file type bits of an entry (the high 16 bits of its external attributes); 0 when none were stored. */
function specialType(externalFileAttributes: number): string | null {
  const type = (externalFileAttributes >>> 16) & 0o170000;
  if (type === 0 || type === 0o100000 || type === 0o040000) return null;
  return FILE_TYPES[type] ?? `file type 0${type.toString(8)}`;
}

function decodeName(raw: Buffer | string): string {
  if (typeof raw === 'string') return raw;
  const text = raw.toString('utf8');
  return Buffer.from(text, 'utf8').equals(raw) ? text : raw.toString('latin1');
}

/** Reads every entry of a zip held in memory. Unsafe names and special files (links, devices) are reported, never decompressed. */
export function readZip(buffer: Buffer): Promise<RawEntry[]> {
  return new Promise((resolvePromise, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true }, (err, zipfile) => {
      if (err || !zipfile) return reject(err ?? new Error('not a zip file'));
      const entries: RawEntry[] = [];
      let total = 0;
      const fail = (e: unknown) => {
        zipfile.close();
        reject(e);
      };
      zipfile.on('error', fail);
      zipfile.on('end', () => resolvePromise(entries));
      zipfile.on('entry', (entry: yauzl.Entry) => {
        const name = decodeName(entry.fileName as unknown as Buffer);
        const directory = name.endsWith('/') || ((entry.externalFileAttributes >>> 16) & 0o170000) === 0o040000;
        const special = specialType(entry.externalFileAttributes);
        const unsafe = unsafeEntryName(name) ?? (special ? `a ${special}; a packet holds regular files only` : null);
        const record: RawEntry = { name, directory, special, uncompressedSize: entry.uncompressedSize, bytes: null, unsafe };
        entries.push(record);
        if (unsafe || directory) return zipfile.readEntry();
        total += entry.uncompressedSize;
        if (entry.uncompressedSize > MAX_ENTRY_BYTES || total > MAX_TOTAL_BYTES) return fail(new Error(`entry ${name} is too large to read (${entry.uncompressedSize} bytes uncompressed)`));
        zipfile.openReadStream(entry, (e, stream) => {
          if (e || !stream) return fail(e ?? new Error(`cannot read ${name}`));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', fail);
          stream.on('end', () => {
            record.bytes = Buffer.concat(chunks);
            zipfile.readEntry();
          });
        });
      });
      zipfile.readEntry();
    });
  });
}
