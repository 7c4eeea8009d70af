import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { GpuInfo } from '../runs/types';

export function osInfo(): { platform: string; release: string; arch: string; distro: string | null } {
  let distro: string | null = null;
  if (existsSync('/etc/os-release')) {
    const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    distro = match?.[1] ?? null;
  }
  return { platform: os.platform(), release: os.release(), arch: os.arch(), distro };
}

export function cpuInfo(): { model: string; cores: number } {
  const cpus = os.cpus();
  return { model: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length };
}

/** GPUs, driver and CUDA version from `nvidia-smi` when it exists; none otherwise. */
export function gpuInfo(): GpuInfo[] {
  const query = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader,nounits'], { encoding: 'utf8', timeout: 10_000 });
  if (query.error || query.status !== 0) return [];
  const header = spawnSync('nvidia-smi', [], { encoding: 'utf8', timeout: 10_000 });
  const cuda = /CUDA Version:\s*([\d.]+)/.exec(header.stdout ?? '')?.[1] ?? null;
  return query.stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [name = '', driver = '', memory = ''] = line.split(',').map((s) => s.trim());
      const memoryMiB = Number(memory);
      return { name, driver, memoryMiB: Number.isFinite(memoryMiB) && memory !== '' ? memoryMiB : null, cuda };
    });
}

/**
 * Environment variables that shape a run's result and never hold secrets. Nothing else of the
 * environment is ever recorded: credentials such as AWS_SECRET_ACCESS_KEY stay out of the run.
 */
export const RECORDED_VARIABLES = [
  'PROVENANT_SEED', 'PYTHONHASHSEED', 'CUBLAS_WORKSPACE_CONFIG', 'TF_DETERMINISTIC_OPS', 'TF_CUDNN_DETERMINISTIC',
  'OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'NUMEXPR_NUM_THREADS', 'VECLIB_MAXIMUM_THREADS',
  'OPENBLAS_CORETYPE', 'CUDA_VISIBLE_DEVICES', 'PYTHONOPTIMIZE', 'PYTHONUTF8', 'LANG', 'LC_ALL', 'TZ',
  'VIRTUAL_ENV', 'CONDA_DEFAULT_ENV', 'CONDA_PREFIX',
] as const;

export function recordedVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RECORDED_VARIABLES) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
