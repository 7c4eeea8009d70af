import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './cli';
import { git, tempDir, writeFiles } from './git';
import { requirePython } from './python';

export interface HiringOptions {
  /** Edits config.yaml (already pointed at the test interpreter). */
  config?: (text: string) => string;
  /** Files written before the commit (path → content). */
  files?: Record<string, string>;
}

/**
 * A git repository holding a copy of examples/hiring (without a trained model or caches), its
 * config.yaml pointed at the test interpreter, committed on `main`.
 */
export function hiringWorkspace(prefix: string, options: HiringOptions = {}): string {
  const root = tempDir(prefix);
  cpSync(join(REPO_ROOT, 'examples', 'hiring'), root, { recursive: true, filter: (src) => !/(model\.pkl|__pycache__)$/.test(src) });
  const config = join(root, '.provenant', 'config.yaml');
  const text = readFileSync(config, 'utf8');
  assert.match(text, /^python: .*$/m, 'the demo config names its interpreter');
  const pointed = text.replace(/^python: .*$/m, `python: ${requirePython()}`);
  writeFileSync(config, options.config ? options.config(pointed) : pointed);
  if (options.files) writeFiles(root, options.files);
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'hiring demo');
  return root;
}
