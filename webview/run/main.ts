// The "Run details" panel (viewType `provenant.run`). Receives `showRun` / `error` from the host
// (see src/shared/messages.ts) and renders the run with DOM APIs only: every workspace string
// goes through text nodes or attribute setters, never through HTML parsing.
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import {
  Chart,
  Decimation,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import type { MetricPoint, ParamValue, RunRecord, RunStatus } from '../../src/core/runs/types';
import {
  describeMessage,
  isPlainObject,
  isRunId,
  isRunPanelHostMessage,
  type RunPanelWebviewMessage,
} from '../../src/shared/messages';
import { applyChartColors, smooth } from '../common/charts';
import { h, smoothingSlider, themeColors as baseThemeColors, withAlpha, type Child, type VsCodeApi } from '../common/dom';

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Legend, Decimation);

// ---------------------------------------------------------------------------------------------
// VS Code API and persisted UI state
// ---------------------------------------------------------------------------------------------

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

/** Small UI state kept by VS Code across hide/show and reloads; `runId` also feeds the serializer. */
interface UiState {
  runId?: string;
  packageFilter: string;
  /** EMA weight of the metric curves, 0 (raw) … 0.99. */
  smoothing: number;
}

function readState(): UiState {
  const saved: unknown = vscode.getState();
  const state: UiState = { packageFilter: '', smoothing: 0.6 };
  if (!isPlainObject(saved)) return state;
  if (isRunId(saved.runId)) state.runId = saved.runId;
  if (typeof saved.packageFilter === 'string') state.packageFilter = saved.packageFilter.slice(0, 200);
  if (typeof saved.smoothing === 'number' && saved.smoothing >= 0 && saved.smoothing <= 0.99) state.smoothing = saved.smoothing;
  return state;
}

const ui = readState();

function saveState(): void {
  vscode.setState({ ...ui });
}

function send(message: RunPanelWebviewMessage): void {
  vscode.postMessage(message);
}

// ---------------------------------------------------------------------------------------------
// DOM helpers (text only)
// ---------------------------------------------------------------------------------------------

function muted(text: string): HTMLElement {
  return h('p', { className: 'muted' }, text);
}

function mono(text: string, className = ''): HTMLElement {
  return h('code', { className: `mono ${className}`.trim() }, text);
}

/** A scrollable cell body, so one huge value cannot blow up the layout. */
function cell(content: Child, className = ''): HTMLTableCellElement {
  return h('td', {}, h('div', { className: `cell ${className}`.trim() }, content));
}

interface Column {
  label: string;
  className?: string;
}

function table(caption: string, columns: Column[], rows: Child[][], className = ''): HTMLElement {
  const head = h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { className: c.className ?? '', attrs: { scope: 'col' } }, c.label))));
  const body = h('tbody', {});
  for (const row of rows) body.appendChild(h('tr', {}, ...row.map((value, i) => cell(value, columns[i]?.className ?? ''))));
  return h('div', { className: 'table-wrap' }, h('table', { className }, h('caption', { className: 'visually-hidden' }, caption), head, body));
}

/** A definition list of label → value; values that are null/undefined are skipped. */
function facts(entries: [string, Child][]): HTMLElement {
  const dl = h('dl', { className: 'facts' });
  for (const [label, value] of entries) {
    if (value === null || value === undefined || value === false) continue;
    dl.append(h('dt', {}, label), h('dd', {}, h('div', { className: 'cell' }, value)));
  }
  return dl;
}

function section(id: string, title: string, ...children: Child[]): HTMLElement {
  const headingId = `${id}-title`;
  return h('section', { id, attrs: { 'aria-labelledby': headingId } }, h('h2', { id: headingId }, title), ...children);
}

function button(label: string, onClick: () => void, secondary = false): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  if (secondary) b.setAttribute('secondary', '');
  b.addEventListener('click', onClick);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

function sized(bytes: number): HTMLElement {
  return h('span', { attrs: { title: `${bytes.toLocaleString('en-US')} bytes` } }, formatBytes(bytes));
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const totalSeconds = ms / 1000;
  if (totalSeconds < 60) return `${totalSeconds.toFixed(1)} s`;
  const s = Math.round(totalSeconds);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return hours > 0 ? `${hours} h ${pad(minutes)} min ${pad(seconds)} s` : `${minutes} min ${pad(seconds)} s`;
}

function timestamp(iso: string): HTMLElement {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h('span', {}, iso);
  return h('time', { attrs: { datetime: date.toISOString(), title: iso } }, date.toLocaleString());
}

/** argv as a shell would need it typed (for reading and copying, never executed here). */
function formatCommand(argv: string[]): string {
  return argv.map((arg) => (arg !== '' && /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function formatNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : value > 0 ? '+Infinity' : value < 0 ? '-Infinity' : 'NaN';
}

function paramType(value: ParamValue): string {
  return value === null ? 'null' : typeof value;
}

function paramText(value: ParamValue): string {
  return value === null ? 'null' : typeof value === 'number' ? formatNumber(value) : String(value);
}

const STATUS_LABEL: Record<RunStatus, string> = {
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  interrupted: 'interrupted',
};

// ---------------------------------------------------------------------------------------------
// Charts
// ---------------------------------------------------------------------------------------------

interface Series {
  name: string;
  points: { x: number; y: number }[];
}

interface ThemeColors {
  line: string;
  raw: string;
  text: string;
  grid: string;
  font: string;
  tooltipBg: string;
  tooltipFg: string;
  tooltipBorder: string;
}

interface ChartEntry {
  chart: Chart<'line', { x: number; y: number }[]>;
  series: Series;
}

let charts: ChartEntry[] = [];
/** Canvases rendered but not yet attached to the document; their charts are made in render(). */
let queueCharts: [HTMLCanvasElement, Series][] = [];

/** The shared theme colours, with the metric line (charts-blue) and its faint raw version. */
function themeColors(): ThemeColors {
  const colors = baseThemeColors();
  const line = colors.series[0]!;
  return {
    line,
    raw: colors.highContrast ? line : withAlpha(line, 0.35),
    text: colors.text,
    grid: colors.grid,
    font: colors.font,
    tooltipBg: colors.tooltipBg,
    tooltipFg: colors.tooltipFg,
    tooltipBorder: colors.tooltipBorder,
  };
}

/** History grouped by metric, sorted by step; points without a step keep their recorded order. */
function seriesByMetric(history: MetricPoint[]): Map<string, Series> {
  const byName = new Map<string, { step: number | null; value: number; order: number }[]>();
  history.forEach((p, order) => {
    const list = byName.get(p.name) ?? [];
    list.push({ step: p.step, value: p.value, order });
    byName.set(p.name, list);
  });
  const result = new Map<string, Series>();
  for (const [name, list] of byName) {
    const allStepped = list.every((p) => p.step !== null);
    const sorted = allStepped ? [...list].sort((a, b) => a.step! - b.step! || a.order - b.order) : list;
    result.set(name, {
      name,
      points: sorted.map((p, i) => ({ x: allStepped ? p.step! : i, y: Number.isFinite(p.value) ? p.value : Number.NaN })),
    });
  }
  return result;
}

function datasets(series: Series, colors: ThemeColors): ChartDataset<'line', { x: number; y: number }[]>[] {
  const base = { pointRadius: series.points.length > 40 ? 0 : 2, pointHoverRadius: 4, borderWidth: 2, tension: 0, spanGaps: false };
  if (ui.smoothing <= 0) return [{ ...base, label: series.name, data: series.points, borderColor: colors.line, backgroundColor: colors.line }];
  return [
    { ...base, label: 'raw', data: series.points, borderColor: colors.raw, backgroundColor: colors.raw, borderWidth: 1, pointRadius: 0 },
    { ...base, label: `smoothed (${ui.smoothing.toFixed(2)})`, data: smooth(series.points, ui.smoothing), borderColor: colors.line, backgroundColor: colors.line },
  ];
}

function applyChartTheme(entry: ChartEntry, colors: ThemeColors): void {
  const { chart } = entry;
  applyChartColors(chart, colors);
  const options = chart.options;
  const legend = options.plugins?.legend;
  if (legend) legend.display = ui.smoothing > 0;
  chart.data.datasets = datasets(entry.series, colors);
  chart.update('none');
  // Observable for tests and tooling: what the chart was last drawn with.
  const canvas = chart.canvas;
  canvas.dataset.lineColor = colors.line;
  canvas.dataset.textColor = colors.text;
  canvas.dataset.draws = String(Number(canvas.dataset.draws ?? '0') + 1);
}

function createChart(canvas: HTMLCanvasElement, series: Series, colors: ThemeColors): ChartEntry {
  const chart = new Chart<'line', { x: number; y: number }[]>(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'step' }, ticks: { maxTicksLimit: 8 } },
        y: { type: 'linear', ticks: { maxTicksLimit: 6 } },
      },
      plugins: {
        legend: { display: false, position: 'bottom', labels: { boxWidth: 12, boxHeight: 2 } },
        tooltip: { borderWidth: 1, callbacks: { title: (items) => (items[0] ? `step ${items[0].parsed.x}` : '') } },
        decimation: { enabled: true, algorithm: 'lttb', samples: 500, threshold: 1000 },
      },
    },
  });
  const entry = { chart, series };
  applyChartTheme(entry, colors);
  return entry;
}

function redrawCharts(): void {
  if (charts.length === 0) return;
  const colors = themeColors();
  for (const entry of charts) applyChartTheme(entry, colors);
}

function destroyCharts(): void {
  for (const { chart } of charts) chart.destroy();
  charts = [];
}

// VS Code swaps the body class (vscode-light / vscode-dark / vscode-high-contrast[-light]) and
// the --vscode-* variables on a theme change; canvas colours must be re-read then.
new MutationObserver(() => redrawCharts()).observe(document.body, { attributes: true, attributeFilter: ['class'] });

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

function renderHeader(run: RunRecord): HTMLElement {
  const badge = document.createElement('vscode-badge');
  badge.className = `status status-${run.status}`;
  badge.textContent = STATUS_LABEL[run.status];

  const exit =
    run.exitCode !== null ? String(run.exitCode) + (run.signal ? ` (signal ${run.signal})` : '') : run.signal ? `signal ${run.signal}` : run.status === 'running' ? 'still running' : 'unknown';

  const name = h('h1', { className: 'run-name' }, run.name || '(unnamed run)');
  name.title = run.name;

  return h(
    'header',
    { className: 'run-header' },
    h('div', { className: 'title-row' }, name, h('span', { className: 'visually-hidden' }, 'Status:'), badge),
    h(
      'div',
      { className: 'actions', attrs: { role: 'toolbar', 'aria-label': 'Run actions' } },
      button('Open log', () => send({ type: 'openLog', runId: run.id })),
      button('Open run.json', () => send({ type: 'openRecord', runId: run.id }), true),
      button('Copy id', () => send({ type: 'copy', text: run.id }), true),
    ),
    facts([
      ['Id', mono(run.id)],
      ['Experiment', run.experiment === null ? h('span', { className: 'muted' }, 'none') : mono(run.experiment)],
      ['Started', timestamp(run.startedAt)],
      ['Ended', run.endedAt === null ? null : timestamp(run.endedAt)],
      ['Duration', run.durationMs === null ? (run.status === 'running' ? 'running' : 'unknown') : formatDuration(run.durationMs)],
      ['Command', mono(formatCommand(run.command), 'command')],
      ['Exit code', exit],
      ['Working directory', mono(run.cwd)],
      ['User', `${run.user}@${run.host} (pid ${run.pid})`],
      ['Note', run.note ?? null],
    ]),
  );
}

function renderCode(run: RunRecord): HTMLElement {
  const { code } = run;
  const changed = code.changedFiles.length
    ? table(
        'Files that differ from the base commit',
        [{ label: 'Change', className: 'narrow' }, { label: 'Path' }],
        code.changedFiles.map((f) => [h('span', { className: `change change-${f.change}` }, f.change), mono(f.path)]),
      )
    : null;
  return section(
    'code',
    'Code',
    facts([
      ['Base commit', code.baseCommit === null ? h('span', { className: 'muted' }, 'none (repository without commits)') : mono(code.baseCommit)],
      ['Snapshot commit', mono(code.snapshotCommit)],
      ['Snapshot ref', mono(code.snapshotRef)],
      ['Working tree', code.dirty ? h('span', { className: 'warn' }, `dirty — ${code.changedFiles.length} changed file(s), captured in the snapshot`) : 'clean'],
    ]),
    changed,
  );
}

function renderSeeds(run: RunRecord): HTMLElement {
  const { seeds } = run;
  const env = Object.entries(seeds.env);
  return section(
    'seeds',
    'Seeds',
    facts([
      ['Root seed', mono(String(seeds.root))],
      ['Source', `${{ flag: 'command-line flag', params: 'params file', generated: 'generated and recorded' }[seeds.source]}${seeds.source === 'params' && seeds.param ? ` (${seeds.param.file}: ${seeds.param.key})` : ''}`],
      ...(seeds.param && seeds.source !== 'params' ? [['Seed the run declares', h('span', {}, mono(`${seeds.param.key} = ${seeds.param.value}`), ` (${seeds.param.file})`)] as [string, HTMLElement]] : []),
      [
        'Seeded libraries',
        seeds.seeded.length ? h('span', { className: 'chips' }, ...seeds.seeded.map((lib) => h('span', { className: 'chip' }, lib))) : h('span', { className: 'warn' }, 'none recorded (seed_everything not called)'),
      ],
    ]),
    env.length
      ? table('Environment variables set for determinism', [{ label: 'Variable' }, { label: 'Value' }], env.map(([k, v]) => [mono(k), mono(v)]))
      : muted('No environment variables set for determinism.'),
  );
}

function renderData(run: RunRecord): HTMLElement {
  return section(
    'data',
    'Data',
    run.data.length
      ? table(
          'Data versions',
          [{ label: 'Path' }, { label: 'MD5', className: 'hash' }, { label: 'Size', className: 'num' }, { label: 'Files', className: 'num' }],
          run.data.map((d) => [mono(d.path), mono(d.md5), sized(d.size), d.nfiles === undefined ? '—' : d.nfiles.toLocaleString('en-US')]),
        )
      : muted('No data dependencies recorded.'),
  );
}

function renderParams(run: RunRecord): HTMLElement {
  const entries = Object.entries(run.params);
  return section(
    'params',
    'Params',
    entries.length
      ? table(
          'Parameters',
          [{ label: 'Name' }, { label: 'Value' }, { label: 'Type', className: 'narrow' }],
          entries.map(([k, v]) => [mono(k), mono(paramText(v), `param-${paramType(v)}`), h('span', { className: 'muted' }, paramType(v))]),
        )
      : muted('No params recorded.'),
  );
}

function renderMetrics(run: RunRecord, series: Map<string, Series>): HTMLElement {
  const names = [...Object.keys(run.metrics), ...[...series.keys()].filter((n) => !(n in run.metrics))];
  const rows = names.map((name) => {
    const s = series.get(name);
    const finite = (s?.points ?? []).map((p) => p.y).filter((y) => Number.isFinite(y));
    const value = run.metrics[name];
    return [
      mono(name),
      value === undefined ? h('span', { className: 'muted' }, '—') : mono(formatNumber(value)),
      s ? s.points.length : 0,
      finite.length ? mono(formatNumber(Math.min(...finite))) : '—',
      finite.length ? mono(formatNumber(Math.max(...finite))) : '—',
    ];
  });
  return section(
    'metrics',
    'Metrics',
    names.length
      ? table(
          'Metrics',
          [{ label: 'Name' }, { label: 'Final value', className: 'num' }, { label: 'Points', className: 'num' }, { label: 'Min', className: 'num' }, { label: 'Max', className: 'num' }],
          rows,
        )
      : muted('No metrics recorded.'),
  );
}

function renderCurves(series: Map<string, Series>): HTMLElement {
  const curves = [...series.values()].filter((s) => s.points.length >= 2);
  if (curves.length === 0) return section('curves', 'Metric curves', muted('No metric has two or more recorded steps.'));

  const { slider, value } = smoothingSlider(ui.smoothing, (weight) => {
    ui.smoothing = weight;
    saveState();
    redrawCharts();
  });

  const grid = h('div', { className: 'charts' });
  const pending: [HTMLCanvasElement, Series][] = [];
  for (const s of curves) {
    const finite = s.points.map((p) => p.y).filter((y) => Number.isFinite(y));
    const last = s.points[s.points.length - 1]!;
    const canvas = h('canvas', {
      attrs: {
        role: 'img',
        'aria-label': `${s.name}: ${s.points.length} points; last ${formatNumber(last.y)} at step ${last.x}` +
          (finite.length ? `; min ${formatNumber(Math.min(...finite))}, max ${formatNumber(Math.max(...finite))}` : ''),
      },
    });
    const figure = h('figure', { className: 'chart-card' }, h('figcaption', {}, h('h3', {}, s.name)), h('div', { className: 'chart-box' }, canvas));
    figure.dataset.metric = s.name;
    grid.appendChild(figure);
    pending.push([canvas, s]);
  }

  const sec = section(
    'curves',
    'Metric curves',
    h('div', { className: 'toolbar' }, h('label', { attrs: { for: 'smoothing' } }, 'Smoothing'), slider, value),
    grid,
  );
  // Charts are created once their canvases are in the document (see render()).
  queueCharts = pending;
  return sec;
}

function renderEnvironment(run: RunRecord): HTMLElement {
  const env = run.environment;
  const packages = Object.entries(env.packages).sort(([a], [b]) => a.localeCompare(b));

  const python = env.python
    ? h('span', {}, `${env.python.implementation} ${env.python.version} `, mono(env.python.executable))
    : h('span', { className: 'warn' }, `not probed${env.pythonError ? `: ${env.pythonError}` : ''}`);

  const gpus = env.gpus.length
    ? h(
        'ul',
        { className: 'plain' },
        ...env.gpus.map((g) =>
          h('li', {}, `${g.name} — driver ${g.driver}` + (g.memoryMiB !== null ? `, ${formatBytes(g.memoryMiB * 1024 * 1024)}` : '') + (g.cuda ? `, CUDA ${g.cuda}` : '')),
        ),
      )
    : 'none';

  const filter = h('input', { id: 'package-filter', className: 'filter', attrs: { type: 'search', placeholder: 'Filter packages', 'aria-controls': 'packages-table', autocomplete: 'off', spellcheck: 'false' } });
  filter.value = ui.packageFilter;
  const count = h('span', { className: 'muted', attrs: { 'aria-live': 'polite' } });
  const body = h('tbody', {});
  const showPackages = () => {
    const needle = ui.packageFilter.trim().toLowerCase();
    const shown = needle ? packages.filter(([n, v]) => n.toLowerCase().includes(needle) || v.toLowerCase().includes(needle)) : packages;
    body.replaceChildren(...shown.map(([n, v]) => h('tr', {}, cell(mono(n)), cell(mono(v)))));
    count.textContent = needle ? `${shown.length} of ${packages.length} shown` : `${packages.length} packages`;
  };
  filter.addEventListener('input', () => {
    ui.packageFilter = filter.value.slice(0, 200);
    saveState();
    showPackages();
  });
  showPackages();

  const packagesTable = h(
    'div',
    { className: 'table-wrap packages' },
    h(
      'table',
      { id: 'packages-table' },
      h('caption', { className: 'visually-hidden' }, 'Installed packages'),
      h('thead', {}, h('tr', {}, h('th', { attrs: { scope: 'col' } }, 'Package'), h('th', { attrs: { scope: 'col' } }, 'Version'))),
      body,
    ),
  );

  const variables = Object.entries(env.variables);
  const lockfiles = Object.entries(env.lockfiles);
  return section(
    'environment',
    'Environment',
    facts([
      ['Python', python],
      ...(env.interpreter ? [['Interpreter', h('span', {}, mono(env.interpreter.path), ` (${{ command: 'named by the command', shebang: "the script's #! line", configured: 'configured', default: 'python3 on PATH' }[env.interpreter.source]})`)] as [string, HTMLElement]] : []),
      ['OS', `${env.os.distro ?? env.os.platform} (${env.os.platform} ${env.os.release}, ${env.os.arch})`],
      ['CPU', `${env.cpu.model} — ${env.cpu.cores} cores`],
      ['Memory', formatBytes(env.memoryBytes)],
      ['GPUs', gpus],
      ['Node', env.node],
      ['Fingerprint', mono(env.fingerprint)],
    ]),
    h('h3', {}, `Packages (${packages.length})`),
    packages.length
      ? h('div', {}, h('div', { className: 'toolbar' }, h('label', { className: 'visually-hidden', attrs: { for: 'package-filter' } }, 'Filter packages'), filter, count), packagesTable)
      : muted('No packages recorded.'),
    lockfiles.length ? h('h3', {}, 'Lock files') : null,
    lockfiles.length ? table('Lock files', [{ label: 'File' }, { label: 'Hash', className: 'hash' }], lockfiles.map(([k, v]) => [mono(k), mono(v)])) : null,
    variables.length ? h('h3', {}, 'Environment variables (allow-listed)') : null,
    variables.length ? table('Environment variables', [{ label: 'Variable' }, { label: 'Value' }], variables.map(([k, v]) => [mono(k), mono(v)])) : null,
  );
}

function renderArtifacts(run: RunRecord): HTMLElement {
  return section(
    'artifacts',
    'Artifacts',
    run.artifacts.length
      ? table(
          'Artifacts',
          [{ label: 'Path' }, { label: 'MD5', className: 'hash' }, { label: 'Size', className: 'num' }, { label: 'Stored copy' }],
          run.artifacts.map((a) => [mono(a.path), mono(a.md5), sized(a.size), a.stored === undefined ? h('span', { className: 'muted' }, 'not stored') : mono(a.stored)]),
        )
      : muted('No artifacts recorded.'),
  );
}

function renderPredictions(run: RunRecord): HTMLElement {
  return section(
    'predictions',
    'Predictions',
    run.predictions.length
      ? table(
          'Prediction sets',
          [{ label: 'Name' }, { label: 'File' }, { label: 'Rows', className: 'num' }, { label: 'Columns' }, { label: 'Target / score / prediction' }],
          run.predictions.map((p) => [
            mono(p.name),
            mono(p.file),
            p.rows.toLocaleString('en-US'),
            h(
              'span',
              { className: 'chips' },
              ...p.columns.map((c) =>
                p.features.includes(c) ? h('span', { className: 'chip feature', attrs: { title: 'model feature' } }, c) : h('span', { className: 'chip' }, c),
              ),
            ),
            h('span', {}, mono(p.yTrue), ' / ', p.yScore === null ? h('span', { className: 'muted' }, 'none') : mono(p.yScore), ' / ', p.yPred === null ? h('span', { className: 'muted' }, 'none') : mono(p.yPred)),
          ]),
        )
      : muted('No predictions recorded.'),
    run.predictions.length ? muted("Columns outlined in colour are the model's features.") : null,
  );
}

function renderNav(): HTMLElement {
  const links: [string, string][] = [
    ['code', 'Code'],
    ['seeds', 'Seeds'],
    ['data', 'Data'],
    ['params', 'Params'],
    ['metrics', 'Metrics'],
    ['curves', 'Curves'],
    ['environment', 'Environment'],
    ['artifacts', 'Artifacts'],
    ['predictions', 'Predictions'],
  ];
  return h('nav', { className: 'sections', attrs: { 'aria-label': 'Sections' } }, ...links.map(([id, label]) => h('a', { attrs: { href: `#${id}` } }, label)));
}

// ---------------------------------------------------------------------------------------------
// App
// ---------------------------------------------------------------------------------------------

const app = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
const banner = h('div', { id: 'banner', className: 'banner', attrs: { role: 'alert' } });
banner.hidden = true;
const content = h('div', { id: 'content' }, h('p', { className: 'muted loading' }, ui.runId ? `Loading run ${ui.runId}…` : 'Loading run…'));
app.replaceChildren(banner, content);

function showError(message: string): void {
  const dismiss = button('Dismiss', () => {
    banner.hidden = true;
    banner.replaceChildren();
  }, true);
  banner.replaceChildren(h('span', { className: 'banner-text' }, message), dismiss);
  banner.hidden = false;
  app.setAttribute('aria-busy', 'false');
}

function render(run: RunRecord, history: MetricPoint[]): void {
  destroyCharts();
  queueCharts = [];
  const series = seriesByMetric(history);
  content.replaceChildren(
    renderHeader(run),
    renderNav(),
    renderCode(run),
    renderSeeds(run),
    renderData(run),
    renderParams(run),
    renderMetrics(run, series),
    renderCurves(series),
    renderEnvironment(run),
    renderArtifacts(run),
    renderPredictions(run),
  );
  const colors = themeColors();
  charts = queueCharts.map(([canvas, s]) => createChart(canvas, s, colors));
  queueCharts = [];
  banner.hidden = true;
  app.setAttribute('aria-busy', 'false');
  ui.runId = run.id;
  saveState();
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (!isRunPanelHostMessage(message)) {
    console.warn(`Provenant run panel: ignored an invalid message (${describeMessage(message)})`);
    return;
  }
  try {
    if (message.type === 'showRun') render(message.run, message.history);
    else showError(message.message);
  } catch (err) {
    console.error('Provenant run panel: could not render', err);
    showError(`Could not display this run: ${err instanceof Error ? err.message : String(err)}`);
  }
});

send({ type: 'ready' });
