import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ProvenantError, describeError } from '../util/errors';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic';
import { validateRunRecord } from './schema';
import { isRunId } from './ids';
import type { MetricPoint, RunRecord } from './types';

export const PROVENANT_DIR = '.provenant';
export const RUNS_DIR = '.provenant/runs';

/** What git must not track inside `.provenant/`: run folders travel in refs, the state index is local. */
const PROVENANT_GITIGNORE = '# Written by Provenant: runs are kept in refs/provenant/runs/*, the state index is per machine.\n/runs/\n/state/\n/tmp/\n';

export function runDir(root: string, id: string): string {
  if (!isRunId(id)) throw new ProvenantError(`"${id}" is not a run id`, { hint: 'Run ids look like 20260101-120000-a1b2c3; `provenant runs list` shows them.', code: 'E_RUN_ID' });
  return join(root, RUNS_DIR, id);
}

export function runFile(root: string, id: string, name: string): string {
  return join(runDir(root, id), name);
}

/** Makes sure `.provenant/.gitignore` keeps run folders and the state index out of the working tree's commits. */
export function ensureProvenantGitignore(root: string): void {
  const file = join(root, PROVENANT_DIR, '.gitignore');
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    const missing = ['/runs/', '/state/', '/tmp/'].filter((line) => !text.split(/\r?\n/).includes(line));
    if (missing.length === 0) return;
    writeFileAtomic(file, `${text.endsWith('\n') || text === '' ? text : `${text}\n`}${missing.join('\n')}\n`);
    return;
  }
  writeFileAtomic(file, PROVENANT_GITIGNORE);
}

export function writeRun(root: string, record: RunRecord): void {
  const file = runFile(root, record.id, 'run.json');
  validateRunRecord(record, file);
  writeJsonAtomic(file, record);
}

export function readRun(root: string, id: string): RunRecord {
  const file = runFile(root, id, 'run.json');
  const display = `${RUNS_DIR}/${id}/run.json`;
  if (!existsSync(file)) throw new ProvenantError(`no run "${id}" in this workspace`, { file: display, hint: '`provenant runs list` shows the runs.', code: 'E_RUN_MISSING' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ProvenantError(`the run record is not valid JSON (${describeError(err)})`, { file: display, code: 'E_RUN_CORRUPT', hint: 'Restore it from refs/provenant/runs/' + id + '.' });
  }
  return validateRunRecord(parsed, display);
}

export interface RunProblem {
  id: string;
  file: string;
  message: string;
}

export interface RunListing {
  runs: RunRecord[];
  /** Run folders that could not be read: reported by name and skipped. */
  problems: RunProblem[];
}

/**
 * Records already read, by run id, with the stat data of their run.json: a long-lived reader
 * (the extension) passes the same cache to every `listRuns`, so only changed records are read
 * and validated again.
 */
export type RunCache = Map<string, { mtimeMs: number; size: number; record: RunRecord }>;

/** Every readable run, newest first; unreadable folders go to `problems`, never an exception. */
export function listRuns(root: string, cache?: RunCache): RunListing {
  const dir = join(root, RUNS_DIR);
  const listing: RunListing = { runs: [], problems: [] };
  if (!existsSync(dir)) return listing;
  const seen = new Set<string>();
  for (const name of readdirSync(dir).sort().reverse()) {
    if (!isRunId(name) || !statSync(join(dir, name)).isDirectory()) continue;
    try {
      listing.runs.push(cache ? readRunCached(root, name, cache) : readRun(root, name));
      seen.add(name);
    } catch (err) {
      listing.problems.push({ id: name, file: `${RUNS_DIR}/${name}/run.json`, message: describeError(err) });
    }
  }
  if (cache) for (const id of cache.keys()) if (!seen.has(id)) cache.delete(id);
  // Ids sort by start second only (their tail is random): order by the start instant itself.
  listing.runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || (a.id < b.id ? 1 : -1));
  return listing;
}

function readRunCached(root: string, id: string, cache: RunCache): RunRecord {
  let stat;
  try {
    stat = statSync(runFile(root, id, 'run.json'));
  } catch {
    return readRun(root, id); // gives the error that names the missing file
  }
  const hit = cache.get(id);
  if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit.record;
  const record = readRun(root, id);
  cache.set(id, { mtimeMs: stat.mtimeMs, size: stat.size, record });
  return record;
}

/** Resolves a unique prefix of a run id (or a run name) to the id. */
export function resolveRunId(root: string, query: string): string {
  const { runs } = listRuns(root);
  const exact = runs.find((r) => r.id === query);
  if (exact) return exact.id;
  const matches = runs.filter((r) => r.id.startsWith(query) || r.id.endsWith(query) || r.name === query);
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length === 0) throw new ProvenantError(`no run matches "${query}"`, { hint: '`provenant runs list` shows the runs.', code: 'E_RUN_MISSING' });
  throw new ProvenantError(`"${query}" matches ${matches.length} runs (${matches.slice(0, 4).map((r) => r.id).join(', ')}…)`, { hint: 'Give more of the id.', code: 'E_RUN_AMBIGUOUS' });
}

/** The step history a script logged (`metrics.jsonl`); malformed lines are skipped. */
export function readMetricHistory(root: string, id: string): MetricPoint[] {
  const file = runFile(root, id, 'metrics.jsonl');
  if (!existsSync(file)) return [];
  const points: MetricPoint[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const p = JSON.parse(line) as Partial<MetricPoint>;
      if (typeof p.name === 'string' && typeof p.value === 'number' && Number.isFinite(p.value)) {
        points.push({ name: p.name, value: p.value, step: typeof p.step === 'number' ? p.step : null, timestamp: typeof p.timestamp === 'string' ? p.timestamp : null });
      }
    } catch {
      // A line cut by a killed process: the rest of the history is still good.
    }
  }
  return points;
}
