// The Data view in a real VS Code (code-server) driven through Chromium: a dataset tracked with
// `provenant data add` shows as unchanged with its size and file count; editing a file inside it turns
// it to "modified" (through the file watcher), with the changed file listed and an Explorer badge.
// Needs `npm run build` and `bash scripts/setup-code-server.sh` first (npm test builds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, git } from '../helpers/git';
import { cli } from '../helpers/cli';
import { commandPaletteEntries, openProvenantContainer, sidebarPane, startCodeServer, waitForDataProvider, waitForTreeItem } from '../helpers/codeServer';

const TIMEOUT = 240_000;

test('Data view: a tracked dataset shows its status, and a modified file turns it to "modified"', { timeout: TIMEOUT }, async () => {
  const root = makeRepo({
    '.provenant/config.yaml': 'train: python3 train.py\ndata: [data]\n',
    'data/train.csv': 'x,y\n1,0\n2,1\n',
    'data/test.csv': 'x,y\n3,1\n',
  });
  git(root, 'rm', '-r', '-q', '--cached', 'data'); // DVC refuses to add what git tracks
  const added = cli(root, ['data', 'add', 'data']);
  assert.equal(added.status, 0, added.stderr);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'track data');
  const session = await startCodeServer({ workspace: root });
  try {
    const { page } = session;
    await openProvenantContainer(page);
    await waitForDataProvider(page, 'Data');
    const pane = sidebarPane(page, 'Data');
    const row = pane.locator('.monaco-list-row', { hasText: 'data' }).first();
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    await pane.locator('.monaco-list-row', { hasText: 'unchanged' }).first().waitFor({ state: 'visible', timeout: 60_000 });
    const before = (await row.innerText()).replace(/\s+/g, ' ');
    assert.match(before, /unchanged/);
    assert.match(before, /2 files/);
    assert.match(before, /B\b/, 'the size is shown');
    await session.screenshot('data-view-unchanged');

    // An edit on disk (as a script or another editor would make it) reaches the view by itself.
    writeFileSync(join(root, 'data', 'train.csv'), 'x,y\n1,0\n2,1\n4,0\n');
    const modified = pane.locator('.monaco-list-row', { hasText: 'modified' }).first();
    await modified.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match((await modified.innerText()).replace(/\s+/g, ' '), /data.*modified.*2 files/);
    // The dataset expands to the changed file.
    await modified.click();
    await waitForTreeItem(page, 'train.csv', 30_000);
    const changes = pane.locator('.monaco-list-row', { hasText: 'Changes' }).first();
    assert.match((await changes.innerText()).replace(/\s+/g, ' '), /1 modified, 0 added, 0 removed/);
    await session.screenshot('data-view-modified');
  } catch (error) {
    await session.screenshot('data-view-failure').catch(() => undefined);
    if (error instanceof Error) error.message += `\n--- code-server log ---\n${session.log()}`;
    throw error;
  } finally {
    await session.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('Restricted Mode: the Data view still reads the status, but Track, Checkout, Push and Pull are not offered', { timeout: TIMEOUT }, async () => {
  const root = makeRepo({ '.provenant/config.yaml': 'train: python3 train.py\n', 'data/a.csv': 'a\n' });
  git(root, 'rm', '-r', '-q', '--cached', 'data'); // DVC refuses to add what git tracks
  assert.equal(cli(root, ['data', 'add', 'data']).status, 0);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'track data');
  const session = await startCodeServer({ workspace: root, trusted: false });
  try {
    const { page } = session;
    await page.locator('.statusbar', { hasText: 'Restricted Mode' }).waitFor({ state: 'visible', timeout: 30_000 });
    await openProvenantContainer(page);
    await waitForDataProvider(page, 'Data');
    const pane = sidebarPane(page, 'Data');
    await pane.locator('.monaco-list-row', { hasText: 'unchanged' }).first().waitFor({ state: 'visible', timeout: 60_000 });
    // One narrow query each: the palette renders only the rows that fit.
    const refresh = await commandPaletteEntries(page, 'Provenant: Refresh Data Status');
    assert.ok(refresh.includes('Provenant: Refresh Data Status'), refresh.join(' | '));
    for (const hidden of ['Provenant: Track Data with DVC…', 'Provenant: Push Data (dvc push)', 'Provenant: Pull Data (dvc pull)', 'Provenant: Checkout the Data Version of Run…']) {
      const palette = await commandPaletteEntries(page, hidden.replace('…', ''));
      assert.ok(!palette.includes(hidden), `${hidden} is offered in Restricted Mode: ${palette.join(' | ')}`);
    }
    await session.screenshot('data-view-restricted');
  } catch (error) {
    await session.screenshot('data-view-restricted-failure').catch(() => undefined);
    if (error instanceof Error) error.message += `\n--- code-server log ---\n${session.log()}`;
    throw error;
  } finally {
    await session.close();
    rmSync(root, { recursive: true, force: true });
  }
});
