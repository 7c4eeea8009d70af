/**
 * The runs table's data: one row per run (the fields a table shows, params and metrics), the
 * difference between two lists of rows (so the host sends only the rows that changed), and the
 * filter expressions the table accepts (`metrics.auc > 0.8 and params.model == "gbm"`).
 * Pure and free of Node modules: the runs table webview imports it too.
 */
import { ProvenantError } from '../util/errors';
import type { ParamValue, RunRecord, RunStatus } from './types';
import { commandText, truncateMiddle } from './commandText';

/** Longest command text a row carries (the full command is in the run's details). */
export const ROW_COMMAND_LIMIT = 300;

export interface RunRow {
  id: string;
  name: string;
  experiment: string | null;
  status: RunStatus;
  startedAt: string;
  durationMs: number | null;
  /** The recorded command as one line (secrets already redacted), cut to ROW_COMMAND_LIMIT. */
  command: string;
  starred: boolean;
  params: Record<string, ParamValue>;
  metrics: Record<string, number>;
}

export function rowOf(run: RunRecord, starred: boolean): RunRow {
  return {
    id: run.id,
    name: run.name,
    experiment: run.experiment,
    status: run.status,
    startedAt: run.startedAt,
    durationMs: run.durationMs,
    command: truncateMiddle(commandText(run.command), ROW_COMMAND_LIMIT),
    starred,
    params: run.params,
    metrics: run.metrics,
  };
}

export interface RowChanges {
  /** Rows new or different since the previous list. */
  upserts: RunRow[];
  /** Ids of rows gone since the previous list. */
  removed: string[];
}

/**
 * What changed between the previous rows (as `id → JSON` of each row, which this updates in
 * place to the new list) and `rows`.
 */
export function diffRows(previous: Map<string, string>, rows: readonly RunRow[]): RowChanges {
  const upserts: RunRow[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    seen.add(row.id);
    const text = JSON.stringify(row);
    if (previous.get(row.id) !== text) {
      upserts.push(row);
      previous.set(row.id, text);
    }
  }
  const removed: string[] = [];
  for (const id of previous.keys()) if (!seen.has(id)) removed.push(id);
  for (const id of removed) previous.delete(id);
  return { upserts, removed };
}

// ---------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------

/** A column: a run field, or `params:<key>` / `metrics:<key>`. */
export type ColumnId = string;
export const FIELD_COLUMNS = ['name', 'experiment', 'status', 'startedAt', 'durationMs', 'command', 'id'] as const;

export type CellValue = string | number | boolean | null | undefined;

export function columnValue(row: RunRow, column: ColumnId): CellValue {
  if (column.startsWith('params:')) return row.params[column.slice(7)];
  if (column.startsWith('metrics:')) return row.metrics[column.slice(8)];
  switch (column) {
    case 'name':
      return row.name;
    case 'experiment':
      return row.experiment;
    case 'status':
      return row.status;
    case 'startedAt':
      return row.startedAt;
    case 'durationMs':
      return row.durationMs;
    case 'command':
      return row.command;
    case 'id':
      return row.id;
    case 'starred':
      return row.starred;
    default:
      return undefined;
  }
}

/** Order of two cell values: missing last, numbers before text, numbers numerically, NaN after numbers. */
export function compareCells(a: CellValue, b: CellValue): number {
  const rank = (v: CellValue) => (v === undefined || v === null ? 3 : typeof v === 'number' ? (Number.isNaN(v) ? 1 : 0) : 2);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) ? 0 : a - b;
  if (ra === 3) return 0;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Filter expressions
// ---------------------------------------------------------------------------------------------

type Token =
  | { kind: 'num'; value: number; at: number }
  | { kind: 'str'; value: string; at: number }
  | { kind: 'ident'; value: string; at: number }
  | { kind: 'op'; value: string; at: number }
  | { kind: 'end'; at: number };

const OPERATORS = ['>=', '<=', '==', '!=', '!~', '&&', '||', '>', '<', '=', '~', '!', '(', ')', '[', ']'];

function filterError(message: string, at: number, text: string): ProvenantError {
  return new ProvenantError(`filter: ${message} at column ${at + 1}`, { hint: `In "${text.slice(0, 200)}". Example: metrics.auc > 0.8 and params.model == "gbm"`, code: 'E_FILTER' });
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== c; j++) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j];
      }
      if (j >= text.length) throw filterError('unterminated string', i, text);
      tokens.push({ kind: 'str', value, at: i });
      i = j + 1;
      continue;
    }
    const num = /^-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/i.exec(text.slice(i));
    if (num && (c !== '-' || tokens.length === 0 || tokens[tokens.length - 1]!.kind === 'op')) {
      tokens.push({ kind: 'num', value: Number(num[0]), at: i });
      i += num[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][\w.\-/:]*/.exec(text.slice(i));
    if (ident) {
      tokens.push({ kind: 'ident', value: ident[0], at: i });
      i += ident[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (!op) throw filterError(`unexpected character ${JSON.stringify(c)}`, i, text);
    tokens.push({ kind: 'op', value: op, at: i });
    i += op.length;
  }
  tokens.push({ kind: 'end', at: text.length });
  return tokens;
}

type Getter = (row: RunRow) => CellValue;
type Predicate = (row: RunRow) => boolean;

const ALIASES: Record<string, string> = { branch: 'experiment', started: 'startedAt', duration: 'durationMs' };

/** A field path: `params.<key>`, `metrics.<key>`, a run field, or a bare metric/param key. */
function fieldGetter(path: string): Getter {
  const m = /^(params|metrics)(?:\.(.+))?$/.exec(path);
  if (m && m[2] !== undefined) {
    const key = m[2];
    return m[1] === 'params' ? (row) => row.params[key] : (row) => row.metrics[key];
  }
  const field = ALIASES[path] ?? path;
  if (['id', 'name', 'experiment', 'status', 'startedAt', 'durationMs', 'command', 'starred'].includes(field)) return (row) => columnValue(row, field);
  return (row) => (path in row.metrics ? row.metrics[path] : row.params[path]);
}

function truthy(v: CellValue): boolean {
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== '' && !(typeof v === 'number' && Number.isNaN(v));
}

function compareOp(op: string, a: CellValue, b: CellValue): boolean {
  if (op === '==' || op === '=') return a === b || (a === undefined && b === null) || (typeof a === 'number' && typeof b === 'string' && String(a) === b);
  if (op === '!=') return !compareOp('==', a, b);
  if (op === '~' || op === '!~') {
    const hit = a !== undefined && a !== null && String(a).toLowerCase().includes(String(b ?? '').toLowerCase());
    return op === '~' ? hit : !hit;
  }
  if (a === undefined || a === null || b === undefined || b === null) return false;
  let x: number | string = a as number | string;
  let y: number | string = b as number | string;
  if (typeof x === 'number' || typeof y === 'number') {
    x = Number(x);
    y = Number(y);
    if (Number.isNaN(x) || Number.isNaN(y)) return false;
  } else {
    x = String(x);
    y = String(y);
  }
  switch (op) {
    case '>':
      return x > y;
    case '>=':
      return x >= y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    default:
      return false;
  }
}

/** Compiles a filter expression to a predicate over rows; an empty expression keeps every row. Errors say where. */
export function compileFilter(text: string): Predicate {
  if (text.length > 2000) throw filterError('the expression is too long (over 2000 characters)', 0, text);
  if (text.trim() === '') return () => true;
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos]!;
  const isOp = (value: string) => {
    const t = peek();
    return (t.kind === 'op' && t.value === value) || (t.kind === 'ident' && t.value.toLowerCase() === value);
  };
  const expect = (value: string) => {
    if (!isOp(value)) throw filterError(`expected "${value}"`, peek().at, text);
    pos++;
  };

  const operand = (): Getter | Predicate => {
    const t = peek();
    if (t.kind === 'op' && t.value === '(') {
      pos++;
      const inner = orExpr();
      expect(')');
      return inner;
    }
    pos++;
    if (t.kind === 'num') return () => t.value;
    if (t.kind === 'str') return () => t.value;
    if (t.kind === 'ident') {
      const lower = t.value.toLowerCase();
      if (lower === 'true') return () => true;
      if (lower === 'false') return () => false;
      if (lower === 'null') return () => null;
      let path = t.value;
      // params["key with spaces"], metrics['a b']
      while (peek().kind === 'op' && (peek() as { value: string }).value === '[') {
        pos++;
        const key = peek();
        if (key.kind !== 'str') throw filterError('expected a quoted key inside [ ]', key.at, text);
        pos++;
        expect(']');
        path = `${path}.${key.value}`;
      }
      return fieldGetter(path);
    }
    throw filterError(t.kind === 'end' ? 'the expression ends too early' : `unexpected "${(t as { value: string }).value}"`, t.at, text);
  };

  const comparison = (): Predicate => {
    const left = operand();
    const t = peek();
    if (t.kind === 'op' && ['>', '>=', '<', '<=', '==', '=', '!=', '~', '!~'].includes(t.value)) {
      pos++;
      const right = operand();
      const op = t.value;
      return (row) => compareOp(op, left(row) as CellValue, right(row) as CellValue);
    }
    return (row) => truthy(left(row) as CellValue);
  };

  const notExpr = (): Predicate => {
    if (isOp('!') || isOp('not')) {
      pos++;
      const inner = notExpr();
      return (row) => !inner(row);
    }
    return comparison();
  };

  const andExpr = (): Predicate => {
    let left = notExpr();
    while (isOp('&&') || isOp('and')) {
      pos++;
      const a = left;
      const b = notExpr();
      left = (row) => a(row) && b(row);
    }
    return left;
  };

  function orExpr(): Predicate {
    let left = andExpr();
    while (isOp('||') || isOp('or')) {
      pos++;
      const a = left;
      const b = andExpr();
      left = (row) => a(row) || b(row);
    }
    return left;
  }

  const predicate = orExpr();
  if (peek().kind !== 'end') throw filterError(`unexpected "${(peek() as { value: string }).value}"`, peek().at, text);
  return predicate;
}
