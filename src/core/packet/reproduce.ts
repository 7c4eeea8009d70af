/**
 * Reproduction: a past run is re-run in an isolated temporary checkout of its code snapshot
 * (never the user's working tree, index or HEAD), with its data restored from the snapshot or
 * the DVC cache and verified by hash, the same command and the same seed. Metrics, params,
 * predictions and artifacts are compared with the original: identical, within tolerance, or
 * diverged with the differing values. The verdict is written to the original run's folder
 * (`reproduction.json`), summarized in its record and stored in its git ref.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { loadConfig, CONFIG_PATH } from '../config/config';
import { diffEnvironments } from '../env/diff';
import { git, fs } from '../git/repo';
import { hashDataDependencies } from '../data/hashData';
import { restoreVersion } from '../data/versions';
import { readTable } from '../governance/overlap';
import { thresholdsOf } from '../governance/checks';
import { locateData } from '../governance/dataSources';
import { REPRODUCTION_FILE, REPRODUCTION_SCHEMA, type Difference, type ReproductionRecord, type ReproductionVerdict } from '../governance/reproductionRecord';
import { runExperiment } from '../runner/run';
import { recordedInterpreter } from '../runner/interpreter';
import { restoreSecretArguments } from '../runner/redact';
import { storeRecordInGit } from '../runner/record';
import { readRun, resolveRunId, runDir, runFile, writeRun } from '../runs/store';
import type { RunRecord } from '../runs/types';
import { writeJsonAtomic } from '../util/atomic';
import { ProvenantError } from '../util/errors';
import { isInside } from '../util/paths';

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

const isNum = (v: unknown): v is number => typeof v === 'number';

function compareValue(kind: Difference['kind'], name: string, a: string | number | boolean | null, b: string | number | boolean | null, tol: { absolute: number; relative: number }): Difference | null {
  if (Object.is(a, b)) return null;
  if (isNum(a) && isNum(b)) {
    if (Number.isNaN(a) && Number.isNaN(b)) return null;
    const absolute = Math.abs(b - a);
    const relative = a !== 0 ? absolute / Math.abs(a) : null;
    const within = Number.isFinite(absolute) && (absolute <= tol.absolute || (relative !== null && relative <= tol.relative));
    return { kind, name, original: a, reproduced: b, absolute, relative, withinTolerance: within };
  }
  return { kind, name, original: a, reproduced: b, absolute: null, relative: null, withinTolerance: false };
}

function cellValue(text: string): string | number {
  const t = text.trim();
  if (t !== '' && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|nan)$/i.test(t)) {
    const n = Number(t.replace(/^([+-]?)inf$/i, '$1Infinity'));
    if (!Number.isNaN(n) || /nan/i.test(t)) return n;
  }
  return text;
}

const MAX_LISTED_CELLS = 50;

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

    step('Comparing metrics, params, predictions and artifacts');
    const differences: Difference[] = [];
    const push = (d: Difference | null) => d && differences.push(d);
    push(compareValue('status', 'status', run.status, rerun.status, tol));
    const metricNames = [...new Set([...Object.keys(run.metrics), ...Object.keys(rerun.metrics)])].sort();
    for (const name of metricNames) push(compareValue('metric', name, run.metrics[name] ?? null, rerun.metrics[name] ?? null, tol));
    const paramNames = [...new Set([...Object.keys(run.params), ...Object.keys(rerun.params)])].sort();
    for (const name of paramNames) push(compareValue('param', name, run.params[name] ?? null, rerun.params[name] ?? null, tol));

    let predictionCells = 0;
    let differingCells = 0;
    let cellsBeyond = 0;
    let listedCells = 0;
    const sets = [...new Set([...run.predictions.map((p) => p.name), ...rerun.predictions.map((p) => p.name)])].sort();
    for (const name of sets) {
      const a = run.predictions.find((p) => p.name === name);
      const b = rerun.predictions.find((p) => p.name === name);
      const fa = a && /^[\w.-]+$/.test(a.file) ? runFile(root, run.id, a.file) : null;
      const fb = b && /^[\w.-]+$/.test(b.file) ? runFile(checkout, rerun.id, b.file) : null;
      if (!fa || !fb || !existsSync(fa) || !existsSync(fb)) {
        push({ kind: 'prediction', name, original: fa && existsSync(fa) ? 'present' : 'missing', reproduced: fb && existsSync(fb) ? 'present' : 'missing', absolute: null, relative: null, withinTolerance: false });
        continue;
      }
      const ta = readTable(fa, name);
      const tb = readTable(fb, name);
      if (ta.columns.join('\u0000') !== tb.columns.join('\u0000') || ta.rows.length !== tb.rows.length) {
        push({ kind: 'prediction', name: `${name}:shape`, original: `${ta.rows.length} rows × ${ta.columns.join(',')}`, reproduced: `${tb.rows.length} rows × ${tb.columns.join(',')}`, absolute: null, relative: null, withinTolerance: false });
        continue;
      }
      for (let r = 0; r < ta.rows.length; r++) {
        for (let c = 0; c < ta.columns.length; c++) {
          predictionCells++;
          const x = ta.rows[r]![c] ?? '';
          const y = tb.rows[r]![c] ?? '';
          if (x === y) continue;
          const d = compareValue('prediction', `${name}:${r + 1}:${ta.columns[c]}`, cellValue(x), cellValue(y), tol);
          if (!d) continue;
          differingCells++;
          if (!d.withinTolerance) cellsBeyond++;
          if (listedCells < MAX_LISTED_CELLS || (!d.withinTolerance && cellsBeyond === 1)) {
            differences.push(d);
            listedCells++;
          }
        }
      }
    }
    const artifactPaths = [...new Set([...run.artifacts.map((a) => a.path), ...rerun.artifacts.map((a) => a.path)])].sort();
    for (const path of artifactPaths) push(compareValue('artifact', path, run.artifacts.find((a) => a.path === path)?.md5 ?? null, rerun.artifacts.find((a) => a.path === path)?.md5 ?? null, tol));

    const beyond = differences.filter((d) => !d.withinTolerance && d.kind !== 'prediction').length + cellsBeyond;
    const verdict: ReproductionVerdict = beyond > 0 ? 'diverged' : differences.length > 0 ? 'within-tolerance' : 'identical';
    const envDiff = diffEnvironments(run.environment, rerun.environment);
    const drift = [
      ...Object.entries(envDiff.changed).map(([k, v]) => `${k} ${v.from} → ${v.to}`),
      ...Object.entries(envDiff.added).map(([k, v]) => `${k} ${v} added`),
      ...Object.entries(envDiff.removed).map(([k, v]) => `${k} ${v} removed`),
      ...envDiff.other.map((o) => `${o.field}: ${o.from} → ${o.to}`),
    ];
    const compared = { metrics: metricNames.length, params: paramNames.length, predictionCells, predictionSets: sets.length, artifacts: artifactPaths.length };
    const what = `${compared.metrics} metrics, ${compared.params} params, ${compared.predictionCells} prediction cells, ${compared.artifacts} artifacts`;
    const summary =
      verdict === 'identical'
        ? `all ${what} are bit-identical.`
        : verdict === 'within-tolerance'
          ? `${differences.length} value(s) differ, all within tolerance (${what} compared).`
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

/** Writes reproduction.json into the run folder and the summary into run.json (both atomically). */
function recordOnRun(root: string, run: RunRecord, record: ReproductionRecord): void {
  writeJsonAtomic(join(runDir(root, run.id), REPRODUCTION_FILE), record);
  const current = readRun(root, run.id);
  writeRun(root, { ...current, reproduction: { verdict: record.verdict, run: record.reproduction, finishedAt: record.finishedAt, differences: record.differences.length } });
}
