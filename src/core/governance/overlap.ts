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
 *
 * Large files are streamed (`findOverlapStreaming`): memory grows with the rows of the first
 * table (the held-out one) only, never with the second, and no line is held whole.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { ProvenantError, describeError } from '../util/errors';
import { scanCsv } from './csvStream';

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

// ---------------------------------------------------------------------------------------------
// Streaming, for files of any size

/** A table to stream: opened once per pass. `columns` restricts it to those columns (e.g. a prediction set's features). */
export interface TableSource {
  name: string;
  open: () => Readable;
  delimiter: ',' | '\t';
  columns?: string[];
}

export const fileSource = (path: string, name: string, columns?: string[]): TableSource => ({ name, open: () => createReadStream(path, { highWaterMark: 1 << 20 }), delimiter: /\.tsv$/i.test(name) ? '\t' : ',', ...(columns ? { columns } : {}) });
export const bytesSource = (bytes: Buffer, name: string, columns?: string[]): TableSource => ({ name, open: () => Readable.from([bytes]), delimiter: /\.tsv$/i.test(name) ? '\t' : ',', ...(columns ? { columns } : {}) });

export interface OverlapLimits {
  /** Bytes of the compared cells of one row. */
  rowBytes: number;
  /** Bytes of the header names of the first table. */
  headerBytes: number;
  /** Characters of held-out row texts kept as such; past it every key is a SHA-256 digest. */
  textKeyChars: number;
}
const MiB = 1 << 20;
export const OVERLAP_LIMITS: OverlapLimits = { rowBytes: 8 * MiB, headerBytes: 16 * MiB, textKeyChars: 64 * MiB };

/** A row's normalized values as JSON text. */
const rowText = (values: string[]) => JSON.stringify(values.map(normalizeCell));
const digest = (text: string) => createHash('sha256').update(text).digest('base64');

const longestName = (names: Iterable<string>) => {
  let n = 0;
  for (const name of names) n = Math.max(n, Buffer.byteLength(name));
  return n;
};

/** The header names of a table (all of them, or those in `among`), and whether any data row follows. */
async function headerOf(source: TableSource, limits: OverlapLimits, among?: Set<string>): Promise<{ names: string[]; rowsFollow: boolean }> {
  let names: string[] = [];
  const restrict = source.columns ? new Set(source.columns) : null;
  const { complete, rows } = await scanCsv(source.open(), {
    name: source.name,
    delimiter: source.delimiter,
    headerCellLimit: among ? longestName(among) + 1 : limits.headerBytes,
    headerLimit: limits.headerBytes,
    keepName: (n) => (!restrict || restrict.has(n)) && (!among || among.has(n)),
    ...(among ? { candidates: among } : restrict ? { candidates: restrict } : {}),
    onHeader: (kept) => {
      names = kept.map((k) => k.name);
      return null;
    },
    rowLimit: limits.rowBytes,
    onRow: () => undefined,
  });
  return { names, rowsFollow: !complete || rows > 0 };
}

/** Streams the rows of `source` over `columns` (sorted names), calling `onKey` with each row's key. */
async function eachRowKey(source: TableSource, columns: string[], limits: OverlapLimits, onKey: (key: string, row: number) => void): Promise<number> {
  const wanted = new Set(columns);
  const { rows } = await scanCsv(source.open(), {
    name: source.name,
    delimiter: source.delimiter,
    headerCellLimit: longestName(columns) + 1,
    headerLimit: limits.headerBytes,
    keepName: (n) => wanted.has(n),
    candidates: wanted,
    onHeader: (kept) => {
      // The first column of each name, in the sorted order of the names (as rowHashes does).
      const first = new Map<string, number>();
      for (const k of kept) if (!first.has(k.name)) first.set(k.name, k.index);
      return columns.map((c) => first.get(c) ?? -1);
    },
    rowLimit: limits.rowBytes,
    onRow: (values, row) => onKey(rowText(values), row),
  });
  return rows;
}

export interface StreamedOverlap extends Overlap {
  /** Data rows of `a`. */
  rowsInA: number;
}

/**
 * `findOverlap` over streamed tables: rows of `a` that also occur in `b`. Memory holds one key per
 * distinct row of `a` and the row numbers found; `b` is read in one pass holding one row at a time.
 */
export async function findOverlapStreaming(a: TableSource, b: TableSource, limits: OverlapLimits = OVERLAP_LIMITS): Promise<StreamedOverlap> {
  const headerA = await headerOf(a, limits);
  const headerB = await headerOf(b, limits, new Set(headerA.names));
  const columns = [...new Set(headerB.names)].sort();
  if (columns.length === 0) return { columns, rowsOfA: [], matches: 0, duplicatedInB: [], rowsInA: 0 };
  // While they are short enough the held-out rows are kept as texts (no hashing of the training
  // rows); past the limit every key becomes a digest, so memory stays one digest per row.
  let keysOfA: string[] = [];
  let textLength = 0;
  let hashed = false;
  const rowsInA = await eachRowKey(a, columns, limits, (text) => {
    textLength += text.length;
    if (!hashed && textLength > limits.textKeyChars) {
      hashed = true;
      keysOfA = keysOfA.map(digest);
    }
    keysOfA.push(hashed ? digest(text) : text);
  });
  const counts = new Map<string, number>();
  for (const key of keysOfA) counts.set(key, 0);
  // A table that ends with its header (say one enormous line) has no row to compare: one pass only.
  if (headerB.rowsFollow) {
    await eachRowKey(b, columns, limits, (text) => {
      const key = hashed ? digest(text) : text;
      const n = counts.get(key);
      if (n !== undefined) counts.set(key, n + 1);
    });
  }
  const rowsOfA: number[] = [];
  const duplicatedInB: number[] = [];
  let matches = 0;
  keysOfA.forEach((key, i) => {
    const n = counts.get(key)!;
    if (n > 0) {
      rowsOfA.push(i);
      matches += n;
      if (n > 1) duplicatedInB.push(i);
    }
  });
  return { columns, rowsOfA, matches, duplicatedInB, rowsInA };
}

/** The number of data rows of a table, streamed. */
export async function countRows(source: TableSource, limits: OverlapLimits = OVERLAP_LIMITS): Promise<number> {
  const { rows } = await scanCsv(source.open(), { name: source.name, delimiter: source.delimiter, headerCellLimit: 0, headerLimit: limits.headerBytes, keepName: () => false, onHeader: () => [], rowLimit: limits.rowBytes, onRow: () => undefined });
  return rows;
}
