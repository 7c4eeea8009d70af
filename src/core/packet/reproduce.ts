/**
 * Reproduction: a past run is re-run in an isolated temporary checkout of its code snapshot
 * (never the user's working tree, index or HEAD), with its data restored from the snapshot or
 * the DVC cache and verified by hash, the same command and the same seed. Exit status, output,
 * the files written in the working tree, metrics, params, predictions and artifacts are compared
 * with the original (reproductionCompare.ts): identical, within tolerance, diverged with the
 * differing values, unverified when there was nothing to compare, or missing-input when the re-run
 * could not read an input that was never recorded. The verdict is written to the original run's folder
 * (`reproduction.json`), summarized in its record and stored in its git ref.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { loadConfig, CONFIG_PATH } from '../config/config';
import { diffEnvironments } from '../env/diff';
import { git, fs } from '../git/repo';
import { hashDataDependencies } from '../data/hashData';
import { restoreVersion } from '../data/versions';
import { thresholdsOf } from '../governance/checks';
import { locateData } from '../governance/dataSources';
import { REPRODUCTION_FILE, REPRODUCTION_SCHEMA, type ReproductionRecord, type ReproductionVerdict } from '../governance/reproductionRecord';
import { runExperiment } from '../runner/run';
import { recordedInterpreter } from '../runner/interpreter';
import { restoreSecretArguments } from '../runner/redact';
import { storeRecordInGit } from '../runner/record';
import { readRun, resolveRunId, runDir, runFile, writeRun } from '../runs/store';
import type { RunRecord } from '../runs/types';
import { writeJsonAtomic } from '../util/atomic';
import { ProvenantError } from '../util/errors';
import { isInside } from '../util/paths';
import { missingInputs } from './missingInput';
import { compareReproduction, verdictOf } from './reproductionCompare';

export interface ReproduceOptions {
  /** Folder holding the `provenant` Python package (as for runExperiment). */
  pythonHelperDir: string;
  /** Interpreter (default: the one the run recorded, else `python` of the config, resolved against the workspace). */
  python?: string;
  /** Tolerances (default: `checks.reproduce_abs_tolerance` / `reproduce_rel_tolerance`). */
  absoluteTolerance?: number;
  relativeTolerance?: number;
  /** Keep the temporary checkout (for inspection); default: removed. */
  keep?: boolean;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onStep?: (message: string) => void;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

export interface ReproduceOutcome {
  record: ReproductionRecord;
  /** The temporary checkout, when kept. */
  checkout: string | null;
}

/** A tree entry name that is safe to create: no separators, not `.`/`..`/`.git`. */
function safeName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && name.toLowerCase() !== '.git' && !/[/\\\0]/.test(name);
}

/** Writes the tree of `commit` (objects of `source`) into `target`, copying the objects into `target`'s repository. */
async function materialize(source: string, commit: string, target: string): Promise<void> {
  const cache = {};
  const copyObject = async (oid: string) => {
    const obj = await git.readObject({ fs, dir: source, oid, format: 'content', cache });
    await git.writeObject({ fs, dir: target, type: obj.type as 'blob' | 'tree' | 'commit', object: obj.object as Uint8Array, format: 'content' });
    return obj.object as Uint8Array;
  };
  const walk = async (treeOid: string, dir: string) => {
    await copyObject(treeOid);
    const { tree } = await git.readTree({ fs, dir: source, oid: treeOid, cache });
    for (const entry of tree) {
      if (!safeName(entry.path)) throw new ProvenantError(`the snapshot holds an unsafe path "${entry.path}"`, { code: 'E_UNSAFE_PATH', hint: 'The snapshot commit was crafted or damaged; it cannot be checked out.' });
      const path = join(dir, entry.path);
      if (entry.type === 'tree') {
        mkdirSync(path, { recursive: true });
        await walk(entry.oid, path);
      } else if (entry.type === 'blob') {
        const bytes = await copyObject(entry.oid);
        if (entry.mode === '120000') symlinkSync(Buffer.from(bytes).toString('utf8'), path);
        else {
          writeFileSync(path, bytes);
          if (entry.mode === '100755') chmodSync(path, 0o755);
        }
      }
      // Submodule entries (commits) are left out: their content is not in this repository.
    }
  };
  const { commit: c } = await git.readCommit({ fs, dir: source, oid: commit, cache });
  await walk(c.tree, target);
  // The snapshot commit itself, byte for byte, so HEAD in the checkout is the same commit id;
  // its parents stay outside (a shallow boundary, as `git clone --depth 1` leaves it).
  await copyObject(commit);
  if (c.parent.length) writeFileSync(join(target, '.git', 'shallow'), `${commit}\n`);
}


/**
 * Re-runs `query` (a run id, a unique part of one, or a name) and records the verdict on it.
 * Requires a trusted workspace: it executes the run's command.
 */
export async function reproduceRun(root: string, query: string, options: ReproduceOptions): Promise<ReproduceOutcome> {
  const run = readRun(root, resolveRunId(root, query));
  if (run.status === 'running') throw new ProvenantError(`run ${run.id} is still running`, { hint: 'Reproduce it once it has ended.', code: 'E_RUN_RUNNING' });
  // Secret arguments were not recorded: their values come from the environment, or nothing runs.
  const command = restoreSecretArguments(run.id, run.command, run.redactedArguments, options.env ?? process.env);
  const step = options.onStep ?? (() => undefined);
  const config = loadConfig(root);
  const t = thresholdsOf(config);
  const tol = { absolute: options.absoluteTolerance ?? t.reproduce_abs_tolerance, relative: options.relativeTolerance ?? t.reproduce_rel_tolerance };
  for (const [name, v] of Object.entries(tol)) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new ProvenantError(`the ${name} tolerance must be a number ≥ 0, got ${v}`, { file: CONFIG_PATH, code: 'E_USAGE' });
  }
  const startedAt = new Date().toISOString();
  const checkout = realpathSync(mkdtempSync(join(tmpdir(), 'provenant-reproduce-')));
  let keep = options.keep ?? false;
  try {
    step(`Checking out snapshot ${run.code.snapshotCommit.slice(0, 12)} into an isolated folder`);
    await git.init({ fs, dir: checkout, defaultBranch: run.experiment ?? 'main' });
    await materialize(root, run.code.snapshotCommit, checkout);
    await git.writeRef({ fs, dir: checkout, ref: `refs/heads/${run.experiment ?? 'main'}`, value: run.code.snapshotCommit, force: true });

    step(`Restoring ${run.data.length} data dependenc${run.data.length === 1 ? 'y' : 'ies'} and verifying their hashes`);
    const data: ReproductionRecord['data'] = [];
    for (const d of run.data) {
      const location = await locateData(root, run, d);
      let restoredFrom: 'snapshot' | 'cache';
      if (location.where === 'nowhere') {
        throw new ProvenantError(`the data ${d.path} (${d.md5}) of run ${run.id} is neither in the DVC cache nor in its code snapshot`, { file: d.path, hint: 'Fetch it into the cache (`dvc pull`) and reproduce again.', code: 'E_DATA_UNAVAILABLE' });
      } else if (location.where === 'snapshot') {
        restoredFrom = 'snapshot';
      } else {
        const target = resolve(checkout, d.path);
        const parent = dirname(target);
        mkdirSync(parent, { recursive: true });
        if (!isInside(checkout, target) || !isInside(checkout, realpathSync(parent))) throw new ProvenantError(`the data path ${d.path} leads outside the checkout`, { file: d.path, code: 'E_PATH_ESCAPE' });
        rmSync(target, { recursive: true, force: true });
        restoreVersion(location.repo, d, target);
        restoredFrom = 'cache';
      }
      const [hashed] = await hashDataDependencies(checkout, [d.path], { useState: false });
      if (!hashed || hashed.md5 !== d.md5) throw new ProvenantError(`the restored ${d.path} hashes to ${hashed?.md5 ?? 'nothing'}, not ${d.md5}`, { file: d.path, code: 'E_DATA_MISMATCH', hint: 'The cache or the snapshot is damaged.' });
      data.push({ path: d.path, md5: d.md5, restoredFrom, verified: true });
    }

    const python = options.python ?? recordedInterpreter(run) ?? (config.python && !isAbsolute(config.python) && /[/\\]/.test(config.python) ? resolve(root, config.python) : undefined);
    step(`Re-running ${run.command.join(' ')} with seed ${run.seeds.root}`);
    const outcome = await runExperiment({
      cwd: checkout,
      command,
      seed: run.seeds.root,
      name: `reproduction of ${run.name}`,
      pythonHelperDir: options.pythonHelperDir,
      ...(python ? { python } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    });
    const rerun = outcome.record;
    if (rerun.status === 'interrupted') throw new ProvenantError('the reproduction was interrupted', { code: 'E_CANCELLED', hint: 'Nothing was recorded on the original run.' });

    step('Comparing exit status, output, written files, metrics, params, predictions and artifacts');
    const comparison = compareReproduction({ record: run, root }, { record: rerun, root: checkout }, tol);
    const { differences, differingCells, beyond, compared, notes } = comparison;
    // A re-run that failed for want of an input it was never given did not diverge: it could not run.
    const missing = run.status === 'succeeded' && rerun.status === 'failed' ? missingInputs(readLog(checkout, rerun.id, 'stderr.log'), checkout) : [];
    const verdict: ReproductionVerdict = missing.length ? 'missing-input' : verdictOf(comparison);
    const envDiff = diffEnvironments(run.environment, rerun.environment);
    const drift = [
      ...Object.entries(envDiff.changed).map(([k, v]) => `${k} ${v.from} → ${v.to}`),
      ...Object.entries(envDiff.added).map(([k, v]) => `${k} ${v} added`),
      ...Object.entries(envDiff.removed).map(([k, v]) => `${k} ${v} removed`),
      ...envDiff.other.map((o) => `${o.field}: ${o.from} → ${o.to}`),
    ];
    const what = describeCompared(compared);
    const summary =
      verdict === 'missing-input'
        ? missingSummary(root, missing)
        : verdict === 'unverified'
          ? `nothing comparable: ${what} compared, none of them a result of the run (metrics, predictions, artifacts, written files, printed output), so the re-run shows nothing. Log results (provenant.log_metrics, metrics.json) or write outputs, then reproduce again.`
          : verdict === 'identical'
            ? `all of ${what} are bit-identical.`
            : verdict === 'within-tolerance'
              ? `${differences.length} value(s) differ, all within tolerance or equal in value (${what} compared): ${differences
                  .slice(0, 3)
                  .map((d) => `${d.name}${d.note ? ` (${d.note})` : ''}`)
                  .join('; ')}${differences.length > 3 ? '; …' : ''}.`
              : `${beyond} value(s) differ beyond tolerance${differingCells ? ` (${differingCells} prediction cells differ)` : ''}: ${differences
                  .filter((d) => !d.withinTolerance)
                  .slice(0, 4)
                  .map((d) => `${d.name} ${String(d.original)} → ${String(d.reproduced)}`)
                  .join('; ')}${beyond > 4 ? '; …' : ''}.`;
    const record: ReproductionRecord = {
      schema: REPRODUCTION_SCHEMA,
      run: run.id,
      reproduction: rerun.id,
      verdict,
      startedAt,
      finishedAt: new Date().toISOString(),
      seed: run.seeds.root,
      command: run.command,
      tolerance: tol,
      compared,
      differences,
      differingCells,
      data,
      environment: { same: envDiff.same, fingerprint: { original: run.environment.fingerprint, reproduced: rerun.environment.fingerprint }, drift },
      rerun: { status: rerun.status, exitCode: rerun.exitCode, durationMs: rerun.durationMs, metrics: rerun.metrics },
      summary: `${summary}${drift.length ? ` Environment drift: ${drift.slice(0, 3).join('; ')}${drift.length > 3 ? '; …' : ''}.` : ''}`,
      notes,
      ...(missing.length ? { missingInputs: missing } : {}),
    };
    if (rerun.status !== 'succeeded') keep = true; // the logs of a failed re-run are worth a look
    recordOnRun(root, run, record);
    await storeRecordInGit(root, readRun(root, run.id)).catch(() => undefined);
    return { record, checkout: keep ? checkout : null };
  } catch (err) {
    keep = false;
    throw err;
  } finally {
    if (!keep) rmSync(checkout, { recursive: true, force: true });
  }
}

function readLog(root: string, id: string, name: string): string {
  const file = runFile(root, id, name);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function describeCompared(c: ReproductionRecord['compared']): string {
  const lines = (n: number) => (n === 0 ? 'empty' : `${n} line${n === 1 ? '' : 's'}`);
  return [
    'exit status',
    c.output ? `stdout (${lines(c.output.stdout)}), stderr (${lines(c.output.stderr)})` : null,
    c.files !== undefined ? `${c.files} written file${c.files === 1 ? '' : 's'}` : null,
    `${c.metrics} metrics`,
    `${c.params} params`,
    `${c.predictionCells} prediction cells`,
    `${c.artifacts} artifacts`,
  ]
    .filter(Boolean)
    .join(', ');
}

function missingSummary(root: string, missing: string[]): string {
  const where = (p: string) => (existsSync(join(root, p)) ? ' (it is in the workspace, but neither committed nor declared)' : '');
  const list = missing.map((p) => `${p}${where(p)}`).join(', ');
  return `could not reproduce: input ${list} ${missing.length === 1 ? 'is' : 'are'} not in the snapshot or the cache; declare ${missing.length === 1 ? 'it' : 'them'} under data: in ${CONFIG_PATH} (committed or tracked with DVC) so runs record and restore ${missing.length === 1 ? 'it' : 'them'}.`;
}

/** Writes reproduction.json into the run folder and the summary into run.json (both atomically). */
function recordOnRun(root: string, run: RunRecord, record: ReproductionRecord): void {
  writeJsonAtomic(join(runDir(root, run.id), REPRODUCTION_FILE), record);
  const current = readRun(root, run.id);
  writeRun(root, { ...current, reproduction: { verdict: record.verdict, run: record.reproduction, finishedAt: record.finishedAt, differences: record.differences.length } });
}
