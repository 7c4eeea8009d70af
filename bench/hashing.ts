// Hashing benchmark: our DVC 3 md5 against coreutils md5sum, and warm re-checks through the state index.
// Run: node --import tsx bench/hashing.ts
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { hashDataDependencies } from '../src/core/data/hashData';
import { hashFiles } from '../src/core/data/hashPool';
import { buildManifest } from '../src/core/data/dirManifest';
import { STATE_INDEX_PATH } from '../src/core/data/stateIndex';

const MiB = 1 << 20;
const BIG_BYTES = 512 * MiB;
const MANY_BYTES = 512 * MiB;
const TINY_FILES = 100_000;
const ROUNDS = 2;

/** Existing data is older than the state index's racy window: date the generated files an hour back. */
const PAST = new Date(Date.now() - 3600_000);

interface Row {
  what: string;
  ours: number;
  other: number | undefined;
  otherName: string;
  note: string;
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

function mbps(bytes: number, ms: number): string {
  return `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`;
}

/** Deterministic variation of one random MiB: every block gets its own counter in its first 16 bytes. */
function writeVaried(path: string, size: number, seed: Buffer, counter: { n: number }): void {
  const out = Buffer.allocUnsafe(size);
  for (let off = 0; off < size; off += MiB) {
    const n = Math.min(MiB, size - off);
    seed.copy(out, off, 0, n);
    if (n >= 16) {
      out.writeUInt32LE(counter.n++, off);
      out.writeUInt32LE(size, off + 4);
    }
  }
  writeFileSync(path, out);
  utimesSync(path, PAST, PAST);
}

function generate(dir: string): { big: string; many: string; manyFiles: string[]; tiny: string; tinyFiles: number } {
  const seed = randomBytes(MiB);
  const counter = { n: 1 };
  const big = join(dir, 'big.bin');
  writeVaried(big, BIG_BYTES, seed, counter);

  const many = join(dir, 'many');
  const manyFiles: string[] = [];
  let total = 0;
  let i = 0;
  while (total < MANY_BYTES) {
    // log-uniform sizes from 4 KiB to 4 MiB
    const size = Math.round(4096 * Math.pow(1024, ((i * 0.618034) % 1)));
    const sub = join(many, `part${i % 16}`);
    mkdirSync(sub, { recursive: true });
    const path = join(sub, `file${i}.bin`);
    writeVaried(path, size, seed, counter);
    manyFiles.push(path);
    total += size;
    i++;
  }

  const tiny = join(dir, 'tiny');
  for (let k = 0; k < TINY_FILES; k++) {
    const sub = join(tiny, `d${Math.floor(k / 1000)}`);
    if (k % 1000 === 0) mkdirSync(sub, { recursive: true });
    const path = join(sub, `t${k}.txt`);
    writeFileSync(path, `row ${k}\n`.repeat(1 + (k % 7)));
    utimesSync(path, PAST, PAST);
  }
  return { big, many, manyFiles, tiny, tinyFiles: TINY_FILES };
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

function md5sum(args: string[], cwd: string): string {
  const r = spawnSync('md5sum', args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`md5sum failed: ${r.stderr}`);
  return r.stdout;
}

function xargsMd5sum(files: string[], cwd: string, jobs: number): string {
  const perCall = Math.max(1, Math.ceil(files.length / (jobs * 8)));
  const r = spawnSync('xargs', ['-0', `-P${jobs}`, `-n${perCall}`, 'md5sum'], {
    cwd,
    input: files.join('\0'),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`xargs md5sum failed: ${r.stderr}`);
  return r.stdout;
}

/** Parses md5sum output into a directory manifest oid, to check that both sides agree. */
function oidFromMd5sum(output: string, dir: string, cwd: string): string {
  const entries = output
    .trim()
    .split('\n')
    .map((line) => {
      const md5 = line.slice(0, 32);
      const path = line.slice(34);
      return { md5, relpath: relative(dir, join(cwd, path)).split('\\').join('/') };
    });
  return buildManifest(entries).oid;
}

function best(values: number[]): number {
  return Math.min(...values);
}

function printTable(rows: Row[]): void {
  const header = ['measurement', 'ours', 'reference', 'ratio', 'note'];
  const lines = rows.map((r) => [
    r.what,
    fmtMs(r.ours),
    r.other === undefined ? '-' : `${fmtMs(r.other)} (${r.otherName})`,
    r.other === undefined ? '-' : `${(r.other / r.ours).toFixed(2)}x`,
    r.note,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c]!.length)));
  const fmt = (cells: string[]): string => cells.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const l of lines) console.log(fmt(l));
}

export async function benchHashing(): Promise<void> {
  const cores = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), 'provenant-bench-hashing-'));
  try {
    const load = loadavg().map((l) => l.toFixed(2)).join(' ');
    console.log(`hashing benchmark: ${cores} core(s), node ${process.version}, load average ${load}, temp data in the system temp folder`);
    const gen = time(() => generate(dir));
    const { big, many, manyFiles, tinyFiles } = gen.value;
    const manyBytes = manyFiles.reduce((s, f) => s + statSync(f).size, 0);
    console.log(
      `generated in ${fmtMs(gen.ms)}: big.bin ${BIG_BYTES / MiB} MiB; many/ ${manyFiles.length} files, ${(manyBytes / MiB).toFixed(0)} MiB (4 KiB..4 MiB); tiny/ ${tinyFiles} files`,
    );
    console.log(
      'Cold = no state index. The generated data is in the OS page cache, so every "cold" figure is a warm-cache\n' +
        'read for both sides; each side runs in the same conditions, alternating (md5sum first, then ours), best of ' +
        `${ROUNDS}.\n`,
    );
    const rows: Row[] = [];
    const bigSt = statSync(big);
    const bigJob = [{ absPath: big, size: bigSt.size, mtimeMs: bigSt.mtimeMs }];

    // 1. one big file, one stream
    const refBig: number[] = [];
    const oursBig: number[] = [];
    let bigRef = '';
    let bigOurs = '';
    for (let r = 0; r < ROUNDS; r++) {
      const a = time(() => md5sum([big], dir));
      refBig.push(a.ms);
      bigRef = a.value.slice(0, 32);
      const b = await timeAsync(() => hashFiles(bigJob));
      oursBig.push(b.ms);
      bigOurs = b.value[0]!;
    }
    if (bigRef !== bigOurs) throw new Error(`big file md5 differs: md5sum ${bigRef}, ours ${bigOurs}`);
    rows.push({
      what: `big file ${BIG_BYTES / MiB} MiB`,
      ours: best(oursBig),
      other: best(refBig),
      otherName: 'md5sum',
      note: `ours ${mbps(BIG_BYTES, best(oursBig))}, md5sum ${mbps(BIG_BYTES, best(refBig))}`,
    });

    // 2. many files: one md5sum process, xargs -P<cores>, ours (walk + pool)
    const relFiles = manyFiles.map((f) => relative(dir, f));
    const seq: number[] = [];
    const par: number[] = [];
    const oursMany: number[] = [];
    let oidSeq = '';
    let oidPar = '';
    let oidOurs = '';
    for (let r = 0; r < ROUNDS; r++) {
      const a = time(() => md5sum(relFiles, dir));
      seq.push(a.ms);
      oidSeq = oidFromMd5sum(a.value, many, dir);
      const b = time(() => xargsMd5sum(relFiles, dir, cores));
      par.push(b.ms);
      oidPar = oidFromMd5sum(b.value, many, dir);
      const c = await timeAsync(() => hashDataDependencies(dir, ['many'], { useState: false }));
      oursMany.push(c.ms);
      oidOurs = c.value[0]!.md5;
    }
    if (oidSeq !== oidOurs || oidPar !== oidOurs) throw new Error(`directory oids differ: ${oidSeq} ${oidPar} ${oidOurs}`);
    const manyLabel = `${manyFiles.length} files ${(manyBytes / MiB).toFixed(0)} MiB`;
    rows.push({ what: manyLabel, ours: best(oursMany), other: best(seq), otherName: 'md5sum, 1 process', note: `ours ${mbps(manyBytes, best(oursMany))}, incl. walk + .dir` });
    rows.push({ what: manyLabel, ours: best(oursMany), other: best(par), otherName: `xargs -P${cores} md5sum`, note: `oid ${oidOurs}` });

    // 3. everything (big + many): cold with an empty state index, then warm re-check
    const everything = ['big.bin', 'many'];
    const cold: number[] = [];
    const warm: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      rmSync(join(dir, STATE_INDEX_PATH), { force: true });
      cold.push((await timeAsync(() => hashDataDependencies(dir, everything))).ms);
      warm.push((await timeAsync(() => hashDataDependencies(dir, everything))).ms);
    }
    rows.push({
      what: `warm re-check of ~1 GiB (${manyFiles.length + 1} files)`,
      ours: best(warm),
      other: best(cold),
      otherName: 'ours cold',
      note: `warm = ${((100 * best(warm)) / best(cold)).toFixed(2)}% of cold`,
    });

    // 4. 100,000 small files: cold vs warm (stats only)
    const tinyCold: number[] = [];
    const tinyWarm: number[] = [];
    let tinySeq = 0;
    {
      const a = time(() => spawnSync('sh', ['-c', 'find tiny -type f -print0 | xargs -0 md5sum > /dev/null'], { cwd: dir }));
      tinySeq = a.ms;
    }
    for (let r = 0; r < ROUNDS; r++) {
      rmSync(join(dir, STATE_INDEX_PATH), { force: true });
      tinyCold.push((await timeAsync(() => hashDataDependencies(dir, ['tiny']))).ms);
      tinyWarm.push((await timeAsync(() => hashDataDependencies(dir, ['tiny']))).ms);
    }
    rows.push({
      what: `${tinyFiles} small files, cold`,
      ours: best(tinyCold),
      other: tinySeq,
      otherName: 'find | xargs md5sum',
      note: 'ours incl. walk, state write',
    });
    rows.push({
      what: `${tinyFiles} small files, warm re-check`,
      ours: best(tinyWarm),
      other: best(tinyCold),
      otherName: 'ours cold',
      note: `warm = ${((100 * best(tinyWarm)) / best(tinyCold)).toFixed(2)}% of cold`,
    });

    printTable(rows);
    console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other processes on the machine skew every figure)`);
    console.log('\nratio = reference time / our time (above 1: ours is faster).');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchHashing().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
