/**
 * The message contract between the extension host and its webview panels.
 *
 * Both ends import this module (the host bundle and every webview bundle), so it must never
 * import 'vscode' or any Node module, and it imports the run record types as types only.
 *
 * Every message is validated at runtime on the receiving end: a webview can be fed data from a
 * hostile workspace, and the host must not trust what a webview posts. The guards are strict:
 * an unknown `type`, a missing field, a field of the wrong type or an extra field rejects the
 * whole message.
 *
 * Adding a panel: declare its two discriminated unions (host → webview, webview → host), then
 * build a guard for each with `messageGuard`, listing a field guard for every field of every
 * variant. The `MessageSpec` type makes the compiler check that the spec covers the union
 * exactly (every variant, every field, each guard producing the declared field type).
 */
import type {
  ArtifactRecord,
  CodeState,
  DataVersion,
  EnvironmentSnapshot,
  GpuInfo,
  MetricPoint,
  ParamValue,
  PredictionSet,
  WrittenFile,
  RunRecord,
  RunStatus,
  Seeds,
} from '../core/runs/types';
import type {
  BootstrapSettings,
  CalibrationBin,
  Estimate,
  EvaluationResult,
  FairnessResult,
  FourFifths,
  GroupMetrics,
  PartialDependence,
  PermutationImportance,
  ShapleyExplanation,
  ThresholdCurve,
  ThresholdExplorer,
} from '../core/analysis/types';
import type {
  ComparedData,
  ComparedEnvironment,
  ComparedFile,
  ComparedMetric,
  ComparedPackage,
  ComparedRow,
  ComparedRunSummary,
  FullComparison,
} from '../core/runs/compare';
import type { ComparisonExtras, RunEvaluation } from '../core/runs/compareEvaluation';
import type { CurvePoint, ScoreCurve } from '../core/analysis/curves';
import type { ComparisonMetric, ComparisonResult } from '../core/analysis/types';
import type { RunRow } from '../core/runs/table';

// ---------------------------------------------------------------------------------------------
// Guard combinators
// ---------------------------------------------------------------------------------------------

/** A runtime check that narrows `unknown` to `T`. */
export type Guard<T> = (value: unknown) => value is T;

export const isString: Guard<string> = (v): v is string => typeof v === 'string';
export const isNumber: Guard<number> = (v): v is number => typeof v === 'number';
export const isFiniteNumber: Guard<number> = (v): v is number => typeof v === 'number' && Number.isFinite(v);
export const isBoolean: Guard<boolean> = (v): v is boolean => typeof v === 'boolean';
export const isNull: Guard<null> = (v): v is null => v === null;

/** A non-negative safe integer (sizes, counts, row numbers). */
export const isCount: Guard<number> = (v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
/** Any safe integer (exit codes, pids, seeds). */
export const isInteger: Guard<number> = (v): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** A string of at most `max` UTF-16 code units. */
export function boundedString(max: number): Guard<string> {
  return (v): v is string => typeof v === 'string' && v.length <= max;
}

/** A plain object (not null, not an array, not a class instance such as Date). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function literal<const L extends string | number | boolean | null>(...values: L[]): Guard<L> {
  return (v): v is L => (values as unknown[]).includes(v);
}

export function nullable<T>(guard: Guard<T>): Guard<T | null> {
  return (v): v is T | null => v === null || guard(v);
}

/** A field that may be absent (or explicitly undefined). */
export function optional<T>(guard: Guard<T>): Guard<T | undefined> {
  return (v): v is T | undefined => v === undefined || guard(v);
}

export function arrayOf<T>(guard: Guard<T>): Guard<T[]> {
  return (v): v is T[] => Array.isArray(v) && v.every((item) => guard(item));
}

/** A plain object used as a map: every own value passes `guard`. */
export function recordOf<T>(guard: Guard<T>): Guard<Record<string, T>> {
  return (v): v is Record<string, T> => isPlainObject(v) && Object.values(v).every((item) => guard(item));
}

/** Field guards for an object type: one guard per key, optional keys take `optional(...)`. */
export type Shape<T> = { [K in keyof T]-?: Guard<T[K]> };

/**
 * A plain object whose listed fields pass their guards. Used for data records (the run record
 * and its parts), which may gain fields in newer schema versions: extra keys are tolerated here
 * (unlike message envelopes, see `messageGuard`).
 */
export function objectOf<T>(shape: Shape<T>): Guard<T> {
  const entries = Object.entries(shape) as [string, Guard<unknown>][];
  return (v): v is T => isPlainObject(v) && entries.every(([key, guard]) => guard(v[key]));
}

// ---------------------------------------------------------------------------------------------
// Message envelopes
// ---------------------------------------------------------------------------------------------

/** Every message is a plain object with a string `type` naming its variant. */
export interface BaseMessage {
  type: string;
}

type Variant<M extends BaseMessage, T extends M['type']> = Extract<M, { type: T }>;

/** For each `type` of the union `M`: a guard for every field of that variant except `type`. */
export type MessageSpec<M extends BaseMessage> = {
  [T in M['type']]: Shape<Omit<Variant<M, T>, 'type'>>;
};

/**
 * Builds the runtime guard of a message union from its spec. A value passes when it is a plain
 * object whose `type` is one of the spec's variants, whose fields all pass their guards, and
 * which has no field the variant does not declare.
 */
export function messageGuard<M extends BaseMessage>(spec: MessageSpec<M>): Guard<M> {
  const variants = new Map<string, [string, Guard<unknown>][]>();
  for (const [type, shape] of Object.entries(spec as Record<string, Record<string, Guard<unknown>>>)) {
    variants.set(type, Object.entries(shape));
  }
  return (v): v is M => {
    if (!isPlainObject(v) || typeof v.type !== 'string') return false;
    const fields = variants.get(v.type);
    if (!fields) return false;
    for (const key of Object.keys(v)) {
      if (key !== 'type' && !fields.some(([name]) => name === key)) return false;
    }
    return fields.every(([name, guard]) => guard(v[name]));
  };
}

/** A short, bounded description of a rejected message, for logs (never the whole payload). */
export function describeMessage(value: unknown): string {
  if (isPlainObject(value)) {
    const type = typeof value.type === 'string' ? JSON.stringify(value.type.slice(0, 60)) : String(typeof value.type);
    const keys = Object.keys(value).slice(0, 10).map((k) => k.slice(0, 40));
    return `object with type ${type} and keys [${keys.join(', ')}]`;
  }
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (typeof value === 'string') return `string of length ${value.length}`;
  return value === null ? 'null' : typeof value;
}

// ---------------------------------------------------------------------------------------------
// Run record guards (mirror src/core/runs/types.ts)
// ---------------------------------------------------------------------------------------------

/** The schema id of the records this contract carries (checked against the type at compile time). */
const RUN_SCHEMA_ID: RunRecord['schema'] = 'provenant.run/1';

/**
 * A run id as the host accepts it back from a webview: non-empty, short, no path separators,
 * no `..`, no control characters. The host also requires it to be the id of the panel's own run.
 */
export const isRunId: Guard<string> = (v): v is string =>
  typeof v === 'string' &&
  v.length > 0 &&
  v.length <= 200 &&
  v !== '.' &&
  !v.includes('..') &&
  !/[/\\\u0000-\u001f\u007f]/.test(v);

const isRunStatus: Guard<RunStatus> = literal('running', 'succeeded', 'failed', 'interrupted');
const isParamValue: Guard<ParamValue> = (v): v is ParamValue =>
  v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

const isCodeState: Guard<CodeState> = objectOf<CodeState>({
  baseCommit: nullable(isString),
  snapshotCommit: isString,
  snapshotRef: isString,
  dirty: isBoolean,
  changedFiles: arrayOf(
    objectOf<CodeState['changedFiles'][number]>({ path: isString, change: literal('added', 'modified', 'deleted') }),
  ),
});

const isSeeds: Guard<Seeds> = objectOf<Seeds>({
  root: isInteger,
  source: literal('flag', 'params', 'generated'),
  env: recordOf(isString),
  seeded: arrayOf(isString),
  param: optional(objectOf<NonNullable<Seeds['param']>>({ key: isString, value: isCount, file: isString })),
});

const isGpuInfo: Guard<GpuInfo> = objectOf<GpuInfo>({
  name: isString,
  driver: isString,
  memoryMiB: nullable(isCount),
  cuda: nullable(isString),
});

const isEnvironmentSnapshot: Guard<EnvironmentSnapshot> = objectOf<EnvironmentSnapshot>({
  fingerprint: isString,
  python: nullable(objectOf<NonNullable<EnvironmentSnapshot['python']>>({ executable: isString, version: isString, implementation: isString })),
  pythonError: optional(isString),
  interpreter: optional(objectOf<NonNullable<EnvironmentSnapshot['interpreter']>>({ path: isString, source: literal('command', 'shebang', 'configured', 'default') })),
  packages: recordOf(isString),
  lockfiles: recordOf(isString),
  os: objectOf<EnvironmentSnapshot['os']>({ platform: isString, release: isString, arch: isString, distro: nullable(isString) }),
  cpu: objectOf<EnvironmentSnapshot['cpu']>({ model: isString, cores: isCount }),
  memoryBytes: isCount,
  gpus: arrayOf(isGpuInfo),
  variables: recordOf(isString),
  node: isString,
});

const isDataVersion: Guard<DataVersion> = objectOf<DataVersion>({
  path: isString,
  md5: isString,
  size: isCount,
  nfiles: optional(isCount),
});

const isArtifactRecord: Guard<ArtifactRecord> = objectOf<ArtifactRecord>({
  path: isString,
  md5: isString,
  size: isCount,
  stored: optional(isString),
});

const isPredictionSet: Guard<PredictionSet> = objectOf<PredictionSet>({
  name: isString,
  file: isString,
  rows: isCount,
  columns: arrayOf(isString),
  yTrue: isString,
  yScore: nullable(isString),
  yPred: nullable(isString),
  features: arrayOf(isString),
  yProba: optional(objectOf<NonNullable<PredictionSet['yProba']>>({ classes: arrayOf(isString), columns: arrayOf(isString) })),
});

export const isRunRecord: Guard<RunRecord> = objectOf<RunRecord>({
  schema: literal(RUN_SCHEMA_ID),
  id: isRunId,
  name: isString,
  experiment: nullable(isString),
  status: isRunStatus,
  command: arrayOf(isString),
  cwd: isString,
  exitCode: nullable(isInteger),
  signal: nullable(isString),
  startedAt: isString,
  endedAt: nullable(isString),
  durationMs: nullable(isFiniteNumber),
  user: isString,
  host: isString,
  pid: isInteger,
  code: isCodeState,
  seeds: isSeeds,
  environment: isEnvironmentSnapshot,
  data: arrayOf(isDataVersion),
  params: recordOf(isParamValue),
  // Any number: a diverged run legitimately records NaN or Infinity.
  metrics: recordOf(isNumber),
  artifacts: arrayOf(isArtifactRecord),
  predictions: arrayOf(isPredictionSet),
  note: optional(isString),
  redactedArguments: optional(arrayOf(objectOf<NonNullable<RunRecord['redactedArguments']>[number]>({ index: isCount, argument: isString, digest: isString }))),
  reproduction: optional(
    objectOf<NonNullable<RunRecord['reproduction']>>({ verdict: literal('identical', 'within-tolerance', 'diverged', 'unverified', 'missing-input'), run: isRunId, finishedAt: isString, differences: isCount }),
  ),
  written: optional(
    objectOf<NonNullable<RunRecord['written']>>({
      files: arrayOf(objectOf<WrittenFile>({ path: isString, change: literal('added', 'modified', 'deleted'), size: isCount, sha256: nullable(isString) })),
      skipped: arrayOf(isString),
      limited: optional(isString),
    }),
  ),
});

export const isMetricPoint: Guard<MetricPoint> = objectOf<MetricPoint>({
  name: isString,
  value: isNumber,
  step: nullable(isFiniteNumber),
  timestamp: nullable(isString),
});

// ---------------------------------------------------------------------------------------------
// Run details panel (viewType `provenant.run`)
// ---------------------------------------------------------------------------------------------

/** Host → run panel. */
export type RunPanelHostMessage =
  /** The run to show, with the step history of its metrics (any order; the panel sorts). */
  | { type: 'showRun'; run: RunRecord; history: MetricPoint[] }
  /** Something went wrong on the host (e.g. run.json unreadable): shown as a banner. */
  | { type: 'error'; message: string };

/** Run panel → host. */
export type RunPanelWebviewMessage =
  /** The webview script has loaded and listens: the host answers with `showRun`. */
  | { type: 'ready' }
  | { type: 'openLog'; runId: string }
  | { type: 'openRecord'; runId: string }
  /** Put `text` on the clipboard. */
  | { type: 'copy'; text: string };

/** Largest text a webview may ask the host to copy (1 MiB of UTF-16 code units). */
export const MAX_COPY_TEXT = 1 << 20;

export const isRunPanelHostMessage: Guard<RunPanelHostMessage> = messageGuard<RunPanelHostMessage>({
  showRun: { run: isRunRecord, history: arrayOf(isMetricPoint) },
  error: { message: isString },
});

export const isRunPanelWebviewMessage: Guard<RunPanelWebviewMessage> = messageGuard<RunPanelWebviewMessage>({
  ready: {},
  openLog: { runId: isRunId },
  openRecord: { runId: isRunId },
  copy: { text: boundedString(MAX_COPY_TEXT) },
});

// ---------------------------------------------------------------------------------------------
// Analysis panel (viewType `provenant.analysis`): evaluation, fairness, threshold explorer,
// explanations of one run. Result shapes mirror src/core/analysis/types.ts.
// ---------------------------------------------------------------------------------------------

/** A number or null (JSON turns NaN and infinities into null). */
const isNum: Guard<number | null> = (v): v is number | null => v === null || typeof v === 'number';
const isPair: Guard<[number, number] | null> = (v): v is [number, number] | null => v === null || (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number'));

const isEstimate: Guard<Estimate> = objectOf<Estimate>({ value: isNum as Guard<number>, low: isNum, high: isNum });
const isBootstrap: Guard<BootstrapSettings> = objectOf<BootstrapSettings>({ resamples: isCount, seed: isCount, level: isNumber });

export const isEvaluationResult: Guard<EvaluationResult> = objectOf<EvaluationResult>({
  run: isString,
  set: isString,
  task: literal('classification', 'multiclass', 'regression'),
  rows: isCount,
  threshold: isNum,
  positiveRate: isNum,
  metrics: recordOf(isEstimate),
  confusion: nullable(objectOf<NonNullable<EvaluationResult['confusion']>>({ tp: isCount, fp: isCount, tn: isCount, fn: isCount })),
  calibration: nullable(arrayOf(objectOf<CalibrationBin>({ predicted: isNumber, observed: isNumber, n: isCount }))),
  residuals: nullable(objectOf<NonNullable<EvaluationResult['residuals']>>({ mean: isNumber, std: isNumber, min: isNumber, max: isNumber })),
  bootstrap: isBootstrap,
  warnings: arrayOf(isString),
  classes: optional(arrayOf(isString)),
  confusionMatrix: optional(arrayOf(arrayOf(isCount))),
  perClass: optional(arrayOf(objectOf<NonNullable<EvaluationResult['perClass']>[number]>({ class: isString, precision: isNumber, recall: isNumber, f1: isNumber, support: isCount, share: isNumber }))),
});

const isGroupMetrics: Guard<GroupMetrics> = objectOf<GroupMetrics>({
  group: isString,
  n: isCount,
  positives: isCount,
  selectionRate: isNumber,
  tpr: isNum,
  fpr: isNum,
  accuracy: isNumber,
  selectionRateInterval: isPair,
  tprInterval: isPair,
  fprInterval: isPair,
});

export const isFairnessResult: Guard<FairnessResult> = objectOf<FairnessResult>({
  attribute: isString,
  threshold: isNum,
  groups: arrayOf(isGroupMetrics),
  overall: objectOf<FairnessResult['overall']>({ n: isCount, selectionRate: isNumber, tpr: isNum, fpr: isNum }),
  demographicParityDifference: isNum as Guard<number>,
  demographicParityRatio: isNum as Guard<number>,
  equalOpportunityDifference: isNum,
  equalOpportunityRatio: isNum,
  equalizedOddsDifference: isNum,
  equalizedOddsRatio: isNum,
  toOverall: objectOf<FairnessResult['toOverall']>({ demographicParityDifference: isNum as Guard<number>, demographicParityRatio: isNum as Guard<number>, equalOpportunityDifference: isNum, equalizedOddsDifference: isNum }),
  privileged: isString,
  unprivileged: isString,
  statisticalParityDifference: isNum as Guard<number>,
  disparateImpact: isNum as Guard<number>,
  aif360EqualOpportunityDifference: isNum,
  averageOddsDifference: isNum,
  fourFifths: objectOf<FourFifths>({ pass: isBoolean, ratio: isNum as Guard<number>, interval: isPair, flagged: arrayOf(isString), smallGroups: arrayOf(isString), minGroupSize: isCount, threshold: optional(isNumber) }),
  bootstrap: isBootstrap,
  warnings: arrayOf(isString),
});

const isThresholdCurve: Guard<ThresholdCurve> = objectOf<ThresholdCurve>({
  group: isString,
  n: isCount,
  positives: isCount,
  selectionRate: arrayOf(isNumber),
  tpr: arrayOf(isNum),
  fpr: arrayOf(isNum),
});

export const isThresholdExplorer: Guard<ThresholdExplorer> = objectOf<ThresholdExplorer>({
  attribute: isString,
  thresholds: arrayOf(isNumber),
  groups: arrayOf(isThresholdCurve),
  overall: isThresholdCurve,
});

const isImportance: Guard<PermutationImportance> = objectOf<PermutationImportance>({ feature: isString, importance: isNumber, std: isNumber, repeats: arrayOf(isNumber) });
const isDependence: Guard<PartialDependence> = objectOf<PartialDependence>({
  feature: isString,
  kind: literal('numeric', 'categorical'),
  grid: arrayOf((v): v is number | string => typeof v === 'number' || typeof v === 'string'),
  average: arrayOf(isNumber),
  individual: arrayOf(arrayOf(isNumber)),
  rows: arrayOf(isCount),
});
const isShapley: Guard<ShapleyExplanation> = objectOf<ShapleyExplanation>({
  row: isCount,
  baseValue: isNumber,
  prediction: isNumber,
  values: recordOf(isNumber),
  features: recordOf((v): v is number | string => typeof v === 'number' || typeof v === 'string'),
});

/** Holdout rows offered for local explanations (as text), with their truth and score. */
export interface AnalysisRowTable {
  columns: string[];
  rows: { index: number; cells: string[] }[];
  /** Rows in the prediction set (the table may show fewer). */
  total: number;
}

const isRowTable: Guard<AnalysisRowTable> = objectOf<AnalysisRowTable>({
  columns: arrayOf(isString),
  rows: arrayOf(objectOf<AnalysisRowTable['rows'][number]>({ index: isCount, cells: arrayOf(isString) })),
  total: isCount,
});

export type AnalysisTask = 'permutation' | 'pdp' | 'shapley';

/** Host → analysis panel. */
export type AnalysisPanelHostMessage =
  | {
      type: 'init';
      run: { id: string; name: string };
      /** False in Restricted Mode: explanations (which run the model) are unavailable. */
      trusted: boolean;
      evaluation: EvaluationResult | null;
      fairness: FairnessResult[];
      explorers: ThresholdExplorer[];
      table: AnalysisRowTable;
      /** Why a part is missing (e.g. no sensitive attributes configured). */
      notes: string[];
      /** The four-fifths threshold in force (config `checks.four_fifths`). */
      fourFifths?: number;
    }
  | { type: 'progress'; task: AnalysisTask; done: number; total: number; label: string }
  | { type: 'importance'; result: PermutationImportance[]; note: string }
  | { type: 'dependence'; result: PartialDependence[]; note: string }
  | { type: 'local'; result: ShapleyExplanation; note: string }
  /** A task ended without result (error or cancellation); `task` null: the panel as a whole. */
  | { type: 'failed'; task: AnalysisTask | null; message: string };

/** Analysis panel → host. */
export type AnalysisPanelWebviewMessage =
  | { type: 'ready' }
  | { type: 'explain'; method: 'permutation' | 'pdp' }
  | { type: 'explainRow'; row: number }
  | { type: 'cancel' };

const isTask: Guard<AnalysisTask> = literal('permutation', 'pdp', 'shapley');

export const isAnalysisPanelHostMessage: Guard<AnalysisPanelHostMessage> = messageGuard<AnalysisPanelHostMessage>({
  init: {
    run: objectOf<{ id: string; name: string }>({ id: isRunId, name: isString }),
    trusted: isBoolean,
    evaluation: nullable(isEvaluationResult),
    fairness: arrayOf(isFairnessResult),
    explorers: arrayOf(isThresholdExplorer),
    table: isRowTable,
    notes: arrayOf(isString),
    fourFifths: optional(isNumber),
  },
  progress: { task: isTask, done: isCount, total: isCount, label: isString },
  importance: { result: arrayOf(isImportance), note: isString },
  dependence: { result: arrayOf(isDependence), note: isString },
  local: { result: isShapley, note: isString },
  failed: { task: nullable(isTask), message: isString },
});

export const isAnalysisPanelWebviewMessage: Guard<AnalysisPanelWebviewMessage> = messageGuard<AnalysisPanelWebviewMessage>({
  ready: {},
  explain: { method: literal('permutation', 'pdp') },
  explainRow: { row: isCount },
  cancel: {},
});

// ---------------------------------------------------------------------------------------------
// Compare panel (viewType `provenant.compare`): two or more runs side by side. Shapes mirror
// src/core/runs/compare.ts, src/core/runs/compareEvaluation.ts and src/core/analysis/curves.ts.
// ---------------------------------------------------------------------------------------------

const isValue: Guard<string | number | boolean | null> = isParamValue;
const isNullableString: Guard<string | null> = nullable(isString);
const isComparedRow: Guard<ComparedRow> = objectOf<ComparedRow>({ key: isString, values: arrayOf(isValue), differs: isBoolean });
const isComparedMetric: Guard<ComparedMetric> = objectOf<ComparedMetric>({ key: isString, values: arrayOf(isValue), differs: isBoolean, deltas: arrayOf(nullable(isNumber)) });
const isComparedPackage: Guard<ComparedPackage> = objectOf<ComparedPackage>({ name: isString, values: arrayOf(isNullableString) });
const isComparedFile: Guard<ComparedFile> = objectOf<ComparedFile>({ path: isString, change: literal('added', 'modified', 'deleted'), blobs: arrayOf(isNullableString) });

export const isFullComparison: Guard<FullComparison> = objectOf<FullComparison>({
  runs: arrayOf(isRunId),
  summary: arrayOf(
    objectOf<ComparedRunSummary>({
      id: isRunId,
      name: isString,
      experiment: isNullableString,
      status: isRunStatus,
      startedAt: isString,
      endedAt: isNullableString,
      durationMs: nullable(isFiniteNumber),
      command: arrayOf(isString),
      baseCommit: isNullableString,
      dirty: isBoolean,
    }),
  ),
  params: arrayOf(isComparedRow),
  metrics: arrayOf(isComparedMetric),
  seeds: arrayOf(isComparedRow),
  data: arrayOf(
    objectOf<ComparedData>({
      path: isString,
      versions: arrayOf(isNullableString),
      added: arrayOf(isString),
      removed: arrayOf(isString),
      modified: arrayOf(isString),
      differs: isBoolean,
      note: isNullableString,
    }),
  ),
  environment: objectOf<ComparedEnvironment>({ added: arrayOf(isComparedPackage), removed: arrayOf(isComparedPackage), changed: arrayOf(isComparedPackage), system: arrayOf(isComparedRow) }),
  code: objectOf<FullComparison['code']>({ files: arrayOf(isComparedFile), snapshots: arrayOf(isNullableString), note: isNullableString }),
});

const isCurvePoint: Guard<CurvePoint> = objectOf<CurvePoint>({ x: isNumber, y: isNumber, threshold: nullable(isNumber) });
const isScoreCurve: Guard<ScoreCurve> = objectOf<ScoreCurve>({ kind: literal('roc', 'pr'), points: arrayOf(isCurvePoint), area: isNumber, positives: isCount, negatives: isCount });
const isComparisonResult: Guard<ComparisonResult> = objectOf<ComparisonResult>({
  champion: isString,
  challenger: isString,
  set: isString,
  rows: isCount,
  metrics: arrayOf(objectOf<ComparisonMetric>({ metric: isString, champion: isNumber, challenger: isNumber, difference: isEstimate, pNotBetter: isNumber })),
  bootstrap: isBootstrap,
  warnings: arrayOf(isString),
});

export const isComparisonExtras: Guard<ComparisonExtras> = objectOf<ComparisonExtras>({
  history: arrayOf(arrayOf(isMetricPoint)),
  evaluations: arrayOf(
    objectOf<RunEvaluation>({
      run: isRunId,
      set: isNullableString,
      task: nullable(literal('classification', 'multiclass', 'regression')),
      rows: isCount,
      metrics: recordOf(isEstimate),
      confusion: nullable(objectOf<NonNullable<RunEvaluation['confusion']>>({ tp: isCount, fp: isCount, tn: isCount, fn: isCount })),
      roc: nullable(isScoreCurve),
      pr: nullable(isScoreCurve),
      note: isNullableString,
    }),
  ),
  paired: arrayOf(nullable(isComparisonResult)),
  pairedNotes: arrayOf(isNullableString),
  bootstrap: isBootstrap,
});

/** Host → compare panel. */
export type ComparePanelHostMessage =
  /** The differences (fast: records, manifests, git trees). */
  | { type: 'comparison'; comparison: FullComparison }
  /** What needs more work: metric histories, evaluations of predictions, ROC/PR curves. */
  | { type: 'extras'; extras: ComparisonExtras }
  | { type: 'error'; message: string };

/** Largest PNG a compare panel may hand the host to save (as a data: URL, 16 MiB of characters). */
export const MAX_PNG_DATA_URL = 16 << 20;

/** Compare panel → host. */
export type ComparePanelWebviewMessage =
  | { type: 'ready' }
  /** Open VS Code's diff editor on `path` in the snapshots of runs `left` and `right` (indexes into `runs`). */
  | { type: 'openDiff'; path: string; left: number; right: number }
  | { type: 'openRun'; runId: string }
  | { type: 'export'; format: 'csv' | 'md'; differencesOnly: boolean }
  | { type: 'savePng'; name: string; dataUrl: string };

export const isComparePanelHostMessage: Guard<ComparePanelHostMessage> = messageGuard<ComparePanelHostMessage>({
  comparison: { comparison: isFullComparison },
  extras: { extras: isComparisonExtras },
  error: { message: isString },
});

export const isComparePanelWebviewMessage: Guard<ComparePanelWebviewMessage> = messageGuard<ComparePanelWebviewMessage>({
  ready: {},
  openDiff: { path: boundedString(4096), left: isCount, right: isCount },
  openRun: { runId: isRunId },
  export: { format: literal('csv', 'md'), differencesOnly: isBoolean },
  savePng: { name: boundedString(200), dataUrl: (v): v is string => typeof v === 'string' && v.length <= MAX_PNG_DATA_URL && v.startsWith('data:image/png;base64,') },
});

// ---------------------------------------------------------------------------------------------
// Runs table (viewType `provenant.runs`): every run, chosen columns, filter, charts.
// ---------------------------------------------------------------------------------------------

export const isRunRow: Guard<RunRow> = objectOf<RunRow>({
  id: isRunId,
  name: isString,
  experiment: isNullableString,
  status: isRunStatus,
  startedAt: isString,
  durationMs: nullable(isFiniteNumber),
  command: isString,
  starred: isBoolean,
  params: recordOf(isParamValue),
  metrics: recordOf(isNumber),
});

/** The table's UI state, kept per workspace by the host (and by VS Code for a reload). */
export interface RunsTableState {
  /** Column ids: run fields (`name`, `status`, …) or `params:<key>` / `metrics:<key>`. */
  columns: string[];
  sort: { column: string; descending: boolean } | null;
  filter: string;
  groupByBranch: boolean;
  /** Hidden run ids. */
  hidden: string[];
  showHidden: boolean;
  chart: 'none' | 'parallel' | 'scatter';
  scatterX: string | null;
  scatterY: string | null;
}

const isColumnId = boundedString(500);
export const isRunsTableState: Guard<RunsTableState> = objectOf<RunsTableState>({
  columns: (v): v is string[] => Array.isArray(v) && v.length <= 500 && v.every(isColumnId),
  sort: nullable(objectOf<NonNullable<RunsTableState['sort']>>({ column: isColumnId, descending: isBoolean })),
  filter: boundedString(2000),
  groupByBranch: isBoolean,
  hidden: (v): v is string[] => Array.isArray(v) && v.length <= 100_000 && v.every(isRunId),
  showHidden: isBoolean,
  chart: literal('none', 'parallel', 'scatter'),
  scatterX: nullable(isColumnId),
  scatterY: nullable(isColumnId),
});

/** Host → runs table. */
export type RunsTableHostMessage =
  /** Every row, the saved UI state; `trusted` false: starring is unavailable (Restricted Mode). */
  | { type: 'init'; rows: RunRow[]; state: RunsTableState | null; trusted: boolean; problems: string[] }
  /** Only what changed since the last init/update. */
  | { type: 'update'; upserts: RunRow[]; removed: string[] }
  | { type: 'error'; message: string };

/** Most runs a webview may ask to compare at once. */
export const MAX_COMPARE_RUNS = 20;

/** Runs table → host. */
export type RunsTableWebviewMessage =
  | { type: 'ready' }
  | { type: 'saveState'; state: RunsTableState }
  | { type: 'compare'; runIds: string[] }
  | { type: 'openRun'; runId: string }
  | { type: 'star'; runId: string; starred: boolean };

export const isRunsTableHostMessage: Guard<RunsTableHostMessage> = messageGuard<RunsTableHostMessage>({
  init: { rows: arrayOf(isRunRow), state: nullable(isRunsTableState), trusted: isBoolean, problems: arrayOf(isString) },
  update: { upserts: arrayOf(isRunRow), removed: arrayOf(isRunId) },
  error: { message: isString },
});

export const isRunsTableWebviewMessage: Guard<RunsTableWebviewMessage> = messageGuard<RunsTableWebviewMessage>({
  ready: {},
  saveState: { state: isRunsTableState },
  compare: { runIds: (v): v is string[] => Array.isArray(v) && v.length >= 2 && v.length <= MAX_COMPARE_RUNS && v.every(isRunId) && new Set(v).size === v.length },
  openRun: { runId: isRunId },
  star: { runId: isRunId, starred: isBoolean },
});

// ---------------------------------------------------------------------------------------------
// Audit report preview (viewType `provenant.report`): the report of one run, rendered by the
// same element tree as the packet's report.html, and its export.
// ---------------------------------------------------------------------------------------------

import { REPORT_ATTRS, REPORT_TAGS, type ReportNode } from '../core/packet/reportView';

/** Deepest nesting and most nodes a report document may have. */
export const MAX_REPORT_DEPTH = 40;
export const MAX_REPORT_NODES = 200_000;

/** A report element tree: allowed tags and attributes only, string attribute values, bounded size. */
export const isReportNode: Guard<ReportNode> = (v): v is ReportNode => {
  let count = 0;
  const check = (node: unknown, depth: number): boolean => {
    if (++count > MAX_REPORT_NODES || depth > MAX_REPORT_DEPTH) return false;
    if (typeof node === 'string') return true;
    if (!isPlainObject(node) || typeof node.tag !== 'string' || !REPORT_TAGS.has(node.tag)) return false;
    for (const key of Object.keys(node)) if (key !== 'tag' && key !== 'attrs' && key !== 'children') return false;
    if (node.attrs !== undefined && (!isPlainObject(node.attrs) || !Object.entries(node.attrs).every(([k, a]) => REPORT_ATTRS.has(k) && typeof a === 'string'))) return false;
    if (node.children !== undefined && (!Array.isArray(node.children) || !node.children.every((c) => check(c, depth + 1)))) return false;
    return true;
  };
  return check(v, 0);
};

/** Host → report preview. */
export type ReportPanelHostMessage =
  | {
      type: 'showReport';
      run: { id: string; name: string };
      document: ReportNode;
      /** A signing key is stored (VS Code secret storage): the export can sign the manifest. */
      canSign: boolean;
      /** False in Restricted Mode (export is still allowed: it executes nothing). */
      trusted: boolean;
    }
  | { type: 'progress'; message: string; done: number; total: number }
  | { type: 'exported'; file: string; files: number; signed: boolean; verified: boolean }
  | { type: 'error'; message: string };

/** Report preview → host. */
export type ReportPanelWebviewMessage = { type: 'ready' } | { type: 'export'; sign: boolean } | { type: 'refresh' };

export const isReportPanelHostMessage: Guard<ReportPanelHostMessage> = messageGuard<ReportPanelHostMessage>({
  showReport: { run: objectOf<{ id: string; name: string }>({ id: isRunId, name: isString }), document: isReportNode, canSign: isBoolean, trusted: isBoolean },
  progress: { message: isString, done: isCount, total: isCount },
  exported: { file: isString, files: isCount, signed: isBoolean, verified: isBoolean },
  error: { message: isString },
});

export const isReportPanelWebviewMessage: Guard<ReportPanelWebviewMessage> = messageGuard<ReportPanelWebviewMessage>({
  ready: {},
  export: { sign: isBoolean },
  refresh: {},
});
