import { existsSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { ProvenantError } from '../util/errors';
import { isInside, toPosixRelative } from '../util/paths';
import { readEntry, resolveEntryPath, type TrackedEntry } from './dvcFile';
import { parseDvcYaml } from './yamlFormat';

export const DVC_YAML = 'dvc.yaml';
export const DVC_LOCK = 'dvc.lock';
export const DEFAULT_PARAMS_FILE = 'params.yaml';

/** One `params` reference of a stage: keys of a file, or the whole file (`keys: null`). */
export interface ParamsRef {
  file: string;
  keys: string[] | null;
}

export interface StageOut {
  path: string;
  cache: boolean;
}

/** A stage of `dvc.yaml` after `foreach`/`matrix` expansion and `${}` interpolation. */
export interface StageDef {
  name: string;
  cmd: string | string[];
  /** Absolute working directory. */
  wdir: string;
  deps: string[];
  params: ParamsRef[];
  /** outs, metrics and plots. */
  outs: StageOut[];
  frozen: boolean;
  alwaysChanged: boolean;
}

export interface LockStage {
  name: string;
  cmd: string | string[] | undefined;
  deps: TrackedEntry[];
  params: Record<string, Record<string, unknown>>;
  outs: TrackedEntry[];
}

export interface Pipeline {
  /** Workspace-relative POSIX path of dvc.yaml. */
  file: string;
  lockFile: string;
  stages: StageDef[];
  lock: Map<string, LockStage>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function badFile(file: string, why: string, code = 'E_BAD_DVC_YAML'): ProvenantError {
  return new ProvenantError(`${file}: ${why}`, { file, hint: 'Fix the file by hand, or restore it from git.', code });
}

/** Reads a params file: `.json` as JSON, `.toml` and `.py` are not supported, anything else as YAML. */
export function readParamsFile(absFile: string, display: string): Record<string, unknown> {
  const text = readFileSync(absFile, 'utf8');
  const ext = extname(absFile).toLowerCase();
  let value: unknown;
  if (ext === '.json') {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw badFile(display, `not valid JSON (${(err as Error).message})`, 'E_BAD_PARAMS');
    }
  } else if (ext === '.toml' || ext === '.py') {
    throw badFile(display, `${ext} params files are not read by Provenant yet (YAML and JSON are)`, 'E_BAD_PARAMS');
  } else {
    value = parseDvcYaml(text, display, 'E_BAD_PARAMS').value;
  }
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) throw badFile(display, 'expected a mapping at the top', 'E_BAD_PARAMS');
  return value;
}

/** Walks `a.b.c` (and `a[0]`) through nested mappings and lists; undefined when absent. */
export function lookupDotted(data: unknown, key: string): unknown {
  if (isPlainObject(data) && key in data) return data[key];
  const parts = key.split('.').flatMap((p) => p.split(/\[(\d+)\]/).filter((s) => s !== ''));
  let cur: unknown = data;
  for (const part of parts) {
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
    else if (isPlainObject(cur) && part in cur) cur = cur[part];
    else return undefined;
  }
  return cur;
}

/** DVC's `to_str` for values put inside a string: booleans lower-case, the rest as text. */
function toStr(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

const INTERPOLATION = /\$\{\s*([^}]+?)\s*\}/g;

/** Replaces `${...}` in every string of `value` from `context`; a whole-string reference keeps its type. */
function interpolate(value: unknown, context: Record<string, unknown>, where: () => string): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{\s*([^}]+?)\s*\}$/.exec(value);
    const resolveKey = (key: string): unknown => {
      const found = lookupDotted(context, key);
      if (found === undefined) throw new ProvenantError(`${where()}: cannot interpolate "\${${key}}": no such variable`, { code: 'E_BAD_DVC_YAML' });
      return found;
    };
    if (whole) return resolveKey(whole[1]!);
    return value.replace(INTERPOLATION, (_m, key: string) => toStr(resolveKey(key)));
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, context, where));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[interpolate(k, context, where) as string] = interpolate(v, context, where);
    return out;
  }
  return value;
}

function isComplex(v: unknown): boolean {
  return typeof v === 'object' && v !== null;
}

/** `foreach` → `name@item`, `name@index` (complex items) or `name@key` (a mapping). */
function expandForeach(name: string, items: unknown, body: unknown): { name: string; context: Record<string, unknown>; body: unknown }[] {
  if (Array.isArray(items)) {
    return items.map((item, i) => ({ name: `${name}@${isComplex(item) ? i : toStr(item)}`, context: { item }, body }));
  }
  if (isPlainObject(items)) return Object.entries(items).map(([key, item]) => ({ name: `${name}@${key}`, context: { key, item }, body }));
  throw new ProvenantError(`stage "${name}": foreach must be a list or a mapping`, { code: 'E_BAD_DVC_YAML' });
}

/** `matrix` → one stage per combination, named `name@v1-v2` (complex values as `<var><index>`). */
function expandMatrix(name: string, matrix: Record<string, unknown>, body: unknown): { name: string; context: Record<string, unknown>; body: unknown }[] {
  let combos: { parts: string[]; item: Record<string, unknown> }[] = [{ parts: [], item: {} }];
  for (const [variable, values] of Object.entries(matrix)) {
    if (!Array.isArray(values)) throw new ProvenantError(`stage "${name}": matrix.${variable} must be a list`, { code: 'E_BAD_DVC_YAML' });
    combos = combos.flatMap((c) => values.map((v, i) => ({ parts: [...c.parts, isComplex(v) ? `${variable}${i}` : toStr(v)], item: { ...c.item, [variable]: v } })));
  }
  return combos.map((c) => ({ name: `${name}@${c.parts.join('-')}`, context: { item: c.item }, body }));
}

/** Global `vars`: mappings inline, or files (`file.yaml`, `file.yaml:key1,key2`) relative to dvc.yaml. */
function loadVars(vars: unknown, dir: string, file: string): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  const defaultParams = join(dir, DEFAULT_PARAMS_FILE);
  if (existsSync(defaultParams)) Object.assign(context, readParamsFile(defaultParams, DEFAULT_PARAMS_FILE));
  if (vars === undefined || vars === null) return context;
  if (!Array.isArray(vars)) throw badFile(file, '"vars" must be a list');
  for (const entry of vars) {
    if (isPlainObject(entry)) Object.assign(context, entry);
    else if (typeof entry === 'string') {
      const [name, keys] = entry.split(':', 2) as [string, string | undefined];
      const data = readParamsFile(resolve(dir, name), name);
      if (keys) for (const k of keys.split(',')) context[k] = lookupDotted(data, k);
      else Object.assign(context, data);
    } else throw badFile(file, '"vars" entries must be mappings or file names');
  }
  return context;
}

function stringList(value: unknown, what: string, stage: string, file: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw badFile(file, `stage "${stage}": ${what} must be a list of paths`);
  return value as string[];
}

/** outs/metrics/plots entries: a path, or `{path: {cache: false, ...}}`. */
function stageOuts(stage: Record<string, unknown>, name: string, file: string): StageOut[] {
  const outs: StageOut[] = [];
  for (const key of ['outs', 'metrics', 'plots']) {
    const list = stage[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw badFile(file, `stage "${name}": ${key} must be a list`);
    for (const item of list) {
      if (typeof item === 'string') outs.push({ path: item, cache: true });
      else if (isPlainObject(item) && Object.keys(item).length === 1) {
        const [path, opts] = Object.entries(item)[0]!;
        outs.push({ path, cache: !(isPlainObject(opts) && opts.cache === false) });
      } else if (key !== 'plots') throw badFile(file, `stage "${name}": each of ${key} must be a path or {path: {options}}`);
    }
  }
  return outs;
}

/** `params:` entries: `key`, `{file: [keys]}` or `{file: null}` (the whole file). */
function stageParams(value: unknown, name: string, file: string): ParamsRef[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badFile(file, `stage "${name}": params must be a list`);
  const byFile = new Map<string, string[] | null>();
  for (const entry of value) {
    if (typeof entry === 'string') {
      const keys = byFile.get(DEFAULT_PARAMS_FILE);
      byFile.set(DEFAULT_PARAMS_FILE, [...(keys ?? []), entry]);
    } else if (isPlainObject(entry)) {
      for (const [f, keys] of Object.entries(entry)) {
        if (keys === null || (Array.isArray(keys) && keys.length === 0)) byFile.set(f, null);
        else if (Array.isArray(keys) && keys.every((k) => typeof k === 'string')) byFile.set(f, [...(byFile.get(f) ?? []), ...(keys as string[])]);
        else throw badFile(file, `stage "${name}": params of ${f} must be a list of keys`);
      }
    } else throw badFile(file, `stage "${name}": params entries must be keys or {file: [keys]}`);
  }
  return [...byFile].map(([f, keys]) => ({ file: f, keys }));
}

function readStage(name: string, raw: unknown, context: Record<string, unknown>, dir: string, file: string, root: string): StageDef {
  const stage = interpolate(raw, context, () => `${file}: stage "${name}"`);
  if (!isPlainObject(stage)) throw badFile(file, `stage "${name}" must be a mapping`);
  const cmd = stage.cmd;
  if (!(typeof cmd === 'string' || (Array.isArray(cmd) && cmd.every((c) => typeof c === 'string')))) throw badFile(file, `stage "${name}" needs a cmd (a string or a list)`);
  const wdirValue = typeof stage.wdir === 'string' ? stage.wdir : '.';
  const wdir = resolve(dir, wdirValue);
  if (!isInside(root, wdir)) throw new ProvenantError(`${file}: stage "${name}": wdir "${wdirValue}" lies outside the workspace`, { file, code: 'E_PATH_ESCAPE' });
  const def: StageDef = {
    name,
    cmd: cmd as string | string[],
    wdir,
    deps: stringList(stage.deps, 'deps', name, file),
    params: stageParams(stage.params, name, file),
    outs: stageOuts(stage, name, file),
    frozen: stage.frozen === true,
    alwaysChanged: stage.always_changed === true,
  };
  for (const p of [...def.deps, ...def.outs.map((o) => o.path)]) resolveEntryPath(root, wdir, p.replace(/\\/g, '/'), file);
  return def;
}

function readLock(root: string, absLock: string, lockFile: string, dir: string, stageWdirs: Map<string, string>): Map<string, LockStage> {
  if (!existsSync(absLock)) return new Map();
  return parseLockText(root, readFileSync(absLock, 'utf8'), lockFile, dir, stageWdirs);
}

/**
 * Parses a `dvc.lock` (schema '2.0'). `dir` is the folder holding it; stages run in `stageWdirs`
 * (from dvc.yaml) or there. Invalid YAML, a wrong schema or a path leaving the workspace is an error
 * naming the file.
 */
export function parseLockText(root: string, text: string, lockFile: string, dir: string, stageWdirs: Map<string, string> = new Map()): Map<string, LockStage> {
  const lock = new Map<string, LockStage>();
  const { doc, value } = parseDvcYaml(text, lockFile, 'E_BAD_DVC_LOCK');
  const fail = (why: string) => new ProvenantError(`${lockFile} is not a valid lock file: ${why}`, { file: lockFile, hint: 'Restore it from git, or run `dvc repro` / `dvc commit` to rewrite it.', code: 'E_BAD_DVC_LOCK' });
  if (value === null || value === undefined) return lock;
  if (!isPlainObject(value)) throw fail('expected a mapping at the top');
  if (value.schema !== '2.0') throw fail(`unsupported schema ${JSON.stringify(value.schema)} (expected '2.0')`);
  const stages = value.stages ?? {};
  if (!isPlainObject(stages)) throw fail('"stages" must be a mapping');
  for (const [name, raw] of Object.entries(stages)) {
    if (!isPlainObject(raw)) throw fail(`stage "${name}" must be a mapping`);
    const wdir = stageWdirs.get(name) ?? dir;
    const entries = (key: 'deps' | 'outs'): TrackedEntry[] => {
      const list = raw[key];
      if (list === undefined || list === null) return [];
      if (!Array.isArray(list)) throw fail(`stages.${name}.${key} must be a list`);
      return list.map((item, i) => {
        if (!isPlainObject(item)) throw fail(`stages.${name}.${key}[${i}] must be a mapping`);
        return readEntry(item, i, {
          root,
          wdir,
          file: lockFile,
          text,
          doc,
          at: ['stages', name, key, i],
          allowed: new Set(['path', 'hash', 'md5', 'etag', 'checksum', 'size', 'nfiles', 'isexec', 'version_id', 'cloud', 'files', 'repo', 'db']),
          backslashes: true,
        });
      });
    };
    const params = raw.params ?? {};
    if (!isPlainObject(params) || Object.values(params).some((v) => !isPlainObject(v))) throw fail(`stages.${name}.params must map files to {key: value}`);
    const cmd = raw.cmd;
    lock.set(name, { name, cmd: typeof cmd === 'string' || Array.isArray(cmd) ? (cmd as string | string[]) : undefined, deps: entries('deps'), params: params as Record<string, Record<string, unknown>>, outs: entries('outs') });
  }
  return lock;
}

/**
 * Reads `dvc.yaml` (stages expanded, `${}` resolved from `vars` and params.yaml) and its `dvc.lock`.
 * Undefined when the folder has no dvc.yaml and no dvc.lock.
 */
export function loadPipeline(root: string, dir = root): Pipeline | undefined {
  const workspace = resolve(root);
  const absYaml = join(dir, DVC_YAML);
  const absLock = join(dir, DVC_LOCK);
  const file = toPosixRelative(workspace, absYaml);
  const lockFile = toPosixRelative(workspace, absLock);
  if (!existsSync(absYaml) && !existsSync(absLock)) return undefined;
  const stages: StageDef[] = [];
  if (existsSync(absYaml)) {
    const { value } = parseDvcYaml(readFileSync(absYaml, 'utf8'), file, 'E_BAD_DVC_YAML');
    const top = value ?? {};
    if (!isPlainObject(top)) throw badFile(file, 'expected a mapping at the top');
    const context = loadVars(top.vars, dir, file);
    const rawStages = top.stages ?? {};
    if (!isPlainObject(rawStages)) throw badFile(file, '"stages" must be a mapping');
    for (const [name, raw] of Object.entries(rawStages)) {
      if (isPlainObject(raw) && 'foreach' in raw) {
        const items = interpolate(raw.foreach, context, () => `${file}: stage "${name}"`);
        for (const x of expandForeach(name, items, raw.do)) stages.push(readStage(x.name, x.body, { ...context, ...x.context }, dir, file, workspace));
      } else if (isPlainObject(raw) && 'matrix' in raw) {
        const matrix = interpolate(raw.matrix, context, () => `${file}: stage "${name}"`);
        if (!isPlainObject(matrix)) throw badFile(file, `stage "${name}": matrix must be a mapping`);
        const { matrix: _m, ...body } = raw;
        for (const x of expandMatrix(name, matrix, body)) stages.push(readStage(x.name, x.body, { ...context, ...x.context }, dir, file, workspace));
      } else stages.push(readStage(name, raw, context, dir, file, workspace));
    }
  }
  const lock = readLock(workspace, absLock, lockFile, dir, new Map(stages.map((s) => [s.name, s.wdir])));
  return { file, lockFile, stages, lock };
}
