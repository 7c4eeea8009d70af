// The runs table (viewType `provenant.runs`): every run with chosen param and metric columns;
// sort, filter expressions, group by branch, star, hide; a parallel-coordinates chart and a
// scatter plot; select rows and compare. The grid is virtualized in both directions (only the rows
// and columns in view exist in the DOM) and the host sends only the rows that changed. Text only:
// workspace strings go through textContent and attribute setters, never through HTML parsing.
import { Chart, Legend, LinearScale, PointElement, ScatterController, Tooltip } from 'chart.js';
import { columnValue, compareCells, compileFilter, type CellValue, type RunRow } from '../../src/core/runs/table';
import { describeMessage, isRunsTableHostMessage, isRunsTableState, MAX_COMPARE_RUNS, type RunsTableState, type RunsTableWebviewMessage } from '../../src/shared/messages';
import { button, checkbox, formatDuration, formatNumber, h, onThemeChange, themeColors, withAlpha, type VsCodeApi } from '../common/dom';

Chart.register(ScatterController, PointElement, LinearScale, Tooltip, Legend);

declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();
const send = (message: RunsTableWebviewMessage) => vscode.postMessage(message);

const ROW_HEIGHT = 26;
const OVERSCAN = 4;
const COLUMN_OVERSCAN = 1;
const FIXED_COLUMNS = ['select', 'star', 'name'] as const;
const FIELD_LABELS: Record<string, string> = { name: 'Name', experiment: 'Branch', status: 'Status', startedAt: 'Started', durationMs: 'Duration', command: 'Command', id: 'Id' };

function defaultState(): RunsTableState {
  return { columns: [], sort: { column: 'startedAt', descending: true }, filter: '', groupByBranch: false, hidden: [], showHidden: false, chart: 'none', scatterX: null, scatterY: null };
}

const saved: unknown = vscode.getState();
let ui: RunsTableState = isRunsTableState(saved) ? saved : defaultState();
let stateChosen = isRunsTableState(saved);

const rows = new Map<string, RunRow>();
const selected = new Set<string>();
let hidden = new Set<string>(ui.hidden);
let trusted = false;
let predicate: (row: RunRow) => boolean = () => true;

type Item = { kind: 'group'; label: string; count: number } | { kind: 'row'; row: RunRow };
let items: Item[] = [];
let activeIndex = -1;

let saveTimer: ReturnType<typeof setTimeout> | undefined;
function saveState(): void {
  ui.hidden = [...hidden];
  vscode.setState(ui);
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = setTimeout(() => send({ type: 'saveState', state: ui }), 300);
}

// ---------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------

function columnLabel(column: string): string {
  if (column.startsWith('params:')) return column.slice(7);
  if (column.startsWith('metrics:')) return column.slice(8);
  return FIELD_LABELS[column] ?? column;
}

function columnKind(column: string): 'param' | 'metric' | 'field' {
  return column.startsWith('params:') ? 'param' : column.startsWith('metrics:') ? 'metric' : 'field';
}

/** Every param and metric key present in some run, most frequent first. */
function availableColumns(): string[] {
  const counts = new Map<string, number>();
  for (const row of rows.values()) {
    for (const k of Object.keys(row.metrics)) counts.set(`metrics:${k}`, (counts.get(`metrics:${k}`) ?? 0) + 1);
    for (const k of Object.keys(row.params)) counts.set(`params:${k}`, (counts.get(`params:${k}`) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k]) => k);
}

function chooseDefaultColumns(): void {
  if (stateChosen || rows.size === 0) return;
  const all = availableColumns();
  ui.columns = ['experiment', 'status', 'startedAt', 'command', ...all.filter((c) => c.startsWith('metrics:')).slice(0, 6), ...all.filter((c) => c.startsWith('params:')).slice(0, 6)];
  stateChosen = true;
}

function columnWidth(column: string): number {
  if (column === 'select') return 30;
  if (column === 'star') return 30;
  if (column === 'name') return 220;
  if (column === 'startedAt') return 150;
  if (column === 'status') return 90;
  if (column === 'experiment') return 140;
  if (column === 'command') return 240;
  return 110;
}

function allColumns(): string[] {
  return [...FIXED_COLUMNS, ...ui.columns];
}

function cellText(row: RunRow, column: string): string {
  const v: CellValue = columnValue(row, column);
  if (v === undefined || v === null) return '';
  if (column === 'startedAt' && typeof v === 'string') return v.replace('T', ' ').slice(0, 19);
  if (column === 'durationMs' && typeof v === 'number') return formatDuration(v);
  if (typeof v === 'number') return formatNumber(v, 5);
  return String(v);
}

// ---------------------------------------------------------------------------------------------
// The view: filter, sort, group
// ---------------------------------------------------------------------------------------------

function recompute(): void {
  let list = [...rows.values()].filter((r) => (ui.showHidden || !hidden.has(r.id)) && safeTest(r));
  const sort = ui.sort;
  if (sort) {
    const dir = sort.descending ? -1 : 1;
    // Each row's sort key is read once, not once per comparison.
    const keyed = list.map((row) => ({ row, key: columnValue(row, sort.column) }));
    keyed.sort((a, b) => {
      const x = a.key;
      const y = b.key;
      const missing = (x === undefined || x === null ? 1 : 0) - (y === undefined || y === null ? 1 : 0);
      return missing || dir * compareCells(x, y) || (a.row.id < b.row.id ? 1 : -1);
    });
    list = keyed.map((k) => k.row);
  }
  if (ui.groupByBranch) {
    const groups = new Map<string, RunRow[]>();
    for (const r of list) {
      const key = r.experiment ?? '(detached)';
      const g = groups.get(key) ?? [];
      g.push(r);
      groups.set(key, g);
    }
    items = [];
    for (const [label, g] of [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      items.push({ kind: 'group', label, count: g.length });
      for (const row of g) items.push({ kind: 'row', row });
    }
  } else {
    items = list.map((row) => ({ kind: 'row', row }));
  }
  list = [];
  if (activeIndex >= items.length) activeIndex = items.length - 1;
}

function safeTest(row: RunRow): boolean {
  try {
    return predicate(row);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// DOM
// ---------------------------------------------------------------------------------------------

const app = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
const banner = h('div', { id: 'banner', className: 'banner', attrs: { role: 'alert' } });
banner.hidden = true;

const filterInput = h('input', { id: 'filter', className: 'filter', attrs: { type: 'search', placeholder: 'Filter, e.g. metrics.auc > 0.8 and params.model == "gbm"', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'filter-error' } });
const filterError = h('span', { id: 'filter-error', className: 'filter-error', attrs: { 'aria-live': 'polite' } });
const countLabel = h('span', { id: 'count', className: 'muted', attrs: { 'aria-live': 'polite' } });
const compareButton = button('Compare', () => {
  const ids = [...selected].filter((id) => rows.has(id));
  if (ids.length >= 2 && ids.length <= MAX_COMPARE_RUNS) send({ type: 'compare', runIds: ids });
});
compareButton.id = 'compare';
const clearButton = button('Clear selection', () => {
  selected.clear();
  updateToolbar();
  renderRows(true);
}, { secondary: true });

const columnsMenu = h('details', { className: 'columns-menu' });
const chartSelect = h('select', { id: 'chart-kind', attrs: { 'aria-label': 'Chart' } }, h('option', { attrs: { value: 'none' } }, 'No chart'), h('option', { attrs: { value: 'parallel' } }, 'Parallel coordinates'), h('option', { attrs: { value: 'scatter' } }, 'Metric vs param scatter'));
const chartArea = h('div', { id: 'chart-area', className: 'chart-area' });

const header = h('div', { className: 'grid-header', attrs: { role: 'row' } });
const spacer = h('div', { className: 'spacer' });
const body = h('div', { className: 'grid-body', attrs: { role: 'rowgroup' } });
const viewport = h('div', { id: 'grid', className: 'viewport', attrs: { role: 'grid', tabindex: '0', 'aria-label': 'Runs', 'aria-multiselectable': 'true' } }, header, spacer);
spacer.appendChild(body);
const empty = h('p', { className: 'muted empty' });

const toolbar = h(
  'div',
  { className: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Runs table' } },
  h('label', { className: 'visually-hidden', attrs: { for: 'filter' } }, 'Filter runs'),
  filterInput,
  compareButton,
  clearButton,
  checkbox('group-branch', 'Group by branch', ui.groupByBranch, (v) => {
    ui.groupByBranch = v;
    saveState();
    refresh();
  }),
  checkbox('show-hidden', 'Show hidden', ui.showHidden, (v) => {
    ui.showHidden = v;
    saveState();
    refresh();
  }),
  columnsMenu,
  h('label', { className: 'visually-hidden', attrs: { for: 'chart-kind' } }, 'Chart'),
  chartSelect,
  countLabel,
);
app.replaceChildren(banner, h('h1', { className: 'visually-hidden' }, 'Runs'), toolbar, filterError, chartArea, viewport, empty);

filterInput.value = ui.filter;
let filterTimer: ReturnType<typeof setTimeout> | undefined;
filterInput.addEventListener('input', () => {
  if (filterTimer) clearTimeout(filterTimer);
  filterTimer = setTimeout(() => applyFilter(filterInput.value), 150);
});

function applyFilter(text: string): void {
  try {
    predicate = compileFilter(text);
    filterError.textContent = '';
    filterInput.removeAttribute('aria-invalid');
    ui.filter = text;
    saveState();
    refresh();
  } catch (err) {
    filterError.textContent = err instanceof Error ? err.message : String(err);
    filterInput.setAttribute('aria-invalid', 'true');
  }
}

chartSelect.addEventListener('change', () => {
  const v = chartSelect.value;
  ui.chart = v === 'parallel' || v === 'scatter' ? v : 'none';
  saveState();
  renderChart();
});

function updateToolbar(): void {
  const n = [...selected].filter((id) => rows.has(id)).length;
  compareButton.textContent = n ? `Compare ${n} selected` : 'Compare';
  compareButton.disabled = n < 2 || n > MAX_COMPARE_RUNS;
  compareButton.title = n < 2 ? 'Select two or more runs' : n > MAX_COMPARE_RUNS ? `At most ${MAX_COMPARE_RUNS} runs` : '';
  clearButton.disabled = n === 0;
  const shown = items.filter((i) => i.kind === 'row').length;
  countLabel.textContent = `${shown.toLocaleString('en-US')} of ${rows.size.toLocaleString('en-US')} runs${hidden.size ? ` · ${hidden.size} hidden` : ''}`;
}

function renderColumnsMenu(): void {
  const search = h('input', { className: 'filter', attrs: { type: 'search', placeholder: 'Find a column', 'aria-label': 'Find a column' } });
  const list = h('div', { className: 'columns-list', attrs: { role: 'group', 'aria-label': 'Columns' } });
  let choices: string[] | null = null;
  const draw = () => {
    choices ??= [...Object.keys(FIELD_LABELS).filter((k) => k !== 'name'), ...availableColumns()];
    const needle = search.value.trim().toLowerCase();
    list.replaceChildren(
      ...choices
        .filter((c) => !needle || c.toLowerCase().includes(needle))
        .slice(0, 400)
        .map((c, i) => {
          const id = `col-${i}`;
          const input = h('input', { id, attrs: { type: 'checkbox' } });
          input.checked = ui.columns.includes(c);
          input.addEventListener('change', () => {
            ui.columns = input.checked ? [...ui.columns, c] : ui.columns.filter((x) => x !== c);
            saveState();
            renderHeader();
            renderRows(true);
            renderChart();
          });
          return h('label', { className: `check kind-${columnKind(c)}`, attrs: { for: id } }, input, ` ${columnKind(c) === 'field' ? '' : `${columnKind(c)}s.`}${columnLabel(c)}`);
        }),
    );
  };
  search.addEventListener('input', draw);
  columnsDraw = draw;
  if (columnsMenu.open) draw();
  columnsMenu.replaceChildren(h('summary', {}, `Columns (${ui.columns.length})`), h('div', { className: 'columns-popup' }, search, list));
}
let columnsDraw: (() => void) | null = null;
columnsMenu.addEventListener('toggle', () => {
  if (columnsMenu.open) columnsDraw?.();
});

function sortBy(column: string): void {
  ui.sort = ui.sort?.column === column ? (ui.sort.descending ? { column, descending: false } : null) : { column, descending: columnKind(column) === 'metric' || column === 'startedAt' };
  saveState();
  renderHeader();
  refresh();
}

function headerCell(c: string, i: number): HTMLElement {
  const colindex = String(i + 1);
  if (c === 'select') return h('div', { className: 'hcell', attrs: { role: 'columnheader', 'aria-colindex': colindex } }, h('span', { className: 'visually-hidden' }, 'Selected'));
  if (c === 'star') return h('div', { className: 'hcell', attrs: { role: 'columnheader', 'aria-colindex': colindex, title: 'Starred' } }, '★');
  const sorted = ui.sort?.column === c;
  const label = `${columnKind(c) === 'field' ? '' : columnKind(c) === 'metric' ? 'm ' : 'p '}${columnLabel(c)}${sorted ? (ui.sort!.descending ? ' ▼' : ' ▲') : ''}`;
  const b = h('button', { className: `hcell sort kind-${columnKind(c)}`, attrs: { type: 'button', title: `${c.replace(':', '.')} — sort` } }, label);
  b.dataset.column = c;
  b.addEventListener('click', () => sortBy(c));
  return h('div', { className: 'hcell-wrap', attrs: { role: 'columnheader', 'aria-colindex': colindex, 'aria-sort': sorted ? (ui.sort!.descending ? 'descending' : 'ascending') : 'none' } }, b);
}

/** The columns or the sort changed: the header cells are rebuilt by the next renderRows. */
function renderHeader(): void {
  headerDirty = true;
  renderColumnsMenu();
}

// ---------------------------------------------------------------------------------------------
// The grid: virtualized in both directions. Only the rows in view (plus OVERSCAN) and, in each,
// only the columns in view (plus COLUMN_OVERSCAN) have elements. Rows are absolutely positioned
// with a transform and have a fixed height; the columns in view share one grid template through
// CSS variables on the viewport (--cols, --x0), so a horizontal move writes two properties, not
// one per row. Layout is read only at the start of a render (scroll offsets) or in the
// ResizeObserver (sizes), never after a write in the same frame.
// ---------------------------------------------------------------------------------------------

interface CellView {
  el: HTMLElement;
  /** Index in the column list (aria-colindex - 1), and the column shown. */
  index: number;
  column: string;
  /** The row object last drawn: rows are replaced, never mutated, when the host updates them. */
  row: RunRow | null;
  text: string;
  title: string;
  textNode: Text | null;
}

interface RowView {
  el: HTMLElement;
  cells: CellView[];
  index: number;
  group: boolean;
  className: string;
  selected: string;
}

interface Geometry {
  key: string;
  columns: string[];
  offsets: number[];
  total: number;
}

let geometry: Geometry = { key: '\u0001', columns: [], offsets: [], total: 0 };
let headerDirty = true;
let colRange = { from: 0, to: 0, key: '' };
let rowRange = { from: -1, to: -1 };
const live = new Map<number, RowView>();
const spare: RowView[] = [];
/** Viewport metrics, kept by the ResizeObserver (where layout is clean). */
const view = { width: 0, height: 0, header: 0 };

function columnGeometry(): Geometry {
  const key = ui.columns.join('\u0000');
  if (geometry.key !== key) {
    const columns = allColumns();
    const offsets: number[] = [];
    let x = 0;
    for (const c of columns) {
      offsets.push(x);
      x += columnWidth(c);
    }
    geometry = { key, columns, offsets, total: x };
    header.style.width = `${x}px`;
    spacer.style.width = `${x}px`;
    viewport.setAttribute('aria-colcount', String(columns.length));
    headerDirty = true;
  }
  return geometry;
}

function measure(): void {
  view.width = viewport.clientWidth;
  view.height = viewport.clientHeight;
  view.header = header.offsetHeight;
}

/** The columns that intersect [left, left + width), plus COLUMN_OVERSCAN on each side. */
function columnsInView(g: Geometry, left: number): { from: number; to: number } {
  const n = g.columns.length;
  const right = left + view.width;
  let from = 0;
  while (from < n - 1 && g.offsets[from + 1]! <= left) from++;
  let to = from;
  while (to < n && g.offsets[to]! < right) to++;
  return { from: Math.max(0, from - COLUMN_OVERSCAN), to: Math.min(n, Math.max(to, from + 1) + COLUMN_OVERSCAN) };
}

/** Writes the columns in view: the template and offset variables and the header cells. */
function applyColumns(g: Geometry, from: number, to: number): boolean {
  const key = `${g.key}\u0001${from}:${to}`;
  const changed = key !== colRange.key;
  if (changed) {
    colRange = { from, to, key };
    let template = '';
    for (let i = from; i < to; i++) template += `${columnWidth(g.columns[i]!)}px `;
    viewport.style.setProperty('--cols', template.trimEnd() || 'none');
    viewport.style.setProperty('--x0', `${g.offsets[from] ?? 0}px`);
  }
  if (changed || headerDirty) {
    headerDirty = false;
    const cells: HTMLElement[] = [];
    for (let i = from; i < to; i++) cells.push(headerCell(g.columns[i]!, i));
    header.replaceChildren(...cells);
  }
  return changed;
}

function rowView(): RowView {
  const el = h('div', { className: 'grid-row', attrs: { role: 'row' } });
  el.addEventListener('click', (event) => {
    const index = Number(el.dataset.index);
    const item = items[index];
    if (!item || item.kind !== 'row') return;
    const target = event.target as HTMLElement;
    const action = target.closest<HTMLElement>('[data-action]')?.dataset.action;
    activeIndex = index;
    if (action === 'star') {
      if (trusted) send({ type: 'star', runId: item.row.id, starred: !item.row.starred });
    } else if (action === 'hide') {
      toggleHidden(item.row.id);
    } else if (action === 'open') {
      send({ type: 'openRun', runId: item.row.id });
    } else {
      toggleSelected(item.row.id);
    }
    renderRows(true);
  });
  el.addEventListener('dblclick', () => {
    const item = items[Number(el.dataset.index)];
    if (item?.kind === 'row') send({ type: 'openRun', runId: item.row.id });
  });
  body.appendChild(el);
  return { el, cells: [], index: -1, group: false, className: '', selected: '' };
}

function toggleSelected(id: string): void {
  if (selected.has(id)) selected.delete(id);
  else selected.add(id);
  updateToolbar();
}

function toggleHidden(id: string): void {
  if (hidden.has(id)) hidden.delete(id);
  else hidden.add(id);
  saveState();
  refresh();
}

function setText(cell: CellView, text: string): void {
  if (cell.text === text && cell.textNode) return;
  cell.text = text;
  if (cell.textNode) cell.textNode.nodeValue = text;
  else {
    cell.textNode = document.createTextNode(text);
    cell.el.replaceChildren(cell.textNode);
  }
}

function setTitle(cell: CellView, title: string): void {
  if (cell.title === title) return;
  cell.title = title;
  cell.el.title = title;
}

function setClass(el: HTMLElement, className: string): void {
  if (el.className !== className) el.className = className;
}

function fillCell(cell: CellView, index: number, column: string, row: RunRow, isSelected: boolean): void {
  const el = cell.el;
  if (cell.index !== index) {
    cell.index = index;
    el.setAttribute('aria-colindex', String(index + 1));
  }
  if (cell.column !== column) {
    // Another column in this slot: start from an empty cell.
    cell.column = column;
    cell.row = null;
    cell.text = '';
    cell.textNode = null;
    el.replaceChildren();
    delete el.dataset.action;
    if (column === 'name') {
      el.className = 'gcell name';
      const open = h('span', { className: 'row-action', attrs: { title: 'Open run details' } }, '↗');
      open.dataset.action = 'open';
      const hide = h('span', { className: 'row-action hide-action' });
      hide.dataset.action = 'hide';
      el.append(h('span', { className: 'name-text' }), open, hide);
    } else if (column === 'star') el.dataset.action = 'star';
  }
  if (column === 'select') {
    setText(cell, isSelected ? '☑' : '☐');
    setClass(el, 'gcell select');
    setTitle(cell, isSelected ? 'Selected' : 'Select');
  } else if (column === 'star') {
    setText(cell, row.starred ? '★' : '☆');
    setClass(el, `gcell star${row.starred ? ' starred' : ''}${trusted ? '' : ' disabled'}`);
    setTitle(cell, trusted ? (row.starred ? 'Unstar' : 'Star') : 'Starring needs a trusted workspace');
  } else if (column === 'name') {
    const isHidden = hidden.has(row.id);
    const nameText = el.children[0]!;
    const name = row.name || row.id;
    if (nameText.textContent !== name) nameText.textContent = name;
    const hide = el.children[2] as HTMLElement;
    const mark = isHidden ? '◌' : '⊘';
    if (hide.textContent !== mark) {
      hide.textContent = mark;
      hide.title = isHidden ? 'Unhide' : 'Hide';
    }
    setTitle(cell, `${row.name} (${row.id})`);
  } else if (cell.row !== row) {
    // A data cell depends on the row and the column only: unchanged row object, nothing to do.
    cell.row = row;
    const text = cellText(row, column);
    setText(cell, text);
    setTitle(cell, text.length > 14 ? text : '');
    setClass(el, `gcell kind-${columnKind(column)}${column === 'status' ? ` status status-${row.status}` : ''}`);
  }
}

function fillRow(rv: RowView, index: number): void {
  const item = items[index]!;
  const el = rv.el;
  if (el.hidden) el.hidden = false;
  if (rv.index !== index) {
    rv.index = index;
    el.dataset.index = String(index);
    el.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
    // Rows overlap by their bottom border; a later row paints over an earlier one whatever the
    // order of the reused elements in the DOM.
    el.style.zIndex = String(index);
    el.id = `row-${index}`;
    el.setAttribute('aria-rowindex', String(index + 2));
  }
  if (item.kind === 'group') {
    rv.className = 'grid-row group-row';
    el.className = rv.className;
    rv.selected = '';
    el.removeAttribute('aria-selected');
    el.dataset.runId = '';
    rv.group = true;
    rv.cells = [];
    const cell = h('div', { className: 'gcell group-label', attrs: { role: 'gridcell', 'aria-colindex': '1' } }, item.label, h('span', { className: 'muted' }, ` — ${item.count} run${item.count === 1 ? '' : 's'}`));
    el.replaceChildren(cell);
    return;
  }
  if (rv.group) {
    rv.group = false;
    el.replaceChildren();
  }
  const row = item.row;
  const isSelected = selected.has(row.id);
  const className = `grid-row${isSelected ? ' selected' : ''}${index === activeIndex ? ' active' : ''}${hidden.has(row.id) ? ' is-hidden' : ''} status-${row.status}`;
  if (rv.className !== className) {
    rv.className = className;
    el.className = className;
  }
  const ariaSelected = String(isSelected);
  if (rv.selected !== ariaSelected) {
    rv.selected = ariaSelected;
    el.setAttribute('aria-selected', ariaSelected);
  }
  if (el.dataset.runId !== row.id) el.dataset.runId = row.id;
  const { from, to } = colRange;
  const n = to - from;
  while (rv.cells.length < n) {
    const cellEl = h('div', { className: 'gcell', attrs: { role: 'gridcell' } });
    el.appendChild(cellEl);
    rv.cells.push({ el: cellEl, index: -1, column: '', row: null, text: '', title: '', textNode: null });
  }
  while (rv.cells.length > n) rv.cells.pop()!.el.remove();
  const columns = geometry.columns;
  for (let k = 0; k < n; k++) fillCell(rv.cells[k]!, from + k, columns[from + k]!, row, isSelected);
}

function renderRows(force = false): void {
  if (!view.height) measure();
  // Reads first (scroll offsets; sizes are cached), then writes only.
  const scrollTop = viewport.scrollTop;
  const scrollLeft = viewport.scrollLeft;
  const g = columnGeometry();
  const cols = columnsInView(g, scrollLeft);
  const columnsChanged = applyColumns(g, cols.from, cols.to);
  const top = Math.max(0, scrollTop - view.header);
  const from = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
  const to = Math.min(items.length, Math.ceil((top + view.height) / ROW_HEIGHT) + OVERSCAN);
  if (!force && !columnsChanged && from === rowRange.from && to === rowRange.to) return;
  rowRange = { from, to };
  for (const [index, rv] of live) {
    if (index >= from && index < to) continue;
    live.delete(index);
    spare.push(rv);
  }
  for (let i = from; i < to; i++) {
    let rv = live.get(i);
    // A row still in view keeps its element and content unless something else changed.
    if (rv && !force && !columnsChanged) continue;
    if (!rv) {
      rv = spare.pop() ?? rowView();
      live.set(i, rv);
    }
    fillRow(rv, i);
  }
  for (const rv of spare) {
    if (!rv.el.hidden) rv.el.hidden = true;
    rv.index = -1;
  }
  const active = items[activeIndex] ? `row-${activeIndex}` : '';
  if (active && activeIndex >= from && activeIndex < to) viewport.setAttribute('aria-activedescendant', active);
  else viewport.removeAttribute('aria-activedescendant');
}

function refresh(): void {
  recompute();
  spacer.style.height = `${items.length * ROW_HEIGHT}px`;
  viewport.setAttribute('aria-rowcount', String(items.length + 1));
  empty.textContent = rows.size === 0 ? 'No runs yet.' : items.length === 0 ? 'No run matches the filter.' : '';
  empty.hidden = items.length > 0;
  updateToolbar();
  renderRows(true);
  renderChart();
}

let scrollQueued = false;
viewport.addEventListener('scroll', () => {
  if (scrollQueued) return;
  scrollQueued = true;
  requestAnimationFrame(() => {
    scrollQueued = false;
    renderRows();
  });
});
new ResizeObserver(() => {
  // Called after layout: reading sizes here forces nothing.
  const before = `${view.width}x${view.height}x${view.header}`;
  measure();
  if (`${view.width}x${view.height}x${view.header}` !== before) renderRows(true);
}).observe(viewport);

function moveActive(to: number): void {
  if (items.length === 0) return;
  activeIndex = Math.max(0, Math.min(items.length - 1, to));
  const y = activeIndex * ROW_HEIGHT;
  const top = viewport.scrollTop;
  const visible = view.height - view.header;
  if (y < top) viewport.scrollTop = y;
  else if (y + ROW_HEIGHT > top + visible) viewport.scrollTop = y + ROW_HEIGHT - visible;
  renderRows(true);
}

viewport.addEventListener('keydown', (event) => {
  const page = Math.max(1, Math.floor(view.height / ROW_HEIGHT) - 1);
  const item = items[activeIndex];
  switch (event.key) {
    case 'ArrowDown':
      moveActive(activeIndex + 1);
      break;
    case 'ArrowUp':
      moveActive(activeIndex - 1);
      break;
    case 'PageDown':
      moveActive(activeIndex + page);
      break;
    case 'PageUp':
      moveActive(activeIndex - page);
      break;
    case 'Home':
      moveActive(0);
      break;
    case 'End':
      moveActive(items.length - 1);
      break;
    case ' ':
      if (item?.kind === 'row') {
        toggleSelected(item.row.id);
        renderRows(true);
      }
      break;
    case 'Enter':
      if (item?.kind === 'row') send({ type: 'openRun', runId: item.row.id });
      break;
    case 'h':
      if (item?.kind === 'row') toggleHidden(item.row.id);
      break;
    case 's':
      if (item?.kind === 'row' && trusted) send({ type: 'star', runId: item.row.id, starred: !item.row.starred });
      break;
    default:
      return;
  }
  event.preventDefault();
});

// ---------------------------------------------------------------------------------------------
// Charts: parallel coordinates (canvas) and metric-vs-param scatter (chart.js)
// ---------------------------------------------------------------------------------------------

let scatter: Chart<'scatter'> | null = null;
let drawParallel: (() => void) | null = null;

function numericColumns(): string[] {
  const visible = items.filter((i): i is { kind: 'row'; row: RunRow } => i.kind === 'row').map((i) => i.row);
  return ui.columns.filter((c) => columnKind(c) !== 'field' && visible.some((r) => typeof columnValue(r, c) === 'number'));
}

function visibleRows(): RunRow[] {
  return items.filter((i): i is { kind: 'row'; row: RunRow } => i.kind === 'row').map((i) => i.row);
}

function renderChart(): void {
  chartSelect.value = ui.chart;
  scatter?.destroy();
  scatter = null;
  drawParallel = null;
  if (ui.chart === 'none') {
    chartArea.replaceChildren();
    chartArea.hidden = true;
    return;
  }
  chartArea.hidden = false;
  const numeric = numericColumns();
  if (ui.chart === 'parallel') {
    const axes = numeric.slice(0, 16);
    if (axes.length < 2) {
      chartArea.replaceChildren(h('p', { className: 'muted' }, 'Parallel coordinates need two or more numeric columns: add param or metric columns.'));
      return;
    }
    const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': `Parallel coordinates of ${visibleRows().length} runs over ${axes.map(columnLabel).join(', ')}` } });
    canvas.dataset.chart = 'parallel';
    chartArea.replaceChildren(h('div', { className: 'parallel-box' }, canvas));
    drawParallel = () => paintParallel(canvas, axes);
    drawParallel();
    return;
  }
  const params = numeric.filter((c) => columnKind(c) === 'param');
  const metrics = numeric.filter((c) => columnKind(c) === 'metric');
  if (params.length === 0 || metrics.length === 0) {
    chartArea.replaceChildren(h('p', { className: 'muted' }, 'The scatter plot needs a numeric param column and a metric column.'));
    return;
  }
  const x = ui.scatterX && params.includes(ui.scatterX) ? ui.scatterX : params[0]!;
  const y = ui.scatterY && metrics.includes(ui.scatterY) ? ui.scatterY : metrics[0]!;
  const select = (id: string, label: string, options: string[], value: string, set: (v: string) => void) => {
    const s = h('select', { id }, ...options.map((o) => h('option', { attrs: { value: o } }, columnLabel(o))));
    s.value = value;
    s.addEventListener('change', () => {
      set(s.value);
      saveState();
      renderChart();
    });
    return h('label', { attrs: { for: id } }, `${label} `, s);
  };
  const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': `${columnLabel(y)} against ${columnLabel(x)}` } });
  canvas.dataset.chart = 'scatter';
  chartArea.replaceChildren(
    h('div', { className: 'toolbar' }, select('scatter-x', 'x (param)', params, x, (v) => (ui.scatterX = v)), select('scatter-y', 'y (metric)', metrics, y, (v) => (ui.scatterY = v))),
    h('div', { className: 'scatter-box' }, canvas),
  );
  const colors = themeColors();
  const points = visibleRows()
    .map((r) => ({ x: columnValue(r, x), y: columnValue(r, y), name: r.name, id: r.id }))
    .filter((p): p is { x: number; y: number; name: string; id: string } => typeof p.x === 'number' && typeof p.y === 'number' && Number.isFinite(p.x) && Number.isFinite(p.y));
  const sel = points.filter((p) => selected.has(p.id));
  scatter = new Chart(canvas, {
    type: 'scatter',
    data: {
      datasets: [
        { label: 'runs', data: points, backgroundColor: withAlpha(colors.series[0]!, 0.6), borderColor: colors.series[0]!, pointRadius: 3 },
        { label: 'selected', data: sel, backgroundColor: colors.series[1]!, borderColor: colors.series[1]!, pointRadius: 5 },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: { title: { display: true, text: columnLabel(x), color: colors.text }, ticks: { color: colors.text }, grid: { color: colors.grid } },
        y: { title: { display: true, text: columnLabel(y), color: colors.text }, ticks: { color: colors.text }, grid: { color: colors.grid } },
      },
      plugins: {
        legend: { labels: { color: colors.text } },
        tooltip: { callbacks: { label: (ctx) => { const p = ctx.raw as { name: string; x: number; y: number }; return `${p.name}: ${formatNumber(p.x)}, ${formatNumber(p.y)}`; } } },
      },
    },
  });
  canvas.dataset.points = String(points.length);
}

function paintParallel(canvas: HTMLCanvasElement, axes: string[]): void {
  const colors = themeColors();
  const box = canvas.parentElement!;
  const ratio = window.devicePixelRatio || 1;
  const width = box.clientWidth;
  const height = box.clientHeight;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const pad = { left: 40, right: 40, top: 34, bottom: 24 };
  const runs = visibleRows();
  const ranges = axes.map((a) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of runs) {
      const v = columnValue(r, a);
      if (typeof v === 'number' && Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    return lo === Infinity ? [0, 1] : lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
  });
  const xOf = (i: number) => pad.left + (i * (width - pad.left - pad.right)) / (axes.length - 1);
  const yOf = (i: number, v: number) => pad.top + (1 - (v - ranges[i]![0]!) / (ranges[i]![1]! - ranges[i]![0]!)) * (height - pad.top - pad.bottom);
  const drawLines = (list: RunRow[], color: string, lineWidth: number) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = lineWidth;
    ctx.beginPath();
    for (const r of list) {
      let started = false;
      axes.forEach((a, i) => {
        const v = columnValue(r, a);
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          started = false;
          return;
        }
        if (started) ctx.lineTo(xOf(i), yOf(i, v));
        else ctx.moveTo(xOf(i), yOf(i, v));
        started = true;
      });
    }
    ctx.stroke();
  };
  const alpha = colors.highContrast ? 0.8 : Math.max(0.04, Math.min(0.5, 40 / Math.max(1, runs.length)));
  drawLines(runs.filter((r) => !selected.has(r.id)), withAlpha(colors.series[0]!, alpha), 1);
  drawLines(runs.filter((r) => selected.has(r.id)), colors.series[1]!, 2.5);
  ctx.fillStyle = colors.text;
  ctx.strokeStyle = colors.grid;
  ctx.lineWidth = 1;
  ctx.font = `11px ${colors.font}`;
  ctx.textAlign = 'center';
  axes.forEach((a, i) => {
    const x = xOf(i);
    ctx.beginPath();
    ctx.moveTo(x, pad.top);
    ctx.lineTo(x, height - pad.bottom);
    ctx.stroke();
    const label = columnLabel(a);
    ctx.fillText(label.length > 18 ? `${label.slice(0, 17)}…` : label, x, 14);
    ctx.fillText(formatNumber(ranges[i]![1]!, 3), x, pad.top - 6);
    ctx.fillText(formatNumber(ranges[i]![0]!, 3), x, height - pad.bottom + 14);
  });
  canvas.dataset.lines = String(runs.length);
  canvas.dataset.draws = String(Number(canvas.dataset.draws ?? '0') + 1);
  canvas.dataset.lineColor = colors.series[0]!;
}

onThemeChange(() => {
  if (drawParallel) drawParallel();
  else if (scatter) renderChart();
});

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

function showError(message: string): void {
  banner.replaceChildren(h('span', { className: 'banner-text' }, message), button('Dismiss', () => (banner.hidden = true), { secondary: true }));
  banner.hidden = false;
}

/** For tests and the bench: how many row elements exist, and the last update's effect. */
(window as unknown as { __runsTable: unknown }).__runsTable = {
  rowElements: () => body.querySelectorAll('.grid-row:not([hidden])').length,
  items: () => items.length,
};

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (!isRunsTableHostMessage(message)) {
    console.warn(`Provenant runs table: ignored an invalid message (${describeMessage(message)})`);
    return;
  }
  try {
    if (message.type === 'init') {
      rows.clear();
      for (const r of message.rows) rows.set(r.id, r);
      trusted = message.trusted;
      if (message.state) {
        ui = message.state;
        stateChosen = true;
        hidden = new Set(ui.hidden);
        filterInput.value = ui.filter;
        (document.getElementById('group-branch') as HTMLInputElement).checked = ui.groupByBranch;
        (document.getElementById('show-hidden') as HTMLInputElement).checked = ui.showHidden;
      }
      try {
        predicate = compileFilter(ui.filter);
      } catch (err) {
        predicate = () => true;
        filterError.textContent = err instanceof Error ? err.message : String(err);
      }
      chooseDefaultColumns();
      if (message.problems.length) showError(`${message.problems.length} run folder(s) could not be read: ${message.problems.slice(0, 3).join('; ')}`);
      renderHeader();
      refresh();
      app.setAttribute('aria-busy', 'false');
      document.body.dataset.ready = 'true';
    } else if (message.type === 'update') {
      for (const id of message.removed) {
        rows.delete(id);
        selected.delete(id);
      }
      for (const r of message.upserts) rows.set(r.id, r);
      const hadColumns = stateChosen;
      chooseDefaultColumns();
      if (!hadColumns && stateChosen) renderHeader();
      refresh();
      document.body.dataset.updates = String(Number(document.body.dataset.updates ?? '0') + 1);
    } else showError(message.message);
  } catch (err) {
    console.error('Provenant runs table: could not render', err);
    showError(`Could not display the runs: ${err instanceof Error ? err.message : String(err)}`);
  }
});

send({ type: 'ready' });
