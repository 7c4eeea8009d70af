// Train/test overlap benchmark: the streamed overlap check on 300 MB tables (one single line, and
// three million ordinary rows) against coreutils `md5sum` and `sort | uniq -d` of the same files,
// measured in the same run. Each overlap runs in a child process with a 64 MB heap, whose peak RSS
// is sampled. Run: node --import tsx bench/overlap.ts
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const MiB = 1 << 20;
const SIZE = 300 * MiB;
const REPO = resolve(__dirname, '..');

/** One line of `x,` then `7,` repeated: a header of 150 million one-byte columns, no row. */
function singleLine(path: string): void {
  const fd = openSync(path, 'w');
  writeSync(fd, 'x,');
  const block = Buffer.alloc(MiB, '7,');
  for (let i = 0; i < SIZE / MiB; i++) writeSync(fd, block);
  closeSync(fd);
}

/** A header and ~3 million rows of five columns (ids, numbers, a category), ~100 bytes each. */
function manyRows(path: string): number {
  const fd = openSync(path, 'w');
  writeSync(fd, 'id,age,income,score,segment\n');
  let written = 0;
  let row = 0;
  const lines: string[] = [];
  while (written < SIZE) {
    lines.length = 0;
    for (let k = 0; k < 10_000; k++, row++) lines.push(`${row},${20 + (row % 50)},${(30000 + ((row * 7919) % 90000)).toFixed(2)},${((row * 104729) % 1000) / 1000},segment-${row % 17}-${'abcdefghij'.repeat(5)}`);
    const chunk = `${lines.join('\n')}\n`;
    writeSync(fd, chunk);
    written += Buffer.byteLength(chunk);
  }
  closeSync(fd);
  return row;
}

function timed(label: string, command: string, args: string[]): number {
  const t = performance.now();
  const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
  return ms;
}

/** The streamed overlap of `holdout` against `table`, in a child with a 64 MB heap: wall time, peak RSS, result. */
function overlapInChild(holdout: string, table: string): { ms: number; peakMb: number; rows: number; columns: string[] } {
  const script = [
    `const { fileSource, findOverlapStreaming } = require(${JSON.stringify(join(REPO, 'src/core/governance/overlap.ts'))});`,
    'let peak = 0;',
    'const sample = () => { peak = Math.max(peak, process.memoryUsage.rss()); };',
    'const timer = setInterval(sample, 20);',
    'const t = performance.now();',
    `findOverlapStreaming(fileSource(${JSON.stringify(holdout)}, 'holdout.csv'), fileSource(${JSON.stringify(table)}, 'table.csv'))`,
    '  .then((ov) => { const ms = performance.now() - t; sample(); clearInterval(timer); console.log(JSON.stringify({ ms, peakMb: peak / 1048576, rows: ov.rowsOfA.length, columns: ov.columns })); });',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--max-old-space-size=64', '--import', 'tsx', '-e', script], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`overlap failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as { ms: number; peakMb: number; rows: number; columns: string[] };
}

export async function benchOverlap(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'provenant-bench-overlap-'));
  try {
    const one = join(dir, 'single-line.csv');
    const many = join(dir, 'rows.csv');
    singleLine(one);
    const rows = manyRows(many);
    // 2,000 held-out rows, half of them copied from the table.
    const holdout = join(dir, 'holdout.csv');
    writeFileSync(holdout, ['x,id,age,income,score,segment', ...Array.from({ length: 2000 }, (_, i) => {
      const row = i % 2 === 0 ? i * 1000 : rows + i;
      return `7,${row},${20 + (row % 50)},${(30000 + ((row * 7919) % 90000)).toFixed(2)},${((row * 104729) % 1000) / 1000},segment-${row % 17}-${'abcdefghij'.repeat(5)}`;
    })].join('\n'));
    console.log(`files: ${(statSync(one).size / MiB).toFixed(0)} MiB in one line; ${(statSync(many).size / MiB).toFixed(0)} MiB in ${rows.toLocaleString('en-US')} rows; heap of the overlap process limited to 64 MB`);
    for (const [label, file] of [['single line', one], ['3M rows', many]] as const) {
      const md5 = timed('md5sum', 'md5sum', [file]);
      const uniq = timed('sort | uniq', 'sh', ['-c', `LC_ALL=C sort -S 256M "${file}" | uniq -d > /dev/null`]);
      const ov = overlapInChild(holdout, file);
      console.log(`  ${label.padEnd(12)} overlap ${ov.ms.toFixed(0).padStart(6)} ms, peak RSS ${ov.peakMb.toFixed(0)} MB (${ov.rows} held-out rows found on ${ov.columns.length} common columns)`);
      console.log(`  ${''.padEnd(12)} md5sum  ${md5.toFixed(0).padStart(6)} ms → ratio ${(ov.ms / md5).toFixed(1)};  sort | uniq -d ${uniq.toFixed(0)} ms → ratio ${(ov.ms / uniq).toFixed(2)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchOverlap().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
