/**
 * A streaming CSV reader with bounded memory, for tables too large to hold (a 300 MB file, or one
 * 300 MB line). It keeps only the cells asked for: header names that pass a filter, and in data
 * rows the columns chosen after the header; every other byte is scanned and dropped. A kept cell
 * or row beyond its limit stops the scan with a `CsvLimitError` naming the line.
 *
 * Dialect (as csv-parse reads it for the overlap check): RFC 4180 quoting with `""` escapes,
 * records ended by LF, CRLF or CR, a leading UTF-8 BOM dropped, empty lines skipped, rows of
 * any length. It is lenient where csv-parse throws: a quote inside an unquoted cell, or text after a
 * closing quote, is kept as text.
 */
import type { Readable } from 'node:stream';
import { ProvenantError } from '../util/errors';

export class CsvLimitError extends ProvenantError {}

export interface CsvScan {
  /** Workspace-relative name, for messages. */
  name: string;
  delimiter: ',' | '\t';
  /** Header cells longer than this are not kept (they cannot be a name the caller looks for). */
  headerCellLimit: number;
  /** Total bytes of header names kept; beyond it the scan stops with a CsvLimitError. */
  headerLimit: number;
  /** Which header names to keep. */
  keepName: (name: string) => boolean;
  /** When given, only these names can be kept (compared as bytes, so the other cells of a huge header cost no string). */
  candidates?: Iterable<string>;
  /** Called once with the kept names and their column numbers; returns the columns to read in every data row, or null to stop. */
  onHeader: (kept: { index: number; name: string }[]) => number[] | null;
  /** Bytes of the chosen cells of one data row, together; beyond it the scan stops with a CsvLimitError. */
  rowLimit: number;
  /** The chosen cells of a data row (in the order of the columns returned by onHeader; missing cells are ''). */
  onRow: (values: string[], row: number) => void;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

// States of the scanner.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

/** The scanner's state between chunks; the byte loop works on local copies (see `feed`). */
class Scanner {
  readonly delimiter: number;
  state = FIELD_START;
  column = 0;
  record = 0; // 0: header
  line = 1;
  recordLine = 1;
  recordNonEmpty = false;
  afterCr = false;
  stopped = false;
  kept: { index: number; name: string }[] = [];
  headerBytes = 0;
  // Data rows: the chosen columns in increasing order, the slot of each, and the next one to meet.
  wantColumn: number[] = [];
  wantSlot: number[] = [];
  next = 0;
  values: string[] = [];
  rowBytes = 0;
  capture: Buffer = Buffer.allocUnsafe(256);
  captureLength = 0;
  capturing = true; // the header's first cell
  overflow = false;
  head: Buffer | null = Buffer.alloc(0); // the first bytes, until a BOM can be told apart
  readonly byLength: Map<number, Buffer[]> | null = null;

  constructor(readonly scan: CsvScan) {
    this.delimiter = scan.delimiter.charCodeAt(0);
    if (scan.candidates) {
      this.byLength = new Map();
      for (const name of scan.candidates) {
        const bytes = Buffer.from(name, 'utf8');
        this.byLength.set(bytes.length, [...(this.byLength.get(bytes.length) ?? []), bytes]);
      }
    }
  }

  limitError(what: string): CsvLimitError {
    return new CsvLimitError(`line ${this.recordLine}: ${what}; row-level overlap cannot be evaluated for this file`, { file: this.scan.name, hint: 'Split the file into rows of ordinary length, or keep it out of data: when it is not a table.', code: 'E_TABLE_LIMIT' });
  }

  /** Room for one more captured byte, or `overflow` (header), or a CsvLimitError (data row). */
  grow(): void {
    const limit = this.record === 0 ? this.scan.headerCellLimit : this.scan.rowLimit - this.rowBytes;
    if (this.captureLength >= limit) {
      if (this.record === 0) {
        this.overflow = true;
        return;
      }
      throw this.limitError(`the compared cells of this row take more than ${this.scan.rowLimit} bytes`);
    }
    const bigger = Buffer.allocUnsafe(Math.min(this.capture.length * 2, Math.max(limit + 1, 256)));
    this.capture.copy(bigger, 0, 0, this.captureLength);
    this.capture = bigger;
  }

  isCandidate(): boolean {
    if (this.byLength === null) return true;
    const list = this.byLength.get(this.captureLength);
    if (!list) return false;
    const capture = this.capture;
    const length = this.captureLength;
    // A byte loop: Buffer#compare with offsets costs far more than these few bytes.
    outer: for (const c of list) {
      for (let k = 0; k < length; k++) if (capture[k] !== c[k]) continue outer;
      return true;
    }
    return false;
  }

  endCell(): void {
    if (this.capturing && !this.overflow) {
      if (this.record === 0) {
        if (this.captureLength < this.scan.headerCellLimit && this.isCandidate()) {
          const text = this.capture.toString('utf8', 0, this.captureLength);
          if (this.scan.keepName(text)) {
            this.headerBytes += this.captureLength + 16;
            if (this.headerBytes > this.scan.headerLimit) throw this.limitError(`the header names take more than ${this.scan.headerLimit} bytes`);
            this.kept.push({ index: this.column, name: text });
          }
        }
      } else {
        if (this.rowBytes + this.captureLength > this.scan.rowLimit) throw this.limitError(`the compared cells of this row take more than ${this.scan.rowLimit} bytes`);
        this.values[this.wantSlot[this.next]!] = this.capture.toString('utf8', 0, this.captureLength);
        this.rowBytes += this.captureLength;
        this.next++;
      }
    }
    this.column++;
    this.captureLength = 0;
    this.overflow = false;
    this.capturing = this.record === 0 || (this.next < this.wantColumn.length && this.wantColumn[this.next] === this.column);
  }

  endRecord(): void {
    if (this.recordNonEmpty) {
      this.endCell();
      if (this.record === 0) {
        const chosen = this.scan.onHeader(this.kept);
        if (chosen === null) this.stopped = true;
        else {
          const order = chosen.map((c, slot) => ({ c, slot })).filter((x) => x.c >= 0).sort((x, y) => x.c - y.c);
          this.wantColumn = order.map((x) => x.c);
          this.wantSlot = order.map((x) => x.slot);
          this.values = new Array<string>(chosen.length).fill('');
        }
      } else {
        this.scan.onRow(this.values, this.record - 1);
        this.values = new Array<string>(this.values.length).fill('');
      }
      this.record++;
    }
    this.rowBytes = 0;
    this.column = 0;
    this.next = 0;
    this.recordNonEmpty = false;
    this.recordLine = this.line;
    this.captureLength = 0;
    this.overflow = false;
    this.capturing = this.record === 0 || (this.wantColumn.length > 0 && this.wantColumn[0] === 0);
  }

  /** One chunk. Hot state lives in locals; it is written back before any per-cell call and read again after. */
  feed(input: Buffer, last = false): void {
    let chunk = input;
    let i = 0;
    if (this.head !== null) {
      chunk = Buffer.concat([this.head, input]);
      if (chunk.length < 3 && !last) {
        this.head = chunk;
        return;
      }
      this.head = null;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    }
    const delimiter = this.delimiter;
    const n = chunk.length;
    let state = this.state;
    let afterCr = this.afterCr;
    let capturing = this.capturing && !this.overflow;
    let capture = this.capture;
    let captureLength = this.captureLength;
    let nonEmpty = this.recordNonEmpty;
    const save = () => {
      this.state = state;
      this.afterCr = afterCr;
      this.captureLength = captureLength;
      this.recordNonEmpty = nonEmpty;
    };
    const load = () => {
      capturing = this.capturing && !this.overflow;
      capture = this.capture;
      captureLength = this.captureLength;
      nonEmpty = this.recordNonEmpty;
    };
    const keep = (b: number) => {
      if (captureLength === capture.length) {
        save();
        this.grow();
        load();
        if (!capturing) return;
      }
      capture[captureLength++] = b;
    };
    for (; i < n; i++) {
      const b = chunk[i]!;
      if (afterCr) {
        afterCr = false;
        if (b === LF) continue;
      }
      if (state === QUOTED) {
        if (b === QUOTE) state = QUOTE_IN_QUOTED;
        else {
          if (b === LF || b === CR) this.line++;
          if (capturing) keep(b);
        }
        continue;
      }
      if (state === QUOTE_IN_QUOTED) {
        if (b === QUOTE) {
          if (capturing) keep(b);
          state = QUOTED;
          continue;
        }
        state = UNQUOTED; // text after a closing quote is kept (lenient)
      }
      if (b === delimiter) {
        nonEmpty = true;
        save();
        this.endCell();
        load();
        state = FIELD_START;
      } else if (b === LF || b === CR) {
        this.line++;
        if (b === CR) afterCr = true;
        save();
        this.endRecord();
        load();
        state = FIELD_START;
        if (this.stopped) break;
      } else {
        nonEmpty = true;
        if (state === FIELD_START && b === QUOTE) state = QUOTED;
        else {
          state = UNQUOTED;
          if (capturing) keep(b);
        }
      }
    }
    save();
  }
}

/**
 * Reads `stream` to its end (or until onHeader returns null); returns the number of data rows and
 * whether the stream was read to its end (not stopped after the header).
 */
export function scanCsv(stream: Readable, scan: CsvScan): Promise<{ rows: number; header: boolean; complete: boolean }> {
  const s = new Scanner(scan);
  return new Promise((resolve, reject) => {
    let settled = false;
    let complete = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      if (err) {
        stream.destroy();
        reject(err);
      } else resolve({ rows: Math.max(0, s.record - 1), header: s.record > 0, complete });
    };
    stream.on('data', (chunk: Buffer) => {
      try {
        s.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        if (s.stopped) {
          stream.destroy();
          finish();
        }
      } catch (err) {
        finish(err);
      }
    });
    stream.on('error', (err) => finish(new ProvenantError(`cannot read it: ${err.message}`, { file: scan.name, code: 'E_TABLE' })));
    stream.on('end', () => {
      complete = true;
      try {
        if (s.head !== null) s.feed(Buffer.alloc(0), true);
        if (!s.stopped && (s.recordNonEmpty || s.column > 0)) s.endRecord();
        finish();
      } catch (err) {
        finish(err);
      }
    });
  });
}
