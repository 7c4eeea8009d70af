/**
 * Whether a pip requirements file pins the environment it describes. A requirement is pinned
 * when it names one exact version (`==1.2.3`, not `==1.*`; or `===x`), when its line carries
 * `--hash=` options (pip's hash-checking mode), or when it is a direct reference to one archive
 * (`name @ https://…/name-1.0.whl`, a VCS URL at a full commit hash). `>=`, `~=`, ranges, bare
 * names, local folders and editable installs are unpinned: the environment cannot be rebuilt
 * from them. Constraint files (`-c`) pin the names they fix; includes (`-r`) are followed.
 */

export interface Requirement {
  /** Normalized project name (PEP 503), or the raw spec for a name-less line (a path or URL). */
  name: string;
  /** The requirement as written, for messages. */
  text: string;
  line: number;
  pinned: boolean;
}

export interface RequirementsFile {
  requirements: Requirement[];
  /** Files named by `-r` / `--requirement` (relative to the file's folder). */
  includes: string[];
  /** Files named by `-c` / `--constraint`. */
  constraints: string[];
}

export const normalizeName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*/;
const ARCHIVE = /\.(whl|tar\.gz|tar\.bz2|tar\.xz|zip|tgz)(#.*)?$/i;
const VCS_AT_COMMIT = /^(git|hg|svn|bzr)\+.*@[0-9a-f]{40}(#.*)?$/i;

/** Is a specifier set (`==1.2`, `>=1,<2`, `===x`) one exact version? */
function exactVersion(spec: string): boolean {
  return spec.split(',').some((part) => {
    const m = /^\s*(===?)\s*([^\s,;]+)\s*$/.exec(part);
    return m !== null && !(m[1] === '==' && m[2]!.includes('*'));
  });
}

function pinnedUrl(url: string): boolean {
  return ARCHIVE.test(url) || VCS_AT_COMMIT.test(url) || /#(sha256|sha384|sha512)=[0-9a-f]+/i.test(url);
}

/** Logical lines (continuations joined, comments dropped) with the number of their first physical line. */
function logicalLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let pending = '';
  let start = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (pending === '') start = i + 1;
    if (raw.endsWith('\\')) {
      pending += `${raw.slice(0, -1)} `;
      return;
    }
    const joined = (pending + raw).replace(/(^|\s)#.*$/, '').trim();
    pending = '';
    if (joined) out.push({ text: joined, line: start });
  });
  if (pending.trim()) out.push({ text: pending.replace(/(^|\s)#.*$/, '').trim(), line: start });
  return out;
}

export function parseRequirements(text: string): RequirementsFile {
  const file: RequirementsFile = { requirements: [], includes: [], constraints: [] };
  for (const { text: line, line: number } of logicalLines(text)) {
    const option = /^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(\S+)$/.exec(line) ?? /^(-r|-c)(\S+)$/.exec(line);
    if (option) {
      (option[1] === '-r' || option[1] === '--requirement' ? file.includes : file.constraints).push(option[2]!);
      continue;
    }
    const editable = /^(-e|--editable)(?:\s*=\s*|\s+)(.+)$/.exec(line);
    if (editable) {
      const target = editable[2]!.trim();
      file.requirements.push({ name: /#egg=([\w.-]+)/.exec(target)?.[1] ? normalizeName(/#egg=([\w.-]+)/.exec(target)![1]!) : target, text: line, line: number, pinned: VCS_AT_COMMIT.test(target) });
      continue;
    }
    if (line.startsWith('-')) continue; // --index-url, --find-links, --pre, … : not requirements
    const hashed = /(^|\s)--hash[=\s]/.test(line);
    const spec = line.replace(/\s--\S+(\s*=?\s*\S+)?/g, '').trim();
    const named = NAME.exec(spec);
    if (!named || /^[./]/.test(spec) || /^[a-z+]+:\/\//i.test(spec)) {
      // A path or URL without a name.
      file.requirements.push({ name: spec, text: line, line: number, pinned: hashed || pinnedUrl(spec) });
      continue;
    }
    const rest = spec.slice(named[0].length).split(';')[0]!.trim();
    const pinned = hashed || (rest.startsWith('@') ? pinnedUrl(rest.slice(1).trim()) : exactVersion(rest.replace(/^\(|\)$/g, '')));
    file.requirements.push({ name: normalizeName(named[1]!), text: line, line: number, pinned });
  }
  return file;
}
