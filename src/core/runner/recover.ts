import { readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { listRuns, runDir, writeRun } from '../runs/store';
import type { RunRecord } from '../runs/types';
import { storeRecordInGit } from './record';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lastWrite(dir: string): number {
  let latest = 0;
  for (const name of readdirSync(dir)) latest = Math.max(latest, statSync(`${dir}/${name}`).mtimeMs);
  return latest;
}

/**
 * Runs still marked `running` whose runner process is gone on this host (killed, machine crash)
 * are recorded as `interrupted`, so no record stays half-finished. Returns the ids it fixed.
 */
export async function recoverInterruptedRuns(root: string): Promise<string[]> {
  const fixed: string[] = [];
  const host = hostname();
  for (const run of listRuns(root).runs) {
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
    await storeRecordInGit(root, record).catch(() => undefined);
    fixed.push(run.id);
  }
  return fixed;
}
