import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runTideInProcess } from '../../../test/helpers/run-cli.ts';
import { backupTables } from '../../backup/backup-tables.ts';
import { lockDataDir } from '../../store/data-dir-lock.ts';
import { migrationNames } from '../../store/migrate.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function scratch(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tide-backup-cli-'));
  dirs.push(dir);
  return dir;
}

describe('tide backup', () => {
  it('backs up a SQLite data directory and restores it into another, refusing one a server holds', async () => {
    const source = scratch();
    expect((await runTideInProcess(['db', 'migrate', '--data-dir', source])).status).toBe(0);
    const archive = path.join(scratch(), 'b.tar');
    const created = await runTideInProcess(['backup', 'create', '--output', archive, '--data-dir', source]);
    expect(created).toMatchObject({ status: 0, stderr: '' });
    expect(created.stdout).toMatch(
      new RegExp(
        `^backup written: .*b\\.tar \\(\\d+ bytes, sha256 [0-9a-f]{64}\\): ${backupTables.length} tables, 0 rows, sqlite at ${migrationNames.at(-1)}`,
      ),
    );

    const target = scratch();
    const held = lockDataDir(target, new Date());
    try {
      const refused = await runTideInProcess(['backup', 'restore', archive, '--data-dir', target]);
      expect(refused.status).toBe(4);
      expect(refused.stderr).toContain('tide serve');
    } finally {
      held.release();
    }
    const restored = await runTideInProcess(['backup', 'restore', archive, '--data-dir', target]);
    expect(restored).toMatchObject({ status: 0, stderr: '' });
    expect(restored.stdout).toContain('restored');
    expect(restored.stdout).toContain('0 rows');
  });

  it('refuses to back up an unmigrated database, and to verify a file that is not there', async () => {
    const empty = scratch();
    const created = await runTideInProcess([
      'backup',
      'create',
      '--output',
      path.join(empty, 'x.tar'),
      '--data-dir',
      empty,
    ]);
    expect(created.status).toBe(5);
    expect(created.stderr).toContain('is not migrated: there is nothing to back up');
    const missing = await runTideInProcess(['backup', 'verify', path.join(empty, 'none.tar')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot read the backup');
  });
});
