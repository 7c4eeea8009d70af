/** The run record, `.provenant/runs/<id>/run.json`. JSON Schema: schema/run.schema.json. */
export const RUN_SCHEMA = 'provenant.run/1';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';
export type ParamValue = string | number | boolean | null;

export interface CodeState {
  /** HEAD when the run started (null in a repository without commits). */
  baseCommit: string | null;
  /** Commit holding the exact files at run start; its parent is baseCommit. */
  snapshotCommit: string;
  snapshotRef: string;
  /** True when the snapshot differs from HEAD (uncommitted edits or untracked files). */
  dirty: boolean;
  /** Files that differ from HEAD, with how. */
  changedFiles: { path: string; change: 'added' | 'modified' | 'deleted' }[];
}

export interface Seeds {
  root: number;
  /** Where the root seed came from. */
  source: 'flag' | 'params' | 'generated';
  /** Environment variables set for determinism. */
  env: Record<string, string>;
  /** Libraries the script seeded through the helper (`seed_everything`). */
  seeded: string[];
  /**
   * The seed parameter found: where the root seed was read (source `params`), or, for a generated
   * root seed, the seed the run's own params declare (command line or logged by the script).
   */
  param?: { key: string; value: number; file: string };
}

export interface GpuInfo {
  name: string;
  driver: string;
  memoryMiB: number | null;
  cuda: string | null;
}

export interface EnvironmentSnapshot {
  fingerprint: string;
  python: { executable: string; version: string; implementation: string } | null;
  /**
   * The interpreter probed: the one the run's command runs (named by it or by its script's `#!`
   * line, looked up on the command's PATH), else the configured one or `python3` on PATH.
   */
  interpreter?: { path: string; source: 'command' | 'shebang' | 'configured' | 'default' };
  /** Set when the interpreter could not be probed, and why. */
  pythonError?: string;
  packages: Record<string, string>;
  lockfiles: Record<string, string>;
  os: { platform: string; release: string; arch: string; distro: string | null };
  cpu: { model: string; cores: number };
  memoryBytes: number;
  gpus: GpuInfo[];
  /** Allow-listed environment variables only; never secrets. */
  variables: Record<string, string>;
  node: string;
}

export interface DataVersion {
  path: string;
  md5: string;
  size: number;
  nfiles?: number;
}

export interface ArtifactRecord {
  path: string;
  md5: string;
  size: number;
  /** Copy kept in the run folder (small artifacts only), relative to it. */
  stored?: string;
}

export interface PredictionSet {
  name: string;
  file: string;
  rows: number;
  columns: string[];
  yTrue: string;
  yScore: string | null;
  yPred: string | null;
  features: string[];
  /** Class probabilities of a classifier (`y_proba=`): the class labels and their columns, in the same order. */
  yProba?: { classes: string[]; columns: string[] };
}

export interface RunRecord {
  schema: typeof RUN_SCHEMA;
  id: string;
  name: string;
  experiment: string | null;
  status: RunStatus;
  command: string[];
  cwd: string;
  exitCode: number | null;
  signal: string | null;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  user: string;
  host: string;
  pid: number;
  code: CodeState;
  seeds: Seeds;
  environment: EnvironmentSnapshot;
  data: DataVersion[];
  params: Record<string, ParamValue>;
  metrics: Record<string, number>;
  artifacts: ArtifactRecord[];
  predictions: PredictionSet[];
  /** Why a run ended as it did, when Provenant knows (e.g. "runner process vanished"). */
  note?: string;
  /** Command-line values taken out of `command` because their argument's name looks secret (see runner/redact.ts). */
  redactedArguments?: RedactedArgument[];
  /** The latest reproduction's verdict; the details are in the run folder's `reproduction.json`. */
  reproduction?: ReproductionSummary;
  /** Files of the working tree the command wrote, changed or removed (absent in older records). */
  written?: WorkingTreeWrites;
}

/** A command-line value replaced by `[redacted]` in the recorded command (see runner/redact.ts). */
export interface RedactedArgument {
  /** Index in the recorded command of the element that held the value. */
  index: number;
  /** The argument's name as written (`--api-key`, `DB_PASSWORD`, `db.password`). */
  argument: string;
  /** `scrypt:<salt hex>:<hash hex>` of the value (N=16384, r=8, p=1). */
  digest: string;
}

export interface WrittenFile {
  /** Workspace-relative, `/`-separated. */
  path: string;
  change: 'added' | 'modified' | 'deleted';
  /** Size at the end of the run (0 when deleted). */
  size: number;
  /** SHA-256 of the content at the end of the run; null when deleted or too large to hash. */
  sha256: string | null;
}

export interface WorkingTreeWrites {
  files: WrittenFile[];
  /** Folders not looked into (caches, environments), workspace-relative. */
  skipped: string[];
  /** Set when the examination was bounded (too many entries, files too large to hash), and how. */
  limited?: string;
}

/**
 * identical: every compared byte is equal; within-tolerance: differences all within tolerance (or
 * equal values written differently); diverged: a difference beyond tolerance; unverified: nothing
 * comparable was produced, so nothing was shown; missing-input: the re-run could not read an
 * input that the snapshot and the cache do not hold.
 */
export type ReproductionVerdict = 'identical' | 'within-tolerance' | 'diverged' | 'unverified' | 'missing-input';
export const REPRODUCTION_VERDICTS: readonly ReproductionVerdict[] = ['identical', 'within-tolerance', 'diverged', 'unverified', 'missing-input'];

export interface ReproductionSummary {
  verdict: ReproductionVerdict;
  /** Id of the re-run (made in an isolated checkout). */
  run: string;
  finishedAt: string;
  /** Differences found (0 when identical). */
  differences: number;
}

export interface MetricPoint {
  name: string;
  value: number;
  step: number | null;
  timestamp: string | null;
}
