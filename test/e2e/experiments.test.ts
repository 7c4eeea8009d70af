// Experiment branches in a real VS Code (code-server): create an experiment from the sidebar,
// run it, try to switch back with a dirty tree (the prompt appears; Cancel keeps everything),
// switch committing the work, and merge the experiment into main. Checked with native git.
// Needs `npm run build` and `bash scripts/setup-code-server.sh` first (npm test builds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, makeRepo } from '../helpers/git';
import { openProvenantContainer, runCommand, sidebarPane, startCodeServer, waitForDataProvider, type CodeServerSession } from '../helpers/codeServer';
import type { Page } from 'playwright-core';

const TIMEOUT = 300_000;
const TRAIN = 'import json, os\nd = os.environ["PROVENANT_RUN_DIR"]\njson.dump({"acc": 0.75}, open(os.path.join(d, "metrics.json"), "w"))\nprint("trained")\n';

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const head = (root: string) => readFileSync(join(root, '.git', 'HEAD'), 'utf8').trim();

async function pick(page: Page, label: string): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(label);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ state: 'visible', timeout: 10_000 });
  await input.press('Enter');
}

test('experiments from the sidebar: new, run, dirty switch prompt (cancel keeps everything), commit and switch, merge', { timeout: TIMEOUT }, async () => {
  const root = makeRepo({ '.provenant/config.yaml': 'train: python3 train.py\nkey_metric: acc\n', 'train.py': TRAIN, '.provenant/.gitignore': '/runs/\n/state/\n/tmp/\n' });
  let session: CodeServerSession | undefined;
  try {
    session = await startCodeServer({ workspace: root, trusted: true });
    const { page } = session;
    await openProvenantContainer(page);
    await waitForDataProvider(page, 'Experiments', 60_000);

    // New experiment from the view's title bar.
    const pane = sidebarPane(page, 'Experiments');
    await pane.hover();
    await pane.locator('.pane-header .actions .action-label[aria-label="New Experiment…"]').click();
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill('e2e');
    await input.press('Enter');
    await until('HEAD on exp/e2e', () => head(root) === 'ref: refs/heads/exp/e2e');

    // Run it.
    await runCommand(page, 'Provenant: Run Experiment');
    const run = await until('a finished run', () => {
      const dir = join(root, '.provenant', 'runs');
      if (!existsSync(dir)) return undefined;
      for (const id of readdirSync(dir)) {
        const file = join(dir, id, 'run.json');
        if (!existsSync(file)) continue;
        const record = JSON.parse(readFileSync(file, 'utf8')) as { id: string; status: string; experiment: string };
        if (record.status !== 'running') return record;
      }
      return undefined;
    }, 120_000);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.experiment, 'exp/e2e');
    // VS Code closes the run's terminal when the CLI exits, and that moves the focus: wait for it,
    // or it would close the quick pick of the next step.
    await page
      .locator('.part.panel .single-terminal-tab, .part.panel .terminal-tabs-entry', { hasText: 'Provenant run' })
      .first()
      .waitFor({ state: 'detached', timeout: 60_000 });
    await pane.locator('.monaco-list-row', { hasText: 'exp/e2e' }).first().waitFor({ state: 'visible', timeout: 30_000 });

    // Switch back with a dirty tree: the prompt appears; Cancel keeps everything.
    writeFileSync(join(root, 'train.py'), `${TRAIN}# tuned\n`);
    const before = git(root, 'status', '--porcelain');
    await runCommand(page, 'Provenant: Switch to Experiment…');
    await pick(page, 'main');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await dialog.innerText(), /uncommitted changes/);
    await session.screenshot('experiments-dirty-switch-prompt');
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(head(root), 'ref: refs/heads/exp/e2e', 'still on the experiment');
    assert.equal(readFileSync(join(root, 'train.py'), 'utf8'), `${TRAIN}# tuned\n`, 'the edit is kept');
    assert.equal(git(root, 'status', '--porcelain'), before);

    // Now commit the work to the experiment and switch.
    await runCommand(page, 'Provenant: Switch to Experiment…');
    await pick(page, 'main');
    await dialog.waitFor({ state: 'visible', timeout: 30_000 });
    await dialog.locator('.monaco-button', { hasText: 'Commit to exp/e2e' }).first().click();
    await until('HEAD on main', () => head(root) === 'ref: refs/heads/main');
    assert.equal(git(root, 'show', 'exp/e2e:train.py'), `${TRAIN}# tuned`.trim());

    // Merge (promote) the experiment into main.
    await runCommand(page, 'Provenant: Merge Experiment (Promote)…');
    await pick(page, 'exp/e2e');
    await pick(page, 'main');
    await until('main fast-forwarded to exp/e2e', () => git(root, 'rev-parse', 'main') === git(root, 'rev-parse', 'exp/e2e'));
    assert.equal(readFileSync(join(root, 'train.py'), 'utf8'), `${TRAIN}# tuned\n`);
    git(root, 'fsck', '--no-dangling', '--no-progress');
    assert.equal(git(root, 'status', '--porcelain'), '');
    await session.screenshot('experiments-merged');
  } catch (error) {
    await session?.screenshot('experiments-failure').catch(() => undefined);
    if (error instanceof Error && session) error.message += `\n--- code-server log ---\n${session.log().slice(-4000)}`;
    throw error;
  } finally {
    await session?.close();
    rmSync(root, { recursive: true, force: true });
  }
});
