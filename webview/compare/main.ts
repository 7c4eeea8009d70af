// The compare panel (viewType `provenant.compare`). Receives `comparison`, then `extras`, from the
// host (src/shared/messages.ts) and renders them with DOM APIs only: every workspace string goes
// through text nodes or attribute setters, never through HTML parsing.
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import { Chart, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip, type ChartDataset, type Plugin } from 'chart.js';
import type { FullComparison, ComparedRow } from '../../src/core/runs/compare';
import type { ComparisonExtras, RunEvaluation } from '../../src/core/runs/compareEvaluation';
import type { Estimate } from '../../src/core/analysis/types';
import type { MetricPoint } from '../../src/core/runs/types';
import { commandText, truncateMiddle } from '../../src/core/runs/commandText';
import { describeMessage, isComparePanelHostMessage, isPlainObject, isRunId, type ComparePanelWebviewMessage } from '../../src/shared/messages';
import { applyChartColors, smooth } from '../common/charts';
import { button, checkbox, formatDate, formatDuration, formatNumber, h, onThemeChange, smoothingSlider, themeColors, type Child, type ThemeColors, type VsCodeApi } from '../common/dom';

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Legend);

declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

interface UiState {
  runIds?: string[];
  differencesOnly: boolean;
  smoothing: number;
}

function readState(): UiState {
  const saved: unknown = vscode.getState();
  const state: UiState = { differencesOnly: false, smoothing: 0 };
  if (!isPlainObject(saved)) return state;
  if (Array.isArray(saved.runIds) && saved.runIds.length <= 20 && saved.runIds.every(isRunId)) state.runIds = saved.runIds as string[];
  if (typeof saved.differencesOnly === 'boolean') state.differencesOnly = saved.differencesOnly;
  if (typeof saved.smoothing === 'number' && saved.smoothing >= 0 && saved.smoothing <= 0.99) state.smoothing = saved.smoothing;
  return state;
}

const ui = readState();
const saveState = () => vscode.setState({ ...ui });
const send = (message: ComparePanelWebviewMessage) => vscode.postMessage(message);

let comparison: FullComparison | null = null;
let extras: ComparisonExtras | null = null;

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

function mono(text: string, className = ''): HTMLElement {
  return h('code', { className: `mono ${className}`.trim() }, text);
}

function muted(text: string): HTMLElement {
  return h('p', { className: 'muted' }, text);
}

function cell(content: Child, className = ''): HTMLTableCellElement {
  return h('td', {}, h('div', { className: `cell ${className}`.trim() }, content));
}

/** The run's command, cut in the middle to fit; the whole of it in the tooltip. */
function commandCell(argv: string[]): HTMLElement {
  const full = commandText(argv);
  const el = h('code', { className: 'command-cell' }, truncateMiddle(full, 80));
  el.title = full;
  return el;
}

function runLabel(i: number): string {
  const r = comparison!.summary[i]!;
  return r.name || r.id;
}

/** Column header of run i: a colour swatch, its number and name (full name in the tooltip). */
function runHeader(i: number): HTMLTableCellElement {
  const th = h('th', { className: 'run-col', attrs: { scope: 'col' } }, h('span', { className: `swatch swatch-${i % 7}`, attrs: { 'aria-hidden': 'true' } }), `[${i + 1}] `, h('span', { className: 'run-col-name' }, runLabel(i)));
  th.title = `${comparison!.summary[i]!.name} (${comparison!.summary[i]!.id})`;
  return th;
}

function table(caption: string, head: (string | HTMLTableCellElement)[], rows: { cells: Child[]; differs?: boolean; className?: string }[], className = ''): HTMLElement {
  const thead = h('thead', {}, h('tr', {}, ...head.map((x) => (typeof x === 'string' ? h('th', { attrs: { scope: 'col' } }, x) : x))));
  const tbody = h('tbody', {});
  for (const row of rows) {
    const tr = h('tr', { className: `${row.differs ? 'differs' : ''} ${row.className ?? ''}`.trim() });
    row.cells.forEach((c, i) => tr.appendChild(i === 0 ? h('th', { attrs: { scope: 'row' } }, h('div', { className: 'cell' }, c)) : cell(c)));
    tbody.appendChild(tr);
  }
  return h('div', { className: 'table-wrap' }, h('table', { className }, h('caption', { className: 'visually-hidden' }, caption), thead, tbody));
}

function marker(differs: boolean): HTMLElement {
  return h('span', { className: differs ? 'marker differs-marker' : 'marker', attrs: { title: differs ? 'differs' : 'same in every run' } }, differs ? '≠' : '=');
}

function valueText(v: string | number | boolean | null | undefined): HTMLElement {
  if (v === null || v === undefined) return h('span', { className: 'muted' }, '—');
  if (typeof v === 'number') return mono(formatNumber(v), 'param-number');
  if (typeof v === 'boolean') return mono(String(v), 'param-boolean');
  return mono(v, 'param-string');
}

function section(id: string, title: string, counts: string | null, ...children: Child[]): HTMLElement {
  return h('section', { id, attrs: { 'aria-labelledby': `${id}-title` } }, h('h2', { id: `${id}-title` }, title, counts ? h('span', { className: 'count' }, ` ${counts}`) : null), ...children);
}

function keep<T extends { differs: boolean }>(rows: T[]): T[] {
  return ui.differencesOnly ? rows.filter((r) => r.differs) : rows;
}

function countText(rows: { differs: boolean }[]): string {
  return `(${rows.filter((r) => r.differs).length} of ${rows.length} differ)`;
}

function rowsTable(caption: string, label: string, rows: ComparedRow[]): HTMLElement {
  const shown = keep(rows);
  if (rows.length === 0) return muted('None recorded.');
  if (shown.length === 0) return muted('No differences.');
  return table(
    caption,
    [label, ...comparison!.runs.map((_, i) => runHeader(i))],
    shown.map((r) => ({ differs: r.differs, cells: [h('span', {}, marker(r.differs), ' ', mono(r.key)), ...r.values.map((v) => valueText(v))] })),
  );
}

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

function renderHeader(c: FullComparison): HTMLElement {
  const counts = [
    ['params', c.params.filter((r) => r.differs).length],
    ['metrics', c.metrics.filter((r) => r.differs).length],
    ['seeds', c.seeds.filter((r) => r.differs).length],
    ['data', c.data.filter((r) => r.differs).length],
    ['packages', c.environment.added.length + c.environment.removed.length + c.environment.changed.length],
    ['code files', c.code.files.length],
  ] as const;
  const rows = c.summary.map((r, i) => {
    const badge = document.createElement('vscode-badge');
    badge.className = `status status-${r.status}`;
    badge.textContent = r.status;
    const open = button('Open', () => send({ type: 'openRun', runId: r.id }), { secondary: true, title: `Open the details of ${r.name}` });
    return {
      cells: [
        h('span', {}, h('span', { className: `swatch swatch-${i % 7}`, attrs: { 'aria-hidden': 'true' } }), `[${i + 1}]`),
        h('span', { className: 'run-name-cell' }, r.name || '(unnamed)'),
        mono(r.id),
        r.experiment === null ? h('span', { className: 'muted' }, 'detached') : mono(r.experiment),
        badge,
        formatDate(r.startedAt),
        formatDuration(r.durationMs),
        r.dirty ? h('span', { className: 'warn' }, 'uncommitted edits') : 'clean',
        commandCell(r.command),
        open,
      ],
    };
  });
  return h(
    'header',
    { className: 'compare-header' },
    h('h1', {}, `Comparing ${c.runs.length} runs`),
    table('Runs compared', ['#', 'Name', 'Id', 'Branch', 'Status', 'Started', 'Duration', 'Code', 'Command', ''], rows, 'runs-summary'),
    h('p', { className: 'summary-line', id: 'summary-line' }, `Differences: ${counts.map(([k, n]) => `${n} ${k}`).join(' · ')}`),
    h(
      'div',
      { className: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Comparison' } },
      checkbox('differences-only', 'Differences only', ui.differencesOnly, (checked) => {
        ui.differencesOnly = checked;
        saveState();
        renderAll();
      }),
      button('Export CSV', () => send({ type: 'export', format: 'csv', differencesOnly: ui.differencesOnly }), { secondary: true }),
      button('Export Markdown', () => send({ type: 'export', format: 'md', differencesOnly: ui.differencesOnly }), { secondary: true }),
    ),
    h(
      'nav',
      { className: 'sections', attrs: { 'aria-label': 'Sections' } },
      ...[
        ['params', 'Params'],
        ['metrics', 'Metrics'],
        ['seeds', 'Seeds'],
        ['data', 'Data'],
        ['environment', 'Environment'],
        ['code', 'Code'],
        ['charts', 'Charts'],
      ].map(([id, label]) => h('a', { attrs: { href: `#${id}` } }, label!)),
    ),
  );
}

function estimateText(e: Estimate | undefined): Child {
  if (!e) return h('span', { className: 'muted' }, '—');
  const v = e.value === null || e.value === undefined ? '—' : formatNumber(e.value, 4);
  return h('span', {}, mono(v), e.low !== null && e.high !== null ? h('span', { className: 'ci' }, ` [${formatNumber(e.low, 3)}, ${formatNumber(e.high, 3)}]`) : null);
}

function deltaText(d: number | null, i: number): Child {
  if (i === 0 || d === null) return null;
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  return h('span', { className: `delta ${d > 0 ? 'up' : d < 0 ? 'down' : ''}`.trim() }, ` (Δ ${sign}${formatNumber(Math.abs(d), 4)})`);
}

function renderMetrics(c: FullComparison): HTMLElement {
  const shown = keep(c.metrics);
  const recorded =
    c.metrics.length === 0
      ? muted('No metrics recorded.')
      : shown.length === 0
        ? muted('No differences.')
        : table(
            'Recorded metrics, with the difference to run 1',
            ['Metric', ...c.runs.map((_, i) => runHeader(i))],
            shown.map((r) => ({ differs: r.differs, cells: [h('span', {}, marker(r.differs), ' ', mono(r.key)), ...r.values.map((v, i) => h('span', {}, valueText(v), deltaText(r.deltas[i] ?? null, i)))] })),
            'metrics-table',
          );
  const parts: Child[] = [recorded];
  if (extras) {
    const evals = extras.evaluations;
    const names = [...new Set(evals.flatMap((e) => Object.keys(e.metrics)))];
    const pct = Math.round(extras.bootstrap.level * 100);
    parts.push(h('h3', {}, `From predictions, with ${pct}% bootstrap intervals (${extras.bootstrap.resamples} resamples)`));
    if (names.length === 0) parts.push(muted('No run has predictions that could be evaluated.'));
    else {
      parts.push(
        table(
          'Metrics from predictions with confidence intervals',
          ['Metric', ...c.runs.map((_, i) => runHeader(i)), ...c.runs.slice(1).map((_, k) => `[${k + 2}] − [1], paired`)],
          names.map((n) => ({
            cells: [
              mono(n),
              ...evals.map((e) => estimateText(e.metrics[n])),
              ...extras!.paired.slice(1).map((p) => {
                const m = p?.metrics.find((x) => x.metric === n);
                return m ? h('span', {}, estimateText(m.difference), h('span', { className: 'muted' }, ` p(not better) ${formatNumber(m.pNotBetter, 3)}`)) : h('span', { className: 'muted' }, '—');
              }),
            ],
          })),
          'ci-table',
        ),
      );
    }
    const notes = [
      ...evals.map((e, i) => (e.note ? `[${i + 1}] ${e.note}` : null)),
      ...extras.pairedNotes.map((n, i) => (n && i > 0 ? `[${i + 1}] vs [1]: ${n}` : null)),
    ].filter((n): n is string => n !== null);
    if (notes.length) parts.push(h('ul', { className: 'notes' }, ...notes.map((n) => h('li', { className: 'muted' }, n))));
  } else {
    parts.push(muted('Evaluating predictions…'));
  }
  return section('metrics', 'Metrics', countText(c.metrics), ...parts);
}

function shortHash(v: string | null): Child {
  if (v === null) return h('span', { className: 'muted' }, 'absent');
  const code = mono(v.length > 16 ? `${v.slice(0, 12)}…${v.endsWith('.dir') ? '.dir' : ''}` : v);
  code.title = v;
  return code;
}

function fileList(kind: 'added' | 'removed' | 'modified', files: string[]): Child {
  if (files.length === 0) return null;
  const shown = files.slice(0, 500);
  return h(
    'details',
    { className: `files files-${kind}` },
    h('summary', {}, h('span', { className: `change change-${kind === 'removed' ? 'deleted' : kind}` }, `${files.length} ${kind}`)),
    h('ul', { className: 'plain' }, ...shown.map((f) => h('li', {}, mono(f))), files.length > shown.length ? h('li', { className: 'muted' }, `… and ${files.length - shown.length} more`) : null),
  );
}

function renderData(c: FullComparison): HTMLElement {
  const shown = keep(c.data);
  return section(
    'data',
    'Data',
    countText(c.data),
    c.data.length === 0
      ? muted('No data dependencies recorded.')
      : shown.length === 0
        ? muted('No differences.')
        : table(
            'Data versions and the files that changed inside folders',
            ['Path', ...c.runs.map((_, i) => runHeader(i)), 'Files inside'],
            shown.map((d) => ({
              differs: d.differs,
              cells: [
                h('span', {}, marker(d.differs), ' ', mono(d.path)),
                ...d.versions.map(shortHash),
                d.note ? h('span', { className: 'warn' }, d.note) : d.differs && d.added.length + d.removed.length + d.modified.length === 0 ? h('span', { className: 'muted' }, 'the file itself changed') : h('div', { className: 'file-lists' }, fileList('added', d.added), fileList('removed', d.removed), fileList('modified', d.modified)),
              ],
            })),
            'data-table',
          ),
  );
}

function renderEnvironment(c: FullComparison): HTMLElement {
  const env = c.environment;
  const packages = [
    ...env.changed.map((p) => ({ ...p, change: 'changed' })),
    ...env.added.map((p) => ({ ...p, change: 'added' })),
    ...env.removed.map((p) => ({ ...p, change: 'removed' })),
  ];
  return section(
    'environment',
    'Environment',
    `(${packages.length} package${packages.length === 1 ? '' : 's'} differ)`,
    rowsTable('Interpreter, system and lock files', 'Field', env.system),
    h('h3', {}, 'Packages'),
    packages.length === 0
      ? muted('The same packages and versions in every run.')
      : table(
          'Packages added, removed or changed (compared with run 1)',
          ['Package', 'Change', ...c.runs.map((_, i) => runHeader(i))],
          packages.map((p) => ({ differs: true, className: `pkg-${p.change}`, cells: [mono(p.name), h('span', { className: `change change-${p.change === 'removed' ? 'deleted' : p.change === 'changed' ? 'modified' : 'added'}` }, p.change), ...p.values.map((v) => valueText(v))] })),
          'packages-table',
        ),
  );
}

function renderCode(c: FullComparison): HTMLElement {
  const files = c.code.files;
  const n = c.runs.length;
  const body: Child[] = [];
  if (c.code.note) body.push(h('p', { className: 'warn' }, c.code.note));
  if (files.length === 0) body.push(muted(c.code.snapshots.every((s) => s !== null) ? 'The code snapshots are identical.' : 'No file list: a snapshot is missing.'));
  else {
    body.push(
      table(
        'Files that differ between the code snapshots',
        ['File', 'Change', 'Diff'],
        files.map((f) => {
          const pairs: HTMLElement[] = [];
          for (let j = 1; j < n; j++) {
            if (f.blobs[j] === f.blobs[0]) continue;
            const b = button(n === 2 ? 'Open diff' : `[1] ↔ [${j + 1}]`, () => send({ type: 'openDiff', path: f.path, left: 0, right: j }), { secondary: true, title: `Diff of ${f.path} between ${runLabel(0)} and ${runLabel(j)}`, className: 'diff-btn' });
            b.dataset.path = f.path;
            pairs.push(b);
          }
          return { differs: true, cells: [mono(f.path), h('span', { className: `change change-${f.change}` }, f.change), h('span', { className: 'diff-buttons' }, ...pairs)] };
        }),
        'code-table',
      ),
    );
  }
  return section('code', 'Code', `(${files.length} file${files.length === 1 ? '' : 's'} differ)`, ...body);
}

// ---------------------------------------------------------------------------------------------
// Charts
// ---------------------------------------------------------------------------------------------

type XY = { x: number; y: number };
interface ChartEntry {
  chart: Chart<'line', XY[]>;
  build: (colors: ThemeColors) => ChartDataset<'line', XY[]>[];
}
let charts: ChartEntry[] = [];

const backgroundPlugin: Plugin<'line'> = {
  id: 'provenantBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = themeColors().background;
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

function applyTheme(entry: ChartEntry, colors: ThemeColors): void {
  applyChartColors(entry.chart, colors);
  entry.chart.data.datasets = entry.build(colors);
  entry.chart.update('none');
  const canvas = entry.chart.canvas;
  canvas.dataset.series0 = colors.series[0]!;
  canvas.dataset.textColor = colors.text;
  canvas.dataset.draws = String(Number(canvas.dataset.draws ?? '0') + 1);
}

function redrawCharts(): void {
  const colors = themeColors();
  for (const entry of charts) applyTheme(entry, colors);
}

function destroyCharts(): void {
  for (const { chart } of charts) chart.destroy();
  charts = [];
}

onThemeChange(redrawCharts);

interface PendingChart {
  canvas: HTMLCanvasElement;
  xTitle: string;
  yTitle: string;
  unitSquare: boolean;
  build: ChartEntry['build'];
}
let pending: PendingChart[] = [];

function chartCard(name: string, caption: string, ariaLabel: string, spec: Omit<PendingChart, 'canvas'>): HTMLElement {
  const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': ariaLabel } });
  canvas.dataset.chart = name;
  pending.push({ canvas, ...spec });
  const save = button('Save PNG', () => send({ type: 'savePng', name, dataUrl: canvas.toDataURL('image/png') }), { secondary: true, title: `Save the chart "${caption}" as a PNG image`, className: 'png' });
  const figure = h('figure', { className: 'chart-card' }, h('figcaption', {}, h('h3', {}, caption), save), h('div', { className: 'chart-box' }, canvas));
  figure.dataset.chart = name;
  return figure;
}

function createCharts(): void {
  const colors = themeColors();
  for (const p of pending) {
    const chart = new Chart<'line', XY[]>(p.canvas, {
      type: 'line',
      data: { datasets: [] },
      plugins: [backgroundPlugin],
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: { type: 'linear', title: { display: true, text: p.xTitle }, ...(p.unitSquare ? { min: 0, max: 1 } : {}), ticks: { maxTicksLimit: 8 } },
          y: { type: 'linear', title: { display: true, text: p.yTitle }, ...(p.unitSquare ? { min: 0, max: 1 } : {}), ticks: { maxTicksLimit: 6 } },
        },
        plugins: { legend: { display: true, position: 'bottom', labels: { boxWidth: 12, boxHeight: 2 } }, tooltip: { borderWidth: 1 } },
      },
    });
    const entry = { chart, build: p.build };
    applyTheme(entry, colors);
    charts.push(entry);
  }
  pending = [];
}

function seriesOf(history: MetricPoint[], name: string): XY[] {
  const list = history.filter((p) => p.name === name);
  const stepped = list.every((p) => p.step !== null);
  const sorted = stepped ? [...list].sort((a, b) => a.step! - b.step!) : list;
  return sorted.map((p, i) => ({ x: stepped ? p.step! : i, y: Number.isFinite(p.value) ? p.value : Number.NaN }));
}

function lineDataset(label: string, data: XY[], color: string, colors: ThemeColors, dashed = false): ChartDataset<'line', XY[]> {
  return { label, data, borderColor: color, backgroundColor: color, borderWidth: colors.highContrast ? 3 : 2, pointRadius: data.length > 40 ? 0 : 2, tension: 0, spanGaps: false, ...(dashed ? { borderDash: [6, 4] } : {}) };
}

function confusionTable(e: RunEvaluation, i: number): HTMLElement {
  const c = e.confusion!;
  const total = c.tp + c.fp + c.tn + c.fn || 1;
  const td = (v: number, kind: string) => {
    const el = h('td', { className: `cm ${kind}` }, String(v), h('span', { className: 'muted' }, ` ${((100 * v) / total).toFixed(1)}%`));
    el.style.setProperty('--share', String(v / total));
    return el;
  };
  return h(
    'figure',
    { className: 'confusion' },
    h('figcaption', {}, h('span', { className: `swatch swatch-${i % 7}`, attrs: { 'aria-hidden': 'true' } }), `[${i + 1}] `, h('span', { className: 'run-col-name' }, runLabel(i)), h('span', { className: 'muted' }, ` · ${e.set ?? ''}, ${e.rows} rows`)),
    h(
      'table',
      { className: 'confusion-table' },
      h('caption', { className: 'visually-hidden' }, `Confusion matrix of ${runLabel(i)}`),
      h('thead', {}, h('tr', {}, h('td', {}), h('th', { attrs: { scope: 'col' } }, 'predicted 1'), h('th', { attrs: { scope: 'col' } }, 'predicted 0'))),
      h('tbody', {}, h('tr', {}, h('th', { attrs: { scope: 'row' } }, 'actual 1'), td(c.tp, 'tp'), td(c.fn, 'fn')), h('tr', {}, h('th', { attrs: { scope: 'row' } }, 'actual 0'), td(c.fp, 'fp'), td(c.tn, 'tn'))),
    ),
  );
}

function renderCharts(c: FullComparison): HTMLElement {
  if (!extras) return section('charts', 'Charts', null, muted('Loading metric histories and predictions…'));
  const ex = extras;
  const parts: Child[] = [];

  // Metric curves over steps, one chart per metric, one line per run.
  const names = [...new Set(ex.history.flatMap((hist) => hist.map((p) => p.name)))].filter((n) => ex.history.some((hist) => hist.filter((p) => p.name === n).length >= 2));
  parts.push(h('h3', {}, 'Metric curves'));
  if (names.length === 0) parts.push(muted('No run logged a metric at two or more steps.'));
  else {
    const { slider, value } = smoothingSlider(ui.smoothing, (weight) => {
      ui.smoothing = weight;
      saveState();
      redrawCharts();
    });
    parts.push(h('div', { className: 'toolbar' }, h('label', { attrs: { for: 'smoothing' } }, 'Smoothing'), slider, value));
    parts.push(
      h(
        'div',
        { className: 'charts' },
        ...names.map((name) =>
          chartCard(`curve-${name}`, name, `${name} over steps for ${c.runs.length} runs`, {
            xTitle: 'step',
            yTitle: name,
            unitSquare: false,
            build: (colors) => ex.history.map((hist, i) => lineDataset(`[${i + 1}] ${runLabel(i)}`, smooth(seriesOf(hist, name), ui.smoothing), colors.series[i % colors.series.length]!, colors, i >= colors.series.length)),
          }),
        ),
      ),
    );
  }

  // Confusion matrices side by side.
  const withConfusion = ex.evaluations.map((e, i) => [e, i] as const).filter(([e]) => e.confusion !== null);
  parts.push(h('h3', {}, 'Confusion matrices'));
  parts.push(withConfusion.length ? h('div', { className: 'confusions' }, ...withConfusion.map(([e, i]) => confusionTable(e, i))) : muted('No run has classification predictions.'));

  // ROC and precision-recall overlays.
  const scored = ex.evaluations.map((e, i) => [e, i] as const).filter(([e]) => e.roc && e.pr);
  parts.push(h('h3', {}, 'ROC and precision-recall'));
  if (scored.length === 0) parts.push(muted('No run has scores (y_score) to draw ROC and precision-recall curves.'));
  else {
    const label = (_e: RunEvaluation, i: number, area: number, what: string) => `[${i + 1}] ${runLabel(i)} (${what} ${formatNumber(area, 4)})`;
    parts.push(
      h(
        'div',
        { className: 'charts' },
        chartCard('roc', 'ROC', `ROC curves of ${scored.length} runs: ${scored.map(([e, i]) => label(e, i, e.roc!.area, 'AUC')).join('; ')}`, {
          xTitle: 'false positive rate',
          yTitle: 'true positive rate',
          unitSquare: true,
          build: (colors) => [
            ...scored.map(([e, i]) => lineDataset(label(e, i, e.roc!.area, 'AUC'), e.roc!.points.map((p) => ({ x: p.x, y: p.y })), colors.series[i % colors.series.length]!, colors)),
            { ...lineDataset('chance', [{ x: 0, y: 0 }, { x: 1, y: 1 }], colors.grid, colors, true), pointRadius: 0 },
          ],
        }),
        chartCard('pr', 'Precision-recall', `Precision-recall curves of ${scored.length} runs: ${scored.map(([e, i]) => label(e, i, e.pr!.area, 'AP')).join('; ')}`, {
          xTitle: 'recall',
          yTitle: 'precision',
          unitSquare: true,
          build: (colors) => scored.map(([e, i]) => lineDataset(label(e, i, e.pr!.area, 'AP'), e.pr!.points.map((p) => ({ x: p.x, y: p.y })), colors.series[i % colors.series.length]!, colors)),
        }),
      ),
    );
  }
  return section('charts', 'Charts', null, ...parts);
}

// ---------------------------------------------------------------------------------------------
// App
// ---------------------------------------------------------------------------------------------

const app = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
const banner = h('div', { id: 'banner', className: 'banner', attrs: { role: 'alert' } });
banner.hidden = true;
const content = h('div', { id: 'content' }, h('p', { className: 'muted loading' }, ui.runIds ? `Comparing ${ui.runIds.length} runs…` : 'Loading the comparison…'));
app.replaceChildren(banner, content);

function showError(message: string): void {
  banner.replaceChildren(h('span', { className: 'banner-text' }, message), button('Dismiss', () => (banner.hidden = true), { secondary: true }));
  banner.hidden = false;
  app.setAttribute('aria-busy', 'false');
}

function renderAll(): void {
  const c = comparison;
  if (!c) return;
  const scrollY = window.scrollY;
  destroyCharts();
  pending = [];
  content.replaceChildren(
    renderHeader(c),
    section('params', 'Params', countText(c.params), rowsTable('Params', 'Param', c.params)),
    renderMetrics(c),
    section('seeds', 'Seeds', countText(c.seeds), rowsTable('Seeds', 'Seed', c.seeds)),
    renderData(c),
    renderEnvironment(c),
    renderCode(c),
    renderCharts(c),
  );
  createCharts();
  document.body.classList.toggle('differences-only', ui.differencesOnly);
  app.setAttribute('aria-busy', extras ? 'false' : 'true');
  window.scrollTo(0, scrollY);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (!isComparePanelHostMessage(message)) {
    console.warn(`Provenant compare panel: ignored an invalid message (${describeMessage(message)})`);
    return;
  }
  try {
    if (message.type === 'comparison') {
      comparison = message.comparison;
      extras = null;
      ui.runIds = comparison.runs;
      saveState();
      banner.hidden = true;
      renderAll();
    } else if (message.type === 'extras') {
      if (!comparison || message.extras.evaluations.length !== comparison.runs.length || message.extras.history.length !== comparison.runs.length) return;
      extras = message.extras;
      renderAll();
    } else showError(message.message);
  } catch (err) {
    console.error('Provenant compare panel: could not render', err);
    showError(`Could not display this comparison: ${err instanceof Error ? err.message : String(err)}`);
  }
});

send({ type: 'ready' });
