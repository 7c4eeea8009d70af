/**
 * What a run printed (stdout, stderr) and what its reproduction printed. Equal text is equal;
 * text that differs only in numbers is within tolerance when every number is (with a note saying
 * how many differ); any other change is beyond tolerance, shown by its first differing line.
 * The workspace folder and the run ids are replaced by placeholders first: a reproduction runs
 * in another folder under another id, and warnings print paths.
 */
import type { Difference } from '../governance/reproductionRecord';
import { gap, type Tolerance } from './tolerance';

/** Past this size (bytes), output is compared by hash only (reproductionCompare.ts). */
export const MAX_COMPARED_OUTPUT = 8 * 1024 * 1024;

const NUMBER = /([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/;

/** Replaces each of `folders` (longest first) by `<workspace>` and each of `ids` by `<run>`. */
export function neutralize(text: string, folders: string[], ids: string[]): string {
  let out = text;
  for (const f of [...new Set(folders)].filter(Boolean).sort((a, b) => b.length - a.length)) out = out.split(f).join('<workspace>');
  for (const id of ids.filter(Boolean)) out = out.split(id).join('<run>');
  return out;
}

export const lineCount = (text: string): number => (text === '' ? 0 : text.replace(/\n$/, '').split('\n').length);

const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…` : s);

function firstDifferentLine(a: string, b: string, predicate: (x: string, y: string) => boolean = (x, y) => x !== y): { line: number; original: string; reproduced: string } {
  const la = a.split('\n');
  const lb = b.split('\n');
  const n = Math.max(la.length, lb.length);
  for (let i = 0; i < n; i++) {
    if (predicate(la[i] ?? '', lb[i] ?? '') || (la[i] === undefined) !== (lb[i] === undefined)) return { line: i + 1, original: clip(la[i] ?? '(no line)'), reproduced: clip(lb[i] ?? '(no line)') };
  }
  return { line: 1, original: clip(la[0] ?? ''), reproduced: clip(lb[0] ?? '') };
}

/** Null when the two texts are equal. */
export function compareOutput(stream: 'stdout' | 'stderr', a: string, b: string, tol: Tolerance): Difference | null {
  if (a === b) return null;
  const base = { kind: 'output' as const, name: stream };
  const pa = a.split(NUMBER);
  const pb = b.split(NUMBER);
  const sameText = pa.length === pb.length && pa.every((part, i) => i % 2 === 1 || part === pb[i]);
  if (!sameText) {
    const at = firstDifferentLine(a, b);
    return { ...base, original: at.original, reproduced: at.reproduced, absolute: null, relative: null, withinTolerance: false, note: `line ${at.line} differs` };
  }
  let differing = 0;
  let beyond = 0;
  let largest = 0;
  let largestRelative: number | null = 0;
  for (let i = 1; i < pa.length; i += 2) {
    if (pa[i] === pb[i]) continue;
    differing++;
    const g = gap(Number(pa[i]), Number(pb[i]), tol);
    if (!g.within) beyond++;
    if (g.absolute > largest) {
      largest = g.absolute;
      largestRelative = g.relative;
    }
  }
  const numbersOf = (line: string) => line.split(NUMBER).filter((_, i) => i % 2 === 1);
  const at = firstDifferentLine(a, b, (x, y) => (beyond ? numbersOf(x).some((n, i) => !gap(Number(n), Number(numbersOf(y)[i]), tol).within) : x !== y));
  const note = beyond
    ? `${differing} number(s) differ, ${beyond} beyond tolerance (first at line ${at.line})`
    : largest === 0
      ? `${differing} number(s) are written differently but equal (first at line ${at.line})`
      : `${differing} number(s) differ, all within tolerance (first at line ${at.line})`;
  return { ...base, original: at.original, reproduced: at.reproduced, absolute: largest, relative: largestRelative, withinTolerance: beyond === 0, note };
}
