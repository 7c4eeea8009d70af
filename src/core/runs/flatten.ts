import type { ParamValue } from './types';

/** Nested mappings flattened with dots (`{model: {C: 1}}` → `model.C`); lists kept as JSON text. */
export function flattenParams(value: unknown, prefix = '', out: Record<string, ParamValue> = {}): Record<string, ParamValue> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      flattenParams(child, prefix ? `${prefix}.${key}` : key, out);
    }
    return out;
  }
  if (!prefix) return out;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') out[prefix] = value;
  else if (typeof value === 'number') out[prefix] = Number.isFinite(value) ? value : String(value);
  else if (value instanceof Date) out[prefix] = value.toISOString();
  else out[prefix] = JSON.stringify(value) ?? String(value);
  return out;
}

/** Numeric leaves only (metrics), flattened with dots; strings, booleans and lists are dropped. */
export function flattenMetrics(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, leaf] of Object.entries(flattenParams(value))) {
    if (typeof leaf === 'number' && Number.isFinite(leaf)) out[key] = leaf;
  }
  return out;
}
