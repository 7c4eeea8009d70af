// Fairness on real runs through the CLI: the four-fifths threshold of config.yaml decides the
// CLI's verdict, the flagged groups and the governance check alike; a continuous attribute is
// refused with advice to bin it, and binned on request (--bins, or "income:bins=4" in config).
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo } from '../helpers/git';
import { cli } from '../helpers/cli';
import { requirePython } from '../helpers/python';
import type { FairnessResult } from '../../src/core/analysis/types';

describe('fairness attributes and the four-fifths threshold', () => {
  let root: string;
  let id: string;
  let config: string;
  before(() => {
    // Group a is selected at 0.51, group b at 0.60: ratio 0.85, which passes 0.8 and fails 0.9.
    root = makeRepo({
      'train.py': `import provenant
n = 400
group = ["a" if i % 2 == 0 else "b" for i in range(n)]
rank = [i // 2 for i in range(n)]
pred = [1 if (g == "a" and r < 102) or (g == "b" and r < 120) else 0 for g, r in zip(group, rank)]
y = [p if i % 7 else 1 - p for i, p in enumerate(pred)]
income = [20000 + 37.5 * i for i in range(n)]
provenant.log_predictions(y, y_pred=pred, features={"x": rank, "group": group, "income": income})
`,
      '.provenant/config.yaml': `train: python3 train.py\npython: ${requirePython()}\nsensitive_attributes: [group]\n`,
    });
    assert.equal(cli(root, ['run', '--quiet']).status, 0);
    id = (JSON.parse(cli(root, ['runs', 'list', '--json']).stdout) as { id: string }[])[0]!.id;
    config = join(root, '.provenant', 'config.yaml');
  });

  const fairness = (args: string[] = []) => {
    const out = cli(root, ['fairness', id, '--resamples', '0', '--json', ...args]);
    assert.equal(out.status, 0, out.stderr);
    return JSON.parse(out.stdout) as FairnessResult;
  };
  const subgroupCheck = () => {
    const out = cli(root, ['check', id, '--json']);
    return (JSON.parse(out.stdout) as { checks: { id: string; verdict: string; evidence: string }[] }).checks.find((c) => c.id === 'subgroup-gaps')!;
  };

  test('checks.four_fifths decides the CLI verdict, the flagged group and the governance check', () => {
    const original = readFileSync(config, 'utf8');
    const loose = fairness();
    assert.ok(Math.abs(loose.fourFifths.ratio - 0.85) < 1e-12, String(loose.fourFifths.ratio));
    assert.equal(loose.fourFifths.pass, true);
    assert.equal(loose.fourFifths.threshold, 0.8);
    assert.notEqual(subgroupCheck().verdict, 'fail');
    writeFileSync(config, `${original}checks: { four_fifths: 0.9 }\n`);
    try {
      const strict = fairness();
      assert.equal(strict.fourFifths.pass, false);
      assert.equal(strict.fourFifths.threshold, 0.9);
      assert.deepEqual(strict.fourFifths.flagged, ['a'], 'flagged at the configured threshold, not at 0.8');
      const text = cli(root, ['fairness', id, '--resamples', '0']);
      assert.match(text.stdout, /four-fifths rule: FAIL \(ratio 0\.850; fails below 0\.9; flagged: a\)/);
      const check = subgroupCheck();
      assert.equal(check.verdict, 'fail');
      assert.match(check.evidence, /below 0\.9 \(four-fifths rule\), adverse impact on a/);
    } finally {
      writeFileSync(config, original);
    }
  });

  test('a continuous attribute is refused with advice to bin it; --bins and "income:bins=4" bin it', () => {
    const refused = cli(root, ['fairness', id, '--attribute', 'income']);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /predictions\.csv: the sensitive attribute "income" has 400 distinct values in 400 rows \(400 groups smaller than 30 rows, median group size 1\)/);
    assert.match(refused.stderr, /Bin it: `provenant fairness <run> --attribute income --bins 4`/);
    const binned = fairness(['--attribute', 'income', '--bins', '4']);
    assert.deepEqual(binned.groups.map((g) => [g.group, g.n]), [['[20000, 23740.6)', 100], ['[23740.6, 27481.3)', 100], ['[27481.3, 31221.9)', 100], ['[31221.9, 34962.5]', 100]]);
    const original = readFileSync(config, 'utf8');
    writeFileSync(config, original.replace('sensitive_attributes: [group]', 'sensitive_attributes: [group, "income:bins=4"]'));
    try {
      const out = cli(root, ['fairness', id, '--resamples', '0', '--json']);
      assert.equal(out.status, 0, out.stderr);
      const both = JSON.parse(out.stdout) as FairnessResult[];
      assert.deepEqual(both.map((r) => r.attribute), ['group', 'income:bins=4']);
      assert.equal(both[1]!.groups.length, 4);
      assert.match(subgroupCheck().evidence, /income:bins=4: selection rates \[20000, 23740\.6\)/);
    } finally {
      writeFileSync(config, original);
    }
  });
});
