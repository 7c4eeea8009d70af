// The comparison of run records (params, metrics with deltas, seeds, data manifests, packages),
// its CSV/Markdown export, the runs table's row diff and its filter expressions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { comparisonCsv, comparisonMarkdown, compareRunsFull } from '../../../src/core/runs/compare';
import { columnValue, compareCells, compileFilter, diffRows, rowOf, type RunRow } from '../../../src/core/runs/table';
import { ProvenantError } from '../../../src/core/util/errors';
import { makeRepo } from '../../helpers/git';
import { sampleRun } from '../../fixtures/runRecord';

const base = sampleRun();
const a = sampleRun({ id: '20250101-000000-aaaaaa', name: 'a', params: { lr: 0.1, depth: 6, model: 'gbm' }, metrics: { auc: 0.8, loss: 0.5 }, data: [{ path: 'data/train', md5: '11111111111111111111111111111111.dir', size: 10 }, { path: 'data/same.csv', md5: 'abc', size: 1 }] });
const b = sampleRun({
  id: '20250101-000001-bbbbbb',
  name: 'b',
  params: { lr: 0.05, depth: 6, model: 'gbm', extra: true },
  metrics: { auc: 0.85, loss: 0.5 },
  seeds: { ...base.seeds, root: 7 },
  data: [{ path: 'data/train', md5: '22222222222222222222222222222222.dir', size: 11 }, { path: 'data/same.csv', md5: 'abc', size: 1 }],
  environment: { ...base.environment, packages: { ...base.environment.packages, numpy: '2.3.0', polars: '1.0.0' } },
});
delete (b.environment.packages as Record<string, string>)['tqdm'];

const manifests: Record<string, { md5: string; relpath: string }[]> = {
  '11111111111111111111111111111111.dir': [
    { md5: 'f1', relpath: 'a.csv' },
    { md5: 'f2', relpath: 'b.csv' },
    { md5: 'f3', relpath: 'gone.csv' },
  ],
  '22222222222222222222222222222222.dir': [
    { md5: 'f1', relpath: 'a.csv' },
    { md5: 'f2-changed', relpath: 'b.csv' },
    { md5: 'f4', relpath: 'new/c.csv' },
  ],
};

describe('compareRunsFull', () => {
  const root = makeRepo();
  it('marks exactly what differs: params, metric deltas, seeds, data files, packages', async () => {
    const c = await compareRunsFull(root, [a, b], { readManifest: async (oid) => manifests[oid] ?? null });
    assert.deepEqual(c.runs, [a.id, b.id]);
    assert.deepEqual(c.params.filter((r) => r.differs).map((r) => r.key), ['extra', 'lr']);
    assert.deepEqual(c.params.find((r) => r.key === 'extra')!.values, [null, true]);
    const auc = c.metrics.find((r) => r.key === 'auc')!;
    assert.equal(auc.differs, true);
    assert.ok(Math.abs(auc.deltas[1]! - 0.05) < 1e-12);
    assert.equal(auc.deltas[0], 0);
    assert.equal(c.metrics.find((r) => r.key === 'loss')!.differs, false);
    assert.deepEqual(c.seeds.filter((r) => r.differs).map((r) => r.key), ['root']);
    const train = c.data.find((d) => d.path === 'data/train')!;
    assert.deepEqual([train.added, train.removed, train.modified, train.note], [['new/c.csv'], ['gone.csv'], ['b.csv'], null]);
    assert.equal(c.data.find((d) => d.path === 'data/same.csv')!.differs, false);
    assert.deepEqual(c.environment.added.map((p) => [p.name, p.values]), [['polars', [null, '1.0.0']]]);
    assert.deepEqual(c.environment.removed.map((p) => [p.name, p.values]), [['tqdm', ['4.67.1', null]]]);
    assert.deepEqual(c.environment.changed.map((p) => [p.name, p.values]), [['numpy', ['2.2.1', '2.3.0']]]);
    // The fixture's snapshot commits are not in this repository: said, not thrown.
    assert.deepEqual(c.code.files, []);
    assert.match(c.code.note ?? '', /not in this repository/);
  });

  it('says "manifest not in cache" when a .dir object is missing', async () => {
    const c = await compareRunsFull(root, [a, b], { readManifest: async (oid) => (oid.startsWith('1') ? manifests[oid]! : null) });
    const train = c.data.find((d) => d.path === 'data/train')!;
    assert.match(train.note ?? '', /^manifest not in cache \(2222/);
    assert.deepEqual([train.added, train.removed, train.modified], [[], [], []]);
  });

  it('compares three runs against the first; refuses one run or a run named twice', async () => {
    const c3 = sampleRun({ id: '20250101-000002-cccccc', name: 'c', params: { lr: 0.1, depth: 8, model: 'gbm' }, metrics: { auc: 0.7 } });
    const c = await compareRunsFull(root, [a, b, c3]);
    assert.equal(c.params.find((r) => r.key === 'depth')!.differs, true);
    assert.deepEqual(c.metrics.find((r) => r.key === 'loss')!.deltas, [0, 0, null]);
    await assert.rejects(compareRunsFull(root, [a]), (e: unknown) => e instanceof ProvenantError && /two or more runs/.test(e.message));
    await assert.rejects(compareRunsFull(root, [a, a]), (e: unknown) => e instanceof ProvenantError && /named twice/.test(e.message));
  });

  it('exports CSV that a spreadsheet keeps as text and Markdown that renders hostile names inert', async () => {
    const evil = sampleRun({ ...b, name: '=HYPERLINK("http://x")|<img src=x onerror=alert(1)>', params: { ...b.params, '|pipe\nkey': '@SUM(A1)' } });
    const c = await compareRunsFull(root, [a, evil]);
    const csv = comparisonCsv(c);
    assert.ok(csv.includes(`"'=HYPERLINK(""http://x"")|<img src=x onerror=alert(1)> (${b.id})"`), 'formula prefixed and quoted');
    assert.ok(csv.includes(`"|pipe\nkey",,'@SUM(A1)`));
    const md = comparisonMarkdown(c);
    assert.ok(!md.includes('<img'), 'no raw HTML');
    assert.ok(md.includes('&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(md.includes('\\|pipe key'), 'pipes escaped, newline folded');
    const onlyDiff = comparisonMarkdown(c, { differencesOnly: true });
    assert.ok(!onlyDiff.includes('| depth |'), 'equal rows left out');
    assert.ok(onlyDiff.includes('| lr |'));
  });
});

describe('runs table rows', () => {
  it('sends only the rows that changed', () => {
    const rows = [rowOf(a, false), rowOf(b, true)];
    const sent = new Map<string, string>();
    assert.equal(diffRows(sent, rows).upserts.length, 2);
    assert.deepEqual(diffRows(sent, rows), { upserts: [], removed: [] });
    const changed = rowOf({ ...b, metrics: { ...b.metrics, auc: 0.9 } }, true);
    const d = diffRows(sent, [rows[0]!, changed]);
    assert.deepEqual(d.upserts.map((r) => r.id), [b.id]);
    assert.deepEqual(diffRows(sent, [changed]), { upserts: [], removed: [a.id] });
  });

  it('orders cells: numbers numerically, missing last', () => {
    assert.deepEqual([10, null, 2, 'x', Number.NaN, 1e-3].sort(compareCells), [1e-3, 2, 10, Number.NaN, 'x', null]);
    assert.ok(compareCells(5, undefined) < 0 && compareCells(undefined, 'a') > 0);
    assert.equal(columnValue(rowOf(a, false), 'params:lr'), 0.1);
    assert.equal(columnValue(rowOf(a, false), 'metrics:auc'), 0.8);
  });
});

describe('filter expressions', () => {
  const rows: RunRow[] = [rowOf(a, false), rowOf(b, true), rowOf(sampleRun({ id: '20250101-000003-dddddd', name: 'lgbm "quoted"', experiment: null, params: { 'model.depth': 3, 'with space': 'yes' }, metrics: { auc: Number.NaN } }), false)];
  const ids = (expr: string) => rows.filter(compileFilter(expr)).map((r) => r.name);

  it('compares metrics, params and fields with and/or/not and parentheses', () => {
    assert.deepEqual(ids('metrics.auc > 0.8'), ['b']);
    assert.deepEqual(ids('metrics.auc >= 0.8 and params.lr < 0.1'), ['b']);
    assert.deepEqual(ids('metrics.auc > 0.82 || params.lr == 0.1'), ['a', 'b']);
    assert.deepEqual(ids('!(metrics.auc > 0.82)'), ['a', 'lgbm "quoted"']);
    assert.deepEqual(ids('params.model == "gbm" && not starred'), ['a']);
    assert.deepEqual(ids('starred'), ['b']);
    assert.deepEqual(ids('branch == null'), ['lgbm "quoted"']);
    assert.deepEqual(ids('name ~ "QUOTED"'), ['lgbm "quoted"']);
    assert.deepEqual(ids("params['with space'] == 'yes'"), ['lgbm "quoted"']);
    assert.deepEqual(ids('params.model.depth = 3'), ['lgbm "quoted"']);
    assert.deepEqual(ids('auc > 0.5'), ['a', 'b'], 'a bare key is a metric (NaN never matches)');
    assert.deepEqual(ids('  '), ['a', 'b', 'lgbm "quoted"']);
  });

  it('says where an expression is wrong', () => {
    for (const [expr, where] of [['metrics.auc >', /ends too early at column 14/], ['metrics.auc > 0.8 )', /unexpected "\)" at column 19/], ['name == "open', /unterminated string at column 9/], ['a # b', /unexpected character "#" at column 3/], ['(a > 1', /expected "\)"/]] as const) {
      assert.throws(() => compileFilter(expr), (e: unknown) => e instanceof ProvenantError && e.code === 'E_FILTER' && where.test(e.message), expr);
    }
  });
});
