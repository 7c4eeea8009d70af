// The compare panel in the real VS Code workbench (code-server driven through Chromium): two runs
// of the hiring demo recorded by the CLI (different regularisation, an edited train.py), selected
// in the Experiments view with Ctrl-click, "Compare Runs" from the context menu. The panel shows
// the known differences; a code file opens VS Code's diff editor on the two snapshots; screenshots
// in a light and a dark theme. Then "Provenant: Open Runs Table" lists both runs.
// Needs `npm run build`, `bash scripts/setup-code-server.sh` and Debian's python3-sklearn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { cli } from '../helpers/cli';
import { openProvenantContainer, runCommand, startCodeServer, waitForDataProvider, webviewFrame } from '../helpers/codeServer';
import { hiringWorkspace } from '../helpers/hiring';
import type { RunRecord } from '../../src/core/runs/types';

const TIMEOUT = 300_000;

/** Switches between the light and the dark default theme, and waits until `frame` follows. */
async function toggleTheme(page: Page, frame: Frame, to: 'light' | 'dark'): Promise<void> {
  await runCommand(page, 'Preferences: Toggle between Light/Dark Themes');
  await frame.locator(`body.vscode-${to}`).waitFor({ state: 'attached', timeout: 15_000 });
  await page.waitForTimeout(500);
}

test('select two runs in the tree, Compare Runs: the known differences, a snapshot diff, light and dark', { timeout: TIMEOUT }, async () => {
  const root = hiringWorkspace('provenant-e2e-compare-');
  assert.equal(cli(root, ['run', '--quiet', '--name', 'baseline-c1']).status, 0);
  writeFileSync(join(root, 'params.yaml'), readFileSync(join(root, 'params.yaml'), 'utf8').replace('C: 1.0', 'C: 0.05'));
  writeFileSync(join(root, 'train.py'), `${readFileSync(join(root, 'train.py'), 'utf8')}\n# stronger regularisation\n`);
  const second = cli(root, ['run', '--quiet', '--name', 'strong-reg']);
  assert.equal(second.status, 0, second.stderr);
  const runs = JSON.parse(cli(root, ['runs', 'list', '--json']).stdout) as RunRecord[];
  const [b, a] = runs;
  assert.ok(a && b);
  const session = await startCodeServer({ workspace: root, trusted: true });
  try {
    const { page } = session;
    await openProvenantContainer(page);
    await waitForDataProvider(page, 'Experiments', 60_000);
    const rowA = page.locator('.part.sidebar .monaco-list-row', { hasText: a.name }).first();
    const rowB = page.locator('.part.sidebar .monaco-list-row', { hasText: b.name }).first();
    await rowA.waitFor({ state: 'visible', timeout: 30_000 });
    await rowB.waitFor({ state: 'visible', timeout: 30_000 });

    // Select both (a click opens Run details too), then the context menu's Compare Runs.
    // On a busy machine the Run details panel opened by the first click can take the focus back
    // from the tree: make sure both rows are selected before asking for the context menu.
    const selected = async () => (await rowA.getAttribute('aria-selected')) === 'true' && (await rowB.getAttribute('aria-selected')) === 'true';
    for (let attempt = 0; attempt < 3 && !(await selected()); attempt++) {
      await rowA.click();
      await page.waitForTimeout(1000);
      await rowB.click({ modifiers: ['Control'] });
      await page.waitForTimeout(500);
    }
    assert.ok(await selected(), 'both runs are selected in the tree');
    await rowB.click({ button: 'right' });
    const item = page.locator('.context-view .action-item', { hasText: 'Compare Runs' }).first();
    await item.waitFor({ state: 'visible', timeout: 10_000 });
    await item.click();
    // A click that lands while the menu is still settling is ignored by the menu: choose the
    // (highlighted) entry with the keyboard then.
    const menu = page.locator('.context-view .monaco-menu').first();
    if (!(await menu.waitFor({ state: 'hidden', timeout: 3_000 }).then(() => true, () => false))) {
      await item.hover();
      await page.keyboard.press('Enter');
    }

    await page.locator('.tabs-container .tab', { hasText: 'Compare' }).first().waitFor({ state: 'visible', timeout: 60_000 });
    const frame = await webviewFrame(page, '#summary-line', /Differences:/);
    await frame.locator('#charts canvas[data-chart="roc"]').waitFor({ state: 'attached', timeout: 120_000 });

    // The known differences of this pair.
    const paramRows = await frame.locator('#params tbody tr.differs th').allTextContents();
    assert.ok(paramRows.some((t) => t.includes('model.C')), `model.C differs: ${paramRows.join(' | ')}`);
    assert.ok(!paramRows.some((t) => t.includes('seed')), 'the seed is the same');
    const codeFiles = await frame.locator('#code tbody tr th').allTextContents();
    assert.deepEqual(codeFiles.map((t) => t.trim()).sort(), ['params.yaml', 'train.py']);
    const runNames = await frame.locator('.runs-summary .run-name-cell').allTextContents();
    assert.equal(runNames.length, 2);
    assert.ok(runNames.includes(a.name) && runNames.includes(b.name));
    assert.ok((await frame.locator('#metrics').innerText()).includes('roc_auc'));
    assert.equal(await frame.locator('figure.confusion').count(), 2);
    const light = (await frame.locator('body.vscode-light').count()) === 1;
    await session.screenshot(`compare-e2e-${light ? 'light' : 'dark'}`);
    const roc = frame.locator('canvas[data-chart="roc"]');
    const draws = Number(await roc.getAttribute('data-draws'));
    await toggleTheme(page, frame, light ? 'dark' : 'light');
    assert.ok(Number(await roc.getAttribute('data-draws')) > draws, 'the charts were redrawn for the new theme');
    await frame.locator('#charts').scrollIntoViewIfNeeded();
    await session.screenshot(`compare-e2e-${light ? 'dark' : 'light'}`);

    // A code file opens the diff editor on the two snapshots.
    await frame.locator('#code .diff-btn[data-path="train.py"]').click();
    await page.locator('.tabs-container .tab', { hasText: 'train.py' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('.monaco-diff-editor').first().waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('.monaco-diff-editor .line-insert, .monaco-diff-editor .char-insert').first().waitFor({ state: 'attached', timeout: 30_000 });
    await session.screenshot('compare-e2e-diff');

    // The runs table lists both runs.
    await runCommand(page, 'Provenant: Open Runs Table');
    const table = await webviewFrame(page, '#count', /of 2 runs/);
    assert.equal(await table.locator('#count').textContent(), '2 of 2 runs');
    await session.screenshot('runs-table-e2e');
  } catch (error) {
    await session.screenshot('compare-e2e-failure').catch(() => undefined);
    if (error instanceof Error) error.message += `\n--- code-server log ---\n${session.log().slice(-4000)}`;
    throw error;
  } finally {
    await session.close();
    if (existsSync(root)) rmSync(root, { recursive: true, force: true });
  }
});
