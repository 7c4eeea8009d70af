// A disk that fills up, in this process: after `budget` more bytes every write fails with ENOSPC,
// having written what still fit (as a real disk does). Used where a small tmpfs cannot be mounted,
// and at randomized points everywhere. Covers the write paths Node offers (fs.promises.writeFile,
// FileHandle.write, fs.writeSync), whichever the code under test uses.
import nodeFs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write (injected)'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

function asBytes(data: unknown, encoding: unknown): Buffer {
  if (typeof data === 'string') return Buffer.from(data, (typeof encoding === 'string' ? encoding : ((encoding as { encoding?: string } | undefined)?.encoding ?? 'utf8')) as BufferEncoding);
  return Buffer.from(data as Uint8Array);
}

export interface DiskFull {
  /** Writes refused so far. */
  readonly faults: number;
  /** Bytes accepted so far. */
  readonly written: number;
  restore(): void;
}

export function injectDiskFull(budget: number): DiskFull {
  let left = budget;
  let faults = 0;
  let written = 0;
  const take = (n: number): number => {
    const ok = Math.min(n, left);
    left -= ok;
    written += ok;
    return ok;
  };
  const original = { writeFile: fsp.writeFile, open: fsp.open, writeSync: nodeFs.writeSync };
  const p = fsp as unknown as Record<string, unknown>;
  const f = nodeFs as unknown as Record<string, unknown>;
  p.writeFile = async (path: unknown, data: unknown, options?: unknown) => {
    const bytes = asBytes(data, options);
    const ok = take(bytes.length);
    if (ok === bytes.length) return (original.writeFile as (...a: unknown[]) => Promise<void>)(path, data, options);
    await (original.writeFile as (...a: unknown[]) => Promise<void>)(path, bytes.subarray(0, ok));
    faults++;
    throw enospc();
  };
  p.open = async (...args: unknown[]) => {
    const handle = await (original.open as (...a: unknown[]) => Promise<FileHandle>)(...args);
    const write = handle.write.bind(handle) as (...a: unknown[]) => Promise<{ bytesWritten: number }>;
    (handle as unknown as Record<string, unknown>).write = async (buffer: unknown, offset?: unknown, length?: unknown, position?: unknown) => {
      const bytes = asBytes(buffer, typeof offset === 'string' ? offset : undefined);
      const start = typeof offset === 'number' ? offset : 0;
      const len = typeof length === 'number' ? length : bytes.length - start;
      const ok = take(len);
      if (ok > 0) await write(bytes, start, ok, position ?? null);
      if (ok < len) {
        faults++;
        throw enospc();
      }
      return { bytesWritten: ok, buffer };
    };
    return handle;
  };
  f.writeSync = (fd: number, buffer: unknown, offset?: unknown, length?: unknown, position?: unknown) => {
    const bytes = asBytes(buffer, typeof offset === 'string' ? offset : undefined);
    const start = typeof offset === 'number' ? offset : 0;
    const len = typeof length === 'number' ? length : bytes.length - start;
    const ok = take(len);
    if (ok > 0) original.writeSync(fd, bytes, start, ok, typeof position === 'number' ? position : null);
    if (ok < len) {
      faults++;
      throw enospc();
    }
    return ok;
  };
  syncBuiltinESMExports();
  return {
    get faults() {
      return faults;
    },
    get written() {
      return written;
    },
    restore() {
      p.writeFile = original.writeFile;
      p.open = original.open;
      f.writeSync = original.writeSync;
      syncBuiltinESMExports();
    },
  };
}
