import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';

/**
 * Git's ignore rules: `.gitignore` in every directory (patterns relative to it, deeper files
 * taking precedence), then `.git/info/exclude` and the user's global excludes file.
 */
export class GitIgnore {
  private readonly levels = new Map<string, Ignore | null>();
  private readonly base: Ignore;

  constructor(private readonly root: string, globalExcludes: string | null = defaultGlobalExcludes()) {
    this.base = ignore();
    for (const file of [globalExcludes, join(root, '.git', 'info', 'exclude')]) {
      if (file && existsSync(file)) this.base.add(readFileSync(file, 'utf8'));
    }
  }

  private level(dir: string): Ignore | null {
    let found = this.levels.get(dir);
    if (found === undefined) {
      const file = join(this.root, dir, '.gitignore');
      found = existsSync(file) ? ignore().add(readFileSync(file, 'utf8')) : null;
      this.levels.set(dir, found);
    }
    return found;
  }

  /** `path` is POSIX and relative to the root; directories are tested with `isDir`. */
  ignores(path: string, isDir: boolean): boolean {
    const parts = path.split('/');
    const subject = (rel: string) => (isDir ? `${rel}/` : rel);
    for (let depth = parts.length - 1; depth >= 0; depth--) {
      const dir = parts.slice(0, depth).join('/');
      const matcher = this.level(dir);
      if (!matcher) continue;
      const verdict = matcher.test(subject(parts.slice(depth).join('/')));
      if (verdict.ignored) return true;
      if (verdict.unignored) return false;
    }
    return this.base.ignores(subject(path));
  }
}

function defaultGlobalExcludes(): string | null {
  const xdg = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(xdg, 'git', 'ignore');
}
