import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { listRuns, runDir, writeRun } from '../runs/store';
import type { RunRecord } from '../runs/types';
import { RUN_REF_PREFIX } from '../git/snapshot';
import { processAlive } from '../util/process';
import { storeRecordInGit } from './record';

function lastWrite(dir: string): number {
  let latest = 0;
  for (const name of readdirSync(dir)) latest = Math.max(latest, statSync(`${dir}/${name}`).mtimeMs);
  return latest;
}

/**
 * Runs still marked `running` whose runner process is gone on this host (killed, machine crash)
 * are recorded as `interrupted`, so no record stays half-finished. Runs whose record is final but
 * whose ref still points at the bare code snapshot (the runner was killed between writing run.json
 * and committing it) get their record commit. Returns the ids recorded as interrupted.
 */
export async function recoverInterruptedRuns(root: string): Promise<string[]> {
  const fixed: string[] = [];
  const host = hostname();
  const runs = listRuns(root).runs;
  for (const run of runs) {
    if (run.status !== 'running' || run.host !== host || processAlive(run.pid)) continue;
    const endedMs = Math.max(lastWrite(runDir(root, run.id)), Date.parse(run.startedAt));
    const record: RunRecord = {
      ...run,
      status: 'interrupted',
      endedAt: new Date(endedMs).toISOString(),
      durationMs: Math.max(0, endedMs - Date.parse(run.startedAt)),
      note: 'The runner process ended without recording the end of the run (killed or crashed); found when Provenant next started.',
    };
    writeRun(root, record);
    clearDeadRefLock(root, record);
    await storeRecordInGit(root, record).catch(() => undefined);
    fixed.push(run.id);
  }
  await repairRecordCommits(root, runs.filter((r) => r.status !== 'running'));
  return fixed;
}

/** Loose refs read one by one; packed-refs parsed once. */
function refReader(root: string): (ref: string) => string | null {
  let packed: Map<string, string> | null = null;
  return (ref) => {
    try {
      return readFileSync(join(root, '.git', ref), 'utf8').trim();
    } catch {
      // not a loose ref
    }
    if (!packed) {
      packed = new Map();
      try {
        for (const line of readFileSync(join(root, '.git', 'packed-refs'), 'utf8').split('\n')) {
          const m = /^([0-9a-f]{40}) (\S+)$/.exec(line);
          if (m) packed.set(m[2]!, m[1]!);
        }
      } catch {
        // none
      }
    }
    return packed.get(ref) ?? null;
  };
}

/** The runner that died left its ref's lock behind: it is stale once that process is gone. */
function clearDeadRefLock(root: string, run: RunRecord): void {
  rmSync(join(root, '.git', `${RUN_REF_PREFIX}${run.id}.lock`), { force: true });
}

/** Final records whose ref is still the bare snapshot get their record commit (see recoverInterruptedRuns). */
export async function repairRecordCommits(root: string, runs: RunRecord[]): Promise<string[]> {
  const host = hostname();
  const refOf = refReader(root);
  const repaired: string[] = [];
  for (const run of runs) {
    if (run.status === 'running' || run.code.snapshotRef !== `${RUN_REF_PREFIX}${run.id}`) continue;
    if (refOf(run.code.snapshotRef) !== run.code.snapshotCommit) continue;
    // Its runner may still be about to commit the record itself.
    if (run.host === host && run.pid !== process.pid && processAlive(run.pid)) continue;
    if (run.host !== host) continue;
    clearDeadRefLock(root, run);
    try {
      await storeRecordInGit(root, run);
      repaired.push(run.id);
    } catch {
      // left for the next start (e.g. the disk is full)
    }
  }
  return repaired;
}
