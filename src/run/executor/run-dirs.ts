import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../../store/schema.ts';
import { getRun } from '../run.repo.ts';
import { isDone } from '../run-state.ts';

/**
 * Removes run directories (`<dataDir>/runs/<run-id>`) left behind by a runner that died mid-run: those of
 * runs that are finished or unknown. A running run's directory is kept — on a data directory shared by
 * replicas it may be another runner's working directory. State directories are never touched.
 */
export async function removeFinishedRunDirs(db: Db, dataDir: string): Promise<string[]> {
  const runsDir = path.join(dataDir, 'runs');
  const entries = await readdir(runsDir, { withFileTypes: true }).catch(() => []);
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const run = await getRun(db, entry.name);
    if (run && !isDone(run.state)) continue;
    await rm(path.join(runsDir, entry.name), { recursive: true, force: true });
    removed.push(entry.name);
  }
  return removed;
}
