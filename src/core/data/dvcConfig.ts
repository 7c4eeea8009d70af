import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ProvenantError } from '../util/errors';
import { LINK_TYPES, type LinkType } from './objectStore';

/** `.dvc/config` after merging `.dvc/config.local` over it: section → key → value, all lower-cased. */
export type IniSections = Record<string, Record<string, string>>;

export interface DvcRemote {
  name: string;
  /** As written; a relative local path is resolved against the config file's folder. */
  url: string;
}

export interface DvcConfig {
  sections: IniSections;
  /** Absolute cache directory (`cache.dir`, default `.dvc/cache`). */
  cacheDir: string;
  /** `cache.type`, default `reflink,copy`. */
  linkTypes: LinkType[];
  remotes: DvcRemote[];
  /** `core.remote`, lower-cased. */
  defaultRemote: string | undefined;
  /** `core.hardlink_lock`: the repository lock is a flufl (hard link) lock, not a flock. */
  hardlinkLock: boolean;
}

export const CONFIG_FILE = 'config';
export const CONFIG_LOCAL_FILE = 'config.local';
const DEFAULT_LINK_TYPES: LinkType[] = ['reflink', 'copy'];

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) return v.slice(1, -1);
  return v;
}

/** Section name as DVC uses it: `remote "name"` (ConfigObj writes it as `['remote "name"']`). */
function sectionName(raw: string): string {
  const inner = unquote(raw.trim());
  const m = /^(\w+)\s+"([^"]*)"$/.exec(inner);
  return m ? `${m[1]!.toLowerCase()} "${m[2]!.toLowerCase()}"` : inner.toLowerCase();
}

/** Strips a ConfigObj inline comment (a `#` outside quotes). */
function stripComment(value: string): string {
  let quote: string | undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return value.slice(0, i);
  }
  return value;
}

/** Parses ConfigObj INI as DVC writes it. A malformed line is an error naming the file and line. */
export function parseIni(text: string, file: string): IniSections {
  const sections: IniSections = {};
  let current: Record<string, string> | undefined;
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const header = /^\[(.+)\]\s*(#.*)?$/.exec(trimmed);
    if (header) {
      const name = sectionName(header[1]!);
      current = sections[name] ??= {};
      return;
    }
    const eq = trimmed.indexOf('=');
    if (eq <= 0 || current === undefined) {
      throw new ProvenantError(`${file}: line ${index + 1} is not "key = value" inside a [section]: ${JSON.stringify(trimmed)}`, {
        file,
        hint: 'Fix the line, or run `dvc config` to edit the file.',
        code: 'E_BAD_DVC_CONFIG',
      });
    }
    current[trimmed.slice(0, eq).trim().toLowerCase()] = unquote(stripComment(trimmed.slice(eq + 1)));
  });
  return sections;
}

function readIni(file: string): IniSections {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ProvenantError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? err})`, { file, code: 'E_READ_FILE' });
  }
  return parseIni(text, file);
}

function parseBool(value: string | undefined): boolean {
  return value !== undefined && /^(true|yes|on|1)$/i.test(value.trim());
}

/** Parses `cache.type` ("reflink,copy"); unknown names are an error naming the config file. */
export function parseLinkTypes(value: string | undefined, file: string): LinkType[] {
  if (value === undefined || value.trim() === '') return [...DEFAULT_LINK_TYPES];
  const types = value
    .replace(/^\[|\]$/g, '')
    .split(',')
    .map((t) => unquote(t).trim().toLowerCase())
    .filter(Boolean);
  for (const t of types) {
    if (!(LINK_TYPES as readonly string[]).includes(t)) {
      throw new ProvenantError(`${file}: cache.type "${t}" is not one of ${LINK_TYPES.join(', ')}`, { file, code: 'E_BAD_DVC_CONFIG' });
    }
  }
  return types as LinkType[];
}

/** A local path value resolved against the folder of the config file that set it; URLs stay as is. */
function resolveLocal(value: string, configDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  return isAbsolute(value) ? value : resolve(configDir, value);
}

/**
 * `.dvc/config` with `.dvc/config.local` over it (DVC's system and global levels are not read).
 * Relative `cache.dir` and remote urls resolve against the folder of the file that set them.
 */
export function loadDvcConfig(dvcDir: string): DvcConfig {
  const files = [join(dvcDir, CONFIG_FILE), join(dvcDir, CONFIG_LOCAL_FILE)];
  const sections: IniSections = {};
  /** Which file set each section.key last, for resolving relative paths. */
  const origin = new Map<string, string>();
  for (const file of files) {
    for (const [name, values] of Object.entries(readIni(file))) {
      const target = (sections[name] ??= {});
      for (const [k, v] of Object.entries(values)) {
        target[k] = v;
        origin.set(`${name}.${k}`, file);
      }
    }
  }
  const fileOf = (key: string): string => origin.get(key) ?? files[0]!;
  const cacheDirValue = sections.cache?.dir;
  const cacheDir = cacheDirValue ? resolveLocal(cacheDirValue, dirname(fileOf('cache.dir'))) : join(dvcDir, 'cache');
  const remotes: DvcRemote[] = [];
  for (const [name, values] of Object.entries(sections)) {
    const m = /^remote "(.*)"$/.exec(name);
    if (m && values.url !== undefined) remotes.push({ name: m[1]!, url: resolveLocal(values.url, dirname(fileOf(`${name}.url`))) });
  }
  return {
    sections,
    cacheDir,
    linkTypes: parseLinkTypes(sections.cache?.type, fileOf('cache.type')),
    remotes,
    defaultRemote: sections.core?.remote?.toLowerCase(),
    hardlinkLock: parseBool(sections.core?.hardlink_lock),
  };
}
