// End-to-end harness: the built extension in a real VS Code workbench (code-server), driven
// through the UI with playwright-core in the system Chromium. Loopback only, no downloads.
//
// Prerequisites: `npm run build` (dist/extension.js) and `bash scripts/setup-code-server.sh`
// (code-server in ${PROVENANT_CACHE:-$HOME/.cache/provenant}/code-server-4.100.3).
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type Frame, type Locator, type Page } from 'playwright-core';
import { launchChromium, screenshotPath } from './chromium';
import { REPO_ROOT, SCREENSHOT_DIR } from './paths';
export { REPO_ROOT, SCREENSHOT_DIR };

export const CODE_SERVER_VERSION = '4.100.3';
const WORKBENCH_TIMEOUT_MS = 60_000;

export interface CodeServerOptions {
  /** Folder opened as the workspace. */
  workspace: string;
  /** true: workspace trust disabled (everything trusted); false: trust enabled, folder untrusted (Restricted Mode). */
  trusted?: boolean;
  /** Extra user settings merged over the defaults. */
  settings?: Record<string, unknown>;
  /** User keybindings (written to the user keybindings.json). */
  keybindings?: { key: string; command: string; when?: string; args?: unknown }[];
}

export interface CodeServerSession {
  page: Page;
  url: string;
  /** Stops code-server (its whole process group) and the browser, and removes the temporary folders. */
  close(): Promise<void>;
  /** Saves a PNG of the page as test-results/screenshots/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  /** code-server's stdout and stderr so far (for failure messages). */
  log(): string;
}

/** Folder where scripts/setup-code-server.sh installs code-server. */
export function codeServerDir(): string {
  const cache = process.env.PROVENANT_CACHE || join(homedir(), '.cache', 'provenant');
  return join(cache, `code-server-${CODE_SERVER_VERSION}`);
}

/** code-server's entry script, or a thrown error saying how to install it. */
export function codeServerEntry(): string {
  const entry = join(codeServerDir(), 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(entry)) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} is not installed at ${codeServerDir()}: run \`bash scripts/setup-code-server.sh\` first.`);
  }
  return entry;
}

/** Copies the built extension into `extensionsDir` as an unpacked extension folder; returns that folder. */
export function installBuiltExtension(extensionsDir: string, root = REPO_ROOT): string {
  const distMain = join(root, 'dist', 'extension.js');
  if (!existsSync(distMain)) {
    throw new Error(`${distMain} is missing: run \`npm run build\` before the end-to-end tests.`);
  }
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const target = join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
  mkdirSync(join(target, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(target, 'package.json'));
  for (const file of ['README.md', 'LICENSE']) {
    if (existsSync(join(root, file))) cpSync(join(root, file), join(target, file));
  }
  for (const file of readdirSync(join(root, 'dist'))) {
    if (/^(extension|cli)\.js(\.map)?$/.test(file)) cpSync(join(root, 'dist', file), join(target, 'dist', file));
  }
  for (const dir of [join('dist', 'webview'), 'media', 'python', 'schema']) {
    if (existsSync(join(root, dir))) cpSync(join(root, dir), join(target, dir), { recursive: true });
  }
  return target;
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolvePort(port) : reject(new Error('no port assigned'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Process ids of all descendants of `pid` (read from /proc; empty where /proc is absent). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command name, which may itself hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process exited meanwhile
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills a detached child's process group and every descendant (terminals get their own sessions). */
function killTree(child: ChildProcess, signal: NodeJS.Signals): number[] {
  const pid = child.pid;
  if (!pid) return [];
  const tree = [pid, ...descendants(pid)];
  try {
    process.kill(-pid, signal);
  } catch {
    // group already gone
  }
  for (const p of tree) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
  return tree;
}

async function stopProcessTree(child: ChildProcess): Promise<void> {
  const tree = killTree(child, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && tree.some(alive)) await sleep(100);
  if (tree.some(alive)) {
    killTree(child, 'SIGKILL');
    for (const p of tree) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const hardDeadline = Date.now() + 3_000;
    while (Date.now() < hardDeadline && tree.some(alive)) await sleep(50);
  }
}

async function waitForHttp(url: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`code-server exited (${child.exitCode ?? child.signalCode}) before answering:\n${log()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
      lastError = `HTTP ${res.status}`;
    } catch (error) {
      lastError = String(error);
    }
    await sleep(200);
  }
  throw new Error(`code-server did not answer ${url} within ${timeoutMs} ms (${lastError}):\n${log()}`);
}

/** User settings that keep the workbench quiet and deterministic. */
function userSettings(trusted: boolean, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'workbench.startupEditor': 'none',
    'security.workspace.trust.enabled': !trusted,
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.emptyWindow': false,
    'telemetry.telemetryLevel': 'off',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'git.enabled': true,
    'git.autoRepositoryDetection': true,
    'git.openRepositoryInParentFolders': 'never',
    'window.restoreWindows': 'none',
    ...extra,
  };
}

const liveSessions = new Set<() => void>();
let exitHookInstalled = false;
/** Last resort if the test process ends without close(): no code-server left running. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const kill of liveSessions) kill();
  });
}

/**
 * Starts code-server with the built extension installed, opens `workspace` in Chromium and
 * waits for the workbench. Always call `close()` (e.g. in `after`/`finally`).
 */
export async function startCodeServer({ workspace, trusted = true, settings, keybindings }: CodeServerOptions): Promise<CodeServerSession> {
  const entry = codeServerEntry();
  const folder = resolve(workspace);
  const tempRoot = mkdtempSync(join(tmpdir(), 'provenant-e2e-'));
  const userDataDir = join(tempRoot, 'user-data');
  const extensionsDir = join(tempRoot, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });

  let child: ChildProcess | undefined;
  let browser: Browser | undefined;
  let closed = false;
  const logFile = join(tempRoot, 'code-server.log');
  const readLog = () => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-60).join('\n');
    } catch {
      return '';
    }
  };
  const killNow = () => {
    if (child) killTree(child, 'SIGKILL');
    try {
      rmSync(tempRoot, { recursive: true, force: true });
    } catch {
      // best effort while the process exits
    }
  };

  const close = async () => {
    if (closed) return;
    closed = true;
    liveSessions.delete(killNow);
    try {
      await browser?.close();
    } catch {
      // browser already gone
    }
    if (child) await stopProcessTree(child);
    rmSync(tempRoot, { recursive: true, force: true, maxRetries: 3 });
  };

  try {
    installBuiltExtension(extensionsDir);
    writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(userSettings(trusted, settings), null, 2));
    if (keybindings) writeFileSync(join(userDataDir, 'User', 'keybindings.json'), JSON.stringify(keybindings, null, 2));
    writeFileSync(join(tempRoot, 'config.yaml'), 'auth: none\ncert: false\n');

    const port = await freePort();
    const args = [
      entry,
      '--config', join(tempRoot, 'config.yaml'),
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      '--user-data-dir', userDataDir,
      '--extensions-dir', extensionsDir,
      ...(trusted ? ['--disable-workspace-trust'] : []),
      folder,
    ];
    const out = openSync(logFile, 'a');
    child = spawn(process.execPath, args, {
      cwd: tempRoot,
      detached: true, // own process group, so close() reaches every helper process
      stdio: ['ignore', out, out],
      env: { ...process.env, XDG_CONFIG_HOME: join(tempRoot, 'config'), XDG_DATA_HOME: join(tempRoot, 'data') },
    });
    closeSync(out);
    liveSessions.add(killNow);
    installExitHook();

    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/healthz`, child, readLog, WORKBENCH_TIMEOUT_MS);

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const url = `${base}/?folder=${encodeURIComponent(folder)}`;
    await page.goto(url, { timeout: WORKBENCH_TIMEOUT_MS });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: WORKBENCH_TIMEOUT_MS });

    return {
      page,
      url,
      close,
      log: readLog,
      async screenshot(name: string) {
        const path = screenshotPath(name);
        await page.screenshot({ path });
        return path;
      },
    };
  } catch (error) {
    const log = readLog();
    await close();
    if (error instanceof Error && log && !error.message.includes(log)) error.message += `\n--- code-server log ---\n${log}`;
    throw error;
  }
}

/** Opens the command palette (F1), types `title` and runs the first entry with exactly that label. */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = await openCommandPalette(page, title);
  const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: title }) }).first();
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  await input.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
}

/** Labels the command palette lists for `query` (the palette is closed again afterwards). */
export async function commandPaletteEntries(page: Page, query: string): Promise<string[]> {
  const input = await openCommandPalette(page, query);
  // The list filters as the text arrives; give it a moment to settle.
  await page.waitForTimeout(500);
  const labels = await page.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts();
  await input.press('Escape');
  return labels.map((l) => l.replace(/\s+/g, ' ').trim());
}

async function openCommandPalette(page: Page, text: string): Promise<Locator> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  // A busy machine can swallow a key press while the workbench is re-rendering: try F1 and the
  // palette shortcut in turn, refocusing the workbench between attempts, for up to ~40 s.
  const keys = ['F1', 'Control+Shift+P'];
  for (let attempt = 0; ; attempt++) {
    await page.locator('.monaco-workbench').click({ position: { x: 5, y: 5 }, force: true }).catch(() => undefined);
    await page.keyboard.press(keys[attempt % keys.length]!);
    try {
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      break;
    } catch (err) {
      if (attempt >= 7) throw err;
      await page.keyboard.press('Escape');
    }
  }
  await input.fill(`>${text}`);
  return input;
}

/** Shows the Provenant view container in the side bar (leaves it open if already shown). */
export async function openProvenantContainer(page: Page): Promise<void> {
  const item = page.locator('.activitybar [aria-label^="Provenant"]').first();
  await item.waitFor({ state: 'visible', timeout: WORKBENCH_TIMEOUT_MS });
  const sidebarShowsIt = await page
    .locator('.part.sidebar .composite.title h2', { hasText: /^Provenant/i })
    .isVisible()
    .catch(() => false);
  if (!sidebarShowsIt) await item.click();
  await page.locator('.part.sidebar .pane-header', { hasText: 'Experiments' }).first().waitFor({ state: 'visible', timeout: 30_000 });
}

/** The side-bar pane (header and body) whose header title is `viewTitle`. */
export function sidebarPane(page: Page, viewTitle: string): Locator {
  return page
    .locator('.part.sidebar .split-view-view .pane', {
      has: page.locator('.pane-header h3.title', { hasText: new RegExp(`^\\s*${escapeRegExp(viewTitle)}\\s*$`, 'i') }),
    })
    .first();
}

/** Titles of the view headers shown in the side bar. */
export async function sidebarViewTitles(page: Page): Promise<string[]> {
  // textContent, not innerText: headers are upper-cased by CSS only.
  const titles = await page.locator('.part.sidebar .pane-header h3.title').allTextContents();
  return titles.map((t) => t.trim());
}

/** Visible row labels of the tree in the side-bar view titled `viewTitle` (expands the view if collapsed). */
export async function treeItemLabels(page: Page, viewTitle: string): Promise<string[]> {
  const pane = sidebarPane(page, viewTitle);
  await pane.waitFor({ state: 'visible', timeout: 10_000 });
  const header = pane.locator('.pane-header').first();
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  const labels = await pane.locator('.pane-body .monaco-list-row .monaco-icon-label .label-name').allInnerTexts();
  return labels.map((l) => l.trim()).filter(Boolean);
}

/**
 * Waits until the extension has registered the tree data provider of the side-bar view titled
 * `viewTitle`. Welcome content alone proves nothing: VS Code shows it even when activation failed
 * (the view then carries "There is no data provider registered that can provide view data.").
 */
export async function waitForDataProvider(page: Page, viewTitle: string, timeoutMs = 30_000): Promise<void> {
  const pane = sidebarPane(page, viewTitle);
  const hiddenMessage = pane.locator('.tree-explorer-viewlet-tree-view > .message.hide');
  try {
    await hiddenMessage.waitFor({ state: 'attached', timeout: timeoutMs });
  } catch {
    const message = await pane.locator('.tree-explorer-viewlet-tree-view > .message').first().textContent().catch(() => null);
    throw new Error(`view "${viewTitle}" has no tree data provider after ${timeoutMs} ms (did the extension activate?)${message ? `: ${message}` : ''}`);
  }
}

/** Waits until a tree row whose label contains `text` is visible in the side bar. */
export async function waitForTreeItem(page: Page, text: string, timeoutMs = 30_000): Promise<Locator> {
  const row = page.locator('.part.sidebar .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  return row;
}

/** Polls `check` until it gives a value (anything but undefined or false); fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * The webview frame (webviews are nested iframes) whose first `selector` element has the text
 * `text` (trimmed) or matches it.
 */
export function webviewFrame(page: Page, selector: string, text: string | RegExp, timeoutMs = 60_000): Promise<Frame> {
  const matches = (content: string) => (typeof text === 'string' ? content.trim() === text : text.test(content));
  return waitFor(
    `a webview with ${selector} ${typeof text === 'string' ? JSON.stringify(text) : text}`,
    async () => {
      for (const frame of page.frames()) {
        try {
          const el = frame.locator(selector);
          if ((await el.count()) && matches((await el.first().textContent()) ?? '')) return frame;
        } catch {
          // detached while looking
        }
      }
      return undefined;
    },
    timeoutMs,
    500,
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
