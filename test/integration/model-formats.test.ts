// `python -m provenant serve` loads the model files projects write: pickle, joblib in every
// compression joblib.dump offers, and names the format (and what is missing) of a file it cannot
// load: lz4 without the lz4 package, cloudpickle without cloudpickle, skops without skops,
// bytes of no model format. Real Python with scikit-learn; the server is driven over its protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../helpers/cli';
import { tempDir } from '../helpers/git';
import { requirePython } from '../helpers/python';

const ROWS = [[0.1, -1.2, 0.3], [1.5, 0.2, -0.7]];

/** Serves `model` for one JSON batch of ROWS; returns the hello, the answer, stderr and status. */
function serve(dir: string, model: string, env: NodeJS.ProcessEnv = {}): { lines: Record<string, unknown>[]; stderr: string; status: number | null } {
  const result = spawnSync(requirePython(), ['-m', 'provenant', 'serve', model], {
    cwd: dir,
    input: `${JSON.stringify({ id: 1, rows: ROWS })}\n`,
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: join(REPO_ROOT, 'python'), ...env },
  });
  return { lines: result.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), stderr: result.stderr, status: result.status };
}

test('joblib files in every compression and plain pickles are served; the model answers as scikit-learn does', () => {
  const dir = tempDir('provenant-formats-');
  const made = spawnSync(requirePython(), ['-c', `
import json, pickle, joblib, numpy as np
from sklearn.linear_model import LogisticRegression
rng = np.random.RandomState(0)
X = rng.normal(size=(90, 3)); y = np.arange(90) % 3
m = LogisticRegression().fit(X, y)
pickle.dump(m, open("model.pkl", "wb"))
for name, c in [("plain", 0), ("zlib", 3), ("gzip", ("gzip", 3)), ("bz2", ("bz2", 3)), ("xz", ("xz", 3)), ("lzma", ("lzma", 3))]:
    joblib.dump(m, "model.%s.joblib" % name, compress=c)
print(json.dumps(m.predict_proba(np.array(${JSON.stringify(ROWS)})).tolist()))
`], { cwd: dir, encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const expected = JSON.parse(made.stdout) as number[][];
  let served = 0;
  for (const file of ['model.pkl', ...['plain', 'zlib', 'gzip', 'bz2', 'xz', 'lzma'].map((n) => `model.${n}.joblib`)]) {
    const out = serve(dir, file);
    assert.equal(out.status, 0, `${file}: ${out.stderr}`);
    const [hello, answer] = out.lines;
    assert.equal(hello!.output, 'probabilities', `${file}: three classes, every class's probability`);
    assert.deepEqual(hello!.classes, [0, 1, 2]);
    assert.deepEqual(answer!.predictions, expected, file);
    served++;
  }
  assert.equal(served, 7);
});

test('a file it cannot load is named with its format and what is missing', () => {
  const dir = tempDir('provenant-formats-');
  // A pickle that refers to cloudpickle (as cloudpickle.dump writes them), made with a stand-in module.
  mkdirSync(join(dir, 'fake', 'cloudpickle'), { recursive: true });
  writeFileSync(join(dir, 'fake', 'cloudpickle', '__init__.py'), 'class Model:\n    pass\n');
  const made = spawnSync(requirePython(), ['-c', 'import pickle, cloudpickle; pickle.dump(cloudpickle.Model(), open("model.cloudpickle", "wb"))'], { cwd: dir, encoding: 'utf8', env: { ...process.env, PYTHONPATH: join(dir, 'fake') } });
  assert.equal(made.status, 0, made.stderr);
  writeFileSync(join(dir, 'model.lz4.joblib'), Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), Buffer.alloc(64)]));
  writeFileSync(join(dir, 'model.skops'), Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(64)]));
  writeFileSync(join(dir, 'model.sav'), 'this is not a model\n');
  // What the interpreter lacks decides the message; with the package installed the file (made
  // here, not by the real library) fails to load and its format is still named.
  const lacks = (module: string) => spawnSync(requirePython(), ['-c', `import ${module}`], { stdio: 'ignore' }).status !== 0;
  const cases: [string, RegExp][] = [
    ['model.cloudpickle', lacks('cloudpickle') ? /model\.cloudpickle is a cloudpickle \(pickle protocol \d\) file; loading it needs the module 'cloudpickle', which this interpreter cannot import \(install cloudpickle\)/ : /model\.cloudpickle is a cloudpickle \(pickle protocol \d\) file but could not be loaded/],
    ['model.lz4.joblib', lacks('lz4') ? /model\.lz4\.joblib is a joblib \(lz4-compressed\) file but could not be loaded \(ValueError: LZ4 is not installed/ : /model\.lz4\.joblib is a joblib \(lz4-compressed\) file but could not be loaded/],
    ['model.skops', lacks('skops') ? /model\.skops is a skops \(zip archive\) file; loading it needs the module 'skops'/ : /model\.skops is a skops \(zip archive\) file but could not be loaded/],
    ['model.sav', /model\.sav: its first bytes match no model format Provenant reads \(pickle, joblib with zlib\/gzip\/bz2\/xz\/lzma\/lz4, cloudpickle, skops\)/],
  ];
  for (const [file, message] of cases) {
    const out = serve(dir, file);
    assert.equal(out.status, 2, `${file}: ${out.stderr}`);
    assert.match(out.stderr, message, file);
    assert.deepEqual(out.lines, [], `${file}: nothing on the protocol channel`);
  }
  console.log(`# faults: ${cases.length}, operations: ${cases.length}`);
});
