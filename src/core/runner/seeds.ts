import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { parse } from 'yaml';
import { ProvenantError } from '../util/errors';
import type { Seeds } from '../runs/types';

const MAX_SEED = 2 ** 32 - 1;

function checkSeed(value: unknown, where: string, file?: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_SEED) {
    throw new ProvenantError(`${where} must be a whole number from 0 to ${MAX_SEED}, not ${JSON.stringify(value)}`, { file, code: 'E_SEED' });
  }
  return n;
}

/** The environment that makes common ML stacks deterministic for a given root seed. */
export function determinismEnv(seed: number): Record<string, string> {
  return {
    PROVENANT_SEED: String(seed),
    PYTHONHASHSEED: String(seed),
    CUBLAS_WORKSPACE_CONFIG: ':4096:8',
    TF_DETERMINISTIC_OPS: '1',
    TF_CUDNN_DETERMINISTIC: '1',
  };
}

/**
 * The run's root seed: the `--seed` flag, else `seed` at the top of the params file, else a fresh
 * random one (recorded, so the run can still be reproduced).
 */
export function resolveSeeds(root: string, paramsFile: string, flag?: string | number): Seeds {
  let seed: number;
  let source: Seeds['source'];
  if (flag !== undefined) {
    seed = checkSeed(flag, '--seed');
    source = 'flag';
  } else {
    const fromParams = readParamsSeed(root, paramsFile);
    if (fromParams !== undefined) {
      seed = fromParams;
      source = 'params';
    } else {
      seed = randomInt(0, 2 ** 31 - 1);
      source = 'generated';
    }
  }
  return { root: seed, source, env: determinismEnv(seed), seeded: [] };
}

function readParamsSeed(root: string, paramsFile: string): number | undefined {
  const file = join(root, paramsFile);
  if (!existsSync(file)) return undefined;
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ProvenantError(`invalid YAML: ${(err as Error).message.split('\n')[0]}`, { file: paramsFile, hint: 'Fix the file, or pass --seed.', code: 'E_PARAMS' });
  }
  if (doc && typeof doc === 'object' && 'seed' in doc) return checkSeed((doc as { seed: unknown }).seed, '"seed"', paramsFile);
  return undefined;
}
