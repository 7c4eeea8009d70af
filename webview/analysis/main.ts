// The "Analysis" panel (viewType `provenant.analysis`): evaluation with intervals, fairness by
// group, a threshold explorer (one shared threshold or one per group), permutation importance,
// partial dependence with ICE, and local (Shapley) explanations of a picked row as a waterfall.
// Rendered with DOM APIs only: workspace strings go through text nodes, never HTML parsing.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
  type Plugin,
} from 'chart.js';
import { summarizeAt } from '../../src/core/analysis/thresholds';
import type { EvaluationResult, FairnessResult, PartialDependence, PermutationImportance, ShapleyExplanation, ThresholdExplorer } from '../../src/core/analysis/types';
import {
  describeMessage,
  isAnalysisPanelHostMessage,
  isPlainObject,
  isRunId,
  type AnalysisPanelHostMessage,
  type AnalysisPanelWebviewMessage,
  type AnalysisRowTable,
  type AnalysisTask,
} from '../../src/shared/messages';
import { h, type Child, type VsCodeApi } from '../common/dom';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);

declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

interface UiState {
  runId?: string;
  attribute: number;
  perGroup: boolean;
  shared: number;
  groupThresholds: Record<string, number>;
  feature: string;
  row: number | null;
}

function readState(): UiState {
  const saved: unknown = vscode.getState();
  const state: UiState = { attribute: 0, perGroup: false, shared: 0.5, groupThresholds: {}, feature: '', row: null };
  if (!isPlainObject(saved)) return state;
  if (isRunId(saved.runId)) state.runId = saved.runId;
  if (typeof saved.attribute === 'number' && Number.isSafeInteger(saved.attribute) && saved.attribute >= 0) state.attribute = saved.attribute;
  if (typeof saved.perGroup === 'boolean') state.perGroup = saved.perGroup;
  if (typeof saved.shared === 'number' && saved.shared >= 0 && saved.shared <= 1) state.shared = saved.shared;
  if (isPlainObject(saved.groupThresholds)) for (const [k, v] of Object.entries(saved.groupThresholds)) if (typeof v === 'number' && v >= 0 && v <= 1) state.groupThresholds[k] = v;
  if (typeof saved.feature === 'string') state.feature = saved.feature.slice(0, 500);
  if (typeof saved.row === 'number' && Number.isSafeInteger(saved.row) && saved.row >= 0) state.row = saved.row;
  return state;
}
const ui = readState();
const saveState = () => vscode.setState({ ...ui });
const send = (m: AnalysisPanelWebviewMessage) => vscode.postMessage(m);

// ---------------------------------------------------------------------------------------------
// DOM helpers (text only)
// ---------------------------------------------------------------------------------------------

const present = (...nodes: (Node | null)[]): Node[] => nodes.filter((n): n is Node => n !== null);
const muted = (text: string) => h('p', { className: 'muted' }, text);
function section(id: string, title: string, ...children: Child[]): HTMLElement {
  return h('section', { id, attrs: { 'aria-labelledby': `${id}-title` } }, h('h2', { id: `${id}-title` }, title), ...children);
}
function button(label: string, onClick: () => void, secondary = false, id?: string): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  if (id) b.id = id;
  if (secondary) b.setAttribute('secondary', '');
  b.addEventListener('click', onClick);
  return b;
}
function table(caption: string, header: string[], rows: Child[][], className = ''): HTMLElement {
  return h(
    'div',
    { className: 'table-wrap' },
    h(
      'table',
      { className },
      h('caption', { className: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, ...header.map((c) => h('th', { attrs: { scope: 'col' } }, c)))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
    ),
  );
}
const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));
const interval = (iv: [number, number] | null) => (iv ? ` [${fmt(iv[0])}, ${fmt(iv[1])}]` : '');
function warnings(list: string[]): HTMLElement | null {
  return list.length ? h('ul', { className: 'warnings' }, ...list.map((w) => h('li', {}, w))) : null;
}

// ---------------------------------------------------------------------------------------------
// Charts
// ---------------------------------------------------------------------------------------------

interface Colors {
  text: string;
  grid: string;
  series: string[];
  positive: string;
  negative: string;
  font: string;
}
function colors(): Colors {
  const s = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => s.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--vscode-descriptionForeground', v('--vscode-foreground', '#888')),
    grid: 'rgba(128, 128, 128, 0.2)',
    series: [v('--vscode-charts-blue', '#3794ff'), v('--vscode-charts-red', '#f14c4c'), v('--vscode-charts-green', '#89d185'), v('--vscode-charts-yellow', '#cca700'), v('--vscode-charts-purple', '#b180d7'), v('--vscode-charts-orange', '#d18616')],
    positive: v('--vscode-charts-red', '#f14c4c'),
    negative: v('--vscode-charts-blue', '#3794ff'),
    font: v('--vscode-font-family', 'sans-serif'),
  };
}
function alpha(color: string, a: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  return m ? `rgba(${parseInt(m[1]!, 16)}, ${parseInt(m[2]!, 16)}, ${parseInt(m[3]!, 16)}, ${a})` : color;
}

const charts = new Map<string, Chart>();
function chartBox(key: string, label: string, tall = false): { figure: HTMLElement; canvas: HTMLCanvasElement } {
  charts.get(key)?.destroy();
  charts.delete(key);
  const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': label } });
  canvas.dataset.chart = key;
  return { figure: h('div', { className: tall ? 'chart-box tall' : 'chart-box' }, canvas), canvas };
}
function baseOptions(c: Colors) {
  const axis = { ticks: { color: c.text }, grid: { color: c.grid }, border: { color: c.grid } };
  return { animation: false as const, responsive: true, maintainAspectRatio: false, color: c.text, font: { family: c.font }, scales: { x: { ...axis }, y: { ...axis } }, plugins: { legend: { labels: { color: c.text, boxWidth: 12 } } } };
}

/** Error bars (± std) on a horizontal bar chart: drawn after the bars, from `errors`. */
function errorBars(errors: number[]): Plugin<'bar'> {
  return {
    id: 'errorBars',
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      const meta = chart.getDatasetMeta(0);
      const x = chart.scales.x!;
      ctx.save();
      ctx.strokeStyle = colors().text;
      ctx.lineWidth = 1.5;
      meta.data.forEach((bar, i) => {
        const value = (chart.data.datasets[0]!.data[i] as number) ?? 0;
        const e = errors[i] ?? 0;
        const y = bar.y;
        const x0 = x.getPixelForValue(value - e);
        const x1 = x.getPixelForValue(value + e);
        ctx.beginPath();
        ctx.moveTo(x0, y);
        ctx.lineTo(x1, y);
        ctx.moveTo(x0, y - 4);
        ctx.lineTo(x0, y + 4);
        ctx.moveTo(x1, y - 4);
        ctx.lineTo(x1, y + 4);
        ctx.stroke();
      });
      ctx.restore();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// State from the host
// ---------------------------------------------------------------------------------------------

interface Model {
  init: Extract<AnalysisPanelHostMessage, { type: 'init' }>;
  importance: PermutationImportance[] | null;
  importanceNote: string;
  dependence: PartialDependence[] | null;
  dependenceNote: string;
  local: ShapleyExplanation | null;
  localNote: string;
  busy: Partial<Record<AnalysisTask, { done: number; total: number; label: string }>>;
  errors: Partial<Record<AnalysisTask, string>>;
}
let model: Model | null = null;

const app = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
const banner = h('div', { id: 'banner', className: 'banner', attrs: { role: 'alert' } });
banner.hidden = true;
const status = h('div', { id: 'status', className: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
const content = h('div', { id: 'content' }, muted('Loading the analysis…'));
app.replaceChildren(banner, status, content);

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

function renderEvaluation(ev: EvaluationResult | null): HTMLElement {
  if (!ev) return section('evaluation', 'Evaluation', muted('No evaluation (see the notes above).'));
  const rows = Object.entries(ev.metrics).map(([name, e]) => [h('code', {}, name), h('span', { className: 'num' }, fmt(e.value, 4)), h('span', { className: 'num muted' }, e.low === null || e.high === null ? '—' : `${fmt(e.low, 4)} – ${fmt(e.high, 4)}`)]);
  const c = ev.confusion;
  return section(
    'evaluation',
    'Evaluation',
    h('p', { className: 'muted' }, `${ev.set}: ${ev.rows} rows, ${ev.task}${ev.threshold !== null ? `, decision threshold ${ev.threshold}` : ''}; ${Math.round(ev.bootstrap.level * 100)}% intervals from ${ev.bootstrap.resamples} bootstrap resamples (seed ${ev.bootstrap.seed}).`),
    warnings(ev.warnings),
    table('Metrics', ['Metric', 'Value', 'Interval'], rows, 'metrics'),
    c ? h('p', {}, `Confusion matrix: TP ${c.tp} · FP ${c.fp} · FN ${c.fn} · TN ${c.tn}`) : null,
    ...renderClasses(ev),
  );
}

/** Multiclass: the confusion matrix (rows true, columns predicted) and each class's scores. */
function renderClasses(ev: EvaluationResult): Child[] {
  const classes = ev.classes;
  if (!classes || !ev.confusionMatrix) return [];
  const matrix = ev.confusionMatrix;
  const rowTotals = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  return [
    h('h3', {}, 'Confusion matrix'),
    h('p', { className: 'muted' }, 'Rows: true class; columns: predicted class. The diagonal holds the rows classified right.'),
    table(
      'Confusion matrix',
      ['True \\ predicted', ...classes, 'Total'],
      matrix.map((row, k) => [h('strong', {}, classes[k]!), ...row.map((v, j) => h('span', { className: j === k ? 'num diagonal' : 'num' }, String(v))), h('span', { className: 'num muted' }, String(rowTotals[k]))]),
      'confusion-matrix',
    ),
    ev.perClass
      ? table('By class', ['Class', 'Precision', 'Recall', 'F1', 'Support'], ev.perClass.map((c) => [c.class, fmt(c.precision), fmt(c.recall), fmt(c.f1), `${c.support} (${fmt(c.share * 100, 1)}%)`]), 'per-class')
      : null,
  ];
}

function renderFairness(list: FairnessResult[]): HTMLElement {
  if (list.length === 0) return section('fairness', 'Fairness', muted('No sensitive attributes analysed (see the notes above).'));
  const parts: Child[] = [];
  list.forEach((f, k) => {
    const ff = f.fourFifths;
    const verdict = h('span', { className: ff.pass ? 'pass' : 'fail' }, ff.pass ? 'passes' : 'fails');
    parts.push(
      h('h3', {}, `By ${f.attribute}${f.threshold !== null ? ` at threshold ${f.threshold}` : ''}`),
      table(
        `Fairness by ${f.attribute}`,
        ['Group', 'n', 'Selection rate', 'TPR', 'FPR', 'Accuracy'],
        f.groups.map((g) => [g.group, g.n, `${fmt(g.selectionRate)}${interval(g.selectionRateInterval)}`, `${fmt(g.tpr)}${interval(g.tprInterval)}`, `${fmt(g.fpr)}${interval(g.fprInterval)}`, fmt(g.accuracy)]),
        `fairness-table fairness-${k}`,
      ),
      h(
        'dl',
        { className: 'facts' },
        h('dt', {}, 'Four-fifths rule'),
        h('dd', { className: 'four-fifths' }, verdict, ` — lowest/highest selection rate ${fmt(ff.ratio)}${ff.interval ? ` (interval ${fmt(ff.interval[0])}–${fmt(ff.interval[1])})` : ''}, threshold ${ff.threshold ?? 0.8}`),
        h('dt', {}, `Disparate impact (${f.unprivileged} / ${f.privileged})`),
        h('dd', { className: 'disparate-impact' }, fmt(f.disparateImpact)),
        h('dt', {}, 'Statistical parity difference'),
        h('dd', {}, fmt(f.statisticalParityDifference)),
        h('dt', {}, 'Demographic parity difference / ratio'),
        h('dd', {}, `${fmt(f.demographicParityDifference)} / ${fmt(f.demographicParityRatio)}`),
        h('dt', {}, 'Equal opportunity difference'),
        h('dd', {}, fmt(f.equalOpportunityDifference)),
        h('dt', {}, 'Equalized odds difference'),
        h('dd', {}, fmt(f.equalizedOddsDifference)),
        h('dt', {}, 'Average odds difference'),
        h('dd', {}, fmt(f.averageOddsDifference)),
      ),
      warnings(f.warnings),
    );
    const { figure, canvas } = chartBox(`fairness-${k}`, `Selection rate, TPR and FPR by ${f.attribute}`);
    parts.push(figure);
    queueMicrotask(() => {
      const c = colors();
      const metrics: [string, (g: FairnessResult['groups'][number]) => number | null][] = [['selection rate', (g) => g.selectionRate], ['TPR', (g) => g.tpr], ['FPR', (g) => g.fpr]];
      charts.set(`fairness-${k}`, new Chart(canvas, {
        type: 'bar',
        data: { labels: f.groups.map((g) => g.group), datasets: metrics.map(([label, get], i) => ({ label, data: f.groups.map((g) => get(g) ?? 0), backgroundColor: alpha(c.series[i]!, 0.75) })) },
        options: { ...baseOptions(c), scales: { ...baseOptions(c).scales, y: { ...baseOptions(c).scales.y, min: 0, max: 1 } } },
      }));
    });
  });
  return section('fairness', 'Fairness', ...parts);
}

function renderExplorer(explorers: ThresholdExplorer[]): HTMLElement {
  if (explorers.length === 0) return section('explorer', 'Threshold explorer', muted('Needs scores (y_score) and a sensitive attribute.'));
  const index = Math.min(ui.attribute, explorers.length - 1);
  const e = explorers[index]!;
  const body = h('div', { className: 'explorer-body' });
  const controls = h('div', { className: 'toolbar' });
  if (explorers.length > 1) {
    const select = h('select', { id: 'explorer-attribute', attrs: { 'aria-label': 'Attribute' } });
    explorers.forEach((x, i) => select.append(h('option', { attrs: { value: String(i) } }, x.attribute)));
    select.value = String(index);
    select.addEventListener('change', () => {
      ui.attribute = Number(select.value);
      saveState();
      rerender();
    });
    controls.append(select);
  }
  const mode = h('input', { id: 'per-group', attrs: { type: 'checkbox' } });
  mode.checked = ui.perGroup;
  mode.addEventListener('change', () => {
    ui.perGroup = mode.checked;
    saveState();
    draw();
  });
  controls.append(h('label', { className: 'check' }, mode, ' one threshold per group'));
  const sliders = h('div', { className: 'sliders' });
  const summary = h('div', { className: 'explorer-summary', attrs: { 'aria-live': 'polite' } });
  const { figure, canvas } = chartBox('explorer', `Selection rate and TPR by ${e.attribute} as the threshold moves`, true);
  const c = colors();
  const marker = (group: number) => ({ type: 'line' as const, label: `${e.groups[group]!.group} threshold`, data: [] as { x: number; y: number }[], borderColor: c.series[group % c.series.length]!, pointRadius: 5, pointStyle: 'circle', showLine: false });

  function slider(id: string, label: string, value: number, onInput: (v: number) => void): HTMLElement {
    const input = h('input', { id, className: 'threshold-slider', attrs: { type: 'range', min: '0', max: '1', step: '0.01', 'aria-label': label } });
    input.value = String(value);
    const out = h('output', { attrs: { for: id } }, value.toFixed(2));
    input.addEventListener('input', () => {
      const v = Math.min(1, Math.max(0, Number(input.value) || 0));
      out.textContent = v.toFixed(2);
      onInput(v);
    });
    return h('div', { className: 'slider-row' }, h('label', { attrs: { for: id } }, label), input, out);
  }

  function draw(): void {
    sliders.replaceChildren();
    if (ui.perGroup) {
      e.groups.forEach((g, i) =>
        sliders.append(slider(`threshold-${i}`, `${g.group}`, ui.groupThresholds[g.group] ?? ui.shared, (v) => {
          ui.groupThresholds[g.group] = v;
          saveState();
          update();
        })),
      );
    } else {
      sliders.append(slider('threshold-shared', 'Threshold (all groups)', ui.shared, (v) => {
        ui.shared = v;
        saveState();
        update();
      }));
    }
    update();
  }

  function update(): void {
    const thresholds = ui.perGroup ? Object.fromEntries(e.groups.map((g) => [g.group, ui.groupThresholds[g.group] ?? ui.shared])) : ui.shared;
    const s = summarizeAt(e, thresholds, ui.shared, model?.init.fourFifths ?? 0.8);
    summary.replaceChildren(
      ...present(
      table('Rates at the chosen thresholds', ['Group', 'Threshold', 'Selection rate', 'TPR', 'FPR'], s.groups.map((g) => [g.group, g.threshold.toFixed(2), fmt(g.selectionRate), fmt(g.tpr), fmt(g.fpr)]), 'explorer-table'),
      h(
        'p',
        { className: 'explorer-verdict' },
        'Disparate impact (lowest/highest selection rate) ',
        h('strong', { className: s.fourFifthsPass ? 'pass' : 'fail', id: 'explorer-di' }, fmt(s.disparateImpact)),
        s.fourFifthsPass ? ' meets' : ' fails',
        ` the four-fifths rule (threshold ${model?.init.fourFifths ?? 0.8}); equal opportunity difference (TPR gap) `,
        h('strong', { id: 'explorer-eo' }, fmt(s.equalOpportunityDifference)),
        '; equalized odds difference ',
        h('strong', {}, fmt(s.equalizedOddsDifference)),
        '.',
      ),
      ui.perGroup ? muted('Different thresholds per group can close the selection gap at the cost of treating applicants with equal scores differently (disparate treatment).') : null,
      ),
    );
    const chart = charts.get('explorer');
    if (chart) {
      s.groups.forEach((g, i) => {
        const ds = chart.data.datasets[e.groups.length * 2 + i];
        if (ds) ds.data = [{ x: g.threshold, y: g.selectionRate }];
      });
      chart.update('none');
    }
    canvasState(canvas, s.groups.map((g) => g.threshold));
  }

  queueMicrotask(() => {
    const datasets = [
      ...e.groups.map((g, i) => ({ type: 'line' as const, label: `${g.group} selection rate`, data: e.thresholds.map((t, k) => ({ x: t, y: g.selectionRate[k]! })), borderColor: c.series[i % c.series.length]!, pointRadius: 0, borderWidth: 2 })),
      ...e.groups.map((g, i) => ({ type: 'line' as const, label: `${g.group} TPR`, data: e.thresholds.map((t, k) => ({ x: t, y: g.tpr[k] ?? Number.NaN })), borderColor: alpha(c.series[i % c.series.length]!, 0.6), borderDash: [5, 4], pointRadius: 0, borderWidth: 1.5 })),
      ...e.groups.map((_, i) => marker(i)),
    ];
    const base = baseOptions(c);
    charts.set('explorer', new Chart(canvas, {
      type: 'line',
      data: { datasets },
      options: { ...base, parsing: false, scales: { x: { ...base.scales.x, type: 'linear', min: 0, max: 1, title: { display: true, text: 'threshold', color: c.text } }, y: { ...base.scales.y, min: 0, max: 1 } } },
    }));
    update();
  });
  draw();
  body.append(controls, sliders, summary, figure);
  return section('explorer', 'Threshold explorer', muted('Per-group selection rate (solid) and true positive rate (dashed) as the decision threshold moves. Equal opportunity and equal selection rates conflict when base rates differ: choose knowingly.'), body);
}

function canvasState(canvas: HTMLCanvasElement, thresholds: number[]): void {
  canvas.dataset.thresholds = thresholds.map((t) => t.toFixed(2)).join(',');
}

function progressOf(task: AnalysisTask): HTMLElement | null {
  const p = model?.busy[task];
  const err = model?.errors[task];
  if (err) return h('p', { className: 'error', attrs: { role: 'alert' } }, err);
  if (!p) return null;
  const bar = h('progress', { attrs: { max: String(Math.max(1, p.total)), value: String(p.done), 'aria-label': p.label } });
  return h('div', { className: 'progress' }, bar, ` ${p.label} ${p.done}/${p.total} `, button('Cancel', () => send({ type: 'cancel' }), true));
}

function renderImportance(): HTMLElement {
  const m = model!;
  if (!m.init.trusted) return section('importance', 'Permutation importance', muted('Not available in Restricted Mode.'));
  if (!m.importance) return section('importance', 'Permutation importance', progressOf('permutation') ?? muted('Not computed yet.'), button('Compute', () => send({ type: 'explain', method: 'permutation' }), true));
  const sorted = [...m.importance].sort((a, b) => b.importance - a.importance);
  const { figure, canvas } = chartBox('importance', `Permutation importance: ${sorted.map((s) => `${s.feature} ${fmt(s.importance)}`).join(', ')}`);
  queueMicrotask(() => {
    const c = colors();
    const base = baseOptions(c);
    charts.set('importance', new Chart(canvas, {
      type: 'bar',
      data: { labels: sorted.map((s) => s.feature), datasets: [{ label: 'score drop (mean ± std)', data: sorted.map((s) => s.importance), backgroundColor: alpha(c.series[0]!, 0.75) }] },
      options: { ...base, indexAxis: 'y', plugins: { ...base.plugins, legend: { display: false } } },
      plugins: [errorBars(sorted.map((s) => s.std))],
    }));
  });
  return section('importance', 'Permutation importance', muted(m.importanceNote), figure, table('Permutation importance', ['Feature', 'Importance', 'Std'], sorted.map((s) => [s.feature, fmt(s.importance, 4), fmt(s.std, 4)]), 'importance-table'));
}

function renderDependence(): HTMLElement {
  const m = model!;
  if (!m.init.trusted) return section('dependence', 'Partial dependence and ICE', muted('Not available in Restricted Mode.'));
  if (!m.dependence) return section('dependence', 'Partial dependence and ICE', progressOf('pdp') ?? muted('Not computed yet.'), button('Compute', () => send({ type: 'explain', method: 'pdp' }), true));
  const features = m.dependence.map((d) => d.feature);
  const current = m.dependence.find((d) => d.feature === ui.feature) ?? m.dependence[0]!;
  const select = h('select', { id: 'pdp-feature', attrs: { 'aria-label': 'Feature' } });
  features.forEach((f) => select.append(h('option', { attrs: { value: f } }, f)));
  select.value = current.feature;
  select.addEventListener('change', () => {
    ui.feature = select.value;
    saveState();
    rerender();
  });
  const { figure, canvas } = chartBox('dependence', `Partial dependence of the prediction on ${current.feature}, with ICE curves`, true);
  queueMicrotask(() => {
    const c = colors();
    const base = baseOptions(c);
    const labels = current.grid.map((g) => (typeof g === 'number' ? Number(g.toPrecision(4)) : g));
    charts.set('dependence', new Chart(canvas, {
      type: 'line',
      data: {
        labels,
        datasets: [
          { label: 'partial dependence (average)', data: current.average, borderColor: c.series[1]!, borderWidth: 3, pointRadius: current.grid.length < 12 ? 3 : 0 },
          ...current.individual.map((curve, i) => ({ label: i === 0 ? 'ICE (individual rows)' : `ICE row ${current.rows[i]}`, data: curve, borderColor: alpha(c.series[0]!, 0.25), borderWidth: 1, pointRadius: 0 })),
        ],
      },
      options: { ...base, plugins: { ...base.plugins, legend: { labels: { ...base.plugins.legend.labels, filter: (item) => item.datasetIndex! <= 1 } }, tooltip: { enabled: false } }, scales: { ...base.scales, x: { ...base.scales.x, title: { display: true, text: current.feature, color: c.text } } } },
    }));
  });
  return section('dependence', 'Partial dependence and ICE', muted(m.dependenceNote), h('div', { className: 'toolbar' }, h('label', { attrs: { for: 'pdp-feature' } }, 'Feature'), select), figure);
}

function renderLocal(rowTable: AnalysisRowTable): HTMLElement {
  const m = model!;
  const parts: Child[] = [];
  if (!m.init.trusted) parts.push(muted('Not available in Restricted Mode.'));
  else parts.push(muted(`Pick a row to explain its prediction (first ${rowTable.rows.length} of ${rowTable.total} rows).`));
  const head = h('thead', {}, h('tr', {}, h('th', { attrs: { scope: 'col' } }, '#'), ...rowTable.columns.map((c) => h('th', { attrs: { scope: 'col' } }, c))));
  const body = h('tbody', {});
  for (const row of rowTable.rows) {
    const tr = h('tr', { className: row.index === ui.row ? 'selected' : '', attrs: { tabindex: '0', 'data-row': String(row.index) } }, h('td', {}, row.index), ...row.cells.map((c) => h('td', {}, c)));
    const pick = () => {
      if (!m.init.trusted) return;
      ui.row = row.index;
      saveState();
      m.local = null;
      delete m.errors.shapley;
      send({ type: 'explainRow', row: row.index });
      rerender();
    };
    tr.addEventListener('click', pick);
    tr.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        pick();
      }
    });
    body.append(tr);
  }
  parts.push(h('div', { className: 'table-wrap rows' }, h('table', { className: 'row-table' }, h('caption', { className: 'visually-hidden' }, 'Holdout rows'), head, body)));
  const explanation = h('div', { id: 'local-explanation' });
  const local = m.local;
  if (local && local.row === ui.row) {
    const entries = Object.entries(local.values).sort(([, a], [, b]) => Math.abs(b) - Math.abs(a));
    explanation.append(
      h('h3', {}, `Row ${local.row}: base value ${fmt(local.baseValue, 4)} → prediction ${fmt(local.prediction, 4)}`),
      muted(m.localNote),
    );
    const { figure, canvas } = chartBox('waterfall', `Waterfall from the base value ${fmt(local.baseValue, 4)} to the prediction ${fmt(local.prediction, 4)}`, true);
    explanation.append(figure, table('Shapley values', ['Feature', 'Value', 'Contribution'], entries.map(([f, v]) => [f, String(local.features[f] ?? ''), h('span', { className: v >= 0 ? 'up' : 'down' }, `${v >= 0 ? '+' : ''}${fmt(v, 4)}`)]), 'shapley-table'));
    queueMicrotask(() => {
      const c = colors();
      const base = baseOptions(c);
      let running = local.baseValue;
      const bars: [number, number][] = [];
      for (const [, v] of entries) {
        bars.push([running, running + v]);
        running += v;
      }
      charts.set('waterfall', new Chart(canvas, {
        type: 'bar',
        data: {
          labels: ['base value', ...entries.map(([f]) => `${f} = ${local.features[f]}`), 'prediction'],
          datasets: [{
            label: 'contribution',
            data: [[0, local.baseValue], ...bars, [0, local.prediction]] as unknown as number[],
            backgroundColor: [alpha(c.text, 0.5), ...entries.map(([, v]) => (v >= 0 ? c.positive : c.negative)), alpha(c.text, 0.8)],
          }],
        },
        options: { ...base, indexAxis: 'y', plugins: { ...base.plugins, legend: { display: false } } },
      }));
    });
  } else if (ui.row !== null && m.init.trusted) {
    explanation.append(progressOf('shapley') ?? muted(`Explaining row ${ui.row}…`));
  }
  parts.push(explanation);
  return section('local', 'Local explanation', ...parts);
}

function rerender(): void {
  if (!model) return;
  const scrollY = window.scrollY;
  for (const c of charts.values()) c.destroy();
  charts.clear();
  const init = model.init;
  const nav = h('nav', { className: 'sections', attrs: { 'aria-label': 'Sections' } }, ...[['evaluation', 'Evaluation'], ['fairness', 'Fairness'], ['explorer', 'Threshold explorer'], ['importance', 'Importance'], ['dependence', 'Dependence'], ['local', 'Local explanation']].map(([id, label]) => h('a', { attrs: { href: `#${id}` } }, label!)));
  content.replaceChildren(
    ...present(
    h('header', {}, h('h1', { className: 'run-name' }, `Analysis of ${init.run.name}`), h('p', { className: 'muted' }, h('code', {}, init.run.id))),
    init.notes.length ? h('ul', { className: 'notes' }, ...init.notes.map((n) => h('li', {}, n))) : null,
    nav,
    renderEvaluation(init.evaluation),
    renderFairness(init.fairness),
    renderExplorer(init.explorers),
    renderImportance(),
    renderDependence(),
    renderLocal(init.table),
    ),
  );
  app.setAttribute('aria-busy', 'false');
  window.scrollTo(0, scrollY);
}

function renderStatus(): void {
  const busy = Object.entries(model?.busy ?? {});
  status.replaceChildren(...busy.map(([task, p]) => h('div', { className: 'progress', attrs: { 'data-task': task } }, h('progress', { attrs: { max: String(Math.max(1, p!.total)), value: String(p!.done), 'aria-label': p!.label } }), ` ${p!.label} ${p!.done}/${p!.total} `, button('Cancel', () => send({ type: 'cancel' }), true))));
}

function showError(message: string): void {
  banner.replaceChildren(h('span', {}, message));
  banner.hidden = false;
  app.setAttribute('aria-busy', 'false');
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (!isAnalysisPanelHostMessage(message)) {
    console.warn(`Provenant analysis panel: ignored an invalid message (${describeMessage(message)})`);
    return;
  }
  try {
    if (message.type === 'init') {
      model = { init: message, importance: model?.importance ?? null, importanceNote: model?.importanceNote ?? '', dependence: model?.dependence ?? null, dependenceNote: model?.dependenceNote ?? '', local: model?.local ?? null, localNote: model?.localNote ?? '', busy: {}, errors: {} };
      ui.runId = message.run.id;
      saveState();
      if (ui.row !== null && message.trusted && ui.row < message.table.total) send({ type: 'explainRow', row: ui.row });
      rerender();
      return;
    }
    if (!model) return;
    if (message.type === 'progress') {
      model.busy[message.task] = { done: message.done, total: message.total, label: message.label };
      delete model.errors[message.task];
      renderStatus();
      return;
    }
    if (message.type === 'failed') {
      if (message.task === null) return showError(message.message);
      delete model.busy[message.task];
      model.errors[message.task] = message.message;
      if (message.task === 'shapley') model.local = null;
      renderStatus();
      rerender();
      return;
    }
    const task: AnalysisTask = message.type === 'importance' ? 'permutation' : message.type === 'dependence' ? 'pdp' : 'shapley';
    delete model.busy[task];
    delete model.errors[task];
    if (message.type === 'importance') {
      model.importance = message.result;
      model.importanceNote = message.note;
    } else if (message.type === 'dependence') {
      model.dependence = message.result;
      model.dependenceNote = message.note;
    } else {
      model.local = message.result;
      model.localNote = message.note;
    }
    renderStatus();
    rerender();
  } catch (err) {
    console.error('Provenant analysis panel: could not render', err);
    showError(`Could not display the analysis: ${err instanceof Error ? err.message : String(err)}`);
  }
});

new MutationObserver(() => rerender()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
send({ type: 'ready' });
