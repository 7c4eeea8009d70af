import type { RunRecord } from './types';
import { ProvenantError } from '../util/errors';
import { commandText } from './commandText';

/**
 * What differs between two or more runs: params, metrics, seeds, data, environment and code.
 * Pure data, shared by the read-only comparison document and the compare panel.
 */
export type CompareSection = 'code' | 'params' | 'metrics' | 'seeds' | 'data' | 'environment';

export interface CompareRow {
  key: string;
  /** One value per run, in the order of `runs`; null where the run has none. */
  values: (string | number | boolean | null)[];
  differs: boolean;
}

export interface RunComparison {
  runs: { id: string; name: string; experiment: string | null; status: RunRecord['status']; startedAt: string }[];
  sections: { section: CompareSection; rows: CompareRow[] }[];
}

type Value = string | number | boolean | null;

function rows(runs: RunRecord[], pick: (run: RunRecord) => Record<string, Value>): CompareRow[] {
  const maps = runs.map(pick);
  const keys = [...new Set(maps.flatMap((m) => Object.keys(m)))].sort();
  return keys.map((key) => {
    const values = maps.map((m) => (key in m ? m[key]! : null));
    const first = JSON.stringify(values[0]);
    return { key, values, differs: values.some((v) => JSON.stringify(v) !== first) };
  });
}

export function compareRuns(runs: RunRecord[]): RunComparison {
  return {
    runs: runs.map((r) => ({ id: r.id, name: r.name, experiment: r.experiment, status: r.status, startedAt: r.startedAt })),
    sections: [
      {
        section: 'code',
        rows: rows(runs, (r) => ({
          experiment: r.experiment,
          'base commit': r.code.baseCommit,
          'snapshot commit': r.code.snapshotCommit,
          'uncommitted files': r.code.changedFiles.map((f) => `${f.change} ${f.path}`).join(', ') || null,
          command: commandText(r.command),
        })),
      },
      { section: 'params', rows: rows(runs, (r) => r.params) },
      { section: 'metrics', rows: rows(runs, (r) => r.metrics) },
      {
        section: 'seeds',
        rows: rows(runs, (r) => ({ root: r.seeds.root, source: r.seeds.source, seeded: r.seeds.seeded.join(', ') || null, ...Object.fromEntries(Object.entries(r.seeds.env).map(([k, v]) => [`env ${k}`, v])) })),
      },
      { section: 'data', rows: rows(runs, (r) => Object.fromEntries(r.data.map((d) => [d.path, d.md5]))) },
      {
        section: 'environment',
        rows: rows(runs, (r) => ({
          fingerprint: r.environment.fingerprint,
          python: r.environment.python ? `${r.environment.python.implementation} ${r.environment.python.version}` : null,
          os: `${r.environment.os.distro ?? r.environment.os.platform} ${r.environment.os.arch}`,
          ...Object.fromEntries(Object.entries(r.environment.packages).map(([k, v]) => [`package ${k}`, v])),
          ...Object.fromEntries(Object.entries(r.environment.lockfiles).map(([k, v]) => [`lockfile ${k}`, v])),
        })),
      },
    ],
  };
}

function show(value: Value): string {
  if (value === null) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return String(value);
}

/** Plain-text rendering: one block per section, a row per key, `≠` marking differences. */
export function renderComparison(comparison: RunComparison, options: { differencesOnly?: boolean } = {}): string {
  const out: string[] = ['Provenant: run comparison (read-only)', ''];
  comparison.runs.forEach((r, i) => out.push(`  [${i + 1}] ${r.id}  ${r.name !== r.id ? `"${r.name}"  ` : ''}${r.experiment ?? '(detached)'}  ${r.status}  ${r.startedAt.replace('T', ' ').slice(0, 19)}`));
  for (const { section, rows: all } of comparison.sections) {
    const shown = options.differencesOnly ? all.filter((r) => r.differs) : all;
    const differing = all.filter((r) => r.differs).length;
    out.push('', `## ${section} (${differing} of ${all.length} differ)`);
    if (shown.length === 0) {
      out.push(all.length ? '  (all equal)' : '  (none)');
      continue;
    }
    const width = Math.min(40, Math.max(...shown.map((r) => r.key.length)));
    for (const row of shown) {
      out.push(`${row.differs ? '≠' : ' '} ${row.key.padEnd(width)}  ${row.values.map((v, i) => `[${i + 1}] ${show(v)}`).join('   ')}`);
    }
  }
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// The full comparison: `provenant compare --json` and the compare panel. Names are a contract.
// ---------------------------------------------------------------------------------------------

/** A row of params, metrics or seeds: one value per run (in the order of `runs`). */
export interface ComparedRow {
  key: string;
  values: Value[];
  differs: boolean;
}

/** A metric row: plus the difference of each run's value to the first run's (null when either is missing). */
export interface ComparedMetric extends ComparedRow {
  deltas: (number | null)[];
}

/** A data dependency: its version in each run and, for folders, which files inside changed. */
export interface ComparedData {
  path: string;
  /** md5 (folders: `….dir`) per run; null where the run did not record this path. */
  versions: (string | null)[];
  /** Files inside the folder, relative to it, compared with the first run that has it. */
  added: string[];
  removed: string[];
  modified: string[];
  differs: boolean;
  /** Why the file lists are empty although versions differ (e.g. "manifest not in cache"), else null. */
  note: string | null;
}

/** A package in the environments: its version per run (null where absent). */
export interface ComparedPackage {
  name: string;
  values: (string | null)[];
}

export interface ComparedEnvironment {
  /** Absent in the first run, present in another. */
  added: ComparedPackage[];
  /** Present in the first run, absent in another. */
  removed: ComparedPackage[];
  /** Present in every run, with different versions. */
  changed: ComparedPackage[];
  /** Interpreter, OS, CPU, GPUs, memory, lock files, fingerprint. */
  system: ComparedRow[];
}

export interface ComparedFile {
  path: string;
  /** Relative to the first run: added (absent there), deleted (absent in another run), modified. */
  change: 'added' | 'modified' | 'deleted';
  /** Blob id of the file in each run's code snapshot; null where absent. */
  blobs: (string | null)[];
}

export interface ComparedCode {
  /** Each run's snapshot commit (null when this repository does not have it). */
  snapshots: (string | null)[];
  files: ComparedFile[];
  /** Set when a snapshot could not be read or the list was cut. */
  note: string | null;
}

export interface ComparedRunSummary {
  id: string;
  name: string;
  experiment: string | null;
  status: RunRecord['status'];
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  command: string[];
  baseCommit: string | null;
  dirty: boolean;
}

export interface FullComparison {
  runs: string[];
  summary: ComparedRunSummary[];
  params: ComparedRow[];
  metrics: ComparedMetric[];
  seeds: ComparedRow[];
  data: ComparedData[];
  environment: ComparedEnvironment;
  code: { files: ComparedFile[]; snapshots: (string | null)[]; note: string | null };
}

export interface FullCompareOptions {
  /** Reads a `.dir` manifest (`md5.dir`) from the DVC cache, or null when it is not there. */
  readManifest?: (oid: string) => Promise<import('../data/dirManifest').DirEntry[] | null>;
  /** Most code files listed (default 5000). */
  maxFiles?: number;
}

/** Sorts keys, keeps numbers as they are (NaN and infinities included: JSON turns them into null). */
function valueRows(runs: RunRecord[], pick: (run: RunRecord) => Record<string, Value>): ComparedRow[] {
  return rows(runs, pick).map((r) => ({ key: r.key, values: r.values, differs: r.differs }));
}

function metricRows(runs: RunRecord[]): ComparedMetric[] {
  return valueRows(runs, (r) => r.metrics).map((row) => {
    const base = row.values[0];
    const deltas = row.values.map((v) => (typeof v === 'number' && typeof base === 'number' && Number.isFinite(v) && Number.isFinite(base) ? v - base : null));
    return { ...row, deltas };
  });
}

function seedRows(runs: RunRecord[]): ComparedRow[] {
  return valueRows(runs, (r) => ({
    root: r.seeds.root,
    source: r.seeds.source,
    seeded: r.seeds.seeded.join(', ') || null,
    ...Object.fromEntries(Object.entries(r.seeds.env).map(([k, v]) => [`env ${k}`, v])),
  }));
}

function environmentOf(runs: RunRecord[]): ComparedEnvironment {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.environment.packages)))].sort((a, b) => a.localeCompare(b));
  const env: ComparedEnvironment = { added: [], removed: [], changed: [], system: [] };
  for (const name of names) {
    const values = runs.map((r) => r.environment.packages[name] ?? null);
    const item = { name, values };
    if (values[0] === null) env.added.push(item);
    else if (values.some((v) => v === null)) env.removed.push(item);
    else if (values.some((v) => v !== values[0])) env.changed.push(item);
  }
  env.system = valueRows(runs, (r) => {
    const e = r.environment;
    return {
      interpreter: e.python ? `${e.python.implementation} ${e.python.version}` : `not captured${e.pythonError ? `: ${e.pythonError}` : ''}`,
      'interpreter path': e.python?.executable ?? null,
      os: `${e.os.distro ?? e.os.platform} (${e.os.platform} ${e.os.release}, ${e.os.arch})`,
      cpu: `${e.cpu.model} × ${e.cpu.cores}`,
      gpus: e.gpus.map((g) => `${g.name} (driver ${g.driver}${g.cuda ? `, CUDA ${g.cuda}` : ''})`).join(', ') || 'none',
      memory: e.memoryBytes,
      node: e.node,
      fingerprint: e.fingerprint,
      ...Object.fromEntries(Object.entries(e.lockfiles).map(([k, v]) => [`lockfile ${k}`, v])),
    };
  });
  return env;
}

async function dataOf(runs: RunRecord[], readManifest: FullCompareOptions['readManifest']): Promise<ComparedData[]> {
  const paths = [...new Set(runs.flatMap((r) => r.data.map((d) => d.path)))].sort();
  const out: ComparedData[] = [];
  for (const path of paths) {
    const versions = runs.map((r) => r.data.find((d) => d.path === path)?.md5 ?? null);
    const present = versions.filter((v): v is string => v !== null);
    const differs = versions.some((v) => v !== versions[0]);
    const item: ComparedData = { path, versions, added: [], removed: [], modified: [], differs, note: null };
    out.push(item);
    if (!differs || present.length < 2) continue;
    if (!present.every((v) => v.endsWith('.dir'))) {
      if (present.some((v) => v.endsWith('.dir'))) item.note = 'a file in one run, a folder in another';
      continue;
    }
    if (!readManifest) {
      item.note = 'manifest not in cache';
      continue;
    }
    const manifests = new Map<string, Map<string, string> | null>();
    for (const oid of new Set(present)) {
      const entries = await readManifest(oid);
      manifests.set(oid, entries ? new Map(entries.map((e) => [e.relpath, e.md5])) : null);
    }
    const missing = [...manifests].filter(([, m]) => m === null).map(([oid]) => oid);
    if (missing.length) {
      item.note = `manifest not in cache (${missing.join(', ')})`;
      continue;
    }
    const base = manifests.get(present[0]!)!;
    const added = new Set<string>();
    const removed = new Set<string>();
    const modified = new Set<string>();
    for (const oid of present.slice(1)) {
      const other = manifests.get(oid)!;
      for (const [rel, md5] of other) {
        const before = base.get(rel);
        if (before === undefined) added.add(rel);
        else if (before !== md5) modified.add(rel);
      }
      for (const rel of base.keys()) if (!other.has(rel)) removed.add(rel);
    }
    item.added = [...added].sort();
    item.removed = [...removed].sort();
    item.modified = [...modified].sort();
  }
  return out;
}

async function codeOf(root: string, runs: RunRecord[], maxFiles: number): Promise<ComparedCode> {
  const [{ git, fs }, { diffTrees }] = await Promise.all([import('../git/repo'), import('../git/trees')]);
  const notes: string[] = [];
  const trees: (string | null)[] = [];
  const snapshots: (string | null)[] = [];
  for (const run of runs) {
    try {
      const { commit } = await git.readCommit({ fs, dir: root, oid: run.code.snapshotCommit });
      trees.push(commit.tree);
      snapshots.push(run.code.snapshotCommit);
    } catch {
      trees.push(null);
      snapshots.push(null);
      notes.push(`the code snapshot ${run.code.snapshotCommit.slice(0, 12)} of run ${run.id} is not in this repository (fetch refs/provenant/runs/*)`);
    }
  }
  const paths = new Map<string, true>();
  const base = trees[0] ?? null;
  if (base !== null) {
    for (let i = 1; i < trees.length; i++) {
      const other = trees[i];
      if (other === null || other === undefined) continue;
      for (const change of await diffTrees(root, base, other)) paths.set(change.path, true);
    }
  }
  let list = [...paths.keys()].sort();
  if (list.length > maxFiles) {
    notes.push(`${list.length} files differ; the first ${maxFiles} are listed`);
    list = list.slice(0, maxFiles);
  }
  const files: ComparedFile[] = [];
  for (const path of list) {
    const blobs: (string | null)[] = [];
    for (const commit of snapshots) {
      if (commit === null) {
        blobs.push(null);
        continue;
      }
      try {
        const { oid } = await git.readBlob({ fs, dir: root, oid: commit, filepath: path });
        blobs.push(oid);
      } catch {
        blobs.push(null);
      }
    }
    const change: ComparedFile['change'] = blobs[0] === null ? 'added' : blobs.some((b, i) => b === null && snapshots[i] !== null) ? 'deleted' : 'modified';
    files.push({ path, change, blobs });
  }
  return { snapshots, files, note: notes.length ? notes.join('; ') : null };
}

/** Everything that differs between two or more runs (the first run is the baseline of deltas and file lists). */
export async function compareRunsFull(root: string, runs: RunRecord[], options: FullCompareOptions = {}): Promise<FullComparison> {
  if (runs.length < 2) throw new ProvenantError(`a comparison needs two or more runs, got ${runs.length}`, { hint: 'Name two or more runs: provenant compare <run> <run>…', code: 'E_USAGE' });
  const ids = runs.map((r) => r.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new ProvenantError(`run ${twice} is named twice`, { hint: 'Name each run once.', code: 'E_USAGE' });
  return {
    runs: ids,
    summary: runs.map((r) => ({
      id: r.id,
      name: r.name,
      experiment: r.experiment,
      status: r.status,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      durationMs: r.durationMs,
      command: r.command,
      baseCommit: r.code.baseCommit,
      dirty: r.code.dirty,
    })),
    params: valueRows(runs, (r) => r.params),
    metrics: metricRows(runs),
    seeds: seedRows(runs),
    data: await dataOf(runs, options.readManifest),
    environment: environmentOf(runs),
    code: await codeOf(root, runs, options.maxFiles ?? 5000),
  };
}

/** How many entries of each part differ (for headings and the summary line). */
export function differenceCounts(c: FullComparison): Record<'params' | 'metrics' | 'seeds' | 'data' | 'environment' | 'code', number> {
  return {
    params: c.params.filter((r) => r.differs).length,
    metrics: c.metrics.filter((r) => r.differs).length,
    seeds: c.seeds.filter((r) => r.differs).length,
    data: c.data.filter((d) => d.differs).length,
    environment: c.environment.added.length + c.environment.removed.length + c.environment.changed.length + c.environment.system.filter((r) => r.differs).length,
    code: c.code.files.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Tables for export: CSV and Markdown (the CLI's --md, the panel's Export)
// ---------------------------------------------------------------------------------------------

export interface ExportTable {
  title: string;
  header: string[];
  rows: string[][];
}

function cellText(value: Value | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
  return String(value);
}

/** The comparison as plain tables (one per part); `differencesOnly` keeps the differing rows. */
export function comparisonTables(c: FullComparison, options: { differencesOnly?: boolean } = {}): ExportTable[] {
  const only = options.differencesOnly ?? false;
  const labels = c.summary.map((r) => (r.name && r.name !== r.id ? `${r.name} (${r.id})` : r.id));
  const keep = <T extends { differs: boolean }>(list: T[]) => (only ? list.filter((r) => r.differs) : list);
  const tables: ExportTable[] = [
    {
      title: 'Runs',
      header: ['run', 'experiment', 'status', 'started', 'duration ms', 'base commit', 'uncommitted changes', 'command'],
      rows: c.summary.map((r, i) => [labels[i]!, r.experiment ?? '', r.status, r.startedAt, cellText(r.durationMs), r.baseCommit ?? '', r.dirty ? 'yes' : 'no', commandText(r.command)]),
    },
    { title: 'Params', header: ['param', ...labels], rows: keep(c.params).map((r) => [r.key, ...r.values.map(cellText)]) },
    {
      title: 'Metrics',
      header: ['metric', ...labels, ...labels.slice(1).map((l) => `Δ ${l}`)],
      rows: keep(c.metrics).map((r) => [r.key, ...r.values.map(cellText), ...r.deltas.slice(1).map(cellText)]),
    },
    { title: 'Seeds', header: ['seed', ...labels], rows: keep(c.seeds).map((r) => [r.key, ...r.values.map(cellText)]) },
    {
      title: 'Data',
      header: ['path', ...labels, 'added', 'removed', 'modified', 'note'],
      rows: keep(c.data).map((d) => [d.path, ...d.versions.map(cellText), d.added.join(' '), d.removed.join(' '), d.modified.join(' '), d.note ?? '']),
    },
    {
      title: 'Environment',
      header: ['package or field', 'change', ...labels],
      rows: [
        ...c.environment.added.map((p) => [p.name, 'added', ...p.values.map(cellText)]),
        ...c.environment.removed.map((p) => [p.name, 'removed', ...p.values.map(cellText)]),
        ...c.environment.changed.map((p) => [p.name, 'changed', ...p.values.map(cellText)]),
        ...keep(c.environment.system).map((r) => [r.key, r.differs ? 'differs' : 'same', ...r.values.map(cellText)]),
      ],
    },
    { title: 'Code', header: ['file', 'change', ...labels], rows: c.code.files.map((f) => [f.path, f.change, ...f.blobs.map((b) => (b ? b.slice(0, 12) : ''))]) },
  ];
  return tables;
}

/** RFC 4180 CSV: one block per table, a `# title` line before each, blocks separated by a blank line. */
export function comparisonCsv(c: FullComparison, options: { differencesOnly?: boolean } = {}): string {
  const quote = (s: string) => (/[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  // A cell starting with = + - @ is a formula to a spreadsheet: prefix it so it stays text.
  const safe = (s: string) => (/^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s);
  return comparisonTables(c, options)
    .map((t) => [`# ${t.title}`, [t.header, ...t.rows].map((r) => r.map((x) => quote(safe(x))).join(',')).join('\r\n')].join('\r\n'))
    .join('\r\n\r\n')
    .concat('\r\n');
}

/** GitHub-flavoured Markdown: pipes and newlines escaped, HTML-significant characters as entities. */
export function comparisonMarkdown(c: FullComparison, options: { differencesOnly?: boolean } = {}): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, ' ').replace(/`/g, '\\`');
  const counts = differenceCounts(c);
  const out = [`# Comparison of ${c.runs.length} runs`, '', `Differences: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}.`];
  for (const t of comparisonTables(c, options)) {
    out.push('', `## ${t.title}`, '');
    if (t.rows.length === 0) {
      out.push(options.differencesOnly ? '_No differences._' : '_None._');
      continue;
    }
    out.push(`| ${t.header.map(esc).join(' | ')} |`, `|${t.header.map(() => ' --- ').join('|')}|`, ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`));
  }
  if (c.code.note) out.push('', `> ${esc(c.code.note)}`);
  return `${out.join('\n')}\n`;
}

/** Plain text for a terminal: the parts with their differing rows marked `≠`. */
export function comparisonText(c: FullComparison, options: { differencesOnly?: boolean } = {}): string {
  const out: string[] = [];
  for (const t of comparisonTables(c, options)) {
    out.push(`## ${t.title}${t.rows.length === 0 ? (options.differencesOnly ? ' (no differences)' : ' (none)') : ''}`);
    if (t.rows.length === 0) {
      out.push('');
      continue;
    }
    const widths = t.header.map((h, i) => Math.min(48, Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length))));
    const line = (cells: string[]) => cells.map((x, i) => (x.length > widths[i]! ? `${x.slice(0, widths[i]! - 1)}…` : x.padEnd(widths[i]!))).join('  ').trimEnd();
    out.push(line(t.header), line(widths.map((w) => '-'.repeat(w))), ...t.rows.map(line), '');
  }
  if (c.code.note) out.push(`note: ${c.code.note}`);
  return `${out.join('\n')}\n`;
}
