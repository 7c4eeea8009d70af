// The analysis panel in the real VS Code workbench (code-server driven through Chromium), on a
// run of the hiring demo recorded by the CLI: "Provenant: Open Analysis" opens it, the threshold
// slider moves the fairness numbers, and a picked row is explained through the model's predictor
// (real Python, scikit-learn). Needs `npm run build`, `bash scripts/setup-code-server.sh` and
// Debian's python3-sklearn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers/cli';
import { openProvenantContainer, runCommand, startCodeServer, waitFor, waitForDataProvider, webviewFrame } from '../helpers/codeServer';
import { hiringWorkspace } from '../helpers/hiring';
import type { RunRecord } from '../../src/core/runs/types';

const TIMEOUT = 300_000;

test('Open Analysis on a demo run: fairness, threshold slider, and the explanation of a picked row', { timeout: TIMEOUT }, async () => {
  const root = hiringWorkspace('provenant-e2e-analysis-');
  const result = cli(root, ['run', '--quiet', '--name', 'logistic-baseline']);
  assert.equal(result.status, 0, result.stderr);
  const run = (JSON.parse(cli(root, ['runs', 'list', '--json']).stdout) as RunRecord[])[0]!;
  const session = await startCodeServer({ workspace: root, trusted: true });
  try {
    const { page } = session;
    await openProvenantContainer(page);
    await waitForDataProvider(page, 'Experiments', 60_000);
    await page.locator('.part.sidebar .monaco-list-row', { hasText: run.name }).first().waitFor({ state: 'visible', timeout: 30_000 });

    await runCommand(page, 'Provenant: Open Analysis');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: run.name }).first().waitFor({ state: 'visible', timeout: 10_000 });
    await input.press('Enter');

    await page.locator('.tabs-container .tab', { hasText: `Analysis ${run.name}` }).first().waitFor({ state: 'visible', timeout: 60_000 });
    const frame = await webviewFrame(page, 'h1.run-name', `Analysis of ${run.name}`);

    // Fairness of the demo: Togruta selected at well under four fifths of the Weequay rate.
    const di = Number((await frame.locator('#fairness .disparate-impact').first().textContent())?.trim());
    assert.ok(Math.abs(di - run.metrics.disparate_impact!) < 5e-4, `disparate impact ${di} vs ${run.metrics.disparate_impact}`);
    assert.match((await frame.locator('#fairness .four-fifths').first().textContent()) ?? '', /^fails/);

    // Move the shared threshold: the explorer recomputes disparate impact.
    const before = (await frame.locator('#explorer-di').textContent())?.trim();
    await frame.locator('#threshold-shared').fill('0.25');
    await waitFor('the explorer to follow the slider', async () => (await frame.locator('#explorer-di').textContent())?.trim() !== before, 10_000);
    assert.equal(await frame.locator('canvas[data-chart="explorer"]').getAttribute('data-thresholds'), '0.25,0.25');
    await frame.locator('#explorer').scrollIntoViewIfNeeded();
    await session.screenshot('analysis-e2e-explorer');

    // Global explanations computed through the predictor when the panel opened.
    await frame.locator('.importance-table').waitFor({ state: 'visible', timeout: 120_000 });
    const features = await frame.locator('.importance-table tbody tr td:first-child').allTextContents();
    assert.equal(features.length, 7);
    await frame.locator('#pdp-feature').waitFor({ state: 'visible', timeout: 120_000 });

    // Pick a row: its Shapley explanation arrives as a waterfall from the base value to the prediction.
    const row = frame.locator('.row-table tr[data-row="2"]');
    await row.scrollIntoViewIfNeeded();
    await row.click();
    const heading = frame.locator('#local-explanation h3');
    await heading.waitFor({ state: 'visible', timeout: 120_000 });
    const text = (await heading.textContent()) ?? '';
    const m = /^Row 2: base value ([\d.]+) → prediction ([\d.]+)$/.exec(text.trim());
    assert.ok(m, text);
    const csv = readFileSync(join(root, '.provenant', 'runs', run.id, 'predictions.csv'), 'utf8').trim().split('\n');
    assert.ok(Math.abs(Number(m[2]) - Number(csv[3]!.split(',')[1])) < 1e-4, 'the prediction is the logged score of row 2');
    assert.equal(await frame.locator('.shapley-table tbody tr').count(), 7);
    assert.equal(await frame.locator('canvas[data-chart="waterfall"]').count(), 1);
    await frame.locator('#local-explanation').scrollIntoViewIfNeeded();
    await session.screenshot('analysis-e2e-local');

    // The explanations were stored in the run folder with their settings.
    const stored = readdirSync(join(root, '.provenant', 'runs', run.id, 'analysis'));
    for (const kind of ['evaluation', 'fairness', 'permutation', 'pdp', 'shapley']) assert.ok(stored.some((f) => f.startsWith(`${kind}-`)), `${kind} stored: ${stored.join(', ')}`);
  } catch (error) {
    await session.screenshot('analysis-e2e-failure').catch(() => undefined);
    if (error instanceof Error) error.message += `\n--- code-server log ---\n${session.log()}`;
    throw error;
  } finally {
    await session.close();
    if (existsSync(root)) rmSync(root, { recursive: true, force: true });
  }
});
