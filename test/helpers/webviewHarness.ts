/**
 * Runs a built webview panel in headless Chromium, outside VS Code, with the page the extension
 * serves: the same `renderPanelHtml` (same CSP, nonce'd script), cspSource = this server's origin,
 * the bundle and stylesheet from `dist/webview/` (run `npm run build` first).
 *
 * The harness plays the host: a fake `acquireVsCodeApi` records what the panel posts
 * (`window.__posted`) and keeps its state in memory; `post()` delivers host messages. It collects
 * console errors, page errors, CSP violations and requests leaving the server, switches the body
 * theme class (vscode-light / vscode-dark / vscode-high-contrast / vscode-high-contrast-light) with
 * a served stylesheet of --vscode-* variables close to VS Code's default and high-contrast themes, and writes screenshots to `test-results/screenshots/`.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium, screenshotPath } from './chromium';
import { REPO_ROOT, SCREENSHOT_DIR } from './paths';
export { REPO_ROOT, SCREENSHOT_DIR };
import { renderPanelHtml } from '../../src/extension/webview/html';

export const DIST_WEBVIEW = join(REPO_ROOT, 'dist', 'webview');


export type Theme = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

/** The body classes VS Code sets for a theme (a light high-contrast theme has both). */
export function themeClasses(theme: Theme): string[] {
  return theme === 'high-contrast-light' ? ['vscode-high-contrast', 'vscode-high-contrast-light'] : [`vscode-${theme}`];
}

export interface CspViolation {
  /** 'event': a securitypolicyviolation event; 'console': a console message about the policy. */
  via: 'event' | 'console';
  directive: string;
  blockedURI: string;
  sample: string;
}

/**
 * --vscode-* variables close to VS Code's "Light Modern", "Dark Modern", "Dark High Contrast" and
 * "Light High Contrast" themes. The high-contrast themes leave some colours undefined (hover and
 * selection backgrounds: they outline instead), as VS Code does, so a panel's fallbacks show.
 */
const THEME_VARIABLES: Record<Theme, Record<string, string>> = {
  light: {
    'editor-background': '#ffffff',
    'foreground': '#3b3b3b',
    'descriptionForeground': '#616161',
    'errorForeground': '#e51400',
    'focusBorder': '#005fb8',
    'panel-border': '#e5e5e5',
    'widget-border': '#e5e5e5',
    'contrastBorder': 'transparent',
    'textLink-foreground': '#005fb8',
    'textLink-activeForeground': '#005fb8',
    'button-background': '#005fb8',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#0258a8',
    'button-border': 'rgba(0, 0, 0, 0.1)',
    'button-secondaryBackground': '#e5e5e5',
    'button-secondaryForeground': '#3b3b3b',
    'button-secondaryHoverBackground': '#cccccc',
    'badge-background': '#cccccc',
    'badge-foreground': '#3b3b3b',
    'input-background': '#ffffff',
    'input-foreground': '#3b3b3b',
    'input-border': '#cecece',
    'input-placeholderForeground': '#767676',
    'inputValidation-errorBackground': '#f2dede',
    'inputValidation-errorBorder': '#be1100',
    'list-hoverBackground': '#f2f2f2',
    'charts-blue': '#1a85ff',
    'charts-green': '#388a34',
    'charts-yellow': '#bf8803',
    'charts-red': '#e51400',
    'testing-iconPassed': '#388a34',
    'testing-iconFailed': '#e51400',
    'editorWarning-foreground': '#bf8803',
    'editorHoverWidget-background': '#f8f8f8',
    'editorHoverWidget-foreground': '#3b3b3b',
    'editorHoverWidget-border': '#c8c8c8',
    'gitDecoration-addedResourceForeground': '#587c0c',
    'gitDecoration-modifiedResourceForeground': '#895503',
    'gitDecoration-deletedResourceForeground': '#ad0707',
    'debugTokenExpression-string': '#a31515',
    'debugTokenExpression-number': '#098658',
    'debugTokenExpression-boolean': '#0000ff',
  },
  dark: {
    'editor-background': '#1f1f1f',
    'foreground': '#cccccc',
    'descriptionForeground': '#9d9d9d',
    'errorForeground': '#f85149',
    'focusBorder': '#0078d4',
    'panel-border': '#2b2b2b',
    'widget-border': '#313131',
    'contrastBorder': 'transparent',
    'textLink-foreground': '#4daafc',
    'textLink-activeForeground': '#4daafc',
    'button-background': '#0078d4',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#026ec1',
    'button-border': 'rgba(255, 255, 255, 0.07)',
    'button-secondaryBackground': '#313131',
    'button-secondaryForeground': '#cccccc',
    'button-secondaryHoverBackground': '#3c3c3c',
    'badge-background': '#616161',
    'badge-foreground': '#f8f8f8',
    'input-background': '#313131',
    'input-foreground': '#cccccc',
    'input-border': '#3c3c3c',
    'input-placeholderForeground': '#989898',
    'inputValidation-errorBackground': '#5a1d1d',
    'inputValidation-errorBorder': '#be1100',
    'list-hoverBackground': '#2a2d2e',
    'charts-blue': '#3794ff',
    'charts-green': '#89d185',
    'charts-yellow': '#cca700',
    'charts-red': '#f14c4c',
    'testing-iconPassed': '#73c991',
    'testing-iconFailed': '#f14c4c',
    'editorWarning-foreground': '#cca700',
    'editorHoverWidget-background': '#202020',
    'editorHoverWidget-foreground': '#cccccc',
    'editorHoverWidget-border': '#454545',
    'gitDecoration-addedResourceForeground': '#81b88b',
    'gitDecoration-modifiedResourceForeground': '#e2c08d',
    'gitDecoration-deletedResourceForeground': '#c74e39',
    'debugTokenExpression-string': '#ce9178',
    'debugTokenExpression-number': '#b5cea8',
    'debugTokenExpression-boolean': '#4e94ce',
  },
  'high-contrast': {
    'editor-background': '#000000',
    'foreground': '#ffffff',
    'descriptionForeground': 'rgba(255, 255, 255, 0.7)',
    'errorForeground': '#f48771',
    'focusBorder': '#f38518',
    'panel-border': '#6fc3df',
    'widget-border': '#6fc3df',
    'contrastBorder': '#6fc3df',
    'contrastActiveBorder': '#f38518',
    'textLink-foreground': '#21a6ff',
    'textLink-activeForeground': '#21a6ff',
    'button-background': '#000000',
    'button-foreground': '#ffffff',
    'button-border': '#6fc3df',
    'button-secondaryBackground': '#000000',
    'button-secondaryForeground': '#ffffff',
    'badge-background': '#000000',
    'badge-foreground': '#ffffff',
    'input-background': '#000000',
    'input-foreground': '#ffffff',
    'input-border': '#6fc3df',
    'input-placeholderForeground': 'rgba(255, 255, 255, 0.7)',
    'inputValidation-errorBackground': '#000000',
    'inputValidation-errorBorder': '#6fc3df',
    'list-focusOutline': '#f38518',
    'list-activeSelectionBackground': '#000000',
    'charts-blue': '#3794ff',
    'charts-green': '#89d185',
    'charts-yellow': '#cca700',
    'charts-red': '#f14c4c',
    'charts-orange': '#d18616',
    'charts-purple': '#b180d7',
    'charts-foreground': '#ffffff',
    'testing-iconPassed': '#73c991',
    'testing-iconFailed': '#f14c4c',
    'editorWarning-foreground': '#ffd370',
    'editorHoverWidget-background': '#0c141f',
    'editorHoverWidget-foreground': '#ffffff',
    'editorHoverWidget-border': '#6fc3df',
    'gitDecoration-addedResourceForeground': '#a1e3ad',
    'gitDecoration-modifiedResourceForeground': '#e2c08d',
    'gitDecoration-deletedResourceForeground': '#c74e39',
    'debugTokenExpression-string': '#f48771',
    'debugTokenExpression-number': '#b5cea8',
    'debugTokenExpression-boolean': '#4e94ce',
  },
  'high-contrast-light': {
    'editor-background': '#ffffff',
    'foreground': '#292929',
    'descriptionForeground': '#292929',
    'errorForeground': '#b5200d',
    'focusBorder': '#006bbd',
    'panel-border': '#0f4a85',
    'widget-border': '#0f4a85',
    'contrastBorder': '#0f4a85',
    'contrastActiveBorder': '#006bbd',
    'textLink-foreground': '#0f4a85',
    'textLink-activeForeground': '#0f4a85',
    'button-background': '#0f4a85',
    'button-foreground': '#ffffff',
    'button-border': '#0f4a85',
    'button-secondaryBackground': '#ffffff',
    'button-secondaryForeground': '#292929',
    'badge-background': '#0f4a85',
    'badge-foreground': '#ffffff',
    'input-background': '#ffffff',
    'input-foreground': '#292929',
    'input-border': '#0f4a85',
    'input-placeholderForeground': 'rgba(41, 41, 41, 0.7)',
    'inputValidation-errorBackground': '#ffffff',
    'inputValidation-errorBorder': '#0f4a85',
    'list-focusOutline': '#006bbd',
    'list-activeSelectionBackground': '#ffffff',
    'charts-blue': '#1a85ff',
    'charts-green': '#388a34',
    'charts-yellow': '#bf8803',
    'charts-red': '#b5200d',
    'charts-orange': '#d18616',
    'charts-purple': '#652d90',
    'charts-foreground': '#292929',
    'testing-iconPassed': '#388a34',
    'testing-iconFailed': '#b5200d',
    'editorWarning-foreground': '#895503',
    'editorHoverWidget-background': '#ffffff',
    'editorHoverWidget-foreground': '#292929',
    'editorHoverWidget-border': '#0f4a85',
    'gitDecoration-addedResourceForeground': '#374e06',
    'gitDecoration-modifiedResourceForeground': '#895503',
    'gitDecoration-deletedResourceForeground': '#ad0707',
    'debugTokenExpression-string': '#a31515',
    'debugTokenExpression-number': '#098658',
    'debugTokenExpression-boolean': '#0000ff',
  },
};

const COMMON_VARIABLES: Record<string, string> = {
  'font-family': 'system-ui, -apple-system, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
  'font-size': '13px',
  'font-weight': 'normal',
  'editor-font-family': '"Droid Sans Mono", "DejaVu Sans Mono", monospace',
  'editor-font-size': '13px',
};

/** The served theme stylesheet: variables per body class, like VS Code sets them. */
export function themeStylesheet(): string {
  const block = (vars: Record<string, string>) =>
    Object.entries(vars)
      .map(([k, v]) => `  --vscode-${k}: ${v};`)
      .join('\n');
  return [
    `body {\n${block(COMMON_VARIABLES)}\n}`,
    // In this order: a light high-contrast body has both high-contrast classes; its block wins.
    ...(Object.keys(THEME_VARIABLES) as Theme[]).map((t) => `body.vscode-${t} {\n${block(THEME_VARIABLES[t])}\n}`),
  ].join('\n\n');
}

/** The value of `--vscode-<name>` in a theme of this harness. */
export function themeVariable(theme: Theme, name: string): string | undefined {
  return THEME_VARIABLES[theme][name] ?? COMMON_VARIABLES[name];
}

/**
 * Runs in the page before any of its scripts (and is not subject to the page's CSP). Plain
 * JavaScript text, not a function, so no transpiler helper can leak into the page.
 */
function initScript(init: { themeClasses: string[]; state: unknown }): string {
  return `(() => {
  const init = ${JSON.stringify(init)};
  const posted = [];
  const csp = [];
  window.__posted = posted;
  window.__csp = csp;
  window.__state = init.state === null ? undefined : init.state;
  let acquired = false;
  window.acquireVsCodeApi = () => {
    // As in VS Code: the API may be acquired once per page load.
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return Object.freeze({
      postMessage: (message) => { posted.push(structuredClone(message)); },
      getState: () => (window.__state === undefined ? undefined : structuredClone(window.__state)),
      setState: (state) => { window.__state = structuredClone(state); return state; },
    });
  };
  document.addEventListener('securitypolicyviolation', (e) => {
    csp.push({ via: 'event', directive: e.effectiveDirective || e.violatedDirective, blockedURI: e.blockedURI, sample: e.sample });
  }, true);
  const setTheme = () => {
    if (!document.body) return false;
    document.body.classList.add(...init.themeClasses);
    return true;
  };
  if (!setTheme()) {
    const observer = new MutationObserver(() => { if (setTheme()) observer.disconnect(); });
    observer.observe(document, { childList: true, subtree: true });
  }
})();`;
}

export interface OpenOptions {
  theme?: Theme;
  /** What `getState()` returns at start (as VS Code after a reload). */
  state?: unknown;
  viewport?: { width: number; height: number };
  title?: string;
}

export class PanelPage {
  readonly consoleErrors: string[] = [];
  readonly consoleWarnings: string[] = [];
  readonly pageErrors: string[] = [];
  readonly externalRequests: string[] = [];
  private readonly cspConsole: CspViolation[] = [];

  constructor(
    readonly page: Page,
    readonly origin: string,
  ) {
    page.on('console', (msg) => {
      const text = msg.text();
      if (/Content[- ]Security[- ]Policy/i.test(text)) this.cspConsole.push({ via: 'console', directive: '', blockedURI: '', sample: text });
      if (msg.type() === 'error') this.consoleErrors.push(text);
      else if (msg.type() === 'warning') this.consoleWarnings.push(text);
    });
    page.on('pageerror', (err) => this.pageErrors.push(err.stack ?? err.message));
    page.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith(`${origin}/`) && !url.startsWith('data:')) this.externalRequests.push(url);
    });
  }

  /** Everything the panel posted to the host so far. */
  async posted(): Promise<unknown[]> {
    return this.page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
  }

  /** Waits until the panel has posted a message of `type`, and returns the latest such message. */
  async waitForPosted(type: string, timeout = 5000): Promise<Record<string, unknown>> {
    const handle = await this.page.waitForFunction(
      (t) => [...(window as unknown as { __posted: { type?: unknown }[] }).__posted].reverse().find((m) => m && m.type === t),
      type,
      { timeout },
    );
    return (await handle.jsonValue()) as Record<string, unknown>;
  }

  async clearPosted(): Promise<void> {
    await this.page.evaluate(() => {
      (window as unknown as { __posted: unknown[] }).__posted.length = 0;
    });
  }

  /** Delivers a host → webview message (as VS Code's postMessage does: a window message event). */
  async post(message: unknown): Promise<void> {
    await this.page.evaluate((m) => window.postMessage(m, '*'), message);
    // Message events are dispatched asynchronously; let the panel handle it before returning.
    await this.page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
  }

  /** The state the panel last saved with setState. */
  async state(): Promise<unknown> {
    return this.page.evaluate(() => (window as unknown as { __state: unknown }).__state);
  }

  async setTheme(theme: Theme): Promise<void> {
    await this.page.evaluate((classes) => {
      document.body.classList.remove('vscode-light', 'vscode-dark', 'vscode-high-contrast', 'vscode-high-contrast-light');
      document.body.classList.add(...classes);
    }, themeClasses(theme));
  }

  /** CSP violations seen so far (events and console reports). */
  async cspViolations(): Promise<CspViolation[]> {
    const events = await this.page.evaluate(() => (window as unknown as { __csp: CspViolation[] }).__csp);
    return [...events, ...this.cspConsole];
  }

  /** A full-page PNG in test-results/screenshots/<name>.png; returns its path. */
  async screenshot(name: string): Promise<string> {
    const path = screenshotPath(name);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  /**
   * Full-page PNGs of the panel as it is now in each theme (`<name>-<theme>.png`), then back to
   * `restore`. Canvases redraw on a theme change: two frames pass before each screenshot.
   */
  async screenshotThemes(name: string, restore: Theme, themes: readonly Theme[] = ['light', 'dark', 'high-contrast', 'high-contrast-light']): Promise<string[]> {
    const paths: string[] = [];
    for (const theme of themes) {
      await this.setTheme(theme);
      await this.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      paths.push(await this.screenshot(`${name}-${theme}`));
    }
    await this.setTheme(restore);
    await this.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    return paths;
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }
}

export class WebviewHarness {
  private constructor(
    private readonly server: Server,
    private readonly browser: Browser,
    readonly origin: string,
  ) {}

  /** Starts the local server (127.0.0.1, a free port) and Chromium. */
  static async start(): Promise<WebviewHarness> {
    if (!existsSync(DIST_WEBVIEW)) throw new Error(`No ${DIST_WEBVIEW}: run \`npm run build\` before the webview tests.`);
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const origin = `http://${req.headers.host}`;
      const send = (status: number, type: string, body: string | Buffer) => {
        res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
        res.end(body);
      };
      const panel = /^\/panel\/([a-z0-9-]+)$/.exec(url.pathname);
      if (panel) {
        const name = panel[1]!;
        const html = renderPanelHtml({
          cspSource: origin,
          scriptUri: `${origin}/dist/webview/${name}.js`,
          styleUri: `${origin}/dist/webview/${name}.css`,
          extraStyleUris: [`${origin}/theme.css`],
          title: url.searchParams.get('title') ?? name,
        });
        return send(200, 'text/html; charset=utf-8', html);
      }
      if (url.pathname === '/favicon.ico') return send(204, 'text/plain', '');
      if (url.pathname === '/theme.css') return send(200, 'text/css; charset=utf-8', themeStylesheet());
      const asset = /^\/dist\/webview\/([\w-]+\.(js|css|map))$/.exec(url.pathname);
      if (asset && existsSync(join(DIST_WEBVIEW, asset[1]!))) {
        const type = asset[2] === 'js' ? 'text/javascript; charset=utf-8' : asset[2] === 'css' ? 'text/css; charset=utf-8' : 'application/json';
        return send(200, type, readFileSync(join(DIST_WEBVIEW, asset[1]!)));
      }
      return send(404, 'text/plain; charset=utf-8', 'not found');
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => ok());
    });
    const { port } = server.address() as AddressInfo;
    try {
      const browser = await launchChromium();
      return new WebviewHarness(server, browser, `http://127.0.0.1:${port}`);
    } catch (err) {
      server.close();
      throw err;
    }
  }

  /** Opens `dist/webview/<panel>.js` in a fresh page and waits for it to load. */
  async open(panel: string, options: OpenOptions = {}): Promise<PanelPage> {
    if (!existsSync(join(DIST_WEBVIEW, `${panel}.js`))) throw new Error(`No dist/webview/${panel}.js: run \`npm run build\` first.`);
    const context = await this.browser.newContext({ viewport: options.viewport ?? { width: 1100, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.addInitScript(initScript({ themeClasses: themeClasses(options.theme ?? 'light'), state: options.state ?? null }));
    const panelPage = new PanelPage(page, this.origin);
    const title = options.title ? `?title=${encodeURIComponent(options.title)}` : '';
    await page.goto(`${this.origin}/panel/${panel}${title}`, { waitUntil: 'load' });
    return panelPage;
  }

  async close(): Promise<void> {
    await this.browser.close();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }
}
