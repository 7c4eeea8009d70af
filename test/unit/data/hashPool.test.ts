import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashFiles, liveHashWorkers, type HashJob, type HashProgress } from '../../../src/core/data/hashPool';
import { md5File } from '../../../src/core/data/md5';
import { ProvenantError } from '../../../src/core/util/errors';

const dir = mkdtempSync(join(tmpdir(), 'provenant-pool-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
function bytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function job(path: string): HashJob {
  const st = statSync(path);
  return { absPath: path, size: st.size, mtimeMs: st.mtimeMs };
}

const many: HashJob[] = [];
test.before(() => {
  for (let i = 0; i < 400; i++) {
    const size = i % 50 === 0 ? 3 * (1 << 20) + i : (i * 7919) % 40000; // a few multi-MiB files, many small, some empty
    const path = join(dir, `f${i}.bin`);
    writeFileSync(path, bytes(size, i + 1));
    many.push(job(path));
  }
});

test('the worker pool gives the same md5s, in order, as sequential hashing', async () => {
  const sequential = many.map((j) => md5File(j.absPath).md5);
  for (const threads of [1, 2, 3]) {
    const parallel = await hashFiles(many, { threads, mainThreadMaxBytes: -1 });
    assert.deepEqual(parallel, sequential, `threads=${threads}`);
    assert.equal(liveHashWorkers(), 0, 'no thread is left running');
  }
  // the default (all cores) and the main-thread path for a small job
  assert.deepEqual(await hashFiles(many), sequential);
  assert.deepEqual(await hashFiles(many.slice(1, 20)), sequential.slice(1, 20));
  assert.equal(liveHashWorkers(), 0);
});

test('progress reaches the total bytes and files', async () => {
  const seen: HashProgress[] = [];
  await hashFiles(many, { threads: 2, mainThreadMaxBytes: -1, onProgress: (p) => seen.push(p) });
  const total = many.reduce((s, j) => s + j.size, 0);
  const last = seen[seen.length - 1]!;
  assert.deepEqual(last, { bytesDone: total, bytesTotal: total, filesDone: many.length, filesTotal: many.length });
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.bytesDone >= seen[i - 1]!.bytesDone);
});

test('an AbortSignal cancels the hashing and stops every thread', async () => {
  const big = join(dir, 'big.bin');
  writeFileSync(big, Buffer.alloc(64 * (1 << 20), 7));
  const jobs = [job(big), ...many];
  const controller = new AbortController();
  const pending = hashFiles(jobs, {
    threads: 2,
    mainThreadMaxBytes: -1,
    signal: controller.signal,
    onProgress: () => controller.abort(),
  });
  setImmediate(() => controller.abort()); // in case no progress arrives before the end
  await assert.rejects(pending, (err: unknown) => err instanceof ProvenantError && err.code === 'E_CANCELLED');
  assert.equal(liveHashWorkers(), 0);

  const aborted = AbortSignal.abort();
  await assert.rejects(hashFiles(jobs, { signal: aborted }), (err: unknown) => err instanceof ProvenantError && err.code === 'E_CANCELLED');
});

test('a worker reports a file whose stamp moved since it was listed', async () => {
  const path = join(dir, 'moving.bin');
  writeFileSync(path, 'abc');
  const stale = { ...job(path), mtimeMs: 1 };
  await assert.rejects(hashFiles([stale, ...many.slice(0, 3)], { threads: 1, mainThreadMaxBytes: -1 }), (err: unknown) => {
    assert.ok(err instanceof ProvenantError);
    assert.equal(err.code, 'E_CHANGED_WHILE_HASHING');
    assert.ok(err.message.includes(path));
    return true;
  });
  assert.equal(liveHashWorkers(), 0);
  // a file removed after listing is a change too
  const gone = join(dir, 'gone.bin');
  writeFileSync(gone, 'x');
  const goneJob = job(gone);
  rmSync(gone);
  await assert.rejects(hashFiles([goneJob], { mainThreadMaxBytes: -1 }), (err: unknown) => err instanceof ProvenantError && err.code === 'E_CHANGED_WHILE_HASHING');
  await assert.rejects(hashFiles([goneJob]), (err: unknown) => err instanceof ProvenantError && err.code === 'E_CHANGED_WHILE_HASHING');
});
