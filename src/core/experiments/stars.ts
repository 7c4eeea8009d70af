import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic';
import { ProvenantError } from '../util/errors';
import { isRunId } from '../runs/ids';
import { ensureExcluded, PROVENANT_EXCLUDES } from './journal';

/** Starred runs, `.provenant/stars.json`: `{ "schema": "provenant.stars/1", "runs": [ids] }`, written atomically. */
export const STARS_PATH = '.provenant/stars.json';
export const STARS_SCHEMA = 'provenant.stars/1';

export function readStars(root: string): Set<string> {
  const file = join(root, STARS_PATH);
  if (!existsSync(file)) return new Set();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ProvenantError(`not valid JSON (${(err as Error).message})`, { file: STARS_PATH, code: 'E_STARS', hint: 'Fix or remove the file; Provenant does not overwrite it while it is unreadable.' });
  }
  const runs = (parsed as { runs?: unknown } | null)?.runs;
  if (!Array.isArray(runs) || runs.some((r) => typeof r !== 'string')) {
    throw new ProvenantError('"runs" must be a list of run ids', { file: STARS_PATH, code: 'E_STARS', hint: 'Fix or remove the file; Provenant does not overwrite it while it is unreadable.' });
  }
  return new Set(runs as string[]);
}

/** Stars or unstars a run; returns whether it is starred now. */
export function setStar(root: string, runId: string, starred: boolean): boolean {
  if (!isRunId(runId)) throw new ProvenantError(`"${runId}" is not a run id`, { file: STARS_PATH, code: 'E_RUN_ID' });
  const stars = readStars(root); // throws on a damaged file, which is then left as it is
  if (starred) stars.add(runId);
  else stars.delete(runId);
  ensureExcluded(root, PROVENANT_EXCLUDES);
  writeJsonAtomic(join(root, STARS_PATH), { schema: STARS_SCHEMA, runs: [...stars].sort() });
  return starred;
}
