import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, extname, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { flattenMetrics, flattenParams } from '../runs/flatten';
import { isInside } from '../util/paths';
import type { ArtifactRecord, ParamValue, PredictionSet } from '../runs/types';

/**
 * What a script reports, from files in its run folder (written by the Python helper or by any
 * program) and from DVCLive's output. Unreadable files are reported in `warnings`, never fatal:
 * the run's record must still be written.
 */
export interface Collected {
  params: Record<string, ParamValue>;
  metrics: Record<string, number>;
  seeded: string[];
  predictions: PredictionSet[];
  artifacts: ArtifactRecord[];
  warnings: string[];
}

/** Artifacts up to this size are copied into the run folder. */
export const STORED_ARTIFACT_LIMIT = 10 * 1024 * 1024;

function readJson(file: string, warnings: string[]): unknown {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    warnings.push(`${basename(file)} is not valid JSON and was ignored (${(err as Error).message})`);
    return undefined;
  }
}

function readYaml(file: string, warnings: string[]): unknown {
  if (!existsSync(file)) return undefined;
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    warnings.push(`${file} is not valid YAML and was ignored (${(err as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

function md5File(file: string): string {
  return createHash('md5').update(readFileSync(file)).digest('hex');
}

/** True when the file was written during this run (DVCLive output of an earlier run must not be taken). */
function writtenSince(file: string, startedMs: number): boolean {
  return existsSync(file) && statSync(file).mtimeMs >= startedMs - 1000;
}

/** DVCLive step files (`dvclive/plots/metrics/<name>.tsv`) appended to the run's metric history. */
function collectDvcliveHistory(root: string, runDir: string, startedMs: number): void {
  const base = join(root, 'dvclive', 'plots', 'metrics');
  if (!existsSync(base)) return;
  const lines: string[] = [];
  const walk = (dir: string) => {
    for (const dirent of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, dirent.name);
      if (dirent.isDirectory()) walk(full);
      else if (extname(dirent.name) === '.tsv' && writtenSince(full, startedMs)) {
        const name = relative(base, full).slice(0, -4).split('\\').join('/');
        const [header, ...rows] = readFileSync(full, 'utf8').trim().split('\n');
        const columns = (header ?? '').split('\t');
        const stepAt = columns.indexOf('step');
        const valueAt = columns.indexOf(basename(name));
        if (valueAt < 0) continue;
        for (const row of rows) {
          const cells = row.split('\t');
          const value = Number(cells[valueAt]);
          if (Number.isFinite(value)) lines.push(JSON.stringify({ name, value, step: stepAt >= 0 ? Number(cells[stepAt]) : null, timestamp: null }));
        }
      }
    }
  };
  walk(base);
  if (lines.length) appendFileSync(join(runDir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
}

/** `y_proba` of predictions.json: class labels and their probability columns, when both agree. */
function probaOf(value: unknown): Pick<PredictionSet, 'yProba'> {
  if (!value || typeof value !== 'object') return {};
  const { classes, columns } = value as Record<string, unknown>;
  const ok = (v: unknown): v is string[] => Array.isArray(v) && v.length >= 2 && v.every((x) => typeof x === 'string');
  return ok(classes) && ok(columns) && classes.length === columns.length ? { yProba: { classes, columns } } : {};
}

function collectPredictions(runDir: string, warnings: string[]): PredictionSet[] {
  const meta = readJson(join(runDir, 'predictions.json'), warnings);
  if (!meta || typeof meta !== 'object') return [];
  const sets: PredictionSet[] = [];
  for (const [name, value] of Object.entries(meta as Record<string, Record<string, unknown>>)) {
    const file = typeof value?.file === 'string' ? value.file : null;
    if (!file || !existsSync(join(runDir, file)) || basename(file) !== file) {
      warnings.push(`predictions "${name}": its CSV file is missing and was ignored`);
      continue;
    }
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    sets.push({
      name,
      file,
      rows: typeof value.rows === 'number' ? value.rows : 0,
      columns: strings(value.columns),
      yTrue: typeof value.y_true === 'string' ? value.y_true : 'y_true',
      yScore: typeof value.y_score === 'string' ? value.y_score : null,
      yPred: typeof value.y_pred === 'string' ? value.y_pred : null,
      features: strings(value.features),
      ...probaOf(value.y_proba),
    });
  }
  return sets;
}

function collectArtifacts(root: string, runDir: string, warnings: string[]): ArtifactRecord[] {
  const listed = readJson(join(runDir, 'artifacts.json'), warnings);
  if (!Array.isArray(listed)) return [];
  const records: ArtifactRecord[] = [];
  for (const entry of listed) {
    if (typeof entry !== 'string') continue;
    const absolute = resolve(root, entry);
    if (!existsSync(absolute) || !statSync(absolute).isFile()) {
      warnings.push(`artifact "${entry}" does not exist at the end of the run`);
      continue;
    }
    const size = statSync(absolute).size;
    const path = isInside(root, absolute) ? relative(root, absolute).split('\\').join('/') : absolute;
    const record: ArtifactRecord = { path, md5: md5File(absolute), size };
    if (size <= STORED_ARTIFACT_LIMIT) {
      const stored = `artifacts/${basename(absolute)}`;
      mkdirSync(join(runDir, 'artifacts'), { recursive: true });
      copyFileSync(absolute, join(runDir, stored));
      record.stored = stored;
    }
    records.push(record);
  }
  return records;
}

export function collectRunOutputs(root: string, runDir: string, paramsFile: string, startedMs: number): Collected {
  const warnings: string[] = [];
  const params: Record<string, ParamValue> = {};
  Object.assign(params, flattenParams(readYaml(join(root, paramsFile), warnings)));
  const dvcliveParams = join(root, 'dvclive', 'params.yaml');
  if (writtenSince(dvcliveParams, startedMs)) Object.assign(params, flattenParams(readYaml(dvcliveParams, warnings)));
  Object.assign(params, flattenParams(readJson(join(runDir, 'params.json'), warnings)));

  const metrics: Record<string, number> = {};
  const dvcliveMetrics = join(root, 'dvclive', 'metrics.json');
  if (writtenSince(dvcliveMetrics, startedMs)) {
    Object.assign(metrics, flattenMetrics(readJson(dvcliveMetrics, warnings)));
    collectDvcliveHistory(root, runDir, startedMs);
  }
  Object.assign(metrics, flattenMetrics(readJson(join(runDir, 'metrics.json'), warnings)));

  const seededFile = readJson(join(runDir, 'seeded.json'), warnings) as { libraries?: Record<string, unknown> } | undefined;
  const seeded = seededFile?.libraries && typeof seededFile.libraries === 'object' ? Object.keys(seededFile.libraries).sort() : [];

  return { params, metrics, seeded, predictions: collectPredictions(runDir, warnings), artifacts: collectArtifacts(root, runDir, warnings), warnings };
}
