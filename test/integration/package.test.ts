import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/git';
import { REPO_ROOT } from '../helpers/cli';

test('the .vsix holds the bundles, the helper and the schema, and no sources, tests, maps or examples', () => {
  const out = join(tempDir(), 'provenant.vsix');
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--out', out], { cwd: REPO_ROOT, stdio: 'pipe' });
  const listing = execFileSync('unzip', ['-Z1', out], { encoding: 'utf8' }).trim().split('\n');
  const files = listing.filter((f) => f.startsWith('extension/')).map((f) => f.slice('extension/'.length));
  for (const required of ['package.json', 'dist/extension.js', 'dist/cli.js', 'dist/webview/run.js', 'dist/webview/run.css', 'python/provenant/__init__.py', 'schema/run.schema.json', 'media/provenant.svg']) {
    assert.ok(files.includes(required), `${required} is packaged`);
  }
  const forbidden = files.filter((f) => /^(src|test|examples|bench|scripts|webview|node_modules)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts') || f.includes('__pycache__'));
  assert.deepEqual(forbidden, []);
});

test('the manifest activates on views and commands only, never on *', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  assert.ok(!pkg.activationEvents.includes('*'));
  assert.equal(pkg.engines.vscode, '^1.90.0');
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  const settings = Object.keys(pkg.contributes.configuration.properties);
  assert.ok(settings.every((s: string) => s.startsWith('provenant.')));
  for (const restricted of pkg.capabilities.untrustedWorkspaces.restrictedConfigurations) assert.ok(settings.includes(restricted), restricted);
  assert.ok(pkg.contributes.commands.every((c: { category: string }) => c.category === 'Provenant'));
  assert.deepEqual(pkg.contributes.views.provenant.map((v: { name: string }) => v.name), ['Experiments', 'Data', 'Environment', 'Governance']);
  const welcomed = new Set(pkg.contributes.viewsWelcome.map((w: { view: string }) => w.view));
  for (const view of pkg.contributes.views.provenant) assert.ok(welcomed.has(view.id), `${view.id} has a welcome message`);
});
