/**
 * Prediction files of a run and of its reproduction, compared as bytes first, then cell by cell.
 * Every line counts: a blank line is a row of one empty cell and a ragged row keeps its length,
 * so neither can hide a missing or extra value. Equal bytes are the only "identical"; the same
 * number written differently (`0.0` vs `0`) is within tolerance with that reason; another row
 * count, other columns or a row of another length is beyond tolerance.
 */
import { parse } from 'csv-parse/sync';
import type { Difference } from '../governance/reproductionRecord';
import { describeError } from '../util/errors';
import { gap, numberOf, type Tolerance } from './tolerance';

export interface TableComparison {
  /** Cells compared. */
  cells: number;
  /** Differences, prediction cells listed up to `maxListed`. */
  differences: Difference[];
  /** Cells that differ (listed or not). */
  differingCells: number;
  /** Differences beyond tolerance (listed or not). */
  beyond: number;
  /** Blank lines and ragged rows met (they are compared, and said). */
  notes: string[];
}

function records(bytes: Buffer, tsv: boolean): string[][] {
  return parse(bytes.toString('utf8'), { bom: true, relax_column_count: true, skip_empty_lines: false, delimiter: tsv ? '\t' : ',' }) as string[][];
}

const diff = (name: string, original: string | number, reproduced: string | number, withinTolerance: boolean, extra: Partial<Difference> = {}): Difference => ({
  kind: 'prediction',
  name,
  original,
  reproduced,
  absolute: null,
  relative: null,
  withinTolerance,
  ...extra,
});

/** Blank lines and rows whose length is not the header's, said once per file. */
function irregularities(set: string, rows: string[][]): string | null {
  const width = rows[0]?.length ?? 0;
  const blank: number[] = [];
  const ragged: number[] = [];
  rows.forEach((row, i) => {
    if (i === 0) return;
    if (row.length === 1 && row[0] === '' && width !== 1) blank.push(i);
    else if (row.length !== width) ragged.push(i);
  });
  if (!blank.length && !ragged.length) return null;
  const lines = (xs: number[]) => `${xs.slice(0, 5).join(', ')}${xs.length > 5 ? ', …' : ''}`;
  return `predictions "${set}": ${[blank.length ? `blank line(s) at row ${lines(blank)}` : '', ragged.length ? `ragged row(s) at ${lines(ragged)}` : ''].filter(Boolean).join(' and ')} (compared as they are)`;
}

export function compareTables(set: string, a: Buffer, b: Buffer, tol: Tolerance, options: { tsv?: boolean; maxListed?: number } = {}): TableComparison {
  const maxListed = options.maxListed ?? 50;
  const out: TableComparison = { cells: 0, differences: [], differingCells: 0, beyond: 0, notes: [] };
  let ra: string[][];
  let rb: string[][];
  try {
    ra = records(a, options.tsv ?? false);
    rb = records(b, options.tsv ?? false);
  } catch (err) {
    if (a.equals(b)) return out;
    out.differences.push(diff(set, `${a.length} bytes`, `${b.length} bytes`, false, { note: `not readable as CSV (${describeError(err)}); the bytes differ` }));
    out.beyond = 1;
    return out;
  }
  const note = irregularities(set, ra) ?? irregularities(set, rb);
  if (note) out.notes.push(note);
  const header = ra[0] ?? [];
  if (a.equals(b)) {
    out.cells = ra.slice(1).reduce((n, row) => n + row.length, 0);
    return out;
  }
  const shape = (rows: string[][]) => `${Math.max(0, rows.length - 1)} rows × ${(rows[0] ?? []).join(',')}`;
  if (header.join('\u0000') !== (rb[0] ?? []).join('\u0000')) {
    out.differences.push(diff(`${set}:columns`, shape(ra), shape(rb), false, { note: 'the columns differ' }));
    out.beyond = 1;
    return out;
  }
  if (ra.length !== rb.length) {
    out.differences.push(diff(`${set}:rows`, shape(ra), shape(rb), false, { note: 'the number of rows differs (blank lines count as rows)' }));
    out.beyond = 1;
    return out;
  }
  const list = (d: Difference) => {
    if (out.differences.length < maxListed || (!d.withinTolerance && out.beyond === 1)) out.differences.push(d);
  };
  for (let r = 1; r < ra.length; r++) {
    const x = ra[r]!;
    const y = rb[r]!;
    if (x.length !== y.length) {
      out.beyond++;
      list(diff(`${set}:${r}`, `${x.length} cells`, `${y.length} cells`, false, { note: `row ${r} has another number of cells${x.length === 1 && x[0] === '' ? ' (blank in the original)' : y.length === 1 && y[0] === '' ? ' (blank in the reproduction)' : ''}` }));
      continue;
    }
    for (let c = 0; c < x.length; c++) {
      out.cells++;
      if (x[c] === y[c]) continue;
      const name = `${set}:${r}:${header[c] ?? `#${c + 1}`}`;
      const nx = numberOf(x[c]!);
      const ny = numberOf(y[c]!);
      out.differingCells++;
      let d: Difference;
      if (nx !== null && ny !== null) {
        const g = gap(nx, ny, tol);
        const same = g.absolute === 0;
        d = diff(name, x[c]!, y[c]!, g.within, { absolute: g.absolute, relative: g.relative, ...(same ? { note: 'the same number written differently' } : {}) });
      } else {
        d = diff(name, x[c]!, y[c]!, false);
      }
      if (!d.withinTolerance) out.beyond++;
      list(d);
    }
  }
  if (out.differingCells === 0 && out.beyond === 0) {
    // Every cell reads the same, yet the bytes differ: say so rather than call it identical.
    out.differences.push(diff(set, `${a.length} bytes`, `${b.length} bytes`, true, { note: 'every cell is equal but the files differ in bytes (line endings, quoting or a final newline)' }));
  }
  return out;
}
