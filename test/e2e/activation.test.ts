// The built extension in a real VS Code (code-server) driven through Chromium: it activates on a
// workspace with .provenant/config.yaml, shows its four views, and starts nothing in Restricted Mode.
// Needs `npm run build` and `bash scripts/setup-code-server.sh` first (npm test builds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeRepo } from '../helpers/git';
import {
  commandPaletteEntries,
  openProvenantContainer,
  runCommand,
  sidebarPane,
  sidebarViewTitles,
  startCodeServer,
  treeItemLabels,
  waitForDataProvider,
  type CodeServerSession,
} from '../helpers/codeServer';

const VIEWS = ['Experiments', 'Data', 'Environment', 'Governance'];
const TIMEOUT = 240_000;

function workspace(): string {
  return makeRepo({ '.provenant/config.yaml': 'train: python3 train.py\n', 'README.md': '# e2e workspace\n' });
}

async function withSession(trusted: boolean, body: (session: CodeServerSession) => Promise<void>): Promise<void> {
  const root = workspace();
  const session = await startCodeServer({ workspace: root, trusted });
  try {
    await body(session);
  } catch (error) {
    await session.screenshot(`activation-${trusted ? 'trusted' : 'restricted'}-failure`).catch(() => undefined);
    if (error instanceof Error) error.message += `\n--- code-server log ---\n${session.log()}`;
    throw error;
  } finally {
    await session.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Text of a view's welcome content, once the view shows it. */
async function welcomeText(session: CodeServerSession, view: string): Promise<string> {
  const content = sidebarPane(session.page, view).locator('.welcome-view-content');
  await content.waitFor({ state: 'visible', timeout: 30_000 });
  return (await content.innerText()).replace(/\s+/g, ' ').trim();
}

test('trusted workspace: the Provenant container shows its four views and the empty Experiments welcome', { timeout: TIMEOUT }, async () => {
  await withSession(true, async (session) => {
    const { page } = session;
    await openProvenantContainer(page);

    const titles = await sidebarViewTitles(page);
    assert.deepEqual(titles, VIEWS, 'the four view headers, in manifest order');
    // The extension activated (workspaceContains:.provenant/config.yaml) and serves every view.
    for (const view of VIEWS) await waitForDataProvider(page, view);

    const experiments = await welcomeText(session, 'Experiments');
    assert.match(experiments, /No runs yet/);
    assert.deepEqual(await treeItemLabels(page, 'Experiments'), [], 'no run rows in a workspace without runs');
    assert.match(await welcomeText(session, 'Data'), /No tracked datasets yet/);

    // The trusted Experiments header offers Run Experiment next to Refresh Runs.
    const headerActions = sidebarPane(page, 'Experiments').locator('.pane-header .actions .action-label');
    const actionLabels = await headerActions.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    assert.ok(actionLabels.includes('Run Experiment'), `header actions: ${actionLabels.join(', ')}`);
    assert.ok(actionLabels.includes('Refresh Runs'), `header actions: ${actionLabels.join(', ')}`);

    // Narrow queries: the palette only draws the rows that fit.
    const runEntries = await commandPaletteEntries(page, 'Provenant: Run Experiment');
    assert.ok(runEntries.includes('Provenant: Run Experiment'), `palette: ${runEntries.join(' | ')}`);
    const detailEntries = await commandPaletteEntries(page, 'Provenant: Show Run');
    assert.ok(!detailEntries.includes('Provenant: Show Run Details'), 'item-only commands stay out of the palette');

    // A harmless command runs from the palette and leaves the views in place.
    await runCommand(page, 'Provenant: Refresh Runs');
    assert.match(await welcomeText(session, 'Experiments'), /No runs yet/);

    await session.screenshot('activation-trusted');
  });
});

test('Restricted Mode: Run Experiment is not offered and the Experiments view says why', { timeout: TIMEOUT }, async () => {
  await withSession(false, async (session) => {
    const { page } = session;
    await page.locator('.statusbar', { hasText: 'Restricted Mode' }).waitFor({ state: 'visible', timeout: 30_000 });
    await openProvenantContainer(page);

    assert.deepEqual(await sidebarViewTitles(page), VIEWS, 'the extension still shows its views in Restricted Mode');
    // Limited support: it activates and serves the read-only views.
    for (const view of VIEWS) await waitForDataProvider(page, view);

    const experiments = await welcomeText(session, 'Experiments');
    assert.match(experiments, /Restricted Mode/);
    assert.doesNotMatch(experiments, /No runs yet/, 'the trusted welcome (with its Run Experiment button) is not shown');
    const runButton = sidebarPane(page, 'Experiments').locator('.welcome-view-content .monaco-button', { hasText: 'Run Experiment' });
    assert.equal(await runButton.count(), 0, 'no Run Experiment button in the welcome');

    const headerActions = sidebarPane(page, 'Experiments').locator('.pane-header .actions .action-label');
    const actionLabels = await headerActions.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    assert.ok(!actionLabels.includes('Run Experiment'), `header actions: ${actionLabels.join(', ')}`);

    // The palette hides commands whose enablement (isWorkspaceTrusted) is false.
    // Narrow queries: the palette only draws the rows that fit.
    const refresh = await commandPaletteEntries(page, 'Provenant: Refresh Runs');
    assert.ok(refresh.includes('Provenant: Refresh Runs'), `palette lists Provenant commands: ${refresh.join(' | ')}`);
    const run = await commandPaletteEntries(page, 'Provenant: Run Experiment');
    assert.ok(!run.includes('Provenant: Run Experiment'), `Run Experiment is not runnable: ${run.join(' | ')}`);
    const environment = await commandPaletteEntries(page, 'Provenant: Refresh Environment');
    assert.ok(!environment.includes('Provenant: Refresh Environment Snapshot'), `environment snapshot is not runnable: ${environment.join(' | ')}`);

    await session.screenshot('activation-restricted');
  });
});
