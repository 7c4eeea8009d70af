/**
 * Whether a re-run failed for want of an input: a file it could not open that its checkout does
 * not hold (an undeclared, uncommitted input such as a git-ignored data file). Read from what the
 * re-run printed on stderr, in the ways Python, pandas, numpy, R and shells say it.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { isInside } from '../util/paths';

const PATTERNS = [
  /No such file or directory: '([^'\n]+)'/g, // Python OSError, pandas
  /No such file or directory: "([^"\n]+)"/g,
  /cannot open file '([^'\n]+)'/g, // R
  /(?:^|\s)([^\s:'"]+): No such file or directory/gm, // cat, sh, coreutils
  /FileNotFoundError: (\S+) not found/g, // numpy.loadtxt
  /File b?'?([^'\s]+?)'? does not exist/g, // older pandas
];

/** Workspace-relative paths of missing inputs, in order of mention (empty when none is recognised). */
export function missingInputs(stderr: string, checkout: string): string[] {
  const found: string[] = [];
  for (const pattern of PATTERNS) {
    for (const match of stderr.matchAll(pattern)) {
      const raw = match[1]!.trim();
      if (!raw) continue;
      const absolute = isAbsolute(raw) ? raw : resolve(checkout, raw);
      if (!isInside(checkout, absolute) || existsSync(absolute)) continue;
      const rel = relative(checkout, absolute).split('\\').join('/');
      if (rel && !rel.startsWith('.provenant/') && !found.includes(rel)) found.push(rel);
    }
  }
  return found;
}
