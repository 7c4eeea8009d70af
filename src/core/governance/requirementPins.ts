/**
 * Whether the requirement files a run recorded pin its environment, read as the run saw them (the
 * code snapshot, or the workspace copy while its hash still matches the one recorded).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { git, fs } from '../git/repo';
import { normalizeName, parseRequirements } from '../env/requirements';
import type { RunRecord } from '../runs/types';
import { resolveInWorkspace } from '../util/paths';

/** Lockfiles proper: they pin every package of the environment by themselves. */
export const isFullLock = (file: string) => /(^|\/)(poetry\.lock|Pipfile\.lock|uv\.lock|pdm\.lock|pylock[^/]*\.toml|conda-lock\.ya?ml|renv\.lock)$/.test(file);
/** pip requirement and constraint files, whose pins are checked line by line. */
export const isRequirementsFile = (file: string) => /^(requirements[^/]*|constraints[^/]*)\.txt$/.test(file) || /^requirements\/[^/]+\.txt$/.test(file);

export interface PinReport {
  /** Requirement files examined (recorded ones and what they include). */
  files: string[];
  requirements: number;
  /** `file: spec (line n)` of every requirement that names no exact version. */
  unpinned: string[];
  /** `file (why)` of files that could not be read as the run saw them. */
  unreadable: string[];
}

async function contentAt(root: string, run: RunRecord, file: string, md5: string | undefined): Promise<string | null> {
  try {
    const { blob } = await git.readBlob({ fs, dir: root, oid: run.code.snapshotCommit, filepath: file });
    const bytes = Buffer.from(blob);
    if (md5 === undefined || createHash('md5').update(bytes).digest('hex') === md5) return bytes.toString('utf8');
  } catch {
    // not in the snapshot (git-ignored, say): the workspace copy may still be the same
  }
  try {
    const abs = resolveInWorkspace(root, file);
    if (!existsSync(abs)) return null;
    const bytes = readFileSync(abs);
    if (md5 === undefined || createHash('md5').update(bytes).digest('hex') === md5) return bytes.toString('utf8');
  } catch {
    // outside the workspace or unreadable
  }
  return null;
}

export async function requirementPins(root: string, run: RunRecord): Promise<PinReport> {
  const report: PinReport = { files: [], requirements: 0, unpinned: [], unreadable: [] };
  const recorded = run.environment.lockfiles;
  const queue = Object.keys(recorded).filter(isRequirementsFile).map((file) => ({ file, constraint: /^constraints/.test(posix.basename(file)) }));
  const seen = new Set<string>();
  const unpinned: { file: string; name: string; text: string; line: number }[] = [];
  const pinnedByConstraint = new Set<string>();
  while (queue.length > 0 && seen.size < 50) {
    const { file, constraint } = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await contentAt(root, run, file, recorded[file]);
    if (text === null) {
      report.unreadable.push(`${file} (${recorded[file] ? 'neither the snapshot nor the workspace holds the version the run recorded' : 'included, but not found'})`);
      continue;
    }
    report.files.push(file);
    const parsed = parseRequirements(text);
    const follow = (target: string, asConstraint: boolean) => {
      const path = posix.normalize(posix.join(posix.dirname(file), target));
      if (path.startsWith('../') || posix.isAbsolute(path)) report.unreadable.push(`${target} (named in ${file}, outside the workspace)`);
      else queue.push({ file: path, constraint: asConstraint });
    };
    parsed.includes.forEach((t) => follow(t, constraint));
    parsed.constraints.forEach((t) => follow(t, true));
    for (const r of parsed.requirements) {
      if (constraint) {
        if (r.pinned) pinnedByConstraint.add(r.name);
        continue;
      }
      report.requirements++;
      if (!r.pinned) unpinned.push({ file, name: r.name, text: r.text, line: r.line });
    }
  }
  report.unpinned = unpinned.filter((u) => !pinnedByConstraint.has(normalizeName(u.name))).map((u) => `${u.file}: ${u.text} (line ${u.line})`);
  return report;
}
