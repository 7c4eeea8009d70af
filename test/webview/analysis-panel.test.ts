// The "Analysis" webview in headless Chromium with the extension's own HTML (CSP, nonce) and
// bundle (dist/webview/analysis.js: run `npm run build` first), fed results computed by the core
// on a small data set: sliders move the threshold explorer, a picked row asks for its explanation
// and the waterfall shows it; hostile strings stay text.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PredictionData } from '../../src/core/analysis/dataset';
import { evaluate } from '../../src/core/analysis/evaluate';
import { fairness, thresholdExplorer } from '../../src/core/analysis/fairness';
import { Random } from '../../src/core/analysis/random';
import { summarizeAt } from '../../src/core/analysis/thresholds';
import { isAnalysisPanelHostMessage, isAnalysisPanelWebviewMessage, type AnalysisPanelHostMessage } from '../../src/shared/messages';
import { WebviewHarness, type PanelPage } from '../helpers/webviewHarness';

const IMG = '<img src=x onerror="window.__pwned=1">';

function dataset(groupB = 'Togruta'): PredictionData {
  const rng = new Random(11);
  const n = 400;
  const group = Array.from({ length: n }, (_, i) => (i % 2 ? 'Weequay' : groupB));
  const y = Float64Array.from({ length: n }, () => (rng.next() < 0.35 ? 1 : 0));
  const score = Float64Array.from(y, (v, i) => Math.min(1, Math.max(0, 0.25 * v + rng.next() * 0.6 + (group[i] === 'Weequay' ? 0.12 : 0))));
  return {
    runId: '20260101-000000-abcdef',
    set: { name: 'holdout', file: 'predictions.csv', rows: n, columns: [], yTrue: 'y_true', yScore: 'y_score', yPred: null, features: [] },
    file: '.provenant/runs/x/predictions.csv',
    rows: n,
    task: 'classification',
    yTrue: y,
    yScore: score,
    yPred: null,
    raw: new Map([['group', group]]),
    features: [],
    featureSource: 'test',
  };
}

function init(trusted = true, groupB = 'Togruta'): AnalysisPanelHostMessage {
  const d = dataset(groupB);
  return {
    type: 'init',
    run: { id: '20260101-000000-abcdef', name: `baseline ${IMG}` },
    trusted,
    evaluation: evaluate(d, { bootstrap: { resamples: 100 } }),
    fairness: [fairness(d, 'group', { bootstrap: { resamples: 100 } })],
    explorers: [thresholdExplorer(d, 'group')],
    table: { columns: ['y_true', 'y_score', 'age', 'group'], rows: Array.from({ length: 30 }, (_, i) => ({ index: i, cells: [String(d.yTrue[i]), d.yScore![i]!.toFixed(3), String(20 + i), i === 3 ? IMG : String(d.raw.get('group')![i])] })), total: 400 },
    notes: [],
  };
}

const importance: AnalysisPanelHostMessage = {
  type: 'importance',
  result: [
    { feature: 'university', importance: 0.11, std: 0.01, repeats: [0.1, 0.12] },
    { feature: IMG, importance: 0.05, std: 0.02, repeats: [0.03, 0.07] },
    { feature: 'age', importance: 0.001, std: 0.001, repeats: [0, 0.002] },
  ],
  note: 'roc_auc, 2 repeats',
};
const dependence: AnalysisPanelHostMessage = {
  type: 'dependence',
  result: [
    { feature: 'test_score', kind: 'numeric', grid: [40, 50, 60, 70, 80], average: [0.1, 0.2, 0.3, 0.4, 0.5], individual: [[0.05, 0.1, 0.2, 0.3, 0.4], [0.2, 0.3, 0.4, 0.5, 0.6]], rows: [0, 1] },
    { feature: 'university', kind: 'categorical', grid: ['no', 'yes'], average: [0.2, 0.45], individual: [[0.1, 0.3]], rows: [0] },
  ],
  note: 'grid of up to 100 points',
};
const local = (row: number): AnalysisPanelHostMessage => ({
  type: 'local',
  result: { row, baseValue: 0.28, prediction: 0.14, values: { university: -0.14, years_experience: -0.12, test_score: 0.12 }, features: { university: 0, years_experience: 0.6, test_score: 78 } },
  note: 'exact Shapley values, background of 100 rows',
});

async function assertClean(panel: PanelPage): Promise<void> {
  assert.deepEqual(panel.pageErrors, [], 'page errors');
  assert.deepEqual(panel.consoleErrors, [], 'console errors');
  assert.deepEqual(await panel.cspViolations(), [], 'CSP violations');
  assert.deepEqual(panel.externalRequests, [], 'requests leaving the test server');
  assert.equal(await panel.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'no injected script ran');
}

describe('analysis message contract', () => {
  it('accepts the panel messages and rejects malformed ones', () => {
    assert.ok(isAnalysisPanelHostMessage(init()));
    assert.ok(isAnalysisPanelHostMessage(importance) && isAnalysisPanelHostMessage(dependence) && isAnalysisPanelHostMessage(local(3)));
    assert.ok(isAnalysisPanelWebviewMessage({ type: 'explainRow', row: 4 }));
    for (const bad of [{ type: 'explainRow', row: -1 }, { type: 'explainRow', row: '4' }, { type: 'explain', method: 'shapley' }, { type: 'cancel', now: true }, { type: 'run', command: 'rm' }]) {
      assert.equal(isAnalysisPanelWebviewMessage(bad), false, JSON.stringify(bad));
    }
    const i = init() as Extract<AnalysisPanelHostMessage, { type: 'init' }>;
    assert.equal(isAnalysisPanelHostMessage({ ...i, run: { id: '../etc', name: 'x' } }), false);
    assert.equal(isAnalysisPanelHostMessage({ ...i, fairness: [{ ...i.fairness[0]!, groups: 'x' }] }), false);
    assert.equal(isAnalysisPanelHostMessage({ ...local(1), extra: 1 }), false);
  });
});

describe('analysis panel (Chromium)', () => {
  let harness: WebviewHarness;
  before(async () => {
    harness = await WebviewHarness.start();
  });
  after(async () => {
    await harness?.close();
  });

  it('shows a 3-class evaluation: the metrics, the confusion matrix and each class; fairness explains its refusal', async () => {
    const rng = new Random(5);
    const n = 300;
    const k = 3;
    const y = Float64Array.from({ length: n }, (_, i) => i % k);
    const proba = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const w = [0, 1, 2].map((c) => rng.next() + (c === y[i] ? 0.45 : 0));
      const total = w.reduce((a, b) => a + b, 0);
      w.forEach((v, c) => (proba[i * k + c] = v / total));
    }
    const pred = Float64Array.from({ length: n }, (_, i) => [0, 1, 2].reduce((best, c) => (proba[i * k + c]! > proba[i * k + best]! ? c : best), 0));
    const d: PredictionData = { ...dataset(), rows: n, task: 'multiclass', yTrue: y, yPred: pred, yScore: null, classes: ['setosa', 'versicolor', 'virginica'], yProba: proba };
    const evaluation = evaluate(d, { bootstrap: { resamples: 50 } });
    const message: AnalysisPanelHostMessage = { ...(init() as Extract<AnalysisPanelHostMessage, { type: 'init' }>), evaluation, fairness: [], explorers: [], notes: ['Fairness: the target "species" has 3 classes (setosa, versicolor, virginica): which one is the favourable decision? Set positive_label.'] };
    assert.ok(isAnalysisPanelHostMessage(message));
    const panel = await harness.open('analysis', { theme: 'light', viewport: { width: 1100, height: 900 } });
    await panel.waitForPosted('ready');
    await panel.post(message);
    await panel.page.waitForSelector('table.confusion-matrix');
    const cells = await panel.page.$$eval('table.confusion-matrix tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(cells.map((r) => r.slice(1, 4).map(Number)), evaluation.confusionMatrix, 'the matrix as computed');
    assert.deepEqual(cells.map((r) => r[0]), ['setosa', 'versicolor', 'virginica']);
    const metrics = (await panel.page.textContent('#evaluation table.metrics')) ?? '';
    for (const name of ['f1_macro', 'roc_auc_ovr', 'log_loss']) assert.match(metrics, new RegExp(name));
    assert.match((await panel.page.textContent('#evaluation')) ?? '', /multiclass/);
    assert.equal(await panel.page.locator('table.per-class tbody tr').count(), 3);
    assert.match((await panel.page.textContent('ul.notes')) ?? '', /positive_label/);
    await panel.screenshot('analysis-multiclass-light');
    await assertClean(panel);
    await panel.close();
  });

  it('shows evaluation and fairness; the threshold slider moves the rates; per-group thresholds close the gap', async () => {
    const panel = await harness.open('analysis', { theme: 'dark', viewport: { width: 1200, height: 1000 } });
    await panel.waitForPosted('ready');
    const message = init();
    await panel.post(message);
    await panel.page.waitForSelector('h1.run-name');
    assert.equal(await panel.page.textContent('h1.run-name'), `Analysis of baseline ${IMG}`);
    const explorer = (message as Extract<AnalysisPanelHostMessage, { type: 'init' }>).explorers[0]!;
    const f = (message as Extract<AnalysisPanelHostMessage, { type: 'init' }>).fairness[0]!;
    assert.equal((await panel.page.textContent('#fairness .disparate-impact'))?.trim(), f.disparateImpact.toFixed(3));
    assert.match((await panel.page.textContent('#evaluation table.metrics')) ?? '', /roc_auc/);

    const di = async () => (await panel.page.textContent('#explorer-di'))?.trim();
    assert.equal(await di(), summarizeAt(explorer, 0.5).disparateImpact.toFixed(3));
    await panel.page.locator('#threshold-shared').fill('0.3');
    assert.equal(await di(), summarizeAt(explorer, 0.3).disparateImpact.toFixed(3), 'moving the slider recomputes disparate impact');
    assert.equal(await panel.page.getAttribute('canvas[data-chart="explorer"]', 'data-thresholds'), '0.30,0.30');
    await panel.screenshot('analysis-explorer-shared-dark');
    await panel.screenshotThemes('analysis', 'dark');

    await panel.page.check('#per-group');
    await panel.page.locator('#threshold-0').fill('0.3'); // Togruta
    await panel.page.locator('#threshold-1').fill('0.42'); // Weequay
    const expected = summarizeAt(explorer, { Togruta: 0.3, Weequay: 0.42 });
    assert.equal(await di(), expected.disparateImpact.toFixed(3));
    assert.equal((await panel.page.textContent('#explorer-eo'))?.trim(), expected.equalOpportunityDifference!.toFixed(3));
    assert.match((await panel.page.textContent('#explorer')) ?? '', /disparate treatment/);
    const state = (await panel.state()) as { perGroup: boolean; groupThresholds: Record<string, number> };
    assert.equal(state.perGroup, true);
    assert.deepEqual(state.groupThresholds, { Togruta: 0.3, Weequay: 0.42 });
    await panel.page.locator('#explorer').scrollIntoViewIfNeeded();
    await panel.screenshot('analysis-explorer-per-group-dark');
    await assertClean(panel);
    await panel.close();
  });

  it('shows importance with error bars and PD + ICE; a picked row is explained as a waterfall', async () => {
    const panel = await harness.open('analysis', { theme: 'light', viewport: { width: 1200, height: 1000 } });
    await panel.waitForPosted('ready');
    await panel.post(init());
    await panel.post({ type: 'progress', task: 'permutation', done: 3, total: 10, label: 'permutation importance' });
    assert.match((await panel.page.textContent('#status')) ?? '', /permutation importance 3\/10/);
    await panel.page.locator('#status vscode-button').click();
    await panel.waitForPosted('cancel');
    await panel.post(importance);
    await panel.post(dependence);
    assert.equal(await panel.page.textContent('#status'), '', 'progress cleared');
    assert.deepEqual((await panel.page.locator('.importance-table tbody tr td:first-child').allTextContents()), ['university', IMG, 'age']);
    assert.equal(await panel.page.locator('canvas[data-chart="importance"]').count(), 1);
    await panel.page.selectOption('#pdp-feature', 'university');
    assert.match((await panel.page.getAttribute('canvas[data-chart="dependence"]', 'aria-label')) ?? '', /on university/);

    await panel.clearPosted();
    await panel.page.locator('.row-table tr[data-row="3"]').click();
    const asked = await panel.waitForPosted('explainRow');
    assert.deepEqual(asked, { type: 'explainRow', row: 3 });
    assert.match((await panel.page.textContent('#local-explanation')) ?? '', /Explaining row 3/);
    await panel.post(local(3));
    assert.match((await panel.page.textContent('#local-explanation h3')) ?? '', /Row 3: base value 0\.2800 → prediction 0\.1400/);
    assert.deepEqual(await panel.page.locator('.shapley-table tbody tr td:first-child').allTextContents(), ['university', 'years_experience', 'test_score']);
    assert.equal(await panel.page.locator('canvas[data-chart="waterfall"]').count(), 1);
    assert.equal(await panel.page.locator('img').count(), 0, 'the hostile cell is text');
    await panel.page.locator('#importance').scrollIntoViewIfNeeded();
    await panel.screenshot('analysis-importance-light');
    await panel.page.locator('#local').scrollIntoViewIfNeeded();
    await panel.screenshot('analysis-local-light');
    await panel.post({ type: 'failed', task: 'shapley', message: 'the predictor exited (code 1)' });
    assert.match((await panel.page.textContent('#local')) ?? '', /the predictor exited/);
    await assertClean(panel);
    await panel.close();
  });

  it('in Restricted Mode offers no explanation and asks for none', async () => {
    const panel = await harness.open('analysis', { theme: 'light' });
    await panel.waitForPosted('ready');
    await panel.post(init(false));
    await panel.page.locator('.row-table tr[data-row="1"]').click();
    assert.deepEqual((await panel.posted()).map((m) => (m as { type: string }).type), ['ready']);
    assert.match((await panel.page.textContent('#importance')) ?? '', /Not available in Restricted Mode/);
    await panel.post({ type: 'importance', result: 'bad' });
    assert.ok(panel.consoleWarnings.some((w) => w.includes('ignored an invalid message')));
    await assertClean(panel);
    await panel.close();
  });
});
