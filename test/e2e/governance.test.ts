// The governance area in the real VS Code workbench (code-server driven through Chromium), on a
// run of the hiring demo recorded by the CLI: the Governance view lists its checks, the Problems
// panel shows the failed four-fifths check, and "Export Audit Packet" from the view's title bar
// opens the report preview whose Export button writes a packet that the CLI then verifies.
// Needs `npm run build`, `bash scripts/setup-code-server.sh` and Debian's python3-sklearn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers/cli';
import { openProvenantContainer, runCommand, sidebarPane, startCodeServer, waitFor, waitForDataProvider, waitForTreeItem, webviewFrame } from '../helpers/codeServer';
import { hiringWorkspace } from '../helpers/hiring';
import type { RunRecord } from '../../src/core/runs/types';

const TIMEOUT = 300_000;

test('Governance view: checks of the last run, Problems panel, Export Audit Packet with preview, packet verified by the CLI', { timeout: TIMEOUT }, async () => {
  const root = hiringWorkspace('provenant-e2e-governance-');
  assert.equal(cli(root, ['run', '--quiet', '--name', 'baseline']).status, 0);
  const run = (JSON.parse(cli(root, ['runs', 'list', '--json']).stdout) as RunRecord[])[0]!;
  assert.equal(cli(root, ['reproduce', run.id, '-q']).status, 0);
  const session = await startCodeServer({ workspace: root, trusted: true, settings: { 'files.simpleDialog.enable': true } });
  try {
    const { page } = session;
    await openProvenantContainer(page);
    await waitForDataProvider(page, 'Governance', 60_000);
    // Room for the Governance view: fold the other views.
    for (const title of ['Data', 'Environment']) {
      const other = sidebarPane(page, title).locator('.pane-header').first();
      if ((await other.getAttribute('aria-expanded')) === 'true') await other.click();
    }
    const pane = sidebarPane(page, 'Governance');
    const header = pane.locator('.pane-header').first();
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    await waitForTreeItem(page, 'Subgroup gaps (four-fifths rule)', 60_000);
    const rows = pane.locator('.pane-body .monaco-list-row');
    const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    assert.ok(texts.some((t) => t.startsWith(`Run ${run.name}`)), texts.join(' | '));
    assert.ok(texts.some((t) => /^Subgroup gaps \(four-fifths rule\)\s*fail$/.test(t)), texts.join(' | '));
    assert.ok(texts.some((t) => /^Seed controlled\s*pass$/.test(t)), texts.join(' | '));
    assert.ok(texts.some((t) => /^Code committed\s*warn$/.test(t)), texts.join(' | '));
    // Expanding a check shows its evidence.
    await pane.locator('.monaco-list-row', { hasText: 'Subgroup gaps' }).first().click();
    await pane.locator('.monaco-list-row', { hasText: 'Evidence' }).first().waitFor({ state: 'attached', timeout: 10_000 });
    assert.match((await pane.locator('.monaco-list-row', { hasText: 'Evidence' }).first().innerText()).replace(/\s+/g, ' '), /^Evidence\s*group: selection rates Togruta/);
    await session.screenshot('governance-e2e-view');

    // The failed check is a diagnostic in the Problems panel, with its check id.
    await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
    const problems = page.locator('.markers-panel .monaco-list-row', { hasText: 'Subgroup gaps' }).first();
    await problems.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match((await page.locator('.markers-panel').innerText()) ?? '', /subgroup-gaps/);
    await session.screenshot('governance-e2e-problems');

    // Export Audit Packet from the Governance view's title bar.
    await openProvenantContainer(page);
    await pane.hover();
    const action = pane.locator('.pane-header .action-label[aria-label="Export Audit Packet"]').first();
    await action.waitFor({ state: 'visible', timeout: 10_000 });
    await action.click();
    await page.locator('.tabs-container .tab', { hasText: 'Audit Report baseline' }).first().waitFor({ state: 'visible', timeout: 60_000 });
    const frame = await webviewFrame(page, '#report h1', `Audit report: ${run.name}`, 90_000);
    await frame.locator('#checks').waitFor({ state: 'visible', timeout: 10_000 });
    assert.match((await frame.locator('#reproduction').textContent()) ?? '', /Bit-identical/);
    await session.screenshot('governance-e2e-report-preview');

    const target = join(root, `baseline-${run.id}-audit-packet.zip`);
    await frame.locator('#export').click();
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    // VS Code's simple save dialog (code-server has no native one): type the path, accept.
    await page.waitForTimeout(500);
    await input.fill(target);
    await page.waitForTimeout(300);
    await input.press('Enter');
    await waitFor('the packet file', async () => existsSync(target), 60_000);
    await waitFor('the export status', async () => /verified intact/.test((await frame.locator('#status').textContent()) ?? ''), 30_000);
    await session.screenshot('governance-e2e-exported');

    const verified = cli(root, ['packet', 'verify', target, '--json']);
    assert.equal(verified.status, 0, verified.stdout);
    const result = JSON.parse(verified.stdout) as { ok: boolean; run: string; checked: number };
    assert.equal(result.ok, true);
    assert.equal(result.run, run.id);
    assert.ok(result.checked >= 20);
  } catch (error) {
    await session.screenshot('governance-e2e-failure').catch(() => undefined);
    if (error instanceof Error) error.message += `\n--- code-server log ---\n${session.log()}`;
    throw error;
  } finally {
    await session.close();
    if (existsSync(root)) rmSync(root, { recursive: true, force: true });
  }
});
