import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { ProvenantError } from './errors';
import { processAlive } from './process';

/**
 * A lock between processes: a file created exclusively (O_EXCL) holding the owner's pid, host and
 * start time. A lock whose owner is dead (same host, pid gone) is stale and taken over; one whose
 * content never got written (the owner died between create and write) is stale after a grace period.
 * Breaking goes through a second exclusive file, so two processes never both break and both enter.
 */
export interface LockOwner {
  pid: number;
  host: string;
  time: string;
}

export interface LockOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** What the lock protects, for the error message ("the journal"). */
  what: string;
  /** File named in the error. */
  file?: string;
}

const EMPTY_GRACE_MS = 5_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function readOwner(path: string): LockOwner | null | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : 'unreadable';
  }
  try {
    const v = JSON.parse(text) as LockOwner;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? v : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function isStale(path: string, owner: LockOwner | 'unreadable'): boolean {
  if (owner === 'unreadable') return ageMs(path) > EMPTY_GRACE_MS;
  return owner.host === hostname() && !processAlive(owner.pid);
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    const owner: LockOwner = { pid: process.pid, host: hostname(), time: new Date().toISOString() };
    writeSync(fd, JSON.stringify(owner));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw err;
  }
  closeSync(fd);
  return true;
}

/** Removes `path` if it still holds the stale owner seen; only one process at a time may break. */
function breakStale(path: string, seen: string): void {
  const breaker = `${path}.break`;
  if (!tryCreate(breaker)) {
    const owner = readOwner(breaker);
    if (owner !== null && isStale(breaker, owner)) rmSync(breaker, { force: true });
    return;
  }
  try {
    let now: string | null = null;
    try {
      now = readFileSync(path, 'utf8');
    } catch {
      now = null;
    }
    if (now === seen) rmSync(path, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}

/** The owner recorded in a lock file, or null when it is free or stale. */
export function lockHolder(path: string): LockOwner | null {
  const owner = readOwner(path);
  if (owner === null || owner === 'unreadable' || isStale(path, owner)) return null;
  return owner;
}

/**
 * Runs `action` holding the lock at `path`; waits (with backoff) while a live process holds it.
 * `tookOver` tells the action a dead owner's lock was broken: what that owner left half-done is its to clean.
 */
export async function withFileLock<T>(path: string, action: (held: { tookOver: boolean }) => Promise<T> | T, options: LockOptions): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let delay = 5;
  let tookOver = false;
  for (;;) {
    if (tryCreate(path)) break;
    let seen: string | null = null;
    try {
      seen = readFileSync(path, 'utf8');
    } catch {
      continue; // released meanwhile
    }
    const owner = readOwner(path);
    if (owner !== null && isStale(path, owner)) {
      breakStale(path, seen);
      tookOver = true;
      continue;
    }
    if (Date.now() >= deadline) {
      const who = owner && owner !== 'unreadable' ? ` (process ${owner.pid} on ${owner.host}, since ${owner.time})` : '';
      throw new ProvenantError(`${options.what} is locked by another Provenant command${who}`, {
        file: options.file ?? path,
        hint: 'Wait for it to finish and try again. If no Provenant command is running, remove the lock file.',
        code: 'E_LOCKED',
      });
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
  }
  try {
    return await action({ tookOver });
  } finally {
    rmSync(path, { force: true });
  }
}
