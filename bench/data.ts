// Data versioning benchmark: cold `data add` (hash + store in the DVC cache) of 10,000 small files and
// a few large ones against coreutils md5sum (one process, and xargs -P<cores>) reading the same files;
// `data status` on unchanged data, up to 100,000 files (goal: under 1 s).
// Run: npm run bench -- data   (or node --import tsx bench/data.ts)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dataAdd } from '../src/core/data/add';
import { dataStatus } from '../src/core/data/status';

const MiB = 1 << 20;
const SMALL_FILES = 10_000;
const LARGE_FILES = 3;
const LARGE_BYTES = 128 * MiB;
const TINY_FILES = 100_000;
const ROUNDS = 2;
const PAST = new Date(Date.now() - 3600_000);
const CLI = join(__dirname, '..', 'dist', 'cli.js');

function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

function write(path: string, data: Buffer | string): void {
  writeFileSync(path, data);
  utimesSync(path, PAST, PAST);
}

/** 10,000 files of 1-64 KiB in 100 folders, and a few large files, all different. */
function generateMixed(dir: string): { files: string[]; bytes: number } {
  const seed = randomBytes(64 * 1024);
  const files: string[] = [];
  let bytes = 0;
  for (let i = 0; i < SMALL_FILES; i++) {
    const sub = join(dir, 'small', `p${i % 100}`);
    if (i < 100) mkdirSync(sub, { recursive: true });
    const size = 1024 + ((i * 7919) % (63 * 1024));
    const buf = Buffer.from(seed.subarray(0, size));
    buf.writeUInt32LE(i, 0);
    const path = join(sub, `f${i}.bin`);
    write(path, buf);
    files.push(path);
    bytes += size;
  }
  mkdirSync(join(dir, 'large'), { recursive: true });
  const block = randomBytes(MiB);
  for (let k = 0; k < LARGE_FILES; k++) {
    const buf = Buffer.allocUnsafe(LARGE_BYTES);
    for (let off = 0; off < LARGE_BYTES; off += MiB) {
      block.copy(buf, off);
      buf.writeUInt32LE(off / MiB, off);
      buf.writeUInt32LE(k, off + 4);
    }
    const path = join(dir, 'large', `big${k}.bin`);
    write(path, buf);
    files.push(path);
    bytes += LARGE_BYTES;
  }
  return { files, bytes };
}

function generateTiny(dir: string): void {
  for (let k = 0; k < TINY_FILES; k++) {
    const sub = join(dir, 'tiny', `d${Math.floor(k / 1000)}`);
    if (k % 1000 === 0) mkdirSync(sub, { recursive: true });
    write(join(sub, `t${k}.txt`), `row ${k}\n`);
  }
}

/** Forgets everything Provenant and DVC wrote, so the next add is cold. */
function reset(dir: string): void {
  for (const name of readdirSync(dir)) if ((name.endsWith('.dvc') && name !== '.dvc') || name === '.gitignore') rmSync(join(dir, name), { force: true });
  spawnSync('chmod', ['-R', 'u+w', join(dir, '.dvc')]);
  rmSync(join(dir, '.dvc'), { recursive: true, force: true });
  rmSync(join(dir, '.provenant'), { recursive: true, force: true });
}

async function time(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function md5sum(files: string[], cwd: string, jobs: number): void {
  const args = jobs === 1 ? ['-0', 'md5sum'] : ['-0', `-P${jobs}`, `-n${Math.ceil(files.length / (jobs * 8))}`, 'md5sum'];
  const r = spawnSync('xargs', args, { cwd, input: files.map((f) => relative(cwd, f)).join('\0'), maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`md5sum failed: ${r.stderr}`);
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
}

export async function benchData(): Promise<void> {
  const cores = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), 'provenant-bench-data-'));
  try {
    spawnSync('git', ['init', '-q'], { cwd: dir });
    console.log(`data benchmark: ${cores} core(s), node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const { files, bytes } = generateMixed(dir);
    console.log(`generated ${SMALL_FILES} small files (1-64 KiB) and ${LARGE_FILES} × ${LARGE_BYTES / MiB} MiB: ${files.length} files, ${(bytes / MiB).toFixed(0)} MiB`);
    console.log('Files are in the page cache for every contender (warm reads); `data add` also writes every byte to .dvc/cache.\n');

    const seq: number[] = [];
    const par: number[] = [];
    const copy: number[] = [];
    const add: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      seq.push(await time(() => md5sum(files, dir, 1)));
      par.push(await time(() => md5sum(files, dir, cores)));
      // The floor for storing: creating the same files once (what DVC's cache write costs too).
      const copyDir = join(dir, '.copy');
      mkdirSync(copyDir);
      copy.push(await time(() => spawnSync('cp', ['-r', join(dir, 'small'), join(dir, 'large'), copyDir], { stdio: 'ignore' })));
      rmSync(copyDir, { recursive: true, force: true });
      reset(dir);
      add.push(await time(() => dataAdd(dir, ['small', 'large'])));
    }
    const warmAdd = await time(() => dataAdd(dir, ['small', 'large']));
    const statusMixed: number[] = [];
    for (let r = 0; r < ROUNDS + 1; r++) statusMixed.push(await time(() => dataStatus(dir)));

    generateTiny(dir);
    await dataAdd(dir, ['tiny']);
    const statusTiny: number[] = [];
    for (let r = 0; r < ROUNDS + 1; r++) statusTiny.push(await time(() => dataStatus(dir, { targets: ['tiny'] })));
    const cliTiny: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      cliTiny.push(
        await time(() => {
          const res = spawnSync(process.execPath, [CLI, 'data', 'status', '--json', 'tiny'], { cwd: dir, encoding: 'utf8' });
          if (res.status !== 0 || !res.stdout.includes('"unchanged"')) throw new Error(`data status failed: ${res.stderr}`);
        }),
      );
    }

    const best = (v: number[]) => Math.min(...v);
    const mbps = (ms: number) => `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`;
    const header = ['measurement', 'ours', 'reference', 'ratio (ref/ours)'];
    const rows = [
      [`cold data add, ${files.length} files ${(bytes / MiB).toFixed(0)} MiB`, `${fmt(best(add))} (${mbps(best(add))})`, `${fmt(best(seq))} (md5sum, 1 process, ${mbps(best(seq))})`, `${(best(seq) / best(add)).toFixed(2)}x`],
      [`cold data add, ${files.length} files ${(bytes / MiB).toFixed(0)} MiB`, fmt(best(add)), `${fmt(best(par))} (xargs -P${cores} md5sum, ${mbps(best(par))})`, `${(best(par) / best(add)).toFixed(2)}x`],
      [`cold data add, ${files.length} files ${(bytes / MiB).toFixed(0)} MiB`, fmt(best(add)), `${fmt(best(copy))} (cp -r of the same files: the cost of creating them)`, `${(best(copy) / best(add)).toFixed(2)}x`],
      ['warm data add (nothing changed)', fmt(warmAdd), `${fmt(best(add))} (cold add)`, `${(best(add) / warmAdd).toFixed(1)}x`],
      [`data status, ${files.length} unchanged files`, fmt(best(statusMixed)), '-', '-'],
      [`data status, ${TINY_FILES} unchanged files (in process)`, fmt(best(statusTiny)), '1 s (goal)', `${(1000 / best(statusTiny)).toFixed(2)}x`],
      [`provenant data status --json, ${TINY_FILES} files (whole CLI)`, fmt(best(cliTiny)), '1 s (goal)', `${(1000 / best(cliTiny)).toFixed(2)}x`],
    ];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    console.log(row(header, widths));
    console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
    for (const r of rows) console.log(row(r, widths));
    console.log(`best of ${ROUNDS} (status: of ${ROUNDS + 1}); load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other processes skew every figure)`);
  } finally {
    spawnSync('chmod', ['-R', 'u+w', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchData().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
