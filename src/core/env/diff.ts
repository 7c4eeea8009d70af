import type { EnvironmentSnapshot } from '../runs/types';

export interface EnvironmentDiff {
  added: Record<string, string>;
  removed: Record<string, string>;
  changed: Record<string, { from: string; to: string }>;
  /** Other differences a reader should see: interpreter, OS, lockfiles, GPUs. */
  other: { field: string; from: string; to: string }[];
  same: boolean;
}

const text = (value: unknown) => (value === null || value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value));

/** What changed from environment `a` to environment `b`. */
export function diffEnvironments(a: EnvironmentSnapshot, b: EnvironmentSnapshot): EnvironmentDiff {
  const diff: EnvironmentDiff = { added: {}, removed: {}, changed: {}, other: [], same: true };
  for (const [name, version] of Object.entries(b.packages)) {
    const before = a.packages[name];
    if (before === undefined) diff.added[name] = version;
    else if (before !== version) diff.changed[name] = { from: before, to: version };
  }
  for (const [name, version] of Object.entries(a.packages)) if (!(name in b.packages)) diff.removed[name] = version;
  const compare = (field: string, x: unknown, y: unknown) => {
    if (text(x) !== text(y)) diff.other.push({ field, from: text(x), to: text(y) });
  };
  compare('python.version', a.python?.version, b.python?.version);
  compare('python.executable', a.python?.executable, b.python?.executable);
  compare('os', `${a.os.platform} ${a.os.arch} ${a.os.distro ?? ''}`.trim(), `${b.os.platform} ${b.os.arch} ${b.os.distro ?? ''}`.trim());
  compare('cpu', a.cpu.model, b.cpu.model);
  compare('gpus', a.gpus.map((g) => `${g.name} (driver ${g.driver}, CUDA ${g.cuda ?? '—'})`).join(', '), b.gpus.map((g) => `${g.name} (driver ${g.driver}, CUDA ${g.cuda ?? '—'})`).join(', '));
  for (const file of new Set([...Object.keys(a.lockfiles), ...Object.keys(b.lockfiles)])) compare(`lockfile ${file}`, a.lockfiles[file], b.lockfiles[file]);
  diff.same = Object.keys(diff.added).length + Object.keys(diff.removed).length + Object.keys(diff.changed).length + diff.other.length === 0;
  return diff;
}
