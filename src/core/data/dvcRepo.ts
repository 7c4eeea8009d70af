import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ProvenantError } from '../util/errors';
import { isInside } from '../util/paths';
import { loadDvcConfig, type DvcConfig } from './dvcConfig';

export const DVC_DIR = '.dvc';

/** A workspace that holds `.dvc/`, with its merged config. */
export interface DvcRepo {
  root: string;
  dvcDir: string;
  config: DvcConfig;
}

export function isDvcRepo(root: string): boolean {
  try {
    return statSync(join(root, DVC_DIR)).isDirectory();
  } catch {
    return false;
  }
}

/** Reads `.dvc/config` (+ config.local) of a workspace that has `.dvc/`, or undefined without it. */
export function openDvcRepo(root: string): DvcRepo | undefined {
  const workspace = resolve(root);
  if (!isDvcRepo(workspace)) return undefined;
  const dvcDir = join(workspace, DVC_DIR);
  return { root: workspace, dvcDir, config: loadDvcConfig(dvcDir) };
}

export function requireDvcRepo(root: string): DvcRepo {
  const repo = openDvcRepo(root);
  if (!repo) {
    throw new ProvenantError(`${resolve(root)} has no .dvc folder: nothing is tracked with DVC here yet`, {
      file: join(resolve(root), DVC_DIR),
      hint: 'Track data with `provenant data add <path>` (it creates .dvc/ as `dvc init` does).',
      code: 'E_NOT_DVC',
    });
  }
  return repo;
}

/** What `dvc init` writes into `.dvc/.gitignore`. */
export const DVC_GITIGNORE = '/config.local\n/tmp\n/cache\n';
const DVCIGNORE_TEMPLATE = '# Add patterns of files dvc should ignore, which could improve\n# the performance. Learn more at\n# https://dvc.org/doc/user-guide/dvcignore\n';

/** `dvc init` equivalent: `.dvc/config` (empty), `.dvc/.gitignore`, `.dvcignore`. Existing files are kept. */
export function initDvcRepo(root: string): { repo: DvcRepo; created: boolean } {
  const workspace = resolve(root);
  const existing = openDvcRepo(workspace);
  if (existing) return { repo: existing, created: false };
  const dvcDir = join(workspace, DVC_DIR);
  mkdirSync(join(dvcDir, 'tmp'), { recursive: true });
  const writeIfMissing = (file: string, text: string): void => {
    if (!existsSync(file)) writeFileSync(file, text);
  };
  writeIfMissing(join(dvcDir, 'config'), '');
  writeIfMissing(join(dvcDir, '.gitignore'), DVC_GITIGNORE);
  writeIfMissing(join(workspace, '.dvcignore'), DVCIGNORE_TEMPLATE);
  return { repo: { root: workspace, dvcDir, config: loadDvcConfig(dvcDir) }, created: true };
}

function lockedError(detail: string, file: string): ProvenantError {
  return new ProvenantError(`the DVC repository is locked: ${detail}`, {
    file,
    hint: 'Another DVC (or Provenant) process is working in this repository: wait for it to finish, then try again.',
    code: 'E_DVC_LOCKED',
  });
}

interface HeldLock {
  release(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LOCK_RETRIES = 6;
const LOCK_RETRY_MS = 500;

/**
 * DVC's repository lock `.dvc/tmp/lock` is a zc.lockfile, i.e. a BSD `flock` on the file. Node has no
 * flock, so a tiny helper process holds it (`flock(1)` from util-linux, else Python's fcntl) until its
 * stdin closes, which also happens if this process dies. Resolves undefined when it is held elsewhere;
 * rejects with code ENOENT when neither helper exists.
 */
function tryFlock(lockfile: string): Promise<HeldLock | undefined> {
  const attempt = (cmd: string, args: string[]): Promise<HeldLock | undefined> =>
    new Promise((resolvePromise, reject) => {
      const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
      let out = '';
      let done = false;
      child.once('error', (err) => {
        if (!done) {
          done = true;
          reject(err);
        }
      });
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (!done && out.includes('locked')) {
          done = true;
          resolvePromise({
            release: () =>
              new Promise<void>((r) => {
                child.once('exit', () => r());
                child.stdin.end();
                if (child.exitCode !== null) r();
              }),
          });
        }
      });
      child.once('exit', (code) => {
        if (done) return;
        done = true;
        if (code === 75) resolvePromise(undefined);
        else reject(Object.assign(new Error(`${cmd} exited with ${code}`), { code: code === 127 ? 'ENOENT' : 'EHELPER' }));
      });
    });
  const python = [
    '-c',
    'import fcntl,sys\nf=open(sys.argv[1],"a+")\ntry:\n  fcntl.flock(f,fcntl.LOCK_EX|fcntl.LOCK_NB)\nexcept OSError:\n  sys.exit(75)\nprint("locked",flush=True)\nsys.stdin.read()',
    lockfile,
  ];
  return attempt('flock', ['-n', '-E', '75', lockfile, 'sh', '-c', 'echo locked; exec cat >/dev/null']).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    return attempt('python3', python);
  });
}

/** `core.hardlink_lock`: flufl's protocol, a claim file hard-linked to the lock file. */
function tryHardlinkLock(lockfile: string, tmpDir: string): HeldLock | undefined {
  const claimName = `${lockfile}|${hostname()}|${process.pid}|${randomBytes(8).toString('hex')}`;
  const claim = join(tmpDir, `${createHash('md5').update(claimName).digest('hex')}.lock`);
  writeFileSync(claim, claim);
  try {
    linkSync(claim, lockfile);
  } catch (err) {
    rmSync(claim, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  }
  return {
    release: async () => {
      try {
        if (statSync(lockfile).ino === statSync(claim).ino) rmSync(lockfile, { force: true });
      } catch {
        // already gone
      }
      rmSync(claim, { force: true });
    },
  };
}

interface RwlockInfo {
  pid?: number;
  cmd?: string;
}

function alive(pid: number | undefined): boolean {
  if (typeof pid !== 'number' || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Refuses to write `paths` while a live DVC process holds them in `.dvc/tmp/rwlock` (a stage being
 * run reads its deps and writes its outs under it). Entries of dead processes are ignored, as DVC does.
 */
export function checkRwlock(repo: DvcRepo, paths: readonly string[]): void {
  const file = join(repo.dvcDir, 'tmp', 'rwlock');
  let parsed: { read?: Record<string, RwlockInfo[]>; write?: Record<string, RwlockInfo> };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
  } catch {
    return; // absent (or being rewritten by DVC: its lock file guards the rest)
  }
  const targets = paths.map((p) => resolve(repo.root, p));
  const overlaps = (locked: string) => {
    const abs = isAbsolute(locked) ? resolve(locked) : resolve(repo.root, locked);
    return targets.some((t) => isInside(abs, t) || isInside(t, abs));
  };
  const holders: { path: string; info: RwlockInfo }[] = [];
  for (const [path, info] of Object.entries(parsed.write ?? {})) if (info && overlaps(path)) holders.push({ path, info });
  for (const [path, infos] of Object.entries(parsed.read ?? {})) for (const info of Array.isArray(infos) ? infos : []) if (overlaps(path)) holders.push({ path, info });
  const live = holders.find((h) => alive(h.info.pid));
  if (live) throw lockedError(`"${live.path}" is in use by DVC (pid ${live.info.pid}${live.info.cmd ? `: ${live.info.cmd}` : ''}, see .dvc/tmp/rwlock)`, file);
}

export interface RepoLockOptions {
  /** Workspace paths about to be written: refused while DVC's rwlock holds them. */
  writes?: readonly string[];
  /** Told when the lock cannot be taken the way DVC would see it (no flock helper). */
  onWarning?: (message: string) => void;
}

/**
 * Runs `fn` holding DVC's repository lock, as `dvc add`/`dvc checkout` do, after checking the rwlock.
 * Fails with E_DVC_LOCKED after about 3 s of retries (DVC's own timeout) when another process holds it.
 */
export async function withRepoLock<T>(repo: DvcRepo, fn: () => Promise<T>, options: RepoLockOptions = {}): Promise<T> {
  const tmpDir = join(repo.dvcDir, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  const lockfile = join(tmpDir, 'lock');
  let held: HeldLock | undefined;
  for (let attempt = 0; attempt < LOCK_RETRIES && held === undefined; attempt++) {
    if (attempt > 0) await sleep(LOCK_RETRY_MS);
    if (repo.config.hardlinkLock) {
      held = tryHardlinkLock(lockfile, tmpDir);
      continue;
    }
    try {
      held = await tryFlock(lockfile);
    } catch (err) {
      options.onWarning?.(`cannot take DVC's lock ${lockfile} (no flock(1) or python3 to hold it: ${(err as Error).message}); going on without it`);
      held = { release: async () => undefined };
    }
  }
  if (held === undefined) throw lockedError(`${lockfile} is held by another process`, lockfile);
  try {
    checkRwlock(repo, options.writes ?? []);
    return await fn();
  } finally {
    await held.release();
  }
}
