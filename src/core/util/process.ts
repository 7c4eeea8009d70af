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
