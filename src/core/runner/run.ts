import { rmSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { loadConfig, type ProvenantConfig } from '../config/config';
import { requireRepoRoot, currentBranch, git, fs } from '../git/repo';
import { snapshotWorkingTree } from '../git/snapshot';
import { snapshotEnvironment } from '../env/snapshot';
import { hashDataDependencies } from '../data/hashData';
import { cacheRunData, keepRunManifests } from '../data/runData';
import { newRunId } from '../runs/ids';
import { ensureProvenantGitignore, runDir, writeRun } from '../runs/store';
import { RUN_SCHEMA, type CodeState, type DataVersion, type EnvironmentSnapshot, type RunRecord, type RunStatus } from '../runs/types';
import { resolveSeeds, withDeclaredSeed } from './seeds';
import { resolveCommand } from './command';
import { argumentParams } from './args';
import { probedInterpreter } from './interpreter';
import { redactCommand } from './redact';
import { execute } from './execute';
import { collectRunOutputs } from './collect';
import { recoverInterruptedRuns } from './recover';
import { assertNoInterruptedSwitch } from '../experiments/switchState';
import { storeRecordInGit } from './record';
import { statWorkingTree, workingTreeWrites } from './workingTreeWrites';

export interface RunOptions {
  /** Any folder inside the workspace's git repository. */
  cwd: string;
  /** argv; defaults to `train` from config.yaml. */
  command?: string[];
  name?: string;
  seed?: string | number;
  /** Overrides `python` from config.yaml. */
  python?: string;
  /** Folder holding the `provenant` Python package, put first on PYTHONPATH. */
  pythonHelperDir: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Progress messages for people ("Hashing data…"). */
  onStep?: (message: string) => void;
  /** Called once the record exists on disk with status `running`. */
  onStarted?: (record: RunRecord) => void;
}

export interface RunOutcome {
  record: RunRecord;
  warnings: string[];
}

function statusOf(result: { exitCode: number | null; signal: string | null; interruptedBy: string | null; spawnError: string | null }): RunStatus {
  if (result.interruptedBy || result.signal) return 'interrupted';
  return result.exitCode === 0 ? 'succeeded' : 'failed';
}

/**
 * One complete run: code snapshot, seeds, environment, data hashes, the command itself, then
 * params, metrics, predictions and artifacts, each step leaving a valid record on disk.
 */
export async function runExperiment(options: RunOptions): Promise<RunOutcome> {
  const root = requireRepoRoot(options.cwd);
  const config: ProvenantConfig = loadConfig(root);
  const python = options.python || config.python;
  const command = resolveCommand(options.command ?? config.train, python);
  assertNoInterruptedSwitch(root, 'start a run');
  await recoverInterruptedRuns(root);

  const started = new Date();
  const id = newRunId(started);
  const dir = runDir(root, id);
  ensureProvenantGitignore(root);

  const step = options.onStep ?? (() => undefined);
  const baseEnv = options.env ?? process.env;
  const seeds = resolveSeeds(root, config.paramsFile, options.seed);
  const commandEnv = { ...baseEnv, ...seeds.env };
  // What is recorded and shown never holds a secret given on the command line.
  const recorded = redactCommand(command.argv);
  const argParams = argumentParams(recorded.argv, commandEnv, root);
  const interpreter = probedInterpreter(command.exec, commandEnv, root, python);
  let code: CodeState | undefined;
  let environment: EnvironmentSnapshot;
  let data: DataVersion[];
  let dataWarnings: string[];
  try {
    step('Snapshotting the code');
    code = await snapshotWorkingTree(root, { runId: id });
    step(`Hashing ${config.data.length} data dependenc${config.data.length === 1 ? 'y' : 'ies'} and reading the environment`);
    [environment, data] = await Promise.all([
      snapshotEnvironment(root, interpreter.path, commandEnv).then((env) => ({ ...env, interpreter })),
      hashDataDependencies(root, config.data, options.signal ? { signal: options.signal } : {}),
    ]);
    // Data versioning: when the workspace uses DVC, the exact data of this run goes into the DVC
    // cache, so it can be checked out again later (`provenant data checkout --run <id>`).
    dataWarnings = await cacheRunData(root, data, options.signal ? { signal: options.signal } : {});
    dataWarnings.push(...(await keepRunManifests(root, dir, data, options.signal ? { signal: options.signal } : {})));
  } catch (err) {
    // Nothing was recorded yet: take back the empty folder and the ref this attempt created.
    rmSync(dir, { recursive: true, force: true });
    if (code) await git.deleteRef({ fs, dir: root, ref: code.snapshotRef }).catch(() => undefined);
    throw err;
  }

  const record: RunRecord = {
    schema: RUN_SCHEMA,
    id,
    name: options.name ?? id,
    experiment: await currentBranch(root),
    status: 'running',
    command: recorded.argv,
    ...(recorded.redacted.length ? { redactedArguments: recorded.redacted } : {}),
    cwd: '.',
    exitCode: null,
    signal: null,
    startedAt: started.toISOString(),
    endedAt: null,
    durationMs: null,
    user: userInfo().username,
    host: hostname(),
    pid: process.pid,
    code,
    seeds,
    environment,
    data,
    params: argParams,
    metrics: {},
    artifacts: [],
    predictions: [],
  };
  writeRun(root, record);
  options.onStarted?.(record);

  step(`Running ${redactCommand(command.exec, () => '').argv.join(' ')}`);
  const pythonPath = [options.pythonHelperDir, baseEnv.PYTHONPATH].filter(Boolean).join(delimiter);
  const treeBefore = statWorkingTree(root);
  const result = await execute({
    argv: command.exec,
    cwd: root,
    env: { ...baseEnv, ...seeds.env, PROVENANT_RUN_DIR: dir, PROVENANT_RUN_ID: id, PYTHONPATH: pythonPath, PYTHONUNBUFFERED: '1' },
    stdoutFile: join(dir, 'stdout.log'),
    stderrFile: join(dir, 'stderr.log'),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });

  const ended = new Date();
  const written = workingTreeWrites(root, treeBefore);
  const collected = collectRunOutputs(root, dir, config.paramsFile, started.getTime());
  // Params the script reports itself win over what was read from its command line.
  const params = { ...argParams, ...collected.params };
  const final: RunRecord = {
    ...record,
    status: result.spawnError ? 'failed' : statusOf(result),
    exitCode: result.exitCode,
    signal: result.signal ?? result.interruptedBy,
    endedAt: ended.toISOString(),
    durationMs: ended.getTime() - started.getTime(),
    seeds: withDeclaredSeed({ ...seeds, seeded: collected.seeded }, params),
    params,
    metrics: collected.metrics,
    artifacts: collected.artifacts,
    predictions: collected.predictions,
    written,
    ...(result.spawnError ? { note: result.spawnError } : {}),
  };
  writeRun(root, final);
  await storeRecordInGit(root, final);
  const warnings = [...dataWarnings, ...collected.warnings];
  return { record: final, warnings: result.spawnError ? [result.spawnError, ...warnings] : warnings };
}
