import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequirements } from '../../../src/core/env/requirements';

test('a requirement is pinned only by one exact version, a hash, or one archive or commit', () => {
  const text = [
    '# comment',
    'numpy==1.26.4',
    'pandas>=2.0',
    'scikit-learn',
    'requests[socks]==2.31.0 ; python_version >= "3.8"',
    'torch ~= 2.1',
    'flask==2.*',
    'Django===4.2.1',
    'matplotlib>=3,<4',
    '-r base.txt',
    '--constraint=constraints.txt',
    '--index-url https://example.com/simple',
    'six==1.16.0 \\',
    '    --hash=sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926',
    'idna --hash=sha256:aa',
    '-e git+https://github.com/org/repo.git@0123456789abcdef0123456789abcdef01234567#egg=repo',
    '-e ./local',
    'pkg @ https://example.com/pkg-1.0-py3-none-any.whl',
    'other @ git+https://github.com/o/r.git@main',
    './vendor/thing',
    'Typing_Extensions == 4.9.0  # trailing comment',
    '',
  ].join('\n');
  const parsed = parseRequirements(text);
  assert.deepEqual(
    parsed.requirements.map((r) => `${r.line} ${r.name} ${r.pinned ? 'pinned' : 'unpinned'}`),
    [
      '2 numpy pinned',
      '3 pandas unpinned',
      '4 scikit-learn unpinned',
      '5 requests pinned',
      '6 torch unpinned',
      '7 flask unpinned',
      '8 django pinned',
      '9 matplotlib unpinned',
      '13 six pinned',
      '15 idna pinned',
      '16 repo pinned',
      '17 ./local unpinned',
      '18 pkg pinned',
      '19 other unpinned',
      '20 ./vendor/thing unpinned',
      '21 typing-extensions pinned',
    ],
  );
  assert.deepEqual(parsed.includes, ['base.txt']);
  assert.deepEqual(parsed.constraints, ['constraints.txt']);
  assert.deepEqual(parseRequirements('\r\n# only comments\r\n').requirements, []);
});
