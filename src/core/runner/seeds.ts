import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { parse } from 'yaml';
import { ProvenantError } from '../util/errors';
import { flattenParams } from '../runs/flatten';
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

/** Keys that hold a seed as projects write them, by preference: `seed`, `random_seed`, `random_state`. */
export const SEED_KEYS = ['seed', 'random_seed', 'random_state'] as const;

/** A whole number that can seed numpy and Python (strings of digits included), else undefined. */
function asSeed(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_SEED ? n : undefined;
}

/**
 * The seed a set of flattened params declares: a key whose last part is a seed key (`seed`,
 * `train.random_state`, `args.random_seed`), the shallowest first, then by key preference, then
 * in the order given. Values that cannot be a seed (`random_state: null`) are passed over.
 */
export function findSeedParam(params: Record<string, unknown>): { key: string; value: number } | undefined {
  let best: { key: string; value: number; rank: number } | undefined;
  for (const [key, raw] of Object.entries(params)) {
    const parts = key.split('.');
    const preference = (SEED_KEYS as readonly string[]).indexOf(parts[parts.length - 1]!);
    const value = asSeed(raw);
    if (preference < 0 || value === undefined) continue;
    const rank = (parts.length - (parts[0] === 'args' ? 1 : 0)) * SEED_KEYS.length + preference;
    if (!best || rank < best.rank) best = { key, value, rank };
  }
  return best && { key: best.key, value: best.value };
}

/**
 * The run's root seed: the `--seed` flag, else a seed key of the params file (`seed` at the top,
 * else `random_seed`/`random_state`, nested ones too), else a fresh random one (recorded, so the
 * run can still be reproduced).
 */
export function resolveSeeds(root: string, paramsFile: string, flag?: string | number): Seeds {
  if (flag !== undefined) {
    const seed = checkSeed(flag, '--seed');
    return { root: seed, source: 'flag', env: determinismEnv(seed), seeded: [] };
  }
  const fromParams = readParamsSeed(root, paramsFile);
  if (fromParams !== undefined) {
    return { root: fromParams.value, source: 'params', env: determinismEnv(fromParams.value), seeded: [], param: { key: fromParams.key, value: fromParams.value, file: paramsFile } };
  }
  const seed = randomInt(0, 2 ** 31 - 1);
  return { root: seed, source: 'generated', env: determinismEnv(seed), seeded: [] };
}

/**
 * For a run whose root seed was generated: the seed its own params declare (given on the command
 * line or logged by the script), recorded next to the root seed, which stays the one that was
 * passed as PROVENANT_SEED and PYTHONHASHSEED (a reproduction passes the same).
 */
export function withDeclaredSeed(seeds: Seeds, params: Record<string, unknown>): Seeds {
  if (seeds.source !== 'generated' || seeds.param) return seeds;
  const found = findSeedParam(params);
  if (!found) return seeds;
  return { ...seeds, param: { ...found, file: found.key.startsWith('args.') ? 'command line' : 'params logged by the run' } };
}

function readParamsSeed(root: string, paramsFile: string): { key: string; value: number } | undefined {
  const file = join(root, paramsFile);
  if (!existsSync(file)) return undefined;
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ProvenantError(`invalid YAML: ${(err as Error).message.split('\n')[0]}`, { file: paramsFile, hint: 'Fix the file, or pass --seed.', code: 'E_PARAMS' });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  if ('seed' in doc) return { key: 'seed', value: checkSeed((doc as { seed: unknown }).seed, '"seed"', paramsFile) };
  return findSeedParam(flattenParams(doc));
}
