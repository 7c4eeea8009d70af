import { compareCodePoints, pythonJsonString } from './dirManifest';

/** Python's `repr(float)` for finite numbers that are not integers: shortest round-trip digits. */
function pythonFloat(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity';
  const s = String(n);
  // JS: 1e-7, 1e+21; Python: 1e-07, 1e+21
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/**
 * `json.dumps(value, sort_keys=True)` as Python writes it: separators ", " and ": ", ASCII-only
 * strings, keys sorted by code point. Integral numbers are written as ints (YAML and JSON readers in
 * JS do not keep `1.0` apart from `1`).
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pythonFloat(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return pythonJsonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (value instanceof Date) return pythonJsonString(value.toISOString());
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => compareCodePoints(a, b));
  return `{${entries.map(([k, v]) => `${pythonJsonString(k)}: ${pythonJsonDumps(v)}`).join(', ')}}`;
}
