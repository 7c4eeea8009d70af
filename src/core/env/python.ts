import { spawn } from 'node:child_process';

/** What the interpreter reports about itself: version, executable and every installed distribution. */
export interface PythonProbe {
  executable: string;
  version: string;
  implementation: string;
  packages: Record<string, string>;
}

// importlib.metadata reads the installed distributions' metadata directly: a fraction of `pip freeze`'s time.
const PROBE = `
import sys, json, platform, re
try:
    from importlib import metadata
except ImportError:
    metadata = None
packages = {}
if metadata is not None:
    for dist in metadata.distributions():
        name = dist.metadata.get("Name") if dist.metadata else None
        if name:
            packages[re.sub(r"[-_.]+", "-", name).lower()] = dist.version
json.dump({"executable": sys.executable, "version": platform.python_version(),
           "implementation": platform.python_implementation(), "packages": packages}, sys.stdout)
`;

/** Runs the probe with a time limit; rejects with a message that names the interpreter. */
/** `env` is the environment the interpreter is started with (a pyenv shim, for one, chooses the Python by it). */
export function probePython(interpreter: string, cwd: string, timeoutMs = 30_000, env: NodeJS.ProcessEnv = process.env): Promise<PythonProbe> {
  return new Promise((resolve, reject) => {
    const child = spawn(interpreter, ['-I', '-c', PROBE], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the Python interpreter "${interpreter}" did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start the Python interpreter "${interpreter}": ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`the Python interpreter "${interpreter}" failed (exit ${code}): ${err.trim().split('\n').pop() ?? ''}`));
      try {
        resolve(JSON.parse(out) as PythonProbe);
      } catch {
        reject(new Error(`the Python interpreter "${interpreter}" gave an unreadable answer`));
      }
    });
  });
}
