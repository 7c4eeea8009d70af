// dvc.yaml (foreach/matrix names, params references, interpolation), dvc.lock, each stage's status,
// and .dvc/config reading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadPipeline, lookupDotted } from '../../../src/core/data/pipeline';
import { dataStatus, isStageStatus, type StageStatus, type OutputStatus } from '../../../src/core/data/status';
import { loadDvcConfig, parseIni } from '../../../src/core/data/dvcConfig';
import { md5Bytes } from '../../../src/core/data/md5';
import { ProvenantError } from '../../../src/core/util/errors';

const base = mkdtempSync(join(tmpdir(), 'provenant-pipeline-'));
test.after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
function workspace(files: Record<string, string>): string {
  const root = join(base, `w${n++}`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  mkdirSync(root, { recursive: true });
  return root;
}

test('foreach (list, list of mappings, mapping) and matrix expand to DVC stage names', () => {
  const root = workspace({
    'params.yaml': 'models: [cnn, xgb]\nlr: 0.1\n',
    'dvc.yaml': `stages:
  prep:
    foreach: [raw, clean]
    do:
      cmd: prep \${item}
      outs:
      - out/\${item}
  fit:
    foreach:
      - {name: a, n: 1}
      - {name: b, n: 2}
    do:
      cmd: fit \${item.name} \${item.n}
  by_key:
    foreach:
      us: {rate: 1}
      eu: {rate: 2}
    do:
      cmd: run \${key} \${item.rate}
  train:
    matrix:
      model: \${models}
      feature: [f1, {x: 1}]
    cmd: train \${item.model} --lr \${lr}
`,
  });
  const p = loadPipeline(root)!;
  assert.deepEqual(
    p.stages.map((s) => s.name),
    ['prep@raw', 'prep@clean', 'fit@0', 'fit@1', 'by_key@us', 'by_key@eu', 'train@cnn-f1', 'train@cnn-feature1', 'train@xgb-f1', 'train@xgb-feature1'],
  );
  assert.equal(p.stages[0]!.cmd, 'prep raw');
  assert.deepEqual(p.stages[1]!.outs, [{ path: 'out/clean', cache: true }]);
  assert.equal(p.stages[3]!.cmd, 'fit b 2');
  assert.equal(p.stages[5]!.cmd, 'run eu 2');
  assert.equal(p.stages[6]!.cmd, 'train cnn --lr 0.1');
});

test('params references: keys of params.yaml, {file: [keys]} and whole files; dotted lookups', () => {
  const root = workspace({
    'dvc.yaml': 'stages:\n  s:\n    cmd: x\n    params:\n    - train.lr\n    - seed\n    - other.json: [a.b]\n    - whole.yaml:\n',
  });
  const s = loadPipeline(root)!.stages[0]!;
  assert.deepEqual(s.params, [
    { file: 'params.yaml', keys: ['train.lr', 'seed'] },
    { file: 'other.json', keys: ['a.b'] },
    { file: 'whole.yaml', keys: null },
  ]);
  assert.equal(lookupDotted({ train: { lr: 0.1 } }, 'train.lr'), 0.1);
  assert.equal(lookupDotted({ 'train.lr': 1 }, 'train.lr'), 1);
  assert.equal(lookupDotted({ layers: [{ units: 8 }] }, 'layers[0].units'), 8);
  assert.equal(lookupDotted({}, 'missing.key'), undefined);
});

test('the reference dvc.lock reads back: schema 2.0, sorted entries, params by file', () => {
  const root = workspace({
    'dvc.lock': `schema: '2.0'
stages:
  prepare:
    cmd: python src/prepare.py data/data.xml
    deps:
    - path: data/data.xml
      hash: md5
      md5: 22a1a2931c8370d3aeedd7183606fd7f
      size: 14445097
    params:
      params.yaml:
        prepare.seed: 20170428
    outs:
    - path: data/prepared
      hash: md5
      md5: 153aad06d376b6595932470e459ef42a.dir
      size: 8437363
      nfiles: 2
`,
  });
  const p = loadPipeline(root)!;
  const s = p.lock.get('prepare')!;
  assert.equal(s.cmd, 'python src/prepare.py data/data.xml');
  assert.equal(s.deps[0]!.relPath, 'data/data.xml');
  assert.equal(s.deps[0]!.hashName, 'md5');
  assert.equal(s.outs[0]!.md5, '153aad06d376b6595932470e459ef42a.dir');
  assert.equal(s.outs[0]!.nfiles, 2);
  assert.deepEqual(s.params, { 'params.yaml': { 'prepare.seed': 20170428 } });
});

function lockFor(files: Record<string, string>, params: Record<string, unknown>, cmd = 'python train.py'): string {
  const entry = (path: string) => `    - path: ${path}\n      hash: md5\n      md5: ${md5Bytes(files[path]!)}\n      size: ${Buffer.byteLength(files[path]!)}\n`;
  return `schema: '2.0'\nstages:\n  train:\n    cmd: ${cmd}\n    deps:\n${entry('data.csv')}    params:\n      params.yaml:\n${Object.entries(params)
    .map(([k, v]) => `        ${k}: ${JSON.stringify(v)}\n`)
    .join('')}    outs:\n${entry('model.pkl')}`;
}

async function stages(root: string): Promise<{ stages: StageStatus[]; outputs: OutputStatus[] }> {
  const entries = await dataStatus(root, { useState: false });
  return { stages: entries.filter(isStageStatus), outputs: entries.filter((e): e is OutputStatus => !isStageStatus(e)) };
}

test("stage status: unchanged, then which of cmd, deps, params and outs changed", async () => {
  const files = { 'data.csv': 'a,b\n1,2\n', 'model.pkl': 'model-v1' };
  const root = workspace({
    ...files,
    'params.yaml': 'train:\n  lr: 0.1\n  epochs: 3\n',
    'dvc.yaml': 'stages:\n  train:\n    cmd: python train.py\n    deps: [data.csv]\n    params: [train.lr, train.epochs]\n    outs: [model.pkl]\n  never:\n    cmd: echo\n    deps: [data.csv]\n',
    'dvc.lock': lockFor(files, { 'train.lr': 0.1, 'train.epochs': 3 }),
  });
  let s = await stages(root);
  assert.deepEqual(s.stages.map((x) => [x.stage, x.status]), [['train', 'unchanged'], ['never', 'changed']]);
  assert.deepEqual(s.stages[1]!.changed, { cmd: true, deps: ['data.csv'], params: [], outs: [] }, 'a stage never run: everything changed');
  // the lock output is listed among the outputs
  assert.deepEqual(s.outputs.map((o) => [o.file, o.path, o.status, o.stage]), [['dvc.lock', 'model.pkl', 'not-in-cache', 'train']]);

  writeFileSync(join(root, 'params.yaml'), 'train:\n  lr: 0.2\n  epochs: 3\n');
  writeFileSync(join(root, 'data.csv'), 'a,b\n1,3\n');
  writeFileSync(join(root, 'model.pkl'), 'model-v2');
  writeFileSync(join(root, 'dvc.yaml'), 'stages:\n  train:\n    cmd: python train.py --fast\n    deps: [data.csv]\n    params: [train.lr, train.epochs]\n    outs: [model.pkl]\n');
  s = await stages(root);
  assert.equal(s.stages[0]!.status, 'changed');
  assert.deepEqual(s.stages[0]!.changed, { cmd: true, deps: ['data.csv'], params: ['train.lr'], outs: ['model.pkl'] });
  assert.equal(s.outputs[0]!.status, 'modified');
});

test('bad dvc.lock / dvc.yaml: invalid YAML, wrong schema, escaping paths are error entries naming the file', async () => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ 'dvc.lock': "schema: '2.0'\nstages:\n  a: [unclosed\n" }, 'dvc.yaml', /dvc\.lock is not valid YAML \(line/],
    [{ 'dvc.lock': "schema: '3.0'\nstages: {}\n" }, 'dvc.yaml', /unsupported schema/],
    [{ 'dvc.lock': "schema: '2.0'\nstages:\n  a:\n    cmd: x\n    outs:\n    - path: ../../etc\n      md5: acbd18db4cc2f85cedef654fccc4a4d8\n" }, 'dvc.yaml', /outside the workspace/],
    [{ 'dvc.yaml': 'stages:\n  a:\n    deps: [x]\n' }, 'dvc.yaml', /needs a cmd/],
    [{ 'dvc.yaml': 'stages:\n  a:\n    cmd: echo ${nope}\n' }, 'dvc.yaml', /cannot interpolate/],
  ];
  for (const [files, file, pattern] of cases) {
    const root = workspace(files);
    assert.throws(() => loadPipeline(root), (err: unknown) => err instanceof ProvenantError && pattern.test(err.message));
    const entries = await dataStatus(root, { useState: false });
    const bad = entries.find((e) => !isStageStatus(e) && e.status === 'error') as OutputStatus | undefined;
    assert.ok(bad, JSON.stringify(entries));
    assert.equal(bad.file, file);
    assert.match(bad.error!, pattern);
  }
});

test('.dvc/config: ConfigObj sections, config.local over config, relative cache.dir, cache.type', () => {
  const root = workspace({
    '.dvc/config': "[core]\n    remote = MyRemote\n['remote \"myremote\"']\n    url = s3://bucket/path\n[cache]\n    dir = ../shared-cache\n    type = \"reflink,hardlink,copy\"  # fast first\n",
    '.dvc/config.local': "['remote \"local\"']\n    url = ../storage\n",
  });
  const config = loadDvcConfig(join(root, '.dvc'));
  assert.equal(config.defaultRemote, 'myremote');
  assert.equal(config.cacheDir, join(root, 'shared-cache'));
  assert.deepEqual(config.linkTypes, ['reflink', 'hardlink', 'copy']);
  assert.deepEqual(config.remotes, [
    { name: 'myremote', url: 's3://bucket/path' },
    { name: 'local', url: join(root, 'storage') },
  ]);
  const defaults = loadDvcConfig(join(workspace({ '.dvc/config': '' }), '.dvc'));
  assert.deepEqual(defaults.linkTypes, ['reflink', 'copy']);
  assert.match(defaults.cacheDir, /\.dvc[\\/]cache$/);
  assert.throws(() => parseIni('url = x\n', '.dvc/config'), /line 1 is not "key = value" inside a \[section\]/);
  assert.throws(() => loadDvcConfig(join(workspace({ '.dvc/config': '[cache]\n type = teleport\n' }), '.dvc')), (e: unknown) => e instanceof ProvenantError && e.code === 'E_BAD_DVC_CONFIG');
});
