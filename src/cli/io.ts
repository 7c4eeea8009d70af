import { requireRepoRoot } from '../core/git/repo';

export const print = (text: string): void => void process.stdout.write(`${text}\n`);
export const json = (value: unknown): void => print(JSON.stringify(value, null, 2));

/** The workspace root: the git repository around the current directory. */
export function workspace(): string {
  return requireRepoRoot(process.cwd());
}
