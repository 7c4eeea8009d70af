import type { RunRecord } from '../core/runs/types';
import { formatBytes } from '../core/util/format';
import { commandText } from '../core/runs/commandText';

/** Plain-text table with aligned columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6 ? value.toFixed(4).replace(/0+$/, '').replace(/\.$/, '') : value.toExponential(3);
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** The metric shown for a run in lists: the configured key metric, else the first one. */
export function keyMetricOf(run: RunRecord, key: string | undefined): [string, number] | null {
  if (key && key in run.metrics) return [key, run.metrics[key]!];
  const first = Object.entries(run.metrics)[0];
  return first ?? null;
}

export function describeRun(run: RunRecord): string {
  const out: string[] = [];
  const section = (title: string) => out.push('', title);
  out.push(`Run ${run.id}  ${run.name !== run.id ? `"${run.name}"  ` : ''}${run.status}${run.exitCode !== null ? ` (exit ${run.exitCode})` : ''}${run.signal ? ` (${run.signal})` : ''}`);
  out.push(`  experiment  ${run.experiment ?? '(detached HEAD)'}`);
  out.push(`  command     ${commandText(run.command)}`);
  if (run.redactedArguments?.length) out.push(`  redacted    ${run.redactedArguments.map((r) => r.argument).join(', ')} (secret values not recorded; a reproduction reads them from PROVENANT_SECRET_<NAME>)`);
  out.push(`  started     ${run.startedAt}   duration ${formatDuration(run.durationMs)}   by ${run.user}@${run.host}`);
  if (run.note) out.push(`  note        ${run.note}`);
  section('Code');
  out.push(`  base commit ${run.code.baseCommit ?? '(none)'}`);
  out.push(`  snapshot    ${run.code.snapshotCommit}  (${run.code.snapshotRef})`);
  out.push(`  uncommitted ${run.code.dirty ? `${run.code.changedFiles.length} file(s)` : 'none'}`);
  for (const f of run.code.changedFiles.slice(0, 20)) out.push(`    ${f.change.padEnd(8)} ${f.path}`);
  if (run.code.changedFiles.length > 20) out.push(`    … and ${run.code.changedFiles.length - 20} more`);
  section('Seeds');
  out.push(`  root        ${run.seeds.root} (from ${run.seeds.source}${run.seeds.source === 'params' && run.seeds.param ? `: ${run.seeds.param.file} ${run.seeds.param.key}` : ''})`);
  if (run.seeds.param && run.seeds.source !== 'params') out.push(`  declared    ${run.seeds.param.key} = ${run.seeds.param.value} (${run.seeds.param.file})`);
  out.push(`  seeded      ${run.seeds.seeded.length ? run.seeds.seeded.join(', ') : 'nothing reported by the script'}`);
  section('Data');
  if (run.data.length === 0) out.push('  (no data dependencies configured)');
  for (const d of run.data) out.push(`  ${d.path}  ${d.md5}  ${formatBytes(d.size)}${d.nfiles !== undefined ? `  ${d.nfiles} files` : ''}`);
  section('Environment');
  const env = run.environment;
  out.push(`  python      ${env.python ? `${env.python.implementation} ${env.python.version} (${env.python.executable})` : `not captured: ${env.pythonError ?? 'unknown'}`}`);
  if (env.interpreter) out.push(`  interpreter ${env.interpreter.path} (${{ command: 'named by the command', shebang: "the script's #! line", configured: 'configured', default: 'python3 on PATH' }[env.interpreter.source]})`);
  out.push(`  packages    ${Object.keys(env.packages).length}`);
  out.push(`  lockfiles   ${Object.keys(env.lockfiles).join(', ') || 'none'}`);
  out.push(`  system      ${env.os.distro ?? env.os.platform} ${env.os.arch}, ${env.cpu.cores} × ${env.cpu.model}, ${formatBytes(env.memoryBytes)}${env.gpus.length ? `, ${env.gpus.map((g) => g.name).join(', ')}` : ''}`);
  out.push(`  fingerprint ${env.fingerprint.slice(0, 16)}`);
  section('Params');
  const params = Object.entries(run.params);
  if (params.length === 0) out.push('  (none)');
  for (const [k, v] of params) out.push(`  ${k} = ${JSON.stringify(v)}`);
  section('Metrics');
  const metrics = Object.entries(run.metrics);
  if (metrics.length === 0) out.push('  (none)');
  for (const [k, v] of metrics) out.push(`  ${k} = ${formatNumber(v)}`);
  if (run.predictions.length) {
    section('Predictions');
    for (const p of run.predictions) out.push(`  ${p.name}: ${p.rows} rows (${p.file}; features ${p.features.join(', ') || '—'})`);
  }
  if (run.artifacts.length) {
    section('Artifacts');
    for (const a of run.artifacts) out.push(`  ${a.path}  ${a.md5}  ${formatBytes(a.size)}`);
  }
  return out.join('\n');
}
