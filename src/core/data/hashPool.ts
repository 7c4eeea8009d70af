import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ProvenantError } from '../util/errors';
import { cancelledError, throwIfCancelled, yieldToEventLoop } from './cancel';
import { changedWhileHashing, md5File } from './md5';
import { storeFileObject } from './objectStore';

/** A file to hash, with the stamp seen when it was listed (a different stamp at open = changed). */
export interface HashJob {
  absPath: string;
  size: number;
  mtimeMs: number;
}

export interface HashProgress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

export interface HashPoolOptions {
  signal?: AbortSignal;
  onProgress?: (progress: HashProgress) => void;
  /** Worker threads; default `os.availableParallelism()`. */
  threads?: number;
  /** Jobs this small in total (bytes) are hashed on the calling thread, sparing worker start-up. */
  mainThreadMaxBytes?: number;
  /**
   * A DVC 3 object directory (`<cache>/files/md5`): every file is also stored there under its md5,
   * read-only. The bytes stored are the bytes hashed (written as they are read, or hashed from the
   * copy), so an object always matches its name even if the source changes meanwhile.
   */
  storeIn?: string;
}

const MiB = 1 << 20;
const DEFAULT_MAIN_THREAD_MAX_BYTES = 4 * MiB;
const MAIN_THREAD_MAX_FILES = 256;
/** Small files travel to workers in batches of at most this many bytes or files. */
const BATCH_BYTES = 8 * MiB;
const BATCH_FILES = 256;

/**
 * The worker, as source text: the bundler makes single files, so it cannot be a module of its own.
 * It uses node builtins only. Same algorithm as `md5File` with an expected stamp: 1 MiB reads into one
 * reused buffer, exactly the listed size, then the stamp after reading must equal the listed one; big
 * files report progress every 32 MiB.
 */
const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, fstatSync, closeSync, writeSync, renameSync, unlinkSync, mkdirSync, existsSync } = require('node:fs');
const { threadId } = require('node:worker_threads');
const { createHash, hash: hashOnce } = require('node:crypto');
const CHUNK = 1 << 20;
const PROGRESS_EVERY = 32 * CHUNK;
const buffer = Buffer.allocUnsafe(CHUNK);

function changed(detail) {
  const err = new Error(detail);
  err.hashCode = 'E_CHANGED_WHILE_HASHING';
  return err;
}
function stampChange(a, b) {
  return a.size !== b.size ? 'size ' + a.size + ' -> ' + b.size + ' bytes' : 'modification time moved';
}

function checkUnchanged(fd, job, total) {
  const after = fstatSync(fd);
  if (!after.isFile()) {
    const err = new Error('not a regular file');
    err.hashCode = 'E_NOT_A_FILE';
    throw err;
  }
  if (after.size !== job.size || after.mtimeMs !== job.mtimeMs) throw changed(stampChange(job, after));
  if (total !== after.size) throw changed('read ' + total + ' of ' + after.size + ' bytes');
}

// A file that fits in one chunk: one read and a one-shot digest (crypto.hash, when this Node has it),
// much cheaper per file than a Hash object when there are many small files.
function hashSmall(fd, job) {
  let total = 0;
  while (total < job.size) {
    const n = readSync(fd, buffer, total, job.size - total, total);
    if (n === 0) break;
    total += n;
  }
  checkUnchanged(fd, job, total);
  return { md5: hashOnce('md5', buffer.subarray(0, total)), unsent: total };
}

let tmpCounter = 0;
function writeAll(fd, bytes) {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}
// Moves a finished temporary file to <storeIn>/<md5[0:2]>/<md5[2:]>, read-only; an existing object is kept.
// Prefix folders known to exist: spares a mkdir per object (there are at most 256 of them).
const madeDirs = new Set();
function commitObject(storeIn, tmp, md5) {
  const dir = storeIn + '/' + md5.slice(0, 2);
  const target = dir + '/' + md5.slice(2);
  if (existsSync(target)) { unlinkSync(tmp); return; }
  if (!madeDirs.has(dir)) { mkdirSync(dir, { recursive: true }); madeDirs.add(dir); }
  renameSync(tmp, target);
}

function hashOne(id, job, sent, storeIn) {
  if (storeIn) return storeOne(id, job, sent, storeIn);
  const fd = openSync(job.absPath, 'r');
  try {
    if (job.size <= CHUNK && typeof hashOnce === 'function') return hashSmall(fd, job);
    const hash = createHash('md5');
    let total = 0;
    while (total < job.size) {
      const n = readSync(fd, buffer, 0, Math.min(CHUNK, job.size - total), total);
      if (n === 0) break;
      hash.update(n === CHUNK ? buffer : buffer.subarray(0, n));
      total += n;
      if (total - sent.bytes >= PROGRESS_EVERY) {
        parentPort.postMessage({ type: 'progress', id, bytes: total - sent.bytes });
        sent.bytes = total;
      }
    }
    checkUnchanged(fd, job, total);
    return { md5: hash.digest('hex'), unsent: total - sent.bytes };
  } finally {
    closeSync(fd);
  }
}

// Hashes a file while writing the same bytes to a temporary file in the object store, then names it.
function storeOne(id, job, sent, storeIn) {
  const fd = openSync(job.absPath, 'r');
  const tmp = storeIn + '/.provenant-' + process.pid + '-' + threadId + '-' + (tmpCounter++) + '.tmp';
  let out;
  let writing = true;
  try {
    // Created read-only (0444, as DVC protects objects); the descriptor itself stays writable.
    out = openSync(tmp, 'wx', 0o444);
    writing = false;
    const hash = createHash('md5');
    let total = 0;
    while (total < job.size) {
      const n = readSync(fd, buffer, 0, Math.min(CHUNK, job.size - total), total);
      if (n === 0) break;
      const chunk = n === CHUNK ? buffer : buffer.subarray(0, n);
      hash.update(chunk);
      writing = true;
      writeAll(out, chunk);
      writing = false;
      total += n;
      if (total - sent.bytes >= PROGRESS_EVERY) {
        parentPort.postMessage({ type: 'progress', id, bytes: total - sent.bytes });
        sent.bytes = total;
      }
    }
    checkUnchanged(fd, job, total);
    closeSync(out);
    out = undefined;
    const md5 = hash.digest('hex');
    writing = true;
    commitObject(storeIn, tmp, md5);
    return { md5, unsent: total - sent.bytes };
  } catch (err) {
    if (out !== undefined) closeSync(out);
    try { unlinkSync(tmp); } catch {}
    if (writing && !err.hashCode) {
      err.hashCode = 'E_CACHE_WRITE';
      err.message = 'cannot write to the cache ' + storeIn + ' (' + (err.code || err.message) + ')';
    }
    throw err;
  } finally {
    closeSync(fd);
  }
}

parentPort.on('message', (msg) => {
  const md5s = [];
  let unsent = 0;
  for (let i = 0; i < msg.jobs.length; i++) {
    try {
      const sent = { bytes: 0 };
      const r = hashOne(msg.id, msg.jobs[i], sent, msg.storeIn);
      md5s.push(r.md5);
      unsent += r.unsent;
    } catch (err) {
      parentPort.postMessage({ type: 'error', id: msg.id, index: i, code: err.hashCode || err.code || '', message: String(err.message) });
      return;
    }
  }
  parentPort.postMessage({ type: 'done', id: msg.id, md5s, bytes: unsent });
});
`;

let liveWorkers = 0;

/** Hashing threads currently alive in this process (0 whenever no hashing is under way). */
export function liveHashWorkers(): number {
  return liveWorkers;
}

interface Task {
  id: number;
  /** Indices into the caller's job list. */
  indices: number[];
}

type WorkerMessage =
  | { type: 'progress'; id: number; bytes: number }
  | { type: 'done'; id: number; md5s: string[]; bytes: number }
  | { type: 'error'; id: number; index: number; code: string; message: string };

/** Turns a failure reported by a worker (or thrown on the main thread) into an error for a person. */
function hashFailure(path: string, code: string, message: string): ProvenantError {
  if (code === 'E_CHANGED_WHILE_HASHING') return changedWhileHashing(path, message);
  if (code === 'ENOENT') return changedWhileHashing(path, 'it was removed');
  if (code === 'E_CACHE_WRITE') {
    return new ProvenantError(`storing "${path}": ${message}`, { file: path, code: 'E_CACHE_WRITE', hint: 'Check the free space and permissions of the DVC cache (cache.dir in .dvc/config).' });
  }
  if (code === 'E_NOT_A_FILE') {
    return new ProvenantError(`"${path}" is not a regular file`, { file: path, code: 'E_NOT_A_FILE' });
  }
  return new ProvenantError(`cannot read "${path}" (${code || message})`, { file: path, code: 'E_READ_FILE' });
}

/** Large files first (better balance), each alone; the rest grouped into batches. */
function planTasks(jobs: readonly HashJob[]): Task[] {
  const order = jobs.map((_, i) => i).sort((a, b) => jobs[b]!.size - jobs[a]!.size);
  const tasks: Task[] = [];
  let current: number[] = [];
  let currentBytes = 0;
  const flush = (): void => {
    if (current.length > 0) tasks.push({ id: tasks.length, indices: current });
    current = [];
    currentBytes = 0;
  };
  for (const i of order) {
    const size = jobs[i]!.size;
    if (size >= BATCH_BYTES) {
      tasks.push({ id: tasks.length, indices: [i] });
      continue;
    }
    if (currentBytes + size > BATCH_BYTES || current.length >= BATCH_FILES) flush();
    current.push(i);
    currentBytes += size;
  }
  flush();
  return tasks;
}

async function hashOnMainThread(jobs: readonly HashJob[], options: HashPoolOptions, progress: HashProgress): Promise<string[]> {
  const md5s: string[] = [];
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i]!;
    try {
      const expected = { size: job.size, mtimeMs: job.mtimeMs };
      md5s.push(options.storeIn !== undefined ? storeFileObject(job.absPath, expected, options.storeIn) : md5File(job.absPath, { expected }).md5);
    } catch (err) {
      if (err instanceof ProvenantError) throw err;
      const e = err as NodeJS.ErrnoException;
      throw hashFailure(job.absPath, e.code ?? '', e.message);
    }
    progress.bytesDone += job.size;
    progress.filesDone++;
    options.onProgress?.({ ...progress });
    if (i % 64 === 63) await yieldToEventLoop(options.signal);
  }
  return md5s;
}

function hashOnWorkers(jobs: readonly HashJob[], options: HashPoolOptions, progress: HashProgress): Promise<string[]> {
  const tasks = planTasks(jobs);
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), tasks.length));
  const md5s: string[] = new Array<string>(jobs.length);
  const workers: Worker[] = [];
  const signal = options.signal;

  return new Promise<string[]>((resolvePromise, rejectPromise) => {
    let next = 0;
    let finished = 0;
    let settled = false;

    /** Settles only once every thread has exited, so none outlives the call. */
    const finish = (settle: () => void): void => {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void Promise.allSettled(workers.map((w) => w.terminate())).then(settle);
    };
    const fail = (err: unknown): void => {
      if (!settled) finish(() => rejectPromise(err));
    };
    const onAbort = (): void => fail(cancelledError(signal));

    const feed = (worker: Worker): void => {
      const task = tasks[next++];
      if (task === undefined) return;
      worker.postMessage({ id: task.id, jobs: task.indices.map((i) => jobs[i]), storeIn: options.storeIn });
    };

    const onMessage = (worker: Worker, msg: WorkerMessage): void => {
      if (settled) return;
      const task = tasks[msg.id]!;
      if (msg.type === 'progress') {
        progress.bytesDone += msg.bytes;
        options.onProgress?.({ ...progress });
        return;
      }
      if (msg.type === 'error') {
        fail(hashFailure(jobs[task.indices[msg.index]!]!.absPath, msg.code, msg.message));
        return;
      }
      task.indices.forEach((jobIndex, k) => {
        md5s[jobIndex] = msg.md5s[k]!;
      });
      progress.bytesDone += msg.bytes;
      progress.filesDone += task.indices.length;
      options.onProgress?.({ ...progress });
      if (++finished === tasks.length) {
        finish(() => resolvePromise(md5s));
        return;
      }
      feed(worker);
    };

    signal?.addEventListener('abort', onAbort, { once: true });
    for (let t = 0; t < threads; t++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      workers.push(worker);
      liveWorkers++;
      worker.once('exit', () => liveWorkers--);
      worker.on('message', (msg: WorkerMessage) => onMessage(worker, msg));
      worker.on('error', (err) => fail(new ProvenantError(`a hashing thread failed: ${err.message}`, { code: 'E_HASH_WORKER', cause: err })));
      worker.on('exit', (code) => {
        if (!settled) fail(new ProvenantError(`a hashing thread stopped unexpectedly (exit code ${code})`, { code: 'E_HASH_WORKER' }));
      });
      feed(worker);
    }
  });
}

/**
 * md5 (DVC 3) of many files, in the order given, across `os.availableParallelism()` worker threads.
 * Small jobs stay on the calling thread. Every thread is terminated before the promise settles; an
 * abort rejects with a ProvenantError coded E_CANCELLED.
 */
export async function hashFiles(jobs: readonly HashJob[], options: HashPoolOptions = {}): Promise<string[]> {
  throwIfCancelled(options.signal);
  if (options.storeIn !== undefined) mkdirSync(options.storeIn, { recursive: true });
  const bytesTotal = jobs.reduce((sum, j) => sum + j.size, 0);
  const progress: HashProgress = { bytesDone: 0, bytesTotal, filesDone: 0, filesTotal: jobs.length };
  if (jobs.length === 0) return [];
  const mainMax = options.mainThreadMaxBytes ?? DEFAULT_MAIN_THREAD_MAX_BYTES;
  if (bytesTotal <= mainMax && jobs.length <= MAIN_THREAD_MAX_FILES) return hashOnMainThread(jobs, options, progress);
  return hashOnWorkers(jobs, options, progress);
}
