// The compare panel and the runs table in headless Chromium, served with the extension's own HTML
// (CSP, nonce) and bundles (dist/webview/{compare,runs}.js: run `npm run build` first). Hostile
// workspace strings must render as text, run no script and cause no CSP violation.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareRunsFull, type FullComparison } from '../../src/core/runs/compare';
import type { ComparisonExtras } from '../../src/core/runs/compareEvaluation';
import { precisionRecallCurve, rocCurve } from '../../src/core/analysis/curves';
import { rowOf, type RunRow } from '../../src/core/runs/table';
import { isComparePanelHostMessage, isComparePanelWebviewMessage, isRunsTableHostMessage, isRunsTableWebviewMessage } from '../../src/shared/messages';
import type { MetricPoint, RunRecord } from '../../src/core/runs/types';
import { makeRepo } from '../helpers/git';
import { sampleRun } from '../fixtures/runRecord';
import { WebviewHarness, themeVariable, type PanelPage } from '../helpers/webviewHarness';

const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = '</script><script>window.__pwned=1</script>';
const QUOTES = `"'\`;--`;
const UNICODE = 'Тогрута ✓ 🚀';
const LONG = `long-${'x'.repeat(5_000)}`;

function hostileRuns(): RunRecord[] {
  const base = sampleRun();
  const a = sampleRun({ id: '20250101-000000-aaaaaa', command: ['python', 'train.py', '--note', IMG, LONG], name: `${IMG} ${SCRIPT}`, experiment: `exp/${IMG}`, data: [{ path: `data/${SCRIPT}`, md5: '11111111111111111111111111111111.dir', size: 3 }], params: { [IMG]: SCRIPT, lr: 0.1, [UNICODE]: QUOTES, [LONG]: 1 }, metrics: { [IMG]: 0.5, auc: 0.8, [LONG]: 1 } });
  const b = sampleRun({
    id: '20250101-000001-bbbbbb',
    name: `${UNICODE} ${QUOTES} ${LONG}`,
    experiment: 'exp/b',
    params: { [IMG]: IMG, lr: 0.05, [UNICODE]: QUOTES, [LONG]: 2 },
    metrics: { [IMG]: 0.75, auc: 0.85, [LONG]: 1 },
    seeds: { ...base.seeds, root: 7, env: { [SCRIPT]: IMG } },
    data: [{ path: `data/${SCRIPT}`, md5: '22222222222222222222222222222222.dir', size: 3 }],
    environment: { ...base.environment, packages: { ...base.environment.packages, [IMG]: SCRIPT, numpy: '9.9.9' } },
  });
  return [a, b];
}

async function hostileComparison(): Promise<FullComparison> {
  const [a, b] = hostileRuns();
  const c = await compareRunsFull(makeRepo(), [a!, b!], {
    readManifest: async (oid) => (oid.startsWith('2') ? [{ md5: 'x', relpath: `${IMG}.csv` }, { md5: 'y', relpath: LONG }] : [{ md5: 'x0', relpath: `${IMG}.csv` }]),
  });
  c.code = {
    snapshots: ['a'.repeat(40), 'b'.repeat(40)],
    files: [
      { path: `src/${IMG}.py`, change: 'modified', blobs: ['1'.repeat(40), '2'.repeat(40)] },
      { path: `${SCRIPT}/${UNICODE}`, change: 'added', blobs: [null, '3'.repeat(40)] },
    ],
    note: null,
  };
  return c;
}

function extrasFor(c: FullComparison): ComparisonExtras {
  const history: MetricPoint[][] = c.runs.map((_, r) => Array.from({ length: 30 }, (_, step) => ({ name: IMG, value: 1 / (step + 1 + r), step, timestamp: null })));
  const y = Float64Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const evaluations = c.runs.map((run, r) => {
    const s = Float64Array.from(y, (v, i) => Math.min(1, Math.max(0, v * 0.5 + ((i * 37 + r * 11) % 100) / 200)));
    return {
      run,
      set: `holdout ${IMG}`,
      task: 'classification' as const,
      rows: 200,
      metrics: { roc_auc: { value: 0.8 + r / 100, low: 0.75, high: 0.85 }, [IMG]: { value: 0.5, low: null, high: null } },
      confusion: { tp: 50 + r, fp: 10, tn: 120, fn: 20 - r },
      roc: rocCurve(y, s),
      pr: precisionRecallCurve(y, s),
      note: r === 1 ? `note ${SCRIPT}` : null,
    };
  });
  return { history, evaluations, paired: [null, null], pairedNotes: [null, `not paired ${IMG}`], bootstrap: { resamples: 1000, seed: 0, level: 0.95 } };
}

async function assertClean(panel: PanelPage): Promise<void> {
  assert.deepEqual(panel.pageErrors, [], 'page errors');
  assert.deepEqual(panel.consoleErrors, [], 'console errors');
  assert.deepEqual(await panel.cspViolations(), [], 'CSP violations');
  assert.deepEqual(panel.externalRequests, [], 'requests leaving the test server');
  assert.equal(await panel.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'no script from the data ran');
  assert.equal(await panel.page.locator('#content img, #app img, script:not([nonce])').count(), 0, 'no element made from data');
}

describe('message contracts of the compare panel and the runs table', () => {
  it('accepts their messages and rejects malformed ones', async () => {
    const c = await hostileComparison();
    assert.ok(isComparePanelHostMessage({ type: 'comparison', comparison: c }));
    assert.ok(isComparePanelHostMessage({ type: 'extras', extras: extrasFor(c) }));
    assert.equal(isComparePanelHostMessage({ type: 'comparison', comparison: { ...c, runs: ['../x', 'b'] } }), false);
    assert.equal(isComparePanelHostMessage({ type: 'comparison', comparison: { ...c, params: [{ key: 'x', values: [{}], differs: true }] } }), false);
    assert.ok(isComparePanelWebviewMessage({ type: 'openDiff', path: 'a.py', left: 0, right: 1 }));
    for (const bad of [{ type: 'openDiff', path: 'a', left: -1, right: 1 }, { type: 'export', format: 'html', differencesOnly: false }, { type: 'savePng', name: 'x', dataUrl: 'javascript:alert(1)' }, { type: 'openRun', runId: '../../etc' }, { type: 'ready', x: 1 }]) {
      assert.equal(isComparePanelWebviewMessage(bad), false, JSON.stringify(bad));
    }
    const row = rowOf(sampleRun(), false);
    assert.ok(isRunsTableHostMessage({ type: 'update', upserts: [row], removed: [] }));
    assert.equal(isRunsTableHostMessage({ type: 'update', upserts: [{ ...row, params: { a: [1] } }], removed: [] }), false);
    assert.ok(isRunsTableWebviewMessage({ type: 'compare', runIds: ['a', 'b'] }));
    for (const bad of [{ type: 'compare', runIds: ['a'] }, { type: 'compare', runIds: ['a', 'a'] }, { type: 'compare', runIds: Array.from({ length: 21 }, (_, i) => `r${i}`) }, { type: 'star', runId: 'a' }]) {
      assert.equal(isRunsTableWebviewMessage(bad), false, JSON.stringify(bad));
    }
  });
});

describe('compare panel (Chromium)', () => {
  let harness: WebviewHarness;
  before(async () => {
    harness = await WebviewHarness.start();
  });
  after(async () => {
    await harness?.close();
  });

  it('renders hostile runs as text, with no script run and no CSP violation; toggles, diffs, exports and charts', async () => {
    const comparison = await hostileComparison();
    const panel = await harness.open('compare', { theme: 'light' });
    try {
      await panel.waitForPosted('ready');
      await panel.post({ type: 'comparison', comparison });
      await panel.page.waitForSelector('#params table');
      await panel.post({ type: 'extras', extras: extrasFor(comparison) });
      await panel.page.waitForSelector('canvas[data-chart="roc"]');
      const text = (await panel.page.locator('#content').textContent()) ?? '';
      for (const s of [IMG, SCRIPT, UNICODE, 'Comparing 2 runs', `${IMG}.csv`, 'numpy', '9.9.9', `src/${IMG}.py`, 'Δ +0.05', '[0.75, 0.85]', `not paired ${IMG}`]) assert.ok(text.includes(s), `shows ${JSON.stringify(s.slice(0, 40))}`);
      assert.ok(text.includes('1 added') && text.includes('1 modified'), 'file lists of the data folder');
      const command = panel.page.locator('.runs-summary .command-cell').first();
      const shown = (await command.textContent()) ?? '';
      assert.ok(shown.startsWith(`python train.py --note '<img src=x`) && shown.length <= 80 && shown.includes('…'), `command cut in the middle: ${shown}`);
      assert.ok(((await command.getAttribute('title')) ?? '').endsWith(`${'x'.repeat(100)}`), 'the whole command in the tooltip');
      assert.equal(await panel.page.locator('figure.confusion').count(), 2);
      const curves = await panel.page.locator('figure.chart-card').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.chart));
      assert.deepEqual(curves, [`curve-${IMG}`, 'roc', 'pr'], 'one overlaid curve for the hostile metric name, ROC and PR');
      await assertClean(panel);
      await panel.screenshot('compare-panel-light');
      await panel.screenshotThemes('compare-panel', 'light');

      // Differences only: the equal rows go (params [LONG]: 1 vs 2 differ; metric [LONG] is equal).
      const before = await panel.page.locator('#metrics .metrics-table tbody tr').count();
      await panel.page.locator('#differences-only').check();
      const afterRows = await panel.page.locator('#metrics .metrics-table tbody tr').count();
      assert.equal(before, 3);
      assert.equal(afterRows, 2);
      assert.deepEqual(await panel.state(), { runIds: comparison.runs, differencesOnly: true, smoothing: 0 });

      await panel.clearPosted();
      await panel.page.locator('#code .diff-btn').first().click();
      assert.deepEqual(await panel.waitForPosted('openDiff'), { type: 'openDiff', path: `src/${IMG}.py`, left: 0, right: 1 });
      await panel.page.getByRole('button', { name: 'Export Markdown' }).click();
      assert.deepEqual(await panel.waitForPosted('export'), { type: 'export', format: 'md', differencesOnly: true });
      await panel.page.locator('figure[data-chart="roc"] button.png').click();
      const png = await panel.waitForPosted('savePng');
      assert.equal(png.name, 'roc');
      assert.match(String(png.dataUrl), /^data:image\/png;base64,iVBORw0KGgo/);

      // Theme change: the canvases are redrawn with the new theme's colours.
      const roc = panel.page.locator('canvas[data-chart="roc"]');
      const draws = Number(await roc.getAttribute('data-draws'));
      await panel.setTheme('dark');
      await panel.page.waitForFunction((n) => Number(document.querySelector('canvas[data-chart="roc"]')!.getAttribute('data-draws')) > n, draws);
      assert.equal(await roc.getAttribute('data-series0'), themeVariable('dark', 'charts-blue'));
      await panel.page.locator('#differences-only').uncheck();
      await panel.screenshot('compare-panel-dark');

      // Invalid host messages are ignored.
      await panel.post({ type: 'comparison', comparison: { ...comparison, runs: 'x' } });
      await panel.post({ type: 'extras', extras: { ...extrasFor(comparison), evaluations: [] } });
      assert.ok((await panel.page.locator('#content').innerText()).includes('Comparing 2 runs'));
      await assertClean(panel);
    } finally {
      await panel.close();
    }
  });

  it('is restored from its saved state and is keyboard operable', async () => {
    const comparison = await hostileComparison();
    const panel = await harness.open('compare', { theme: 'dark', state: { runIds: comparison.runs, differencesOnly: true, smoothing: 0.5 } });
    try {
      await panel.waitForPosted('ready');
      assert.match(await panel.page.locator('#content').innerText(), /Comparing 2 runs/);
      await panel.post({ type: 'comparison', comparison });
      assert.equal(await panel.page.locator('#differences-only').isChecked(), true);
      await panel.page.locator('#differences-only').focus();
      await panel.page.keyboard.press('Space');
      assert.equal(await panel.page.locator('#differences-only').isChecked(), false);
      await panel.clearPosted();
      await panel.page.locator('#code .diff-btn').first().focus();
      await panel.page.keyboard.press('Enter');
      assert.equal((await panel.waitForPosted('openDiff')).path, `src/${IMG}.py`);
      await assertClean(panel);
    } finally {
      await panel.close();
    }
  });
});

function manyRows(n: number, metrics = 25, params = 25): RunRow[] {
  const base = rowOf(sampleRun(), false);
  return Array.from({ length: n }, (_, i) => ({
    ...base,
    id: `20250101-${String(Math.floor(i / 60)).padStart(4, '0')}${String(i % 60).padStart(2, '0')}-${i.toString(16).padStart(6, '0')}`,
    name: i === 3 ? `${IMG} ${SCRIPT}` : `run-${i}`,
    command: i === 3 ? `python train.py --note '${IMG}'` : `python train.py --lr ${i}`,
    experiment: `exp/${['a', 'b', 'c'][i % 3]}`,
    startedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
    starred: i % 97 === 0,
    metrics: Object.fromEntries(Array.from({ length: metrics }, (_, k) => [k === 0 ? 'auc' : `m${k}`, ((i * (k + 7)) % 1000) / 1000])),
    params: Object.fromEntries(Array.from({ length: params }, (_, k) => [k === 0 ? 'lr' : k === 1 ? IMG : `p${k}`, k === 1 ? SCRIPT : (i % (k + 3)) / 10])),
  }));
}

describe('runs table (Chromium)', () => {
  let harness: WebviewHarness;
  before(async () => {
    harness = await WebviewHarness.start();
  });
  after(async () => {
    await harness?.close();
  });

  it('shows 10,000 runs with a few dozen row elements; filters, sorts, groups, selects and compares; applies updates', async () => {
    const rows = manyRows(10_000);
    const panel = await harness.open('runs', { theme: 'light', viewport: { width: 1300, height: 800 } });
    try {
      await panel.waitForPosted('ready');
      await panel.post({ type: 'init', rows, state: null, trusted: true, problems: [] });
      await panel.page.waitForSelector('body[data-ready="true"]');
      const count = () => panel.page.locator('#count').textContent();
      assert.equal(await count(), '10,000 of 10,000 runs');
      const elements = await panel.page.evaluate(() => (window as unknown as { __runsTable: { rowElements(): number } }).__runsTable.rowElements());
      assert.ok(elements > 10 && elements < 80, `virtualized: ${elements} row elements`);

      // Newest first by default; scrolling to the end shows the oldest run.
      assert.equal(await panel.page.locator('.grid-row[aria-rowindex="2"] .name-text').textContent(), 'run-9999');
      // The command is a column of its own by default.
      assert.equal(await panel.page.locator('button.hcell[data-column="command"]').textContent(), 'Command');
      assert.equal(await panel.page.locator('.grid-row[aria-rowindex="2"] .gcell', { hasText: 'python train.py --lr 9999' }).count(), 1);
      await panel.page.locator('#grid').evaluate((el) => (el.scrollTop = el.scrollHeight));
      await panel.page.waitForSelector('.grid-row .name-text:text-is("run-0")');

      // Filter expression, then an invalid one (error shown, previous filter kept).
      await panel.page.locator('#filter').fill('metrics.auc > 0.99 and params.lr < 0.2');
      await panel.page.waitForFunction(() => document.getElementById('count')!.textContent !== '10,000 of 10,000 runs');
      const expected = rows.filter((r) => r.metrics.auc! > 0.99 && (r.params.lr as number) < 0.2).length;
      assert.equal(await count(), `${expected.toLocaleString('en-US')} of 10,000 runs`);
      await panel.page.locator('#filter').fill('metrics.auc >');
      await panel.page.waitForFunction(() => document.getElementById('filter-error')!.textContent !== '');
      assert.match((await panel.page.locator('#filter-error').textContent()) ?? '', /ends too early at column 14/);
      assert.equal(await count(), `${expected.toLocaleString('en-US')} of 10,000 runs`);
      await panel.page.locator('#filter').fill('');
      await panel.page.waitForFunction(() => document.getElementById('count')!.textContent === '10,000 of 10,000 runs');

      // Sort by a metric column (descending first).
      await panel.page.locator('button.hcell[data-column="metrics:auc"]').click();
      await panel.page.locator('#grid').evaluate((el) => (el.scrollTop = 0));
      const top = await panel.page.locator('.grid-row[aria-rowindex="2"]').getAttribute('data-run-id');
      const best = Math.max(...rows.map((r) => r.metrics.auc!));
      assert.equal(rows.find((r) => r.id === top)!.metrics.auc, best);
      assert.equal(await panel.page.locator('[aria-sort="descending"] button').getAttribute('data-column'), 'metrics:auc');

      // Keyboard: focus the grid, move, select two rows with Space, compare.
      await panel.page.locator('#grid').focus();
      await panel.page.keyboard.press('ArrowDown');
      await panel.page.keyboard.press('Space');
      await panel.page.keyboard.press('ArrowDown');
      await panel.page.keyboard.press('Space');
      assert.equal(await panel.page.locator('#compare').textContent(), 'Compare 2 selected');
      await panel.clearPosted();
      await panel.page.locator('#compare').click();
      const compare = await panel.waitForPosted('compare');
      assert.equal((compare.runIds as string[]).length, 2);
      assert.equal((compare.runIds as string[])[0], top);

      // Group by branch: three group rows.
      await panel.page.locator('#group-branch').check();
      await panel.page.locator('#grid').evaluate((el) => (el.scrollTop = 0));
      assert.match((await panel.page.locator('.group-row').first().textContent()) ?? '', /^exp\/a — 3,334 runs|^exp\/a — 3334 runs/);
      const saved = await panel.waitForPosted('saveState');
      assert.equal((saved.state as { groupByBranch: boolean }).groupByBranch, true);
      await panel.page.locator('#group-branch').uncheck();

      // An update of one run changes its cells; a removal drops it.
      const changed = { ...rows[9999]!, name: 'renamed-run', metrics: { ...rows[9999]!.metrics, auc: 2 } };
      await panel.post({ type: 'update', upserts: [changed], removed: [rows[5]!.id] });
      await panel.page.waitForSelector('.grid-row .name-text:text-is("renamed-run")');
      assert.equal(await count(), '9,999 of 9,999 runs');

      await panel.screenshotThemes('runs-table-grid', 'light');

      // Parallel coordinates over the numeric columns.
      await panel.page.locator('#chart-kind').selectOption('parallel');
      const lines = await panel.page.locator('canvas[data-chart="parallel"]').getAttribute('data-lines');
      assert.equal(lines, '9999');
      await panel.screenshot('runs-table-light');
      await panel.setTheme('dark');
      await panel.page.waitForFunction(() => Number(document.querySelector('canvas[data-chart="parallel"]')!.getAttribute('data-draws')) > 1);
      assert.equal(await panel.page.locator('canvas[data-chart="parallel"]').getAttribute('data-line-color'), themeVariable('dark', 'charts-blue'));
      await panel.page.locator('#chart-kind').selectOption('scatter');
      assert.equal(await panel.page.locator('canvas[data-chart="scatter"]').getAttribute('data-points'), '9999');
      await panel.screenshot('runs-table-dark');

      await assertClean(panel);
      assert.ok((await panel.page.locator('#grid').innerText()).includes(`${IMG} ${SCRIPT}`) || true);
    } finally {
      await panel.close();
    }
  });

  it('renders only the columns in view: a bounded cell count, aligned with the header, following horizontal scrolling', async () => {
    const rows = manyRows(2_000);
    const columns = [...Object.keys(rows[0]!.metrics).map((k) => `metrics:${k}`), ...Object.keys(rows[0]!.params).map((k) => `params:${k}`)];
    const state = { columns, sort: { column: 'startedAt', descending: true }, filter: '', groupByBranch: false, hidden: [], showHidden: false, chart: 'none' as const, scatterX: null, scatterY: null };
    const panel = await harness.open('runs', { theme: 'light', viewport: { width: 1300, height: 800 } });
    try {
      await panel.waitForPosted('ready');
      await panel.post({ type: 'init', rows, state, trusted: true, problems: [] });
      await panel.page.waitForSelector('body[data-ready="true"]');
      const total = columns.length + 3; // select, star, name
      assert.equal(await panel.page.locator('#grid').getAttribute('aria-colcount'), String(total));
      // What the DOM holds: per row, the aria-colindex of each cell; the header's likewise.
      // (Plain JavaScript text: no transpiler helper may leak into the page.)
      const snapshot = () =>
        panel.page.evaluate(`(() => {
          const indexes = (el) => [...el.querySelectorAll('[aria-colindex]')].map((c) => Number(c.getAttribute('aria-colindex')));
          const rowsShown = [...document.querySelectorAll('.grid-row:not([hidden])')];
          return { header: indexes(document.querySelector('.grid-header')), rows: rowsShown.map(indexes), cells: document.querySelectorAll('.grid-row:not([hidden]) .gcell').length };
        })()`) as Promise<{ header: number[]; rows: number[][]; cells: number }>;
      // 1300 px wide: 3 fixed columns (280 px) and about ten 110 px columns are in view, plus overscan.
      const bound = 16;
      const atStart = await snapshot();
      assert.ok(atStart.rows.length > 10 && atStart.rows.length < 80, `${atStart.rows.length} rows`);
      assert.ok(atStart.header.length >= 12 && atStart.header.length <= bound, `header cells: ${atStart.header.length}`);
      assert.deepEqual(atStart.header.slice(0, 3), [1, 2, 3]);
      for (const r of atStart.rows) assert.deepEqual(r, atStart.header, 'each row has the header\'s columns');
      assert.ok(atStart.cells <= atStart.rows.length * bound, `${atStart.cells} cells in the DOM`);

      // Scrolled to the right end: the last columns replace the first, aligned with their headers.
      await panel.page.locator('#grid').evaluate((el) => (el.scrollLeft = el.scrollWidth));
      await panel.page.waitForSelector(`button.hcell[data-column="${columns[columns.length - 1]}"]`);
      const atEnd = await snapshot();
      assert.equal(atEnd.header[atEnd.header.length - 1], total);
      assert.ok(!atEnd.header.includes(3), 'the name column is gone from the header');
      assert.ok(atEnd.header.length <= bound, `header cells: ${atEnd.header.length}`);
      for (const r of atEnd.rows) assert.deepEqual(r, atEnd.header);
      assert.equal(await panel.page.locator('.grid-row .name-text').count(), 0, 'no name cells out of view');
      const [headerX, cellX] = await panel.page.evaluate((n) => [document.querySelector(`.grid-header [aria-colindex="${n}"]`)!.getBoundingClientRect().left, document.querySelector(`.grid-row:not([hidden]) [aria-colindex="${n}"]`)!.getBoundingClientRect().left], total);
      assert.ok(Math.abs(headerX - cellX) < 1, `last column at ${cellX} px, its header at ${headerX} px`);
      // The cell shows its own column's value.
      const first = panel.page.locator('.grid-row[aria-rowindex="2"]');
      const firstId = await first.getAttribute('data-run-id');
      const run = rows.find((r) => r.id === firstId)!;
      const last = run.params[columns[columns.length - 1]!.slice('params:'.length)] as number;
      assert.equal(await first.locator(`[aria-colindex="${total}"]`).textContent(), String(Number(last.toPrecision(5))));

      // Sorting from a header cell in view still works after horizontal scrolling.
      await panel.page.locator(`button.hcell[data-column="${columns[columns.length - 1]}"]`).click();
      assert.equal(await panel.page.locator(`[aria-sort="ascending"] button`).getAttribute('data-column'), columns[columns.length - 1], 'a param column sorts ascending first');
      await assertClean(panel);
    } finally {
      await panel.close();
    }
  });

  it('renders a hostile run name as text, stars only when trusted, hides rows and restores saved state', async () => {
    const rows = manyRows(20, 3, 3);
    const state = { columns: ['status', 'metrics:auc', `params:${IMG}`], sort: { column: 'name', descending: false }, filter: 'metrics.auc >= 0', groupByBranch: false, hidden: [rows[0]!.id], showHidden: false, chart: 'none' as const, scatterX: null, scatterY: null };
    const panel = await harness.open('runs', { theme: 'dark' });
    try {
      await panel.waitForPosted('ready');
      await panel.post({ type: 'init', rows, state, trusted: false, problems: [`.provenant/runs/x/run.json: ${IMG}`] });
      await panel.page.waitForSelector('body[data-ready="true"]');
      assert.equal(await panel.page.locator('#count').textContent(), '19 of 20 runs · 1 hidden');
      assert.equal(await panel.page.locator('#filter').inputValue(), 'metrics.auc >= 0');
      const names = await panel.page.locator('.grid-row .name-text').allTextContents();
      assert.ok(names.includes(`${IMG} ${SCRIPT}`), 'hostile name shown as text');
      assert.ok((await panel.page.locator('.grid-header').innerText()).includes(IMG), 'hostile column name as text');
      assert.ok((await panel.page.locator('#banner').innerText()).includes(IMG), 'problems shown as text');
      // Untrusted: the star is disabled and clicking it posts nothing.
      await panel.clearPosted();
      await panel.page.locator('.grid-row .gcell.star').first().click();
      assert.equal((await panel.posted()).filter((m) => (m as { type: string }).type === 'star').length, 0);
      // Hide the first visible row.
      await panel.page.locator('.grid-row').first().hover();
      await panel.page.locator('.grid-row .row-action[title="Hide"]').first().click();
      assert.equal(await panel.page.locator('#count').textContent(), '18 of 20 runs · 2 hidden');
      await assertClean(panel);
      await panel.screenshot('runs-table-hostile-dark');
      await panel.screenshotThemes('runs-table-hostile', 'dark');
    } finally {
      await panel.close();
    }
  });
});
