import { readFileSync } from 'node:fs';

/** True when a process with this id exists on this machine (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number | undefined | null): boolean {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when process `pid` is alive and may be the one that did something at `since` (ISO time):
 * on Linux a process started after that instant is another one that reuses the id.
 */
export function processAliveSince(pid: number | undefined | null, since: string): boolean {
  if (!processAlive(pid)) return false;
  const started = processStartMs(pid!);
  const at = Date.parse(since);
  return started === null || Number.isNaN(at) || started <= at + 2000;
}

/** When a process started (ms since the epoch), from /proc on Linux; null elsewhere. */
function processStartMs(pid: number): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, in clock ticks since boot) counted after the command name's closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    if (!Number.isFinite(ticks) || !btime) return null;
    return Number(btime) * 1000 + (ticks * 1000) / 100;
  } catch {
    return null;
  }
}
