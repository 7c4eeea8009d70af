import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, posix, resolve } from 'node:path';
import { isMap, isScalar, isSeq, Scalar, visit, type Document, type YAMLMap } from 'yaml';
import { ProvenantError } from '../util/errors';
import { isInside, toPosixRelative } from '../util/paths';
import { md5Bytes } from './md5';
import { pythonJsonDumps } from './pyJson';
import { documentToDvcYaml, lineOf, parseDvcYaml, toDvcYaml } from './yamlFormat';

export const DVC_FILE_SUFFIX = '.dvc';

/** `md5` (DVC 3) when the entry says `hash: md5`; otherwise the legacy DVC 2 `md5-dos2unix`. */
export type HashName = 'md5' | 'md5-dos2unix';

/** One entry of `outs` (or `deps`) of a `.dvc` file or a `dvc.lock` stage. */
export interface TrackedEntry {
  /** The path as written in the file. */
  path: string;
  /** Workspace-relative POSIX path. */
  relPath: string;
  absPath: string;
  /** The object id: an md5, or `<md5>.dir` for a directory; undefined when not computed yet. */
  md5: string | undefined;
  hashName: HashName;
  size: number | undefined;
  nfiles: number | undefined;
  isexec: boolean;
  /** `cache: false` outputs are tracked by hash only, never stored. */
  cache: boolean;
  isDir: boolean;
  /** Index in its list (`outs` or `deps`). */
  index: number;
}

export interface DvcFile {
  /** Workspace-relative POSIX path of the `.dvc` file. */
  file: string;
  absFile: string;
  /** Absolute working directory (the file's folder joined with `wdir`). */
  wdir: string;
  outs: TrackedEntry[];
  deps: TrackedEntry[];
  /** Stage md5 (imports only). */
  md5: string | undefined;
  frozen: boolean;
  text: string;
}

const TOP_KEYS = new Set(['md5', 'cmd', 'wdir', 'deps', 'outs', 'frozen', 'locked', 'meta', 'always_changed', 'desc']);
const OUT_KEYS = new Set([
  'path', 'md5', 'etag', 'checksum', 'size', 'nfiles', 'isexec', 'version_id', 'cloud', 'hash', 'desc', 'type', 'labels', 'meta',
  'cache', 'persist', 'remote', 'push', 'files', 'metric', 'plot', 'checkpoint',
]);
const DEP_KEYS = new Set(['path', 'md5', 'etag', 'checksum', 'size', 'nfiles', 'isexec', 'version_id', 'hash', 'repo', 'db', 'fs_config', 'files']);

function schemaError(file: string, text: string, doc: Document.Parsed | undefined, path: (string | number)[], why: string): ProvenantError {
  const line = doc ? lineOf(text, doc, path) : undefined;
  const where = path.length ? ` at ${path.join('.')}` : '';
  return new ProvenantError(`${file} is not a valid DVC file${where}${line ? ` (line ${line})` : ''}: ${why}`, {
    file,
    hint: 'Fix the file by hand, or restore it from git (`git checkout -- <file>`).',
    code: 'E_BAD_DVC_FILE',
  });
}

/** DVC's CHECKSUM_SCHEMA: a string, or an int coerced to one; at least 3 characters; lower-cased. */
function checksum(value: unknown, fail: (why: string) => ProvenantError, keepCase = false): string {
  if (typeof value === 'number' && Number.isInteger(value)) value = String(value);
  if (typeof value !== 'string' || value.length < 3) throw fail('a hash must be a string of at least 3 characters');
  return keepCase ? value : value.toLowerCase();
}

/**
 * Resolves an entry path against the stage's working directory, refusing absolute paths and any
 * that leaves the workspace. `source` names the file it came from.
 */
export function resolveEntryPath(root: string, wdir: string, path: string, source: string): { absPath: string; relPath: string } {
  if (isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\')) {
    throw new ProvenantError(`${source}: the path "${path}" is absolute; DVC files of this workspace must use paths inside it`, {
      file: source,
      hint: 'Use a path relative to the file, without "..".',
      code: 'E_PATH_ESCAPE',
    });
  }
  const absPath = resolve(wdir, path);
  if (!isInside(root, absPath) || absPath === root) {
    throw new ProvenantError(`${source}: the path "${path}" lies outside the workspace`, {
      file: source,
      hint: 'Use a path relative to the file, without "..".',
      code: 'E_PATH_ESCAPE',
    });
  }
  return { absPath, relPath: toPosixRelative(root, absPath) };
}

/** Reads one `outs`/`deps`/lock entry (already known to be a mapping). */
export function readEntry(
  raw: Record<string, unknown>,
  index: number,
  ctx: { root: string; wdir: string; file: string; text: string; doc?: Document.Parsed; at: (string | number)[]; allowed: Set<string>; backslashes?: boolean },
): TrackedEntry {
  const fail = (why: string, key?: string) => schemaError(ctx.file, ctx.text, ctx.doc, key ? [...ctx.at, key] : ctx.at, why);
  for (const key of Object.keys(raw)) if (!ctx.allowed.has(key)) throw fail(`unknown key "${key}"`, key);
  if (typeof raw.path !== 'string' || raw.path === '') throw fail('"path" must be a non-empty string', 'path');
  const path = ctx.backslashes ? raw.path.replace(/\\/g, '/') : raw.path;
  for (const key of ['size', 'nfiles'] as const) {
    if (raw[key] !== undefined && raw[key] !== null && !(typeof raw[key] === 'number' && Number.isInteger(raw[key]) && (raw[key] as number) >= 0)) {
      throw fail(`"${key}" must be a non-negative integer`, key);
    }
  }
  for (const key of ['isexec', 'cache', 'persist', 'push'] as const) {
    if (raw[key] !== undefined && typeof raw[key] !== 'boolean') throw fail(`"${key}" must be true or false`, key);
  }
  if (raw.hash !== undefined && raw.hash !== 'md5') throw fail(`"hash" must be md5, not ${JSON.stringify(raw.hash)}`, 'hash');
  const md5 = raw.md5 === undefined || raw.md5 === null ? undefined : checksum(raw.md5, (why) => fail(why, 'md5'));
  if (md5 !== undefined && !/^[0-9a-f]{32}(\.dir)?$/.test(md5)) throw fail(`"md5" is not an md5 (${md5})`, 'md5');
  const { absPath, relPath } = resolveEntryPath(ctx.root, ctx.wdir, path, ctx.file);
  return {
    path: raw.path,
    relPath,
    absPath,
    md5,
    hashName: raw.hash === 'md5' ? 'md5' : 'md5-dos2unix',
    size: typeof raw.size === 'number' ? raw.size : undefined,
    nfiles: typeof raw.nfiles === 'number' ? raw.nfiles : undefined,
    isexec: raw.isexec === true,
    cache: raw.cache !== false,
    isDir: md5 !== undefined ? md5.endsWith('.dir') : false,
    index,
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses and checks a `.dvc` file against DVC's single-stage schema. Invalid YAML, an unknown key, a
 * wrongly typed value or a path leaving the workspace is an error naming the file (and the line).
 */
export function parseDvcFile(root: string, absFile: string, text?: string): DvcFile {
  const workspace = resolve(root);
  const file = toPosixRelative(workspace, absFile);
  let content: string;
  try {
    content = text ?? readFileSync(absFile, 'utf8');
  } catch (err) {
    throw new ProvenantError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? err})`, { file, code: 'E_READ_FILE' });
  }
  const { doc, value } = parseDvcYaml(content, file, 'E_BAD_DVC_FILE');
  const fail = (path: (string | number)[], why: string) => schemaError(file, content, doc, path, why);
  const top = value === null || value === undefined ? {} : value;
  if (!isPlainObject(top)) throw fail([], 'expected a mapping at the top');
  for (const key of Object.keys(top)) if (!TOP_KEYS.has(key)) throw fail([key], `unknown key "${key}"`);
  if (top.wdir !== undefined && top.wdir !== null && typeof top.wdir !== 'string') throw fail(['wdir'], '"wdir" must be a string');
  const wdirValue = typeof top.wdir === 'string' ? top.wdir : '.';
  const wdir = resolve(dirname(absFile), wdirValue);
  if (isAbsolute(wdirValue) || !isInside(workspace, wdir)) {
    throw new ProvenantError(`${file}: wdir "${wdirValue}" lies outside the workspace`, { file, code: 'E_PATH_ESCAPE' });
  }
  const list = (key: 'outs' | 'deps', allowed: Set<string>): TrackedEntry[] => {
    const items = top[key];
    if (items === undefined || items === null) return [];
    if (!Array.isArray(items)) throw fail([key], `"${key}" must be a list`);
    return items.map((item, i) => {
      if (!isPlainObject(item)) throw fail([key, i], 'each entry must be a mapping with a "path"');
      return readEntry(item, i, { root: workspace, wdir, file, text: content, doc, at: [key, i], allowed });
    });
  };
  const outs = list('outs', OUT_KEYS);
  const deps = list('deps', DEP_KEYS);
  const md5 = top.md5 === undefined || top.md5 === null ? undefined : checksum(top.md5, (why) => fail(['md5'], why));
  return { file, absFile, wdir, outs, deps, md5, frozen: top.frozen === true || top.locked === true, text: content };
}

/** What `dvc add` records for one output. */
export interface OutputRecord {
  md5: string;
  size: number;
  /** Directories only. */
  nfiles?: number;
  isexec?: boolean;
  path: string;
}

/** An `outs` entry in DVC 3's fresh key order (`Output.dumpd`). */
export function outputDump(out: OutputRecord): Record<string, unknown> {
  return {
    md5: out.md5,
    size: out.size,
    ...(out.nfiles !== undefined ? { nfiles: out.nfiles } : {}),
    ...(out.isexec ? { isexec: true } : {}),
    hash: 'md5',
    path: out.path,
  };
}

/** The text of a new `.dvc` file, byte for byte as `dvc add` writes it. */
export function freshDvcFileText(outs: readonly OutputRecord[]): string {
  return toDvcYaml({ outs: outs.map(outputDump) });
}

/**
 * Rewrites output `index` of an existing `.dvc` text with a new version, the way DVC applies a diff
 * to the round-trip document: comments, other keys and key order are kept, changed values are
 * replaced in place, new keys (`hash: md5` on a legacy entry) go at the end, stale ones are removed.
 */
export function updateDvcFileText(text: string, file: string, index: number, out: OutputRecord): string {
  const { doc } = parseDvcYaml(text, file, 'E_BAD_DVC_FILE');
  const outs = doc.get('outs', true);
  const item = isSeq(outs) ? outs.items[index] : undefined;
  if (!isMap(item)) throw new ProvenantError(`${file} has no output ${index}`, { file, code: 'E_BAD_DVC_FILE' });
  const map = item as YAMLMap;
  const dump = outputDump(out);
  for (const stale of ['etag', 'checksum', 'nfiles', 'isexec']) if (!(stale in dump)) map.delete(stale);
  for (const [key, value] of Object.entries(dump)) {
    if (key === 'path') continue;
    const existing = map.get(key, true);
    if (isScalar(existing)) existing.value = value;
    else map.set(key, value);
  }
  resetQuoting(doc);
  return documentToDvcYaml(doc);
}

/** ruamel's round-trip loader does not keep quotes: strings are re-emitted plain where possible. */
function resetQuoting(doc: Document): void {
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE || node.type === Scalar.PLAIN)) {
        node.type = undefined;
      }
    },
  });
}

/** Keys left out of the stage md5 at every level (`stage/utils.py::compute_md5`). */
const STAGE_MD5_EXCLUDE = new Set(['desc', 'type', 'labels', 'meta', 'locked', 'frozen', 'metric', 'persist', 'isexec', 'size', 'nfiles']);

function filterKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(filterKeys);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!STAGE_MD5_EXCLUDE.has(k)) out[k] = filterKeys(v);
    return out;
  }
  return value;
}

/**
 * The stage md5 DVC writes for imports: the stage dump without md5, meta, desc (and wdir when "."),
 * without the excluded keys at any depth, as `json.dumps(sort_keys=True)`, md5'd.
 */
export function computeStageMd5(dump: Record<string, unknown>): string {
  const d: Record<string, unknown> = { ...dump };
  delete d.md5;
  delete d.meta;
  delete d.desc;
  if (d.wdir === '.') delete d.wdir;
  return md5Bytes(Buffer.from(pythonJsonDumps(filterKeys(d)), 'utf8'));
}

/** `<dir>/<name>.dvc` for a workspace-relative output path, and the `path` written inside it. */
export function dvcFileFor(relPath: string): { dvcFile: string; pathInFile: string } {
  return { dvcFile: `${relPath}${DVC_FILE_SUFFIX}`, pathInFile: posix.basename(relPath) };
}
