import { spawnSync } from 'node:child_process';

let cached: string | null | undefined;

/**
 * A Python interpreter that has scikit-learn (Debian's python3-sklearn), or null.
 * PROVENANT_TEST_PYTHON overrides; otherwise `python3` on PATH, then the system one.
 */
export function pythonWithSklearn(): string | null {
  if (cached !== undefined) return cached;
  const candidates = [process.env.PROVENANT_TEST_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  cached = candidates.find((py) => spawnSync(py, ['-c', 'import sklearn, numpy'], { stdio: 'ignore' }).status === 0) ?? null;
  return cached;
}

/** The interpreter, or a thrown error that says what to install: tests need real Python, not a skip. */
export function requirePython(): string {
  const py = pythonWithSklearn();
  if (!py) throw new Error('No Python with scikit-learn found: install Debian\'s python3-sklearn (apt-get install python3-sklearn).');
  return py;
}
