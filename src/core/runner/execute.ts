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
const PIPE_GRACE_MS = 2_000;

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

    // In a terminal the command shares our process group, so it keeps the terminal (input,
    // Ctrl-C) as usual. Elsewhere it gets a group of its own, so stopping it also stops whatever
    // it started (a shell's children, data loader workers).
    const ownGroup = !process.stdin.isTTY && process.platform !== 'win32';
    const child = spawn(options.argv[0]!, options.argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      stdio: [ownGroup ? 'ignore' : 'inherit', 'pipe', 'pipe'],
      detached: ownGroup,
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    const signalChild = (signal: NodeJS.Signals) => {
      try {
        if (ownGroup && child.pid !== undefined) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // Already gone.
      }
    };

    const stop = (why: string, signal: NodeJS.Signals) => {
      interruptedBy ??= why;
      if (child.exitCode === null && child.signalCode === null) {
        signalChild(signal);
        killTimer ??= setTimeout(() => signalChild('SIGKILL'), KILL_GRACE_MS);
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
    // A process the command left behind may hold its output pipes open: once the command itself
    // has exited, wait a little for the rest of its output, then stop reading.
    let pipeTimer: NodeJS.Timeout | undefined;
    child.on('exit', () => {
      pipeTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, PIPE_GRACE_MS);
    });
    child.on('close', (exitCode, signal) => {
      if (killTimer) clearTimeout(killTimer);
      if (pipeTimer) clearTimeout(pipeTimer);
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
