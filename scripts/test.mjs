// Runs the test suites with Node's test runner (TypeScript through tsx).
// Usage: node scripts/test.mjs [unit|integration|webview|e2e ...]   (default: all)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const suites = process.argv.slice(2);
const chosen = suites.length ? suites : ['unit', 'integration', 'reliability', 'webview', 'e2e'];

function testFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...testFiles(full));
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out.sort();
}

const files = chosen.flatMap((suite) => testFiles(join('test', suite)));
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
