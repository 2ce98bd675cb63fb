/**
 * Child process for the concurrent-migration test: opens the database given as JSON OpenDatabaseOptions
 * in argv[2], prints "ready", waits for a line on stdin (so two children start migrating together), then
 * migrates and prints {"applied": [...]} or {"error": {...}} as one JSON line.
 */
import { createInterface } from 'node:readline';
import { openDatabase } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { toTideError } from '../../src/errors/tide-error.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as { url?: string; dataDir: string };
const store = await openDatabase(options);
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();
try {
  const result = await migrateToLatest(store);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  const tideError = toTideError(error);
  process.stdout.write(
    `${JSON.stringify({ error: { code: tideError.code, message: tideError.message } })}\n`,
  );
  process.exitCode = 1;
} finally {
  await store.close();
}
