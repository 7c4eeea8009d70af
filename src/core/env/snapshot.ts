import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { probePython } from './python';
import { osInfo, cpuInfo, gpuInfo, recordedVariables } from './system';
import type { EnvironmentSnapshot } from '../runs/types';

/** Dependency lock and requirement files looked for at the workspace root (and in requirements/). */
const LOCKFILE_PATTERN = /^(requirements.*\.(txt|in)|constraints.*\.txt|poetry\.lock|Pipfile\.lock|uv\.lock|pdm\.lock|pylock.*\.toml|environment\.ya?ml|conda-lock\.ya?ml|pyproject\.toml|setup\.cfg|package-lock\.json|renv\.lock)$/;

export function lockfileHashes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const scan = (dir: string, prefix: string, pattern: RegExp) => {
    if (!existsSync(dir)) return;
    for (const dirent of readdirSync(dir, { withFileTypes: true })) {
      if (dirent.isFile() && pattern.test(dirent.name)) {
        out[`${prefix}${dirent.name}`] = createHash('md5').update(readFileSync(join(dir, dirent.name))).digest('hex');
      }
    }
  };
  scan(root, '', LOCKFILE_PATTERN);
  scan(join(root, 'requirements'), 'requirements/', /\.(txt|in)$/);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

type FingerprintInput = Pick<EnvironmentSnapshot, 'python' | 'packages' | 'lockfiles' | 'os' | 'gpus'>;

/** A digest over what decides a run's software result (not the host name, the memory or the time). */
export function environmentFingerprint(env: FingerprintInput): string {
  const canonical = {
    python: env.python ? { version: env.python.version, implementation: env.python.implementation } : null,
    packages: Object.entries(env.packages).sort(([a], [b]) => (a < b ? -1 : 1)),
    lockfiles: Object.entries(env.lockfiles).sort(([a], [b]) => (a < b ? -1 : 1)),
    os: { platform: env.os.platform, arch: env.os.arch, distro: env.os.distro },
    gpus: env.gpus.map((g) => [g.name, g.driver, g.cuda]),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** The full environment snapshot of a workspace with the given interpreter. Never throws for a broken interpreter: it records why. */
export async function snapshotEnvironment(root: string, interpreter: string, variables: NodeJS.ProcessEnv = process.env): Promise<EnvironmentSnapshot> {
  let python: EnvironmentSnapshot['python'] = null;
  let packages: Record<string, string> = {};
  let pythonError: string | undefined;
  try {
    const probe = await probePython(interpreter, root, undefined, variables);
    python = { executable: probe.executable, version: probe.version, implementation: probe.implementation };
    packages = Object.fromEntries(Object.entries(probe.packages).sort(([a], [b]) => (a < b ? -1 : 1)));
  } catch (err) {
    pythonError = (err as Error).message;
  }
  const partial = { python, packages, lockfiles: lockfileHashes(root), os: osInfo(), gpus: gpuInfo() };
  return {
    fingerprint: environmentFingerprint(partial),
    ...partial,
    ...(pythonError ? { pythonError } : {}),
    cpu: cpuInfo(),
    memoryBytes: os.totalmem(),
    variables: recordedVariables(variables),
    node: process.version,
  };
}
