import type { RunRecord } from './types';

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
          command: r.command.join(' '),
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
