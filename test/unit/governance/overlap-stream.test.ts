import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { tempDir } from '../../helpers/git';
import { REPO_ROOT } from '../../helpers/paths';
import { OVERLAP_LIMITS, bytesSource, countRows, findOverlap, findOverlapStreaming, readTable } from '../../../src/core/governance/overlap';
import { CsvLimitError } from '../../../src/core/governance/csvStream';
import { Random } from '../../../src/core/analysis/random';

/** A small deterministic generator (mulberry32), so a failing case can be replayed by its seed. */
function random(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}

const quote = (cell: string) => (/[",\r\n]/.test(cell) || cell.startsWith(' ') ? `"${cell.replace(/"/g, '""')}"` : cell);

/** A CSV with numbers in several spellings, quoted commas, quotes and newlines, CRLF or LF, a BOM, blank lines and short rows. */
function randomCsv(rnd: () => number, columns: string[], rows: number, pool: string[][]): string {
  const eol = rnd() < 0.5 ? '\r\n' : '\n';
  const out: string[] = [columns.map(quote).join(',')];
  for (let r = 0; r < rows; r++) {
    const source = pool[Math.floor(rnd() * pool.length)]!;
    let cells = columns.map((c) => {
      const v = source[c.charCodeAt(0) % source.length]!;
      return rnd() < 0.3 && /^\d+(\.\d+)?$/.test(v) ? `${v}0`.replace(/^(\d+)0$/, '$1.0') : v;
    });
    if (rnd() < 0.05) cells = cells.slice(0, -1);
    out.push(cells.map(quote).join(','));
    if (rnd() < 0.05) out.push('');
  }
  return `${rnd() < 0.3 ? '\ufeff' : ''}${out.join(eol)}${rnd() < 0.5 ? eol : ''}`;
}

describe('streamed overlap', () => {
  it('finds exactly what the in-memory comparison finds, on 150 random table pairs', async () => {
    const dir = tempDir('provenant-overlap-');
    let compared = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const rnd = random(seed);
      const pool = Array.from({ length: 12 }, (_, i) => [String(i % 5), `k${i % 3}`, i % 4 === 0 ? 'a, "quoted" one' : `${i}.5`, i % 6 === 0 ? 'two\nlines' : 'x', ' padded ']);
      const names = ['a', 'b', 'c', 'd', 'e', 'f'];
      const pick = () => names.filter(() => rnd() < 0.6);
      const colsA = pick().length ? pick() : ['a'];
      const colsB = pick().length ? pick() : ['b'];
      const textA = randomCsv(rnd, colsA.length ? colsA : ['a'], 1 + Math.floor(rnd() * 30), pool);
      const textB = randomCsv(rnd, colsB.length ? colsB : ['b'], Math.floor(rnd() * 60), pool);
      writeFileSync(join(dir, 'a.csv'), textA);
      writeFileSync(join(dir, 'b.csv'), textB);
      const expected = findOverlap(readTable(join(dir, 'a.csv'), 'a.csv'), readTable(join(dir, 'b.csv'), 'b.csv'));
      // Held-out keys as texts, as digests from the start, or switching to digests midway.
      const textKeyChars = [OVERLAP_LIMITS.textKeyChars, 0, 200][seed % 3]!;
      const actual = await findOverlapStreaming(bytesSource(Buffer.from(textA), 'a.csv'), bytesSource(Buffer.from(textB), 'b.csv'), { ...OVERLAP_LIMITS, textKeyChars });
      const { rowsInA, ...rest } = actual;
      // Without a common column the in-memory comparison matches every row to every row; the check never uses that.
      if (expected.columns.length === 0) assert.deepEqual(rest, { columns: [], rowsOfA: [], matches: 0, duplicatedInB: [] }, `seed ${seed}`);
      else {
        assert.deepEqual(rest, expected, `seed ${seed}`);
        assert.equal(rowsInA, readTable(join(dir, 'a.csv'), 'a.csv').rows.length, `seed ${seed}`);
        compared++;
      }
    }
    assert.ok(compared > 100, `${compared} pairs shared a column`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads in chunks of one byte as in one piece (cells, quotes and CRLF split anywhere)', async () => {
    const text = '\ufeffid,"na,me"\r\n1,"a ""b"" c"\r\n\r\n2,"x\r\ny"\r\n3,plain';
    const oneByte = { name: 'bytes.csv', delimiter: ',' as const, open: () => Readable.from([...Buffer.from(text)].map((b) => Buffer.from([b]))) };
    const whole = bytesSource(Buffer.from(text), 'whole.csv');
    assert.equal(await countRows(oneByte), 3);
    const self = await findOverlapStreaming(oneByte, whole);
    assert.deepEqual(self.columns, ['id', 'na,me']);
    assert.deepEqual(self.rowsOfA, [0, 1, 2]);
  });

  it('compares a table whose single line is enormous without holding it, and names a compared row that is too long', async () => {
    const huge = Buffer.alloc(40 << 20, 'z');
    // One line of 40 MB: a header with no row, so nothing can overlap.
    const oneLine = bytesSource(Buffer.concat([Buffer.from('x,'), huge]), 'one-line.csv');
    const holdout = bytesSource(Buffer.from('x,y\n1,2\n3,4\n'), 'holdout.csv');
    const ov = await findOverlapStreaming(holdout, oneLine, { ...OVERLAP_LIMITS, rowBytes: 1 << 20, headerBytes: 1 << 20 });
    assert.deepEqual({ columns: ov.columns, rows: ov.rowsOfA, n: ov.rowsInA }, { columns: ['x'], rows: [], n: 2 });
    // A 40 MB cell in a column that is not compared is skipped; one in a compared column is refused by line.
    const wide = bytesSource(Buffer.concat([Buffer.from('x,filler\n1,'), huge, Buffer.from('\n3,small\n')]), 'wide.csv');
    assert.deepEqual((await findOverlapStreaming(holdout, wide, { ...OVERLAP_LIMITS, rowBytes: 1 << 20, headerBytes: 1 << 20 })).rowsOfA, [0, 1]);
    const long = bytesSource(Buffer.concat([Buffer.from('x,y\n1,2\n3,'), huge, Buffer.from('\n')]), 'long.csv');
    await assert.rejects(findOverlapStreaming(holdout, long, { ...OVERLAP_LIMITS, rowBytes: 1 << 20, headerBytes: 1 << 20 }), (err: unknown) => {
      assert.ok(err instanceof CsvLimitError);
      assert.equal(err.file, 'long.csv');
      assert.match(err.message, /^line 3: the compared cells of this row take more than 1048576 bytes; row-level overlap cannot be evaluated/);
      return true;
    });
  });

  it('stays within a 64 MB heap on a 256 MB single-line file (run in a child process)', () => {
    const dir = tempDir('provenant-overlap-big-');
    const big = join(dir, 'big.csv');
    const fd = openSync(big, 'w');
    writeSync(fd, 'x,');
    const block = Buffer.alloc(1 << 20, '7,');
    for (let i = 0; i < 256; i++) writeSync(fd, block);
    closeSync(fd);
    writeFileSync(join(dir, 'holdout.csv'), 'x,y\n7,1\n8,2\n');
    // Peak RSS sampled in the child (ru_maxrss would carry the parent's peak across exec).
    const script = [
      `const { fileSource, findOverlapStreaming } = require(${JSON.stringify(join(REPO_ROOT, 'src/core/governance/overlap.ts'))});`,
      'let peak = 0;',
      'const sample = () => { peak = Math.max(peak, process.memoryUsage.rss()); };',
      'const timer = setInterval(sample, 20);',
      `findOverlapStreaming(fileSource(${JSON.stringify(join(dir, 'holdout.csv'))}, 'holdout.csv'), fileSource(${JSON.stringify(big)}, 'big.csv'))`,
      '  .then((ov) => { sample(); clearInterval(timer); console.log(JSON.stringify({ columns: ov.columns, rows: ov.rowsOfA, maxRssMb: Math.round(peak / 1048576) })); });',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--max-old-space-size=64', '--import', 'tsx', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const out = JSON.parse(r.stdout) as { columns: string[]; rows: number[]; maxRssMb: number };
    assert.deepEqual(out.columns, ['x']);
    assert.deepEqual(out.rows, [], 'a header-only file holds no row');
    assert.ok(out.maxRssMb < 256, `peak RSS ${out.maxRssMb} MB: the file was held whole`);
  });
});
