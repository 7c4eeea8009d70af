// The audit report in headless Chromium: (1) the report preview webview (the extension's own HTML,
// CSP and bundle dist/webview/report.js) fed the report of a real hiring-demo run, with hostile
// strings that must stay text; (2) the packet's report.html opened from disk with the network
// disabled: everything renders, no request leaves the file. Needs `npm run build` and Debian's
// python3-sklearn (the run is real).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { git, tempDir } from '../helpers/git';
import { cli, REPO_ROOT } from '../helpers/cli';
import { requirePython } from '../helpers/python';
import { WebviewHarness, SCREENSHOT_DIR } from '../helpers/webviewHarness';
import { gatherReport, type PacketReport } from '../../src/core/packet/report';
import { renderReport, reportHtml } from '../../src/core/packet/reportView';
import { isReportPanelHostMessage, type ReportPanelHostMessage } from '../../src/shared/messages';
import type { RunRecord } from '../../src/core/runs/types';

const IMG = '<img src=x onerror="window.__pwned=1">';
const SECTIONS = ['identity', 'data', 'training', 'history', 'evaluation', 'explainability', 'fairness', 'assumptions', 'checks', 'reproduction', 'integrity'];

async function demoReport(): Promise<PacketReport> {
  const root = tempDir('provenant-report-');
  cpSync(join(REPO_ROOT, 'examples', 'hiring'), root, { recursive: true, filter: (src) => !/(model\.pkl|__pycache__)$/.test(src) });
  const config = join(root, '.provenant', 'config.yaml');
  writeFileSync(config, readFileSync(config, 'utf8').replace(/^python: .*$/m, `python: ${requirePython()}`));
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'demo');
  assert.equal(cli(root, ['run', '--quiet', '--name', `baseline ${IMG}`]).status, 0);
  const [run] = JSON.parse(cli(root, ['runs', 'list', '--json']).stdout) as RunRecord[];
  assert.equal(cli(root, ['reproduce', run!.id, '-q']).status, 0);
  assert.equal(cli(root, ['note', 'assumption', `The applicants stand for the population screened ${IMG}`]).status, 0);
  return gatherReport(root, run!.id);
}

describe('audit report (Chromium)', () => {
  let harness: WebviewHarness;
  let report: PacketReport;
  before(async () => {
    report = await demoReport();
    harness = await WebviewHarness.start();
  });
  after(async () => {
    await harness?.close();
  });

  it('the preview renders every section from the element tree, keeps hostile strings as text, and asks the host to export', async () => {
    const panel = await harness.open('report', { theme: 'dark', viewport: { width: 1200, height: 1000 } });
    await panel.waitForPosted('ready');
    const message: ReportPanelHostMessage = { type: 'showReport', run: { id: report.identity.run, name: report.identity.model }, document: renderReport(report), canSign: true, trusted: true };
    assert.ok(isReportPanelHostMessage(message));
    await panel.post(message);
    await panel.page.waitForSelector('#report h1');
    assert.equal(await panel.page.textContent('#report h1'), `Audit report: baseline ${IMG}`);
    for (const id of SECTIONS) assert.equal(await panel.page.locator(`#report section#${id}`).count(), 1, id);
    assert.ok((await panel.page.locator('#report svg rect.bar').count()) >= 8, 'metric and selection-rate bars');
    assert.equal(await panel.page.locator('#report img').count(), 0, 'no element made from workspace text');
    assert.match((await panel.page.textContent('#assumptions')) ?? '', /population screened <img src=x/);
    assert.equal(await panel.page.locator('#checks [data-verdict="fail"]').count(), 1, 'the demo fails the four-fifths rule');
    assert.match((await panel.page.textContent('#reproduction')) ?? '', /Bit-identical/);
    assert.equal(await panel.page.evaluate(() => (document.querySelector('#report svg') as SVGElement).namespaceURI), 'http://www.w3.org/2000/svg');
    await panel.screenshot('report-preview-dark');
    await panel.screenshotThemes('report-preview', 'dark');
    await panel.page.locator('#fairness').scrollIntoViewIfNeeded();
    await panel.page.screenshot({ path: join(SCREENSHOT_DIR, 'report-preview-fairness.png') });

    await panel.page.click('#export');
    const posted = await panel.waitForPosted('export');
    assert.deepEqual(posted, { type: 'export', sign: true });
    await panel.post({ type: 'progress', message: 'Hashing every file into manifest.json', done: 4, total: 6 });
    assert.equal(await panel.page.textContent('#status'), 'Hashing every file into manifest.json');
    await panel.post({ type: 'exported', file: '/tmp/p.zip', files: 27, signed: true, verified: true });
    assert.match((await panel.page.textContent('#status')) ?? '', /Exported \/tmp\/p\.zip \(27 files, signed\); verified intact/);

    // A message carrying a forbidden element is rejected whole.
    await panel.post({ ...message, document: { tag: 'article', children: [{ tag: 'script', children: ['window.__pwned=1'] }] } });
    assert.equal(await panel.page.textContent('#report h1'), `Audit report: baseline ${IMG}`, 'the previous report stays');
    assert.deepEqual(panel.pageErrors, []);
    assert.deepEqual(panel.consoleErrors, []);
    assert.deepEqual(await panel.cspViolations(), []);
    assert.deepEqual(panel.externalRequests, []);
    assert.equal(await panel.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    await panel.close();
  });

  it('report.html opened offline renders everything with no request, and prints', async () => {
    const dir = tempDir('provenant-report-html-');
    const file = join(dir, 'report.html');
    writeFileSync(file, reportHtml(report));
    const browser = await chromium.launch({ executablePath: process.env.PROVENANT_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const context = await browser.newContext({ offline: true, viewport: { width: 1100, height: 1300 }, javaScriptEnabled: false });
      const page = await context.newPage();
      const requests: string[] = [];
      const failures: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('requestfailed', (r) => failures.push(r.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      assert.deepEqual(requests, [pathToFileURL(file).href], 'only the file itself is loaded');
      assert.deepEqual(failures, []);
      for (const id of SECTIONS) assert.ok(await page.locator(`section#${id}`).isVisible(), id);
      const charts = page.locator('figure.chart svg');
      assert.ok((await charts.count()) >= 2);
      for (let i = 0; i < (await charts.count()); i++) {
        const box = await charts.nth(i).boundingBox();
        assert.ok(box && box.width > 200 && box.height > 40, `chart ${i} has a size`);
      }
      assert.equal(await page.locator('img').count(), 0);
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'report-html-offline-top.png') });
      await page.locator('#fairness').screenshot({ path: join(SCREENSHOT_DIR, 'report-html-offline-fairness.png') });
      await page.locator('#checks').screenshot({ path: join(SCREENSHOT_DIR, 'report-html-offline-checks.png') });
      await page.emulateMedia({ media: 'print' });
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      assert.ok(pdf.length > 20_000 && pdf.subarray(0, 4).toString() === '%PDF');
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'report-html-print-media.png') });
    } finally {
      await browser.close();
    }
  });
});
