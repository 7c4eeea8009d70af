// The "Run details" webview in headless Chromium, served with the extension's own HTML (CSP,
// nonce) and bundle (dist/webview/run.js: run `npm run build` first).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, makeNonce, renderPanelHtml } from '../../src/extension/webview/html';
import { isRunPanelHostMessage, isRunPanelWebviewMessage, type RunPanelHostMessage } from '../../src/shared/messages';
import type { MetricPoint, RunRecord } from '../../src/core/runs/types';
import { sampleHistory, sampleRun } from '../fixtures/runRecord';
import { WebviewHarness, themeVariable, type PanelPage, type Theme } from '../helpers/webviewHarness';

const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = '</script><script>window.__pwned=1</script>';
const QUOTES = `"'\`;--`;
const UNICODE = 'Тогрута ✓ 🚀';
const LONG = `long-${'x'.repeat(10_000)}`;

function showRun(run: RunRecord = sampleRun(), history: MetricPoint[] = sampleHistory()): RunPanelHostMessage {
  return { type: 'showRun', run, history };
}

/** A run whose workspace strings are all hostile. */
function hostileRun(): { run: RunRecord; history: MetricPoint[] } {
  const base = sampleRun();
  const run = sampleRun({
    name: `${IMG} ${SCRIPT} ${QUOTES} ${UNICODE}`,
    experiment: `exp/${IMG}`,
    command: ['python', SCRIPT, LONG],
    params: { [IMG]: SCRIPT, [SCRIPT]: IMG, [UNICODE]: QUOTES, long: LONG, [LONG]: 1 },
    metrics: { [IMG]: 0.5, [UNICODE]: 0.25, [LONG]: 1 },
    data: [
      { path: `data/${IMG}`, md5: '0cc175b9c0f1b6a831c399e269772661', size: 1 },
      { path: `data/${SCRIPT}/${UNICODE}`, md5: QUOTES, size: 2048, nfiles: 3 },
      { path: LONG, md5: LONG, size: 0 },
    ],
    code: { ...base.code, changedFiles: [{ path: IMG, change: 'added' }, { path: LONG, change: 'modified' }] },
    seeds: { ...base.seeds, env: { [IMG]: SCRIPT }, seeded: [UNICODE, IMG], source: 'generated', param: { key: `args.${IMG}`, value: 3, file: 'command line' } },
    environment: {
      ...base.environment,
      packages: { [IMG]: '1.0', [SCRIPT]: QUOTES, [UNICODE]: '2.0', [LONG]: LONG, numpy: '2.2.1' },
      variables: { [IMG]: LONG },
      gpus: [{ name: IMG, driver: SCRIPT, memoryMiB: null, cuda: null }],
      interpreter: { path: `/opt/${SCRIPT}/python3`, source: 'shebang' },
    },
    artifacts: [{ path: SCRIPT, md5: IMG, size: 5, stored: UNICODE }],
    predictions: [{ ...base.predictions[0]!, name: IMG, columns: [IMG, LONG, UNICODE] }],
    note: `${SCRIPT} ${LONG}`,
  });
  const history: MetricPoint[] = [];
  for (let step = 0; step < 20; step++) {
    history.push({ name: IMG, value: 1 / (step + 1), step, timestamp: null });
    history.push({ name: LONG, value: step, step, timestamp: SCRIPT });
  }
  return { run, history };
}

async function openRun(harness: WebviewHarness, theme: Theme = 'light', message: RunPanelHostMessage = showRun()): Promise<PanelPage> {
  const panel = await harness.open('run', { theme });
  await panel.waitForPosted('ready');
  await panel.post(message);
  await panel.page.waitForSelector('.run-name');
  return panel;
}

async function assertClean(panel: PanelPage): Promise<void> {
  assert.deepEqual(panel.pageErrors, [], 'page errors');
  assert.deepEqual(panel.consoleErrors, [], 'console errors');
  assert.deepEqual(panel.consoleWarnings.filter((w) => !w.includes('ignored an invalid message')), [], 'unexpected console warnings');
  assert.deepEqual(await panel.cspViolations(), [], 'CSP violations');
  assert.deepEqual(panel.externalRequests, [], 'requests leaving the test server');
}

describe('message contract and panel HTML', () => {
  it('accepts the run messages and rejects anything else', () => {
    assert.ok(isRunPanelHostMessage(showRun()));
    assert.ok(isRunPanelHostMessage({ type: 'error', message: 'x' }));
    assert.ok(isRunPanelWebviewMessage({ type: 'ready' }));
    assert.ok(isRunPanelWebviewMessage({ type: 'openLog', runId: 'r1' }));
    assert.ok(isRunPanelWebviewMessage({ type: 'copy', text: 'r1' }));
    const bad: unknown[] = [
      null,
      'ready',
      [],
      { type: 'nope' },
      { type: 'ready', extra: 1 },
      { type: 'openLog' },
      { type: 'openLog', runId: 5 },
      { type: 'openLog', runId: '../../etc' },
      { type: 'openRecord', runId: 'a/b' },
      { type: 'copy', text: 'x'.repeat((1 << 20) + 1) },
      { type: 'showRun', run: sampleRun(), history: [] },
    ];
    for (const m of bad) assert.equal(isRunPanelWebviewMessage(m), false, JSON.stringify(m)?.slice(0, 80));
    const badHost: unknown[] = [
      { type: 'ready' },
      { type: 'error', message: 1 },
      { type: 'error', message: 'x', extra: true },
      { type: 'showRun', run: sampleRun() },
      { type: 'showRun', run: sampleRun(), history: 'x' },
      { type: 'showRun', run: sampleRun(), history: [{ name: 'loss', value: '1', step: 0, timestamp: null }] },
      { type: 'showRun', run: { ...sampleRun(), status: 'exploded' }, history: [] },
      { type: 'showRun', run: { ...sampleRun(), schema: 'provenant.run/2' }, history: [] },
      { type: 'showRun', run: { ...sampleRun(), params: { a: { nested: 1 } } }, history: [] },
      { type: 'showRun', run: { ...sampleRun(), data: [{ path: 'd', md5: 'x', size: -1 }] }, history: [] },
      { type: 'showRun', run: { ...sampleRun(), environment: { ...sampleRun().environment, packages: { numpy: 2 } } }, history: [] },
    ];
    for (const m of badHost) assert.equal(isRunPanelHostMessage(m), false, JSON.stringify(m)?.slice(0, 120));
  });

  it('builds the page with the CSP first, a fresh nonce, no inline code, an escaped title', () => {
    const opts = { cspSource: 'https://example.vscode-cdn.net', scriptUri: 'https://example.vscode-cdn.net/run.js', styleUri: 'https://example.vscode-cdn.net/run.css', title: '</title><script>alert(1)</script>' };
    const a = renderPanelHtml(opts);
    const b = renderPanelHtml(opts);
    const head = /<head>\s*(<meta[^>]*>)/.exec(a);
    assert.ok(head && head[1]!.includes('http-equiv="Content-Security-Policy"'), 'CSP meta is the first element of <head>');
    assert.ok(
      a.includes(
        "default-src 'none'; img-src https://example.vscode-cdn.net data:; style-src https://example.vscode-cdn.net; script-src 'nonce-",
      ),
    );
    const nonceA = /nonce="([^"]+)"/.exec(a)![1];
    const nonceB = /nonce="([^"]+)"/.exec(b)![1];
    assert.notEqual(nonceA, nonceB, 'fresh nonce per render');
    assert.ok(a.includes(`'nonce-${nonceA}'`));
    assert.equal((a.match(/<script/g) ?? []).length, 1);
    assert.match(a, /<script nonce="[0-9a-f]{32}" src="https:\/\/example\.vscode-cdn\.net\/run\.js"><\/script>/);
    assert.ok(!/<style|\son\w+=|style=/i.test(a), 'no inline styles or handlers');
    assert.ok(a.includes(`<title>${escapeHtml(opts.title)}</title>`));
    assert.ok(!a.includes('<script>alert'));
    assert.match(makeNonce(), /^[0-9a-f]{32}$/);
    assert.throws(() => renderPanelHtml({ ...opts, cspSource: "x; script-src 'unsafe-inline'" }));
  });
});

describe('run details panel (Chromium)', () => {
  let harness: WebviewHarness;

  before(async () => {
    harness = await WebviewHarness.start();
  });
  after(async () => {
    await harness?.close();
  });

  it('posts ready once loaded, and shows a placeholder until the run arrives', async () => {
    const panel = await harness.open('run');
    try {
      const ready = await panel.waitForPosted('ready');
      assert.deepEqual(ready, { type: 'ready' });
      assert.match(await panel.page.locator('#content').innerText(), /Loading run/);
      await assertClean(panel);
    } finally {
      await panel.close();
    }
  });

  it('renders the run: header, params, metrics, data, seeds, environment; charts for metrics with history', async () => {
    const run = sampleRun();
    const panel = await openRun(harness);
    try {
      const page = panel.page;
      assert.equal(await page.locator('h1.run-name').textContent(), run.name);
      assert.equal((await page.locator('vscode-badge.status').textContent())?.trim(), 'succeeded');
      const text = await page.locator('#content').innerText();
      for (const expected of [
        run.id,
        'exp/gbm-tuning',
        "python train.py --max-depth 6 --learning-rate 0.05 --note 'depth 6 baseline'",
        '4 min 35 s',
        run.code.snapshotCommit,
        'features/ratios.py',
        '1234567',
        'params file',
        'PYTHONHASHSEED',
        'numpy',
        'data/train.parquet',
        '0cc175b9c0f1b6a831c399e269772661',
        '92eb5ffee6ae2fec3ad71c777531578f.dir',
        '46.0 MiB',
        'learning_rate',
        'class_weight',
        'balanced',
        'val_auc',
        '0.8817',
        'CPython 3.11.11',
        'NVIDIA GeForce RTX 4090',
        '64.0 GiB',
        '34 packages',
        'models/model.txt',
        'holdout',
        '12,000',
      ]) {
        assert.ok(text.includes(expected), `shows ${JSON.stringify(expected)}`);
      }
      // Headings for every section, reachable by role.
      for (const name of ['Code', 'Seeds', 'Data', 'Params', 'Metrics', 'Metric curves', 'Environment', 'Artifacts', 'Predictions']) {
        assert.equal(await page.getByRole('heading', { level: 2, name, exact: true }).count(), 1, `heading ${name}`);
      }
      // loss (60 points) and val_auc (10) get a chart; accuracy and f1 (one point each) do not.
      const charted = await page.locator('figure.chart-card').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.metric));
      assert.deepEqual(charted, ['loss', 'val_auc']);
      const size = await page.locator('figure[data-metric="loss"] canvas').evaluate((c) => ({ w: (c as HTMLCanvasElement).width, h: (c as HTMLCanvasElement).height, draws: (c as HTMLCanvasElement).dataset.draws }));
      assert.ok(size.w > 100 && size.h > 100, `chart canvas has a size (${size.w}x${size.h})`);
      assert.equal(size.draws, '1');
      // The canvas has drawn pixels (not blank).
      const inked = await page.locator('figure[data-metric="loss"] canvas').evaluate((c) => {
        // Read a copy, so the chart's own canvas is never read back (Chromium warns about repeated readbacks).
        const canvas = c as HTMLCanvasElement;
        const copy = Object.assign(document.createElement('canvas'), { width: canvas.width, height: canvas.height });
        const ctx = copy.getContext('2d', { willReadFrequently: true })!;
        ctx.drawImage(canvas, 0, 0);
        const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
        return n;
      });
      assert.ok(inked > 500, `chart drew something (${inked} pixels)`);
      // The panel saved the run id for the serializer.
      assert.equal((await panel.state() as { runId?: string }).runId, run.id);
      await panel.screenshot('run-panel-light');
      await panel.screenshotThemes('run-panel', 'light');
      await assertClean(panel);
    } finally {
      await panel.close();
    }
  });

  it('buttons post openLog, openRecord and copy for the run; they work from the keyboard', async () => {
    const run = sampleRun();
    const panel = await openRun(harness);
    try {
      const page = panel.page;
      await page.getByRole('button', { name: 'Open log' }).click();
      assert.deepEqual(await panel.waitForPosted('openLog'), { type: 'openLog', runId: run.id });
      await page.getByRole('button', { name: 'Open run.json' }).click();
      assert.deepEqual(await panel.waitForPosted('openRecord'), { type: 'openRecord', runId: run.id });
      await page.getByRole('button', { name: 'Copy id' }).click();
      assert.deepEqual(await panel.waitForPosted('copy'), { type: 'copy', text: run.id });
      for (const m of await panel.posted()) assert.ok(isRunPanelWebviewMessage(m), `valid outgoing message ${JSON.stringify(m)}`);

      // Keyboard: Tab reaches the first button, Enter activates it.
      await panel.clearPosted();
      // Start sequential focus navigation from the title (as a click there would).
      await page.locator('h1.run-name').click();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Open log');
      await page.keyboard.press('Enter');
      assert.deepEqual(await panel.waitForPosted('openLog'), { type: 'openLog', runId: run.id });
      await page.keyboard.press('Tab');
      await page.keyboard.press(' ');
      assert.deepEqual(await panel.waitForPosted('openRecord'), { type: 'openRecord', runId: run.id });
      await assertClean(panel);
    } finally {
      await panel.close();
    }
  });

  it('ignores invalid host messages without throwing, and shows error messages as a banner', async () => {
    const run = sampleRun();
    const panel = await openRun(harness);
    try {
      const page = panel.page;
      const invalid: unknown[] = [
        null,
        42,
        'showRun',
        [],
        { type: 'nope' },
        { type: 'showRun' },
        { type: 'showRun', run: { ...run, name: 'SHOULD NOT RENDER', status: 'exploded' }, history: [] },
        { type: 'showRun', run: { ...run, name: 'SHOULD NOT RENDER' }, history: 'nope' },
        { type: 'showRun', run: { ...run, name: 'SHOULD NOT RENDER' }, history: [], extra: 1 },
        { type: 'showRun', run: { ...run, name: 'SHOULD NOT RENDER', metrics: { loss: '0.1' } }, history: [] },
        { type: 'error', message: { text: 'no' } },
        { type: 'error' },
      ];
      for (const m of invalid) await panel.post(m);
      assert.equal(await page.locator('h1.run-name').textContent(), run.name);
      assert.ok(!(await page.locator('body').innerText()).includes('SHOULD NOT RENDER'));
      assert.equal(await page.locator('#banner').isVisible(), false);
      assert.equal(panel.consoleWarnings.filter((w) => w.includes('ignored an invalid message')).length, invalid.length);

      await panel.post({ type: 'error', message: `Could not read run.json: ${IMG}` });
      const banner = page.getByRole('alert');
      assert.equal(await banner.isVisible(), true);
      assert.equal(await banner.locator('.banner-text').textContent(), `Could not read run.json: ${IMG}`);
      await banner.getByRole('button', { name: 'Dismiss' }).click();
      assert.equal(await page.locator('#banner').isVisible(), false);
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined);
      await assertClean(panel);
    } finally {
      await panel.close();
    }
  });

  it('renders hostile workspace strings as literal text: no markup, no script, no CSP violation', async () => {
    const { run, history } = hostileRun();
    const panel = await openRun(harness, 'light', showRun(run, history));
    try {
      const page = panel.page;
      assert.equal(await page.locator('h1.run-name').textContent(), run.name);
      const text = await page.locator('#content').textContent();
      for (const s of [IMG, SCRIPT, QUOTES, UNICODE, LONG, `data/${SCRIPT}/${UNICODE}`, `/opt/${SCRIPT}/python3 (the script's #! line)`, `args.${IMG} = 3 (command line)`]) assert.ok(text!.includes(s), `literal ${s.slice(0, 40)}`);
      // Param keys and values, metric names, package names arrive intact as text.
      const cells = await page.locator('td .cell').allTextContents();
      for (const s of [IMG, SCRIPT, UNICODE, LONG]) assert.ok(cells.includes(s), `a cell holds exactly ${s.slice(0, 40)}`);
      const dom = await page.evaluate(() => ({
        imgs: document.querySelectorAll('img').length,
        scripts: document.querySelectorAll('script').length,
        handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
        pwned: (window as unknown as { __pwned?: unknown }).__pwned,
      }));
      assert.deepEqual(dom, { imgs: 0, scripts: 1, handlers: 0, pwned: undefined });
      // Both hostile metrics have a chart; the package filter finds the hostile package by name.
      assert.equal(await page.locator('figure.chart-card canvas').count(), 2);
      await page.locator('#package-filter').fill('onerror');
      assert.deepEqual(await page.locator('#packages-table tbody tr td:first-child').allTextContents(), [IMG]);
      // The 10,000-character values do not widen the page.
      const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
      assert.ok(widths.doc <= widths.view, `no horizontal overflow (${widths.doc} > ${widths.view})`);
      await page.waitForTimeout(200);
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined);
      await panel.screenshot('run-panel-hostile-light');
      await panel.setTheme('dark');
      await panel.screenshot('run-panel-hostile-dark');
      await assertClean(panel);
    } finally {
      await panel.close();
    }
  });

  it('redraws the charts with the new colours when the theme changes', async () => {
    const panel = await openRun(harness, 'light');
    try {
      const page = panel.page;
      const canvas = page.locator('figure[data-metric="loss"] canvas');
      const read = () => canvas.evaluate((c) => ({ ...(c as HTMLCanvasElement).dataset }));
      const light = await read();
      assert.equal(light.lineColor, themeVariable('light', 'charts-blue'));
      assert.equal(light.textColor, themeVariable('light', 'descriptionForeground'));
      // The line colour is on the canvas: sample pixels of the light line colour.
      const countColor = (hex: string) =>
        canvas.evaluate((c, rgb) => {
          const el = c as HTMLCanvasElement;
          const copy = Object.assign(document.createElement('canvas'), { width: el.width, height: el.height });
          const ctx = copy.getContext('2d', { willReadFrequently: true })!;
          ctx.drawImage(el, 0, 0);
          const d = ctx.getImageData(0, 0, el.width, el.height).data;
          let n = 0;
          for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - rgb[0]!) < 8 && Math.abs(d[i + 1]! - rgb[1]!) < 8 && Math.abs(d[i + 2]! - rgb[2]!) < 8 && d[i + 3]! > 200) n++;
          return n;
        }, [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
      const lightBlue = themeVariable('light', 'charts-blue')!;
      const darkBlue = themeVariable('dark', 'charts-blue')!;
      assert.ok((await countColor(lightBlue)) > 50, 'light line drawn');

      await panel.setTheme('dark');
      await page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('figure[data-metric="loss"] canvas')?.dataset.draws === '2');
      const dark = await read();
      assert.equal(dark.lineColor, darkBlue);
      assert.equal(dark.textColor, themeVariable('dark', 'descriptionForeground'));
      assert.ok((await countColor(darkBlue)) > 50, 'dark line drawn');
      assert.equal(await countColor(lightBlue), 0, 'no light-theme line left');
      await panel.screenshot('run-panel-dark');
      await assertClean(panel);
    } finally {
      await panel.close();
    }
  });

  it('keeps the package filter and smoothing in the webview state and restores them', async () => {
    const run = sampleRun();
    const panel = await openRun(harness);
    let state: unknown;
    try {
      const page = panel.page;
      await page.locator('#package-filter').fill('sci');
      assert.deepEqual(await page.locator('#packages-table tbody tr td:first-child').allTextContents(), ['scikit-learn', 'scipy']);
      await page.locator('#smoothing').evaluate((el) => {
        (el as HTMLInputElement).value = '0.9';
        el.dispatchEvent(new Event('input', { bubbles: true }));
      });
      state = await panel.state();
      assert.deepEqual(state, { runId: run.id, packageFilter: 'sci', smoothing: 0.9 });
      // Smoothing redraws with a second (smoothed) line and a legend.
      assert.equal(await page.locator('figure[data-metric="loss"] canvas').evaluate((c) => (c as HTMLCanvasElement).dataset.draws), '2');
      await assertClean(panel);
    } finally {
      await panel.close();
    }

    // As after a window reload: VS Code hands the saved state back.
    const restored = await harness.open('run', { state });
    try {
      const page = restored.page;
      assert.match(await page.locator('#content').innerText(), new RegExp(`Loading run ${run.id}`));
      await restored.waitForPosted('ready');
      await restored.post(showRun());
      await page.waitForSelector('.run-name');
      assert.equal(await page.locator('#package-filter').inputValue(), 'sci');
      assert.equal(await page.locator('#smoothing').inputValue(), '0.9');
      assert.equal(await page.locator('#smoothing-value').textContent(), '0.90');
      assert.equal(await page.locator('#packages-table tbody tr').count(), 2);
      await assertClean(restored);
    } finally {
      await restored.close();
    }
  });
});
