/**
 * Train/test overlap by content. Two tables share a row when the row's values agree on every
 * column the two tables have in common (matched by column name), after normalization:
 *
 * - cells are trimmed;
 * - a cell that reads as a finite decimal number is written in one canonical form
 *   (`4.80`, `4.8` and `4.8e0` agree; `0.0`, `-0` and `0` agree);
 * - any other cell is compared as text, case-sensitively.
 *
 * A row's hash is the SHA-256 of its normalized values in the sorted order of the common
 * column names, so the file names, the column order and the row order play no part.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { ProvenantError, describeError } from '../util/errors';

export interface Table {
  /** Workspace-relative name, for messages. */
  name: string;
  columns: string[];
  rows: string[][];
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function normalizeCell(value: string): string {
  const text = value.trim();
  if (NUMBER.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n)) return n === 0 ? '0' : String(n);
  }
  return text;
}

/** Reads a CSV (or TSV, by extension) file with a header line; errors name the file. */
export function readTable(path: string, name: string): Table {
  let records: string[][];
  try {
    records = parse(readFileSync(path, 'utf8'), { bom: true, skip_empty_lines: true, relax_column_count: true, delimiter: /\.tsv$/i.test(path) ? '\t' : ',' }) as string[][];
  } catch (err) {
    throw new ProvenantError(`cannot read it as CSV: ${describeError(err)}`, { file: name, hint: 'The overlap check reads CSV/TSV files with a header line.', code: 'E_TABLE' });
  }
  if (records.length === 0) return { name, columns: [], rows: [] };
  return { name, columns: records[0]!, rows: records.slice(1) };
}

export function commonColumns(a: Table, b: Table): string[] {
  const inB = new Set(b.columns);
  return [...new Set(a.columns.filter((c) => inB.has(c)))].sort();
}

/** One hash per row over `columns` (sorted names); rows lacking a column hash it as empty. */
export function rowHashes(table: Table, columns: string[]): string[] {
  const index = columns.map((c) => table.columns.indexOf(c));
  return table.rows.map((row) => createHash('sha256').update(JSON.stringify(index.map((i) => normalizeCell(row[i] ?? '')))).digest('hex'));
}

export interface Overlap {
  columns: string[];
  /** Rows of `a` (0-based data rows) that also occur in `b`. */
  rowsOfA: number[];
  /** For each row of `a` found in `b`, how many rows of `b` have its values. */
  matches: number;
  /** Rows of `a` whose values occur more than once in `b`. */
  duplicatedInB: number[];
}

/** Rows of `a` that also occur in `b`, by content on their common columns. */
export function findOverlap(a: Table, b: Table, columns = commonColumns(a, b)): Overlap {
  const counts = new Map<string, number>();
  for (const h of rowHashes(b, columns)) counts.set(h, (counts.get(h) ?? 0) + 1);
  const rowsOfA: number[] = [];
  const duplicatedInB: number[] = [];
  let matches = 0;
  rowHashes(a, columns).forEach((h, i) => {
    const n = counts.get(h) ?? 0;
    if (n > 0) {
      rowsOfA.push(i);
      matches += n;
      if (n > 1) duplicatedInB.push(i);
    }
  });
  return { columns, rowsOfA, matches, duplicatedInB };
}
