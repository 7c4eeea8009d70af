import { requireRepoRoot } from '../core/git/repo';
import { ProvenantError } from '../core/util/errors';

export const print = (text: string): void => void process.stdout.write(`${text}\n`);
export const json = (value: unknown): void => print(JSON.stringify(value, null, 2));

/** The workspace root: the git repository around the current directory. */
export function workspace(): string {
  return requireRepoRoot(process.cwd());
}

/** An option parser for a number in [min, max] (an integer when asked); anything else is a usage error. */
export function num(name: string, min = -Infinity, max = Infinity, integer = false) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new ProvenantError(`${name} must be ${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` ≥ ${min}` : ''}${max < Infinity ? ` ≤ ${max}` : ''}, got "${value}"`, { code: 'E_USAGE' });
    }
    return n;
  };
}

/** Runs `body` with a signal that Ctrl-C (SIGINT) or SIGTERM aborts, instead of killing the process. */
export function withCancel<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return body(controller.signal).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
}
