/**
 * The verdict of re-running a run, `.provenant/runs/<id>/reproduction.json` (schema
 * `provenant.reproduction/1`), summarized in the run record's optional `reproduction` field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { RUNS_DIR, runFile } from '../runs/store';
import { REPRODUCTION_VERDICTS, type ReproductionVerdict } from '../runs/types';
import { ProvenantError, describeError } from '../util/errors';

export const REPRODUCTION_SCHEMA = 'provenant.reproduction/1';
export const REPRODUCTION_FILE = 'reproduction.json';

export { REPRODUCTION_VERDICTS, type ReproductionVerdict };

export interface Difference {
  kind: 'status' | 'metric' | 'param' | 'prediction' | 'artifact' | 'output' | 'file';
  /**
   * Metric or param name, `<set>:<row>:<column>` for a prediction cell (`<set>:rows`,
   * `<set>:columns`, `<set>:<row>` for its shape), the path of an artifact or of a written file,
   * `stdout`/`stderr`, `status`/`exit code`.
   */
  name: string;
  original: string | number | boolean | null;
  reproduced: string | number | boolean | null;
  /** |reproduced − original| for numbers. */
  absolute: number | null;
  /** absolute / |original| for numbers (null when original is 0). */
  relative: number | null;
  withinTolerance: boolean;
  /** Why it is (not) within tolerance, when the values alone do not say (e.g. `0.0` vs `0`). */
  note?: string;
}

export interface ReproductionRecord {
  schema: typeof REPRODUCTION_SCHEMA;
  run: string;
  /** Id of the re-run (recorded in the isolated checkout, which is then removed). */
  reproduction: string;
  verdict: ReproductionVerdict;
  startedAt: string;
  finishedAt: string;
  seed: number;
  command: string[];
  tolerance: { absolute: number; relative: number };
  /**
   * How many values were compared, by kind. `files` (written or changed in the working tree) and
   * `output` (lines of stdout/stderr) are absent in records written before they were compared.
   */
  compared: { metrics: number; params: number; predictionCells: number; predictionSets: number; artifacts: number; files?: number; output?: { stdout: number; stderr: number } };
  /** Every difference found (prediction cells: at most 50 listed, `differingCells` counts all). */
  differences: Difference[];
  differingCells: number;
  data: { path: string; md5: string; restoredFrom: 'snapshot' | 'cache'; verified: boolean }[];
  environment: { same: boolean; fingerprint: { original: string; reproduced: string }; drift: string[] };
  rerun: { status: string; exitCode: number | null; durationMs: number | null; metrics: Record<string, number> };
  /** One sentence for people. */
  summary: string;
  /** What was not compared, or compared only in part, and why. */
  notes?: string[];
  /** Inputs the re-run could not find (verdict `missing-input`), workspace-relative. */
  missingInputs?: string[];
}

export { VERDICT_LABELS, reproducedOk } from './verdicts';

export function readReproduction(root: string, runId: string): ReproductionRecord | null {
  const file = runFile(root, runId, REPRODUCTION_FILE);
  if (!existsSync(file)) return null;
  let parsed: ReproductionRecord;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as ReproductionRecord;
  } catch (err) {
    throw new ProvenantError(`not valid JSON (${describeError(err)})`, { file: `${RUNS_DIR}/${runId}/${REPRODUCTION_FILE}`, hint: 'Reproduce the run again to rewrite it.', code: 'E_REPRODUCTION' });
  }
  if (parsed.schema !== REPRODUCTION_SCHEMA || !REPRODUCTION_VERDICTS.includes(parsed.verdict)) {
    throw new ProvenantError(`not a reproduction record (${REPRODUCTION_SCHEMA})`, { file: `${RUNS_DIR}/${runId}/${REPRODUCTION_FILE}`, hint: 'Reproduce the run again to rewrite it.', code: 'E_REPRODUCTION' });
  }
  return parsed;
}
