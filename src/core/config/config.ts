import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node } from 'yaml';
import { ProvenantError } from '../util/errors';
import { THRESHOLD_NAMES, isThresholdName, thresholdProblem, type ThresholdName } from './thresholds';

/** `.provenant/config.yaml`, the project's settings. Every field is optional. */
export interface ProvenantConfig {
  /** The training command: argv list, or a string parsed like a shell would. */
  train: string[] | string | undefined;
  /** Python interpreter for runs, the environment snapshot and predictors (unset: `python3`). */
  python: string | undefined;
  /** Data dependencies (files or directories), hashed for every run. */
  data: string[];
  /** Held-out (evaluation) data files among `data`, for the train/test overlap check. */
  evalData: string[];
  /** The parameters file read for seeds and params (DVC's default name). */
  paramsFile: string;
  target: string | undefined;
  positiveLabel: string | number | boolean | undefined;
  sensitiveAttributes: string[];
  predictor: string[] | string | undefined;
  /** Metric shown in the Experiments view and used to rank runs. */
  keyMetric: string | undefined;
  experimentPrefix: string;
  /** Thresholds of the governance checks (validated: known names, numbers in range; see thresholds.ts). */
  checks: Partial<Record<ThresholdName, number>>;
}

export const CONFIG_PATH = '.provenant/config.yaml';

export const DEFAULT_CONFIG: ProvenantConfig = {
  train: undefined,
  python: undefined,
  data: [],
  evalData: [],
  paramsFile: 'params.yaml',
  target: undefined,
  positiveLabel: undefined,
  sensitiveAttributes: [],
  predictor: undefined,
  keyMetric: undefined,
  experimentPrefix: 'exp/',
  checks: {},
};

type FieldKind = 'command' | 'string' | 'stringList' | 'scalar' | 'thresholds';
const FIELDS: Record<string, { key: keyof ProvenantConfig; kind: FieldKind }> = {
  train: { key: 'train', kind: 'command' },
  python: { key: 'python', kind: 'string' },
  data: { key: 'data', kind: 'stringList' },
  eval_data: { key: 'evalData', kind: 'stringList' },
  params: { key: 'paramsFile', kind: 'string' },
  target: { key: 'target', kind: 'string' },
  positive_label: { key: 'positiveLabel', kind: 'scalar' },
  sensitive_attributes: { key: 'sensitiveAttributes', kind: 'stringList' },
  predictor: { key: 'predictor', kind: 'command' },
  key_metric: { key: 'keyMetric', kind: 'string' },
  experiment_prefix: { key: 'experimentPrefix', kind: 'string' },
  checks: { key: 'checks', kind: 'thresholds' },
};

/** Reads the config of a workspace; a missing file gives the defaults, an invalid one an error naming the line. */
export function loadConfig(root: string): ProvenantConfig {
  const file = join(root, CONFIG_PATH);
  if (!existsSync(file)) return { ...DEFAULT_CONFIG };
  return parseConfig(readFileSync(file, 'utf8'), CONFIG_PATH);
}

export function parseConfig(text: string, fileName = CONFIG_PATH): ProvenantConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineOf = (node: Node | null | undefined): number => (node?.range ? lines.linePos(node.range[0]).line : 1);
  const fail = (line: number, message: string): never => {
    throw new ProvenantError(`line ${line}: ${message}`, {
      file: fileName,
      hint: 'Fix the line named above; see the README for the settings this file takes.',
      code: 'E_CONFIG',
    });
  };
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    fail(lines.linePos(first.pos[0]).line, `invalid YAML: ${first.message.split('\n')[0]}`);
  }
  const config: ProvenantConfig = { ...DEFAULT_CONFIG, data: [], evalData: [], sensitiveAttributes: [], checks: {} };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return config;
  if (!isMap(doc.contents)) fail(lineOf(doc.contents), 'the file must be a mapping of settings (key: value)');
  const map = doc.contents as unknown as { items: { key: Node; value: Node | null }[] };
  for (const pair of map.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const field = FIELDS[name];
    const line = lineOf(pair.key);
    if (!field) fail(line, `unknown setting "${name}" (known: ${Object.keys(FIELDS).join(', ')})`);
    const value = pair.value;
    const target = config as unknown as Record<string, unknown>;
    switch (field!.kind) {
      case 'string':
        if (!isScalar(value) || typeof value.value !== 'string' || value.value === '') fail(line, `"${name}" must be a non-empty string`);
        target[field!.key] = (value as { value: string }).value;
        break;
      case 'scalar':
        if (!isScalar(value) || value.value === null || typeof value.value === 'object') fail(line, `"${name}" must be a single value`);
        target[field!.key] = (value as { value: string | number | boolean }).value;
        break;
      case 'stringList':
      case 'command': {
        if (field!.kind === 'command' && isScalar(value) && typeof value.value === 'string' && value.value.trim() !== '') {
          target[field!.key] = value.value;
          break;
        }
        if (!isSeq(value) || value.items.some((i) => !isScalar(i) || typeof (i as { value: unknown }).value !== 'string')) {
          fail(line, field!.kind === 'command' ? `"${name}" must be a command: a string or a list of strings` : `"${name}" must be a list of strings`);
        }
        const list = (value as unknown as { items: { value: string }[] }).items.map((i) => i.value);
        if (field!.kind === 'command' && list.length === 0) fail(line, `"${name}" must not be empty`);
        target[field!.key] = list;
        break;
      }
      case 'thresholds': {
        if (!isMap(value)) fail(line, `"${name}" must be a mapping of threshold names to numbers`);
        const out: Partial<Record<ThresholdName, number>> = {};
        for (const item of (value as unknown as { items: { key: Node; value: Node | null }[] }).items) {
          const itemLine = lineOf(item.key);
          if (!isScalar(item.key) || (item.value !== null && !isScalar(item.value))) fail(itemLine, `each entry of "${name}" must be a threshold name with a number`);
          const key = String((item.key as { value: unknown }).value);
          if (!isThresholdName(key)) fail(itemLine, `unknown threshold "${key}" under "${name}" (known: ${THRESHOLD_NAMES.join(', ')})`);
          const v = item.value === null ? null : (item.value as { value: unknown }).value;
          const problem = thresholdProblem(key as ThresholdName, v);
          if (problem) fail(itemLine, problem);
          out[key as ThresholdName] = v as number;
        }
        target[field!.key] = out;
        break;
      }
    }
  }
  return config;
}
