/** Numeric comparison shared by the parts of a reproduction. */
export interface Tolerance {
  absolute: number;
  relative: number;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i;

/** The number a text cell or token reads as, or null when it is not one. */
export function numberOf(text: string): number | null {
  const t = text.trim();
  if (!NUMBER.test(t)) return null;
  if (/nan/i.test(t)) return Number.NaN;
  if (/inf/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  return Number(t);
}

export interface NumericGap {
  absolute: number;
  relative: number | null;
  within: boolean;
}

/** How far apart two numbers are, and whether that is within tolerance (NaN equals NaN). */
export function gap(a: number, b: number, tol: Tolerance): NumericGap {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return { absolute: 0, relative: 0, within: true };
  const absolute = Math.abs(b - a);
  const relative = a !== 0 ? absolute / Math.abs(a) : null;
  const within = Number.isFinite(absolute) && (absolute <= tol.absolute || (relative !== null && relative <= tol.relative));
  return { absolute, relative, within };
}
