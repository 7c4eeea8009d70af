/**
 * The comparison behind a reproduction verdict: a run and its re-run side by side on what every
 * run has (exit status, stdout, stderr, the files it wrote in the working tree) and on what the
 * script reported (metrics, params, predictions, artifacts). Params are compared but are inputs:
 * they are no evidence that the results reproduce, and neither is the exit status alone. With no
 * evidence at all the verdict is `unverified`, never `identical`.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Difference, ReproductionRecord, ReproductionVerdict } from '../governance/reproductionRecord';
import { runFile } from '../runs/store';
import type { RunRecord, WrittenFile } from '../runs/types';
import { sha256File } from '../runner/workingTreeWrites';
import { compareOutput, lineCount, MAX_COMPARED_OUTPUT, neutralize } from './outputCompare';
import { compareTables } from './tableCompare';
import { gap, type Tolerance } from './tolerance';
import { isInside } from '../util/paths';

/** The folder as given and as resolved (a run prints whichever its command saw). */
function spellings(root: string): string[] {
  try {
    return [root, realpathSync(root)];
  } catch {
    return [root];
  }
}

export interface RunSide {
  record: RunRecord;
  /** The working tree the run ran in (the user's workspace, or the reproduction's checkout). */
  root: string;
}

export interface ReproductionComparison {
  differences: Difference[];
  /** Prediction cells that differ (at most 50 are listed). */
  differingCells: number;
  /** Differences beyond tolerance, listed or not. */
  beyond: number;
  compared: ReproductionRecord['compared'];
  /** How many compared values are results of the run (metrics, predictions, artifacts, files, output lines). */
  evidence: number;
  notes: string[];
}

type Value = string | number | boolean | null;

function valueDifference(kind: Difference['kind'], name: string, a: Value, b: Value, tol: Tolerance): Difference | null {
  if (Object.is(a, b)) return null;
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return null;
    const g = gap(a, b, tol);
    return { kind, name, original: a, reproduced: b, absolute: g.absolute, relative: g.relative, withinTolerance: g.within, ...(g.absolute === 0 ? { note: 'equal in value, not in bits (0 and -0)' } : {}) };
  }
  return { kind, name, original: a, reproduced: b, absolute: null, relative: null, withinTolerance: false };
}

const exact = (kind: Difference['kind'], name: string, a: Value, b: Value, note?: string): Difference | null =>
  Object.is(a, b) ? null : { kind, name, original: a, reproduced: b, absolute: null, relative: null, withinTolerance: false, ...(note ? { note } : {}) };

const readText = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** The end state of a file in a run: written (with its hash), removed, or not touched. */
type End = { kind: 'written'; file: WrittenFile } | { kind: 'deleted' } | { kind: 'untouched' };

function endOf(files: Map<string, WrittenFile>, path: string): End {
  const f = files.get(path);
  if (!f) return { kind: 'untouched' };
  return f.change === 'deleted' ? { kind: 'deleted' } : { kind: 'written', file: f };
}

/** The content hash of `path` as it is now in `root`, or null when absent. */
function present(root: string, path: string): string | null {
  const file = resolve(root, path);
  if (!isInside(root, file)) return null;
  return existsSync(file) && statSync(file).isFile() ? sha256File(file) : null;
}

function fileDifference(path: string, a: End, b: End, original: RunSide, rerun: RunSide): Difference | null {
  const d = (o: string, r: string, within: boolean, note: string): Difference => ({ kind: 'file', name: path, original: o, reproduced: r, absolute: null, relative: null, withinTolerance: within, note });
  const short = (f: WrittenFile) => (f.sha256 ? `sha256 ${f.sha256.slice(0, 12)}` : `${f.size} bytes, not hashed`);
  if (a.kind === 'written' && b.kind === 'written') {
    if (a.file.sha256 && b.file.sha256) return a.file.sha256 === b.file.sha256 ? null : d(short(a.file), short(b.file), false, 'the content differs');
    return a.file.size === b.file.size ? d(short(a.file), short(b.file), true, 'too large to hash: compared by size only, sizes equal') : d(short(a.file), short(b.file), false, 'the size differs');
  }
  if (a.kind === 'deleted' && b.kind === 'deleted') return null;
  if (a.kind === 'deleted') {
    // The re-run did not remove it: the same end state when the checkout never had it.
    return present(rerun.root, path) === null ? null : d('removed', 'kept', false, 'the original run removed it; the re-run left it');
  }
  if (b.kind === 'deleted') return d(a.kind === 'written' ? short(a.file) : 'not touched', 'removed', false, 'the re-run removed it');
  if (a.kind === 'written') {
    // Not written by the re-run: equal only if the checkout already held the same bytes.
    const there = present(rerun.root, path);
    return there !== null && there === a.file.sha256 ? null : d(short(a.file), there ? `not written (sha256 ${there.slice(0, 12)})` : 'not written', false, 'written by the original run, not by the re-run');
  }
  if (b.kind === 'written') {
    // The original run did not write it; it may have been in the workspace already.
    const there = present(original.root, path);
    if (there !== null && there === b.file.sha256) return d('already present', short(b.file), true, 'the original run did not write it: the workspace already held these bytes (an output of an earlier run?)');
    return d('not written', short(b.file), false, 'written by the re-run, not by the original run');
  }
  return null;
}

export function compareReproduction(original: RunSide, rerun: RunSide, tol: Tolerance): ReproductionComparison {
  const run = original.record;
  const re = rerun.record;
  const differences: Difference[] = [];
  const notes: string[] = [];
  const push = (d: Difference | null) => {
    if (d) differences.push(d);
  };

  push(exact('status', 'status', run.status, re.status));
  push(exact('status', 'exit code', run.exitCode, re.exitCode));

  const metricNames = [...new Set([...Object.keys(run.metrics), ...Object.keys(re.metrics)])].sort();
  for (const name of metricNames) push(valueDifference('metric', name, run.metrics[name] ?? null, re.metrics[name] ?? null, tol));
  const paramNames = [...new Set([...Object.keys(run.params), ...Object.keys(re.params)])].sort();
  for (const name of paramNames) push(valueDifference('param', name, run.params[name] ?? null, re.params[name] ?? null, tol));

  let predictionCells = 0;
  let differingCells = 0;
  let cellsBeyond = 0;
  const sets = [...new Set([...run.predictions.map((p) => p.name), ...re.predictions.map((p) => p.name)])].sort();
  for (const name of sets) {
    const a = run.predictions.find((p) => p.name === name);
    const b = re.predictions.find((p) => p.name === name);
    const fa = a && /^[\w.-]+$/.test(a.file) ? runFile(original.root, run.id, a.file) : null;
    const fb = b && /^[\w.-]+$/.test(b.file) ? runFile(rerun.root, re.id, b.file) : null;
    const hasA = !!fa && existsSync(fa);
    const hasB = !!fb && existsSync(fb);
    if (!hasA || !hasB) {
      push({ kind: 'prediction', name, original: hasA ? 'present' : 'missing', reproduced: hasB ? 'present' : 'missing', absolute: null, relative: null, withinTolerance: false, note: 'a prediction set is missing' });
      cellsBeyond++;
      continue;
    }
    const t = compareTables(name, readFileSync(fa!), readFileSync(fb!), tol, { tsv: /\.tsv$/i.test(fa!), maxListed: Math.max(0, 50 - differingCells) });
    predictionCells += t.cells;
    differingCells += t.differingCells;
    cellsBeyond += t.beyond;
    differences.push(...t.differences);
    notes.push(...t.notes);
  }

  const artifactPaths = [...new Set([...run.artifacts.map((a) => a.path), ...re.artifacts.map((a) => a.path)])].sort();
  for (const path of artifactPaths) push(exact('artifact', path, run.artifacts.find((a) => a.path === path)?.md5 ?? null, re.artifacts.find((a) => a.path === path)?.md5 ?? null, 'the md5 differs'));

  let files: number | undefined;
  if (run.written && re.written) {
    const wa = new Map(run.written.files.map((f) => [f.path, f]));
    const wb = new Map(re.written.files.map((f) => [f.path, f]));
    const paths = [...new Set([...wa.keys(), ...wb.keys()])].sort();
    files = paths.length;
    for (const path of paths) push(fileDifference(path, endOf(wa, path), endOf(wb, path), original, rerun));
    if (run.written.limited) notes.push(`written files of the original run: ${run.written.limited}`);
    if (re.written.limited) notes.push(`written files of the re-run: ${re.written.limited}`);
  } else {
    notes.push('the files written in the working tree were not compared: the original run was recorded before Provenant recorded them');
  }

  const output = { stdout: 0, stderr: 0 };
  for (const stream of ['stdout', 'stderr'] as const) {
    const fa = runFile(original.root, run.id, `${stream}.log`);
    const fb = runFile(rerun.root, re.id, `${stream}.log`);
    const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
    if (size(fa) > MAX_COMPARED_OUTPUT || size(fb) > MAX_COMPARED_OUTPUT) {
      // Too long to read into memory: compared by hash, exactly.
      const ha = existsSync(fa) ? sha256File(fa) : null;
      const hb = existsSync(fb) ? sha256File(fb) : null;
      output[stream] = 1;
      push(exact('output', stream, ha && `sha256 ${ha.slice(0, 12)}`, hb && `sha256 ${hb.slice(0, 12)}`, `over ${MAX_COMPARED_OUTPUT / 1024 / 1024} MiB: compared by hash, without placeholders`));
      continue;
    }
    const a = neutralize(readText(runFile(original.root, run.id, `${stream}.log`)), spellings(original.root), [run.id]);
    const b = neutralize(readText(runFile(rerun.root, re.id, `${stream}.log`)), spellings(rerun.root), [re.id]);
    output[stream] = Math.max(lineCount(a), lineCount(b));
    push(compareOutput(stream, a, b, tol));
  }

  const listedBeyond = differences.filter((d) => !d.withinTolerance && d.kind !== 'prediction').length;
  const beyond = listedBeyond + cellsBeyond;
  const compared = { metrics: metricNames.length, params: paramNames.length, predictionCells, predictionSets: sets.length, artifacts: artifactPaths.length, ...(files !== undefined ? { files } : {}), output };
  const evidence = compared.metrics + compared.predictionCells + compared.predictionSets + compared.artifacts + (files ?? 0) + output.stdout + output.stderr;
  return { differences, differingCells, beyond, compared, evidence, notes };
}

/** identical only with evidence and no difference; any difference beyond tolerance is diverged. */
export function verdictOf(c: Pick<ReproductionComparison, 'beyond' | 'differences' | 'evidence'>): Exclude<ReproductionVerdict, 'missing-input'> {
  if (c.beyond > 0) return 'diverged';
  if (c.evidence === 0) return 'unverified';
  return c.differences.length > 0 ? 'within-tolerance' : 'identical';
}
