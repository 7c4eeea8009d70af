import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface ExecuteOptions {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdoutFile: string;
  stderrFile: string;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  signal?: AbortSignal;
  onSpawn?: (pid: number) => void;
}

export interface ExecuteResult {
  exitCode: number | null;
  signal: string | null;
  /** Set when this process (not the child) was told to stop: Ctrl-C, SIGTERM, cancellation. */
  interruptedBy: string | null;
  spawnError: string | null;
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const KILL_GRACE_MS = 5_000;

/**
 * Runs the command, copying its output to the log files and to `onOutput`. A signal to this
 * process (or an abort) is passed on to the child, and the run still ends with a full record.
 */
export function execute(options: ExecuteOptions): Promise<ExecuteResult> {
  return new Promise((resolve) => {
    const stdoutLog = createWriteStream(options.stdoutFile);
    const stderrLog = createWriteStream(options.stderrFile);
    let interruptedBy: string | null = null;
    let spawnError: string | null = null;
    let killTimer: NodeJS.Timeout | undefined;

    const child = spawn(options.argv[0]!, options.argv.slice(1), { cwd: options.cwd, env: options.env, stdio: ['inherit', 'pipe', 'pipe'] });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);

    const stop = (why: string, signal: NodeJS.Signals) => {
      interruptedBy ??= why;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        killTimer ??= setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      }
    };
    const handlers = FORWARDED.map((sig) => {
      // Ctrl-C in a terminal already reaches the child (same process group): passing it on again
      // would interrupt the script's own clean-up.
      const handler = () => (sig === 'SIGINT' && process.stdin.isTTY ? (interruptedBy ??= sig) : stop(sig, sig));
      process.on(sig, handler);
      return [sig, handler] as const;
    });
    const onAbort = () => stop('cancelled', 'SIGTERM');
    options.signal?.addEventListener('abort', onAbort);
    if (options.signal?.aborted) onAbort();

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutLog.write(chunk);
      options.onOutput?.('stdout', chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderrLog.write(chunk);
      options.onOutput?.('stderr', chunk);
    });
    child.on('error', (err) => {
      spawnError = `cannot start "${options.argv[0]}": ${err.message}`;
    });
    child.on('close', (exitCode, signal) => {
      if (killTimer) clearTimeout(killTimer);
      for (const [sig, handler] of handlers) process.off(sig, handler);
      options.signal?.removeEventListener('abort', onAbort);
      let pending = 2;
      const done = () => {
        if (--pending === 0) resolve({ exitCode, signal, interruptedBy, spawnError });
      };
      stdoutLog.end(done);
      stderrLog.end(done);
    });
  });
}
