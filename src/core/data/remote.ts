import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ProvenantError } from '../util/errors';
import { checkOutputPaths } from './checkout';
import type { DvcRepo } from './dvcRepo';

/** The `dvc` executable on PATH, or undefined. */
export function findDvcExecutable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const names = process.platform === 'win32' ? ['dvc.exe', 'dvc.cmd', 'dvc.bat'] : ['dvc'];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** `pip install` line for the remotes configured (DVC needs one extra per storage kind). */
export function installCommand(repo: DvcRepo | undefined): string {
  const extras = new Set<string>();
  for (const r of repo?.config.remotes ?? []) {
    const scheme = /^([a-z0-9+.-]+):\/\//i.exec(r.url)?.[1]?.toLowerCase();
    const extra = scheme && ({ s3: 's3', gs: 'gs', gcs: 'gs', azure: 'azure', az: 'azure', ssh: 'ssh', sftp: 'ssh', hdfs: 'hdfs', webhdfs: 'webhdfs', http: 'http', https: 'http', oss: 'oss', webdav: 'webdav', webdavs: 'webdav', gdrive: 'gdrive' } as Record<string, string>)[scheme];
    if (extra) extras.add(extra);
  }
  return extras.size ? `pip install "dvc[${[...extras].sort().join(',')}]"` : 'pip install dvc';
}

export interface RemoteOutcome {
  command: string[];
  exitCode: number | null;
  /** What dvc printed (stdout and stderr interleaved). */
  output: string;
}

/**
 * `dvc push` / `dvc pull` through the real `dvc` executable: Provenant speaks DVC's formats but not its
 * remote protocols. Without `dvc` on PATH this fails with E_NO_DVC saying what to install; a non-zero
 * exit is an error (E_DVC_FAILED) carrying dvc's output, so nothing is reported as pushed that was not.
 */
export async function runDvcRemote(
  repo: DvcRepo | undefined,
  root: string,
  action: 'push' | 'pull',
  targets: readonly string[] = [],
  options: { remote?: string; onOutput?: (text: string) => void; signal?: AbortSignal; env?: NodeJS.ProcessEnv } = {},
): Promise<RemoteOutcome> {
  // dvc pull checks data out: the paths it would write are checked as `data checkout` checks them.
  if (action === 'pull' && repo) checkOutputPaths(root, targets);
  const exe = findDvcExecutable(options.env);
  if (!exe) {
    throw new ProvenantError(`cannot ${action}: the dvc executable is not on PATH, and Provenant does not talk to remotes itself. Nothing was ${action === 'push' ? 'pushed' : 'pulled'}.`, {
      hint: `Install DVC (${installCommand(repo)}), then run the command again.`,
      code: 'E_NO_DVC',
    });
  }
  if (repo && repo.config.remotes.length === 0) {
    throw new ProvenantError(`cannot ${action}: no DVC remote is configured in .dvc/config. Nothing was ${action === 'push' ? 'pushed' : 'pulled'}.`, {
      file: '.dvc/config',
      hint: 'Add one with `dvc remote add -d <name> <url>`.',
      code: 'E_NO_REMOTE',
    });
  }
  const args = [action, ...(options.remote ? ['--remote', options.remote] : []), ...targets];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(exe, args, { cwd: root, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], ...(options.signal ? { signal: options.signal } : {}) });
    let output = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      options.onOutput?.(text);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', (err) => reject(new ProvenantError(`dvc ${action} could not start: ${err.message}`, { code: 'E_DVC_FAILED', cause: err })));
    child.once('close', (code) => {
      const outcome = { command: [exe, ...args], exitCode: code, output };
      if (code === 0) resolvePromise(outcome);
      else {
        const last = output.trim().split('\n').slice(-3).join(' / ');
        reject(new ProvenantError(`dvc ${action} failed (exit code ${code}): ${last || 'no output'}`, { hint: `Nothing is known to be ${action === 'push' ? 'pushed' : 'pulled'}; see the full output above or run \`dvc ${args.join(' ')}\` yourself.`, code: 'E_DVC_FAILED' }));
      }
    });
  });
}
