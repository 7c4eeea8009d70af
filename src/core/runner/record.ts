import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { commitRunRecord } from '../git/snapshot';
import { runDir } from '../runs/store';
import type { RunRecord } from '../runs/types';

/** Files of the run folder larger than this stay out of the git record (they remain in the folder). */
export const RECORD_FILE_LIMIT = 5 * 1024 * 1024;

/** Commits the run folder's small files on top of the run's code snapshot (see commitRunRecord). */
export async function storeRecordInGit(root: string, record: RunRecord): Promise<string> {
  const dir = runDir(root, record.id);
  const files = new Map<string, Uint8Array>();
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const stat = statSync(join(dir, name));
    if (stat.isFile() && stat.size <= RECORD_FILE_LIMIT) files.set(name, readFileSync(join(dir, name)));
  }
  return commitRunRecord(root, record.code, record.id, files);
}
