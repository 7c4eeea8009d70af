// Runs in the real VS Code workbench (code-server driven through Chromium): runs recorded by the
// CLI are listed in the Experiments view, "Run Experiment" starts a captured run in a terminal,
// a run opens in the "Run details" panel (dark and light themes), and Restricted Mode lists runs
// but starts none. Needs `npm run build`, `bash scripts/setup-code-server.sh` and a Python with
// scikit-learn (Debian's python3-sklearn).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { cli } from '../helpers/cli';
import { hiringWorkspace } from '../helpers/hiring';
import {
  commandPaletteEntries,
  openProvenantContainer,
  runCommand,
  sidebarPane,
  startCodeServer,
  waitFor,
  waitForDataProvider,
  webviewFrame,
  type CodeServerOptions,
  type CodeServerSession,
} from '../helpers/codeServer';
import type { RunRecord } from '../../src/core/runs/types';

const TIMEOUT = 300_000;
/** A hiring-demo run started from the editor: terminal start, capture, training, on a slow machine. */
const RUN_TIMEOUT_MS = 120_000;

// ---------------------------------------------------------------------------------------------
// Workspaces and runs on disk
// ---------------------------------------------------------------------------------------------

/** Records a run of the workspace's train command through the built CLI. */
function cliRun(root: string, ...args: string[]): void {
  const result = cli(root, ['run', '--quiet', ...args]);
  assert.equal(result.status, 0, `provenant run ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
}

/** The records under .provenant/runs/ as they are on disk right now (unreadable ones skipped). */
function runsOnDisk(root: string): RunRecord[] {
  const dir = join(root, '.provenant', 'runs');
  if (!existsSync(dir)) return [];
  const out: RunRecord[] = [];
  for (const id of readdirSync(dir)) {
    try {
      out.push(JSON.parse(readFileSync(join(dir, id, 'run.json'), 'utf8')) as RunRecord);
    } catch {
      // not written yet, or being rewritten
    }
  }
  return out;
}

/** Run folders on disk, whether or not they hold a readable run.json yet. */
function runFolders(root: string): string[] {
  const dir = join(root, '.provenant', 'runs');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

function byName(root: string, name: string): RunRecord {
  const run = runsOnDisk(root).find((r) => r.name === name);
  assert.ok(run, `no run named ${name} on disk`);
  return run;
}

/** The tree's rendering of a metric value (experimentsTree.ts: integers as is, else 4 significant digits). */
function treeMetric(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

// ---------------------------------------------------------------------------------------------
// Sessions and waiting
// ---------------------------------------------------------------------------------------------

async function withSession(
  label: string,
  root: string,
  options: Omit<CodeServerOptions, 'workspace'>,
  body: (session: CodeServerSession) => Promise<void>,
): Promise<void> {
  try {
    const session = await startCodeServer({ workspace: root, ...options });
    try {
      await body(session);
    } catch (error) {
      await session.screenshot(`runs-${label}-failure`).catch(() => undefined);
      if (error instanceof Error) error.message += `\n--- code-server log ---\n${session.log()}`;
      throw error;
    } finally {
      await session.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Polls `check` until it returns a value other than undefined/false, or fails with `what`. */
function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The Experiments tree row whose label is exactly `label`. */
function experimentsRow(page: Page, label: string): Locator {
  return sidebarPane(page, 'Experiments')
    .locator('.pane-body .monaco-list-row', { has: page.locator('.monaco-icon-label .label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }) })
    .first();
}

async function rowDescription(row: Locator): Promise<string> {
  return ((await row.locator('.label-description').first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** Every visible row label of the Experiments tree, in order. */
async function experimentsLabels(page: Page): Promise<string[]> {
  const labels = await sidebarPane(page, 'Experiments').locator('.pane-body .monaco-list-row .monaco-icon-label .label-name').allTextContents();
  return labels.map((l) => l.trim()).filter(Boolean);
}

/** Opens the Provenant container and waits for the Experiments tree to be served by the extension. */
async function showExperiments(page: Page): Promise<void> {
  await openProvenantContainer(page);
  await waitForDataProvider(page, 'Experiments', 60_000);
}

/**
 * Clicks a run's row and waits for its "Run details" editor tab (titled after the run once the
 * panel has loaded it). A click that lands while the tree re-renders only selects the row, so
 * the click is repeated a few times before giving up.
 */
async function openRunFromTree(page: Page, runName: string): Promise<void> {
  const tab = page.locator('.tabs-container .tab', { hasText: `Run ${runName}` }).first();
  for (let attempt = 1; ; attempt++) {
    await experimentsRow(page, runName).click();
    try {
      await tab.waitFor({ state: 'visible', timeout: 20_000 });
      return;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** The webview frame that renders the run panel of `runName`. */
const runPanelFrame = (page: Page, runName: string, timeoutMs = 60_000): Promise<Frame> => webviewFrame(page, 'h1.run-name', runName, timeoutMs);

/**
 * Runs the palette command labelled exactly `title` by clicking its row (Enter would take the
 * first fuzzy match, e.g. "Browse Color Themes in Marketplace").
 */
async function pickPaletteCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await page.locator('.monaco-workbench').click({ position: { x: 5, y: 5 }, force: true }).catch(() => undefined);
  await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', {
    has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`) }),
  });
  await row.first().waitFor({ state: 'visible', timeout: 10_000 });
  await row.first().click();
}

/** Relative luminance (0 dark … 1 light) of a CSS rgb()/rgba() colour. */
function luminance(color: string): number {
  const m = color.match(/rgba?\((\d+),\s*(\d+),\s*(\d+)/);
  assert.ok(m, `not an rgb colour: ${color}`);
  const [r, g, b] = [m[1], m[2], m[3]].map((c) => Number(c) / 255);
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** The editor area of the 1440×900 workbench, right of the side bar and below the tabs. */
const EDITOR_AREA = { x: 360, y: 80, width: 1060, height: 760 };

/**
 * Mean luminance (0 … 1) of a region of a PNG, decoded by Chromium in a blank page of the same
 * browser: what a screenshot shows, not what the DOM says.
 */
async function pngLuminance(page: Page, png: Buffer, region: { x: number; y: number; width: number; height: number }): Promise<number> {
  const blank = await page.context().newPage();
  try {
    return await blank.evaluate(
      async ({ data, region }) => {
        const image = new Image();
        image.src = `data:image/png;base64,${data}`;
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = region.width;
        canvas.height = region.height;
        const g = canvas.getContext('2d')!;
        g.drawImage(image, region.x, region.y, region.width, region.height, 0, 0, region.width, region.height);
        const pixels = g.getImageData(0, 0, region.width, region.height).data;
        let sum = 0;
        for (let i = 0; i < pixels.length; i += 4) sum += (0.2126 * pixels[i]! + 0.7152 * pixels[i + 1]! + 0.0722 * pixels[i + 2]!) / 255;
        return sum / (pixels.length / 4);
      },
      { data: png.toString('base64'), region },
    );
  } finally {
    await blank.close();
  }
}

/**
 * Saves a screenshot once the editor area is rendered dark (or light): right after a theme
 * change the page can still paint the previous theme for a moment.
 */
async function themedScreenshot(session: CodeServerSession, name: string, theme: 'dark' | 'light'): Promise<number> {
  return waitFor(
    `a ${theme} screenshot ${name}`,
    async () => {
      const level = await pngLuminance(session.page, readFileSync(await session.screenshot(name)), EDITOR_AREA);
      return (theme === 'dark' ? level < 0.3 : level > 0.7) ? level : undefined;
    },
    20_000,
    500,
  );
}

/** The class of the webview document's body and its computed background colour. */
async function webviewTheme(frame: Frame): Promise<{ bodyClass: string; background: string }> {
  return frame.evaluate(() => ({ bodyClass: document.body.className, background: getComputedStyle(document.body).backgroundColor }));
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

test('runs recorded by the CLI are listed in the Experiments view under their branch, with their key metric', { timeout: TIMEOUT }, async () => {
  const root = hiringWorkspace('provenant-e2e-hiring-');
  cliRun(root, '--name', 'logistic-baseline');
  writeFileSync(join(root, 'params.yaml'), readFileSync(join(root, 'params.yaml'), 'utf8').replace('type: logistic_regression', 'type: gradient_boosting'));
  cliRun(root, '--name', 'gradient-boosting');
  const logistic = byName(root, 'logistic-baseline');
  const boosting = byName(root, 'gradient-boosting');
  assert.equal(logistic.params['model.type'], 'logistic_regression');
  assert.equal(boosting.params['model.type'], 'gradient_boosting');
  for (const run of [logistic, boosting]) {
    assert.equal(run.status, 'succeeded');
    assert.equal(typeof run.metrics.roc_auc, 'number', `${run.name} records roc_auc`);
  }
  assert.notEqual(logistic.metrics.roc_auc, boosting.metrics.roc_auc, 'the two models score differently');

  await withSession('cli-listed', root, { trusted: true }, async (session) => {
    const { page } = session;
    await showExperiments(page);

    const group = experimentsRow(page, 'main');
    await group.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await rowDescription(group), /^current · 2 runs$/, 'the current branch groups both runs');
    assert.equal(await group.getAttribute('aria-expanded'), 'true', 'the branch group is expanded');

    for (const run of [logistic, boosting]) {
      const row = experimentsRow(page, run.name);
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      const description = await rowDescription(row);
      assert.match(description, new RegExp(`^roc_auc ${escapeRegExp(treeMetric(run.metrics.roc_auc!))} · `), `${run.name}: "${description}"`);
      assert.match((await row.getAttribute('aria-label')) ?? '', new RegExp(`^Run ${escapeRegExp(run.name)}, succeeded, roc_auc `));
      // Run rows sit one level below the branch group.
      assert.equal(await row.getAttribute('aria-level'), '2', `${run.name} is nested under its branch`);
    }
    const labels = await experimentsLabels(page);
    assert.deepEqual(labels, ['main', 'gradient-boosting', 'logistic-baseline'], 'the branch, then its runs newest first');
    assert.equal(await sidebarPane(page, 'Experiments').locator('.welcome-view-content').isVisible(), false, 'no "No runs yet" welcome over the list');

    await session.screenshot('runs-cli-listed');
  });
});

test('"Run Experiment" from the command palette runs the train command in a terminal and the run appears in the tree', { timeout: TIMEOUT }, async () => {
  const root = hiringWorkspace('provenant-e2e-hiring-');
  await withSession('run-experiment', root, { trusted: true }, async (session) => {
    const { page } = session;
    await showExperiments(page);
    const welcome = sidebarPane(page, 'Experiments').locator('.welcome-view-content');
    await welcome.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await welcome.innerText(), /No runs yet/);
    assert.deepEqual(runFolders(root), [], 'no runs before');

    await runCommand(page, 'Provenant: Run Experiment');

    // The command opened its terminal: the panel's Terminal view shows the one terminal by name
    // (on success the terminal closes by itself when the run ends, so it is checked right away).
    const terminal = page.locator('.part.panel .single-terminal-tab, .part.panel .terminal-tabs-entry', { hasText: 'Provenant run' }).first();
    await terminal.waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('.part.panel .terminal-wrapper').first().waitFor({ state: 'visible', timeout: 30_000 });
    await session.screenshot('runs-run-experiment-terminal');

    // A run folder appears on disk; its row appears in the tree as soon as run.json is written.
    const started = await waitFor('a run record on disk', () => runsOnDisk(root)[0], RUN_TIMEOUT_MS);
    assert.equal(runsOnDisk(root).length, 1, 'exactly one run started');
    const row = experimentsRow(page, started.name);
    await row.waitFor({ state: 'visible', timeout: RUN_TIMEOUT_MS });
    await experimentsRow(page, 'main').waitFor({ state: 'visible', timeout: 10_000 });

    const finished = await waitFor('the run to end on disk', () => runsOnDisk(root).find((r) => r.id === started.id && r.status !== 'running'), RUN_TIMEOUT_MS, 500);
    assert.equal(finished.status, 'succeeded', `the run ended ${finished.status} (exit ${finished.exitCode}, note ${finished.note ?? '-'})`);
    assert.equal(finished.exitCode, 0);
    assert.equal(finished.experiment, 'main');
    assert.deepEqual(finished.command, ['python3', 'train.py'], 'the train command of config.yaml ran');
    assert.equal(typeof finished.metrics.roc_auc, 'number');

    // The tree follows the record: the row ends up succeeded, with the key metric.
    const expected = new RegExp(`^Run ${escapeRegExp(finished.name)}, succeeded, roc_auc ${escapeRegExp(treeMetric(finished.metrics.roc_auc!))}$`);
    await waitFor('the tree row to show the succeeded run', async () => expected.test((await row.getAttribute('aria-label')) ?? ''), 30_000);
    assert.match(await rowDescription(row), new RegExp(`^roc_auc ${escapeRegExp(treeMetric(finished.metrics.roc_auc!))} · `));
    assert.match(await rowDescription(experimentsRow(page, 'main')), /^current · 1 run$/);
    assert.equal(await welcome.isVisible(), false, 'the welcome made way for the run');
    // The outcome is announced, since the terminal closes when the run succeeds.
    const toast = page.locator('.notification-toast', { hasText: `run ${finished.name} succeeded · roc_auc ${treeMetric(finished.metrics.roc_auc!)}` });
    await toast.first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.deepEqual(await experimentsLabels(page), ['main', finished.name], 'the branch and its one run, nothing else (no "Unreadable run")');

    await session.screenshot('runs-run-experiment');
  });
});

test('clicking a run opens the Run details panel, readable in the dark and the light theme', { timeout: TIMEOUT }, async () => {
  const root = hiringWorkspace('provenant-e2e-hiring-');
  cliRun(root, '--name', 'logistic-baseline');
  const run = byName(root, 'logistic-baseline');
  const rocAuc = run.metrics.roc_auc;
  assert.equal(typeof rocAuc, 'number');

  // Headless Chromium reports a light colour scheme, which the workbench would follow on a first
  // start: ask for the dark theme explicitly, then switch to light through the UI.
  await withSession('panel', root, { trusted: true, settings: { 'workbench.colorTheme': 'Default Dark Modern' } }, async (session) => {
    const { page } = session;
    await showExperiments(page);
    const row = experimentsRow(page, run.name);
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await openRunFromTree(page, run.name);
    const frame = await runPanelFrame(page, run.name);

    const badge = frame.locator('.run-header .status');
    await badge.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal((await badge.textContent())?.trim(), 'succeeded');
    assert.equal(await frame.locator('h1.run-name').isVisible(), true);
    const metricsHeading = frame.locator('section#metrics h2');
    assert.equal((await metricsHeading.textContent())?.trim(), 'Metrics');
    const metricRow = frame.locator('section#metrics tr', { has: frame.locator('td', { hasText: /^roc_auc$/ }) }).first();
    const cells = (await metricRow.locator('td').allTextContents()).map((c) => c.trim());
    assert.equal(cells[0], 'roc_auc');
    assert.equal(cells[1], String(rocAuc), 'the final value is the recorded one');
    assert.ok((await frame.locator('section#code').innerText()).includes(run.code.snapshotCommit), 'the code snapshot commit is shown');

    await metricsHeading.scrollIntoViewIfNeeded();
    assert.equal(await metricsHeading.isVisible(), true);
    assert.equal(await metricRow.isVisible(), true);
    await themedScreenshot(session, 'runs-panel-dark-metrics', 'dark');
    await frame.locator('h1.run-name').scrollIntoViewIfNeeded();

    const dark = await webviewTheme(frame);
    assert.match(dark.bodyClass, /\bvscode-dark\b/, `dark body class: ${dark.bodyClass}`);
    assert.ok(luminance(dark.background) < 0.3, `dark background: ${dark.background}`);
    assert.ok(await page.locator('.monaco-workbench.vs-dark').count(), 'the workbench starts in the dark theme');
    await themedScreenshot(session, 'runs-panel-dark', 'dark');

    // Switch the colour theme the way a user does: Preferences: Color Theme, then pick Light Modern.
    await pickPaletteCommand(page, 'Preferences: Color Theme');
    const input = page.locator('.quick-input-widget .quick-input-box input[placeholder^="Select Color Theme"]');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('Light Modern');
    const lightModern = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: /^\s*Light Modern\s*$/ }) }).first();
    await lightModern.waitFor({ state: 'visible', timeout: 10_000 });
    await lightModern.click();
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
    await page.locator('.monaco-workbench.vs').waitFor({ state: 'attached', timeout: 30_000 });
    assert.equal(await page.locator('.monaco-workbench.vs-dark').count(), 0, 'the workbench left the dark theme');

    const light = await waitFor(
      'the webview to take the light theme',
      async () => {
        const theme = await webviewTheme(frame).catch(() => undefined);
        return theme && /\bvscode-light\b/.test(theme.bodyClass) ? theme : undefined;
      },
      30_000,
    );
    assert.ok(luminance(light.background) > 0.7, `light background: ${light.background}`);
    assert.equal((await frame.locator('h1.run-name').textContent())?.trim(), run.name, 'the run is still shown after the theme change');
    assert.equal((await frame.locator('.run-header .status').textContent())?.trim(), 'succeeded');
    assert.equal((await metricRow.locator('td').nth(1).textContent())?.trim(), String(rocAuc));
    await themedScreenshot(session, 'runs-panel-light', 'light');
    await metricsHeading.scrollIntoViewIfNeeded();
    assert.equal(await metricRow.isVisible(), true);
    await themedScreenshot(session, 'runs-panel-light-metrics', 'light');
  });
});

test('Restricted Mode: recorded runs are listed and open, but Run Experiment is neither offered nor executed', { timeout: TIMEOUT }, async () => {
  const root = hiringWorkspace('provenant-e2e-hiring-');
  cliRun(root, '--name', 'logistic-baseline');
  const run = byName(root, 'logistic-baseline');
  const foldersBefore = runFolders(root);
  assert.equal(foldersBefore.length, 1);
  // The UI offers the command nowhere in Restricted Mode; a user keybinding still reaches it.
  // A second binding, to a harmless command, proves that such keys do arrive.
  const keybindings = [
    { key: 'ctrl+alt+shift+f8', command: 'provenant.showOutput' },
    { key: 'ctrl+alt+shift+f9', command: 'provenant.runExperiment' },
  ];
  await withSession('restricted', root, { trusted: false, keybindings }, async (session) => {
    const { page } = session;
    await page.locator('.statusbar', { hasText: 'Restricted Mode' }).waitFor({ state: 'visible', timeout: 30_000 });
    await showExperiments(page);

    // Read-only viewing: the recorded run is listed with its metric and opens in its panel.
    const row = experimentsRow(page, run.name);
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await rowDescription(row), new RegExp(`^roc_auc ${escapeRegExp(treeMetric(run.metrics.roc_auc!))} · `));
    assert.match(await rowDescription(experimentsRow(page, 'main')), /^current · 1 run$/);
    await openRunFromTree(page, run.name);
    const frame = await runPanelFrame(page, run.name);
    assert.equal((await frame.locator('.run-header .status').textContent())?.trim(), 'succeeded');

    // Not offered: no header action, no palette entry, no welcome button.
    const actionLabels = await sidebarPane(page, 'Experiments')
      .locator('.pane-header .actions .action-label')
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    assert.ok(actionLabels.includes('Refresh Runs'), `header actions: ${actionLabels.join(', ')}`);
    assert.ok(!actionLabels.includes('Run Experiment'), `header actions: ${actionLabels.join(', ')}`);
    // (Narrow queries: the palette renders only the rows that fit, so a broad one proves nothing.)
    const refresh = await commandPaletteEntries(page, 'Provenant: Refresh Runs');
    assert.ok(refresh.includes('Provenant: Refresh Runs'), `palette: ${refresh.join(' | ')}`);
    const runEntries = await commandPaletteEntries(page, 'Provenant: Run Experiment');
    assert.ok(!runEntries.includes('Provenant: Run Experiment'), `palette: ${runEntries.join(' | ')}`);

    // Keys go to the workbench (not the webview): focus the Experiments tree first.
    await row.click();
    await page.keyboard.press('Control+Alt+Shift+F8');
    await page.locator('.part.panel', { hasText: 'Provenant active in' }).first().waitFor({ state: 'visible', timeout: 15_000 });

    // The key bound to provenant.runExperiment reaches the command (VS Code checks a command's
    // enablement for menus and the palette, not for keybindings); the command refuses to run.
    await row.click();
    await page.keyboard.press('Control+Alt+Shift+F9');
    const refusal = page.locator('.notifications-toasts .notification-list-item', { hasText: 'Run Experiment is not available in Restricted Mode' });
    await refusal.first().waitFor({ state: 'visible', timeout: 15_000 });
    // Had the command gone on, its terminal would start within moments of the warning.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual(runFolders(root), foldersBefore, 'no new run folder');
    assert.equal(await page.locator('.part.panel', { hasText: 'Provenant run' }).count(), 0, 'no "Provenant run" terminal');
    assert.deepEqual(runsOnDisk(root).map((r) => r.id), [run.id], 'still only the CLI run');

    await session.screenshot('runs-restricted');
  });
});
