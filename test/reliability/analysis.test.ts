// Hostile predictors: a predictor process that answers wrong bytes (f64-base64 data that is not
// a whole number of float64 values, text that is not base64, non-numeric or non-finite
// predictions, the wrong count or request id, a multiclass hello without classes). Each one is an
// E_PREDICTOR error naming the predictor command and carrying its stderr; no exception escapes,
// no predictor process is left, and no file is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Predictor } from '../../src/core/analysis/predictor';
import { ProvenantError } from '../../src/core/util/errors';
import { tempDir } from '../helpers/git';
import { makeRepo } from '../helpers/git';
import { cli } from '../helpers/cli';
import { requirePython } from '../helpers/python';

const HELLO = (extra = '') => `{"protocol": "provenant.predictor/1", "features": None, "output": "value", "encodings": ["json", "f64-base64"]${extra}}`;

/** A predictor that says hello, writes a line to stderr, then answers every request with `answer(request)`. */
const fake = (answer: string, hello = HELLO()) => `import json, sys, base64, struct
print(json.dumps(${hello}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    sys.stderr.write("fake predictor: answering request %d\\n" % req["id"]); sys.stderr.flush()
    print(json.dumps(${answer}), flush=True)
`;

const CASES: { name: string; script: string; message: RegExp }[] = [
  { name: 'f64-base64 data of 12 bytes', script: fake(`{"id": req["id"], "encoding": "f64-base64", "data": base64.b64encode(b"x" * 12).decode()}`), message: /answered 12 bytes of f64-base64 data, not a whole number of float64 values/ },
  { name: 'f64-base64 data that is not base64', script: fake(`{"id": req["id"], "encoding": "f64-base64", "data": "not base64!"}`), message: /whose "data" is not base64 text/ },
  { name: 'non-numeric JSON predictions', script: fake(`{"id": req["id"], "predictions": ["0.5"] * req.get("rows_n", 4)}`), message: /answered a prediction that is not a number: "0\.5"/ },
  { name: 'null predictions', script: fake(`{"id": req["id"], "predictions": [None, 1, 2, 3]}`), message: /answered a prediction that is not a number: null/ },
  { name: 'NaN in f64-base64', script: fake(`{"id": req["id"], "encoding": "f64-base64", "data": base64.b64encode(struct.pack("<4d", 0.1, float("nan"), 0.3, 0.4)).decode()}`), message: /answered NaN for row 2 of a batch: predictions must be finite numbers/ },
  { name: 'too few predictions', script: fake(`{"id": req["id"], "predictions": [0.5]}`), message: /returned 1 predictions for 4 rows/ },
  { name: 'the wrong request id', script: fake(`{"id": 99, "predictions": [0, 0, 0, 0]}`), message: /answered request 99 where 1 was expected/ },
  { name: 'class probabilities without classes', script: fake(`{"id": req["id"], "predictions": [0, 0, 0, 0]}`, HELLO(', "output": "probabilities"').replace('"output": "value", ', '')), message: /announced output "probabilities" without its classes/ },
];

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a predictor answering wrong bytes ends with E_PREDICTOR naming it, with its stderr', async () => {
  const python = requirePython();
  const cwd = tempDir('provenant-predictor-');
  let faults = 0;
  let operations = 0;
  for (const c of CASES) {
    let predictor: Predictor | null = null;
    let failure: unknown = null;
    try {
      predictor = await Predictor.start({ command: [python, '-c', c.script], cwd, source: 'fake-predictor.py', batchTimeoutMs: 20_000, startTimeoutMs: 20_000 });
      operations++;
      await predictor.predict({ values: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]), columns: 2 });
    } catch (err) {
      failure = err;
    }
    faults++;
    const pid = predictor?.pid;
    await predictor?.close();
    assert.ok(failure instanceof ProvenantError, `${c.name}: a ProvenantError, got ${String(failure)}`);
    assert.equal(failure.code, 'E_PREDICTOR', c.name);
    assert.match(failure.message, c.message, c.name);
    assert.match(failure.hint ?? '', new RegExp(`Predictor command: ${python.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} -c `), `${c.name}: names the command`);
    if (c.name !== 'class probabilities without classes') assert.match(failure.message, /its stderr ends with:\n\s+fake predictor: answering request 1/, `${c.name}: carries its stderr`);
    if (pid !== undefined) assert.equal(alive(pid), false, `${c.name}: no predictor process left`);
  }
  assert.deepEqual(readdirSync(cwd), [], 'nothing written');
  console.log(`# faults: ${faults}, operations: ${operations}`);
});

test('through the CLI: exit 2 with the error, no stack trace, the run folder unchanged', () => {
  const python = requirePython();
  const root = makeRepo({
    'train.py': `import provenant\nprovenant.log_params({"features": "a,b"})\nprovenant.log_predictions([0, 1, 0, 1], y_score=[0.1, 0.8, 0.3, 0.6], features={"a": [1, 2, 3, 4], "b": [4, 3, 2, 1]})\n`,
    '.provenant/config.yaml': `train: python3 train.py\npython: ${python}\npredictor: ${JSON.stringify([python, '-c', CASES[0]!.script])}\n`,
  });
  assert.equal(cli(root, ['run', '--quiet']).status, 0);
  const id = (JSON.parse(cli(root, ['runs', 'list', '--json']).stdout) as { id: string }[])[0]!.id;
  const before = readdirSync(`${root}/.provenant/runs/${id}`).sort();
  const out = cli(root, ['explain', id, '--method', 'permutation']);
  assert.equal(out.status, 2, out.stderr);
  assert.match(out.stderr, /the predictor answered 32 bytes of f64-base64 data|not a whole number of float64 values/);
  assert.doesNotMatch(out.stderr, /RangeError|at .*\.js:\d+/);
  assert.deepEqual(readdirSync(`${root}/.provenant/runs/${id}`).sort(), before);
  assert.equal(spawnSync('git', ['fsck', '--strict'], { cwd: root }).status, 0);
  console.log('# faults: 1, operations: 2');
});
