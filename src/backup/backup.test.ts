import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestToken, createTestUser } from '../../test/helpers/auth-fixture.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { TideError } from '../errors/tide-error.ts';
import { migrateToLatest, migrationNames } from '../store/migrate.ts';
import { ManualClock } from '../time/clock.ts';
import { backupTables, tablesNotBackedUp } from './backup-tables.ts';
import { auditKeyId, configuredKeyIds } from './backup-keys.ts';
import { listTables, migrationLevel } from './backup.repo.ts';
import {
  configHash,
  createBackup,
  lastSuccessfulBackup,
  restoreBackup,
  verifyBackup,
  type BackupManifest,
} from './backup.ts';
import { readTar, writeTar } from './tar.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function scratch(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tide-backup-test-'));
  dirs.push(dir);
  return dir;
}

const keyIds = { encryption: ['00112233aabbccdd'], audit: null };

forEachDialect('backups', (harness) => {
  async function seededBackup(at = '2027-03-01T10:00:00.000Z') {
    await createTestUser(harness.db, { username: 'alice', role: 'admin' });
    await createTestToken(harness.db, { username: 'alice', role: 'admin' }, { name: 'ci' });
    const file = path.join(scratch(), 'backup.tar');
    const created = await createBackup({
      store: harness.store,
      clock: new ManualClock(at),
      file,
      trigger: 'manual',
      keyIds,
    });
    return { file, created, archive: readFileSync(file) };
  }

  it('holds every table of a migrated database but the backups register', async () => {
    expect((await listTables(harness.db)).sort()).toEqual([...backupTables, ...tablesNotBackedUp].sort());
  });

  it('writes a manifest with the schema level, row counts, checksums and key ids, and records the backup', async () => {
    expect(await lastSuccessfulBackup(harness.db)).toBeNull();
    const { created, archive } = await seededBackup();
    const { manifest } = verifyBackup(archive, 'backup.tar');
    expect(manifest).toMatchObject({
      format: 'tide-backup',
      format_version: 1,
      dialect: harness.dialect,
      migration_level: migrationNames.at(-1),
      created_at: '2027-03-01T10:00:00.000Z',
      config_hash: null,
      keys: { encryption_in_use: [], encryption_configured: keyIds.encryption, audit: null },
    });
    expect(manifest.tables).toMatchObject({ users: 1, api_tokens: 1, runs: 0 });
    expect(manifest.files.map((file) => file.name)).toEqual(backupTables.map((t) => `tables/${t}.jsonl`));
    expect(created.manifest).toEqual(manifest);
    expect(await lastSuccessfulBackup(harness.db)).toEqual(new Date('2027-03-01T10:00:00.000Z'));
  });

  it('restores into an unmigrated database: the schema at the backup level, then the same rows', async () => {
    const { archive } = await seededBackup();
    const target = await harness.open(await harness.freshDatabase());
    const restored = await restoreBackup({ store: target, archive, source: 'b.tar', force: false });
    expect(restored.rows).toBe(2);
    expect(await migrationLevel(target.db)).toBe(migrationNames.at(-1));
    for (const table of ['users', 'api_tokens'] as const) {
      expect(await target.db.selectFrom(table).selectAll().execute()).toEqual(
        await harness.db.selectFrom(table).selectAll().execute(),
      );
    }
  });

  it('restores into a migrated empty database, refuses one with rows, and replaces them with force', async () => {
    const { archive } = await seededBackup();
    const target = await harness.open(await harness.freshDatabase());
    await migrateToLatest(target);
    await restoreBackup({ store: target, archive, source: 'b.tar', force: false });
    const refused = restoreBackup({ store: target, archive, source: 'b.tar', force: false });
    await expect(refused).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/not empty \(users: 1 rows, api_tokens: 1 rows/),
    });
    await createTestUser(target.db, { username: 'mallory', role: 'viewer' });
    await restoreBackup({ store: target, archive, source: 'b.tar', force: true });
    const users = await target.db.selectFrom('users').select('username').execute();
    expect(users).toEqual([{ username: 'alice' }]);
  });

  it('refuses a database migrated further than the backup, and builds an older schema for it when unmigrated', async () => {
    const { archive } = await seededBackup();
    const older = rewriteManifest(archive, (manifest) => ({
      ...manifest,
      migration_level: '0013_run_waits',
    }));
    const migrated = await harness.open(await harness.freshDatabase());
    await migrateToLatest(migrated);
    await expect(
      restoreBackup({ store: migrated, archive: older, source: 'old.tar', force: false }),
    ).rejects.toMatchObject({
      code: 'conflict',
      // The latest migration, whichever it is: the test must not need editing with each new one.
      message: expect.stringContaining(
        `is migrated further (${migrationNames.at(-1)}) than the backup (0013_run_waits)`,
      ),
    });
    const fresh = await harness.open(await harness.freshDatabase());
    await restoreBackup({ store: fresh, archive: older, source: 'old.tar', force: false });
    expect(await migrationLevel(fresh.db)).toBe('0013_run_waits');
    expect(await fresh.db.selectFrom('users').select('username').execute()).toEqual([{ username: 'alice' }]);
  });

  // SQLite to PostgreSQL is test/e2e/backup-restore.test.ts.
  it.runIf(harness.dialect === 'postgres')(
    'restores a PostgreSQL backup into SQLite with the same rows',
    async () => {
      const { archive } = await seededBackup();
      const other = await harness.open({ dataDir: scratch() });
      await restoreBackup({ store: other, archive, source: 'b.tar', force: false });
      for (const table of ['users', 'api_tokens'] as const) {
        expect(await other.db.selectFrom(table).selectAll().orderBy('id').execute()).toEqual(
          await harness.db.selectFrom(table).selectAll().orderBy('id').execute(),
        );
      }
    },
  );

  it('writes nothing from an archive that fails verification', async () => {
    const { archive } = await seededBackup();
    const wrongCount = rewriteManifest(archive, (manifest) => ({
      ...manifest,
      tables: { ...manifest.tables, users: 2 },
    }));
    const target = await harness.open(await harness.freshDatabase());
    await expect(
      restoreBackup({ store: target, archive: wrongCount, source: 'x.tar', force: false }),
    ).rejects.toMatchObject({
      code: 'backup_invalid',
      message: 'x.tar: tables/users.jsonl: 1 rows, the manifest says 2',
    });
    expect(await migrationLevel(target.db)).toBeNull();
  });
});

describe('backup verification', () => {
  const manifest = (overrides: Partial<BackupManifest> = {}): BackupManifest => ({
    format: 'tide-backup',
    format_version: 1,
    tide_version: '0.1.0',
    migration_level: '0014_backups',
    dialect: 'sqlite',
    created_at: '2027-01-01T00:00:00.000Z',
    config_hash: null,
    keys: { encryption_in_use: [], encryption_configured: [], audit: null },
    tables: {},
    files: [],
    ...overrides,
  });
  const archiveOf = (value: unknown, extra: Array<{ name: string; data: Buffer }> = []): Buffer =>
    writeTar([{ name: 'manifest.json', data: Buffer.from(JSON.stringify(value)) }, ...extra], new Date(0));
  const refusal = (archive: Buffer): string => {
    try {
      verifyBackup(archive, 'a.tar');
    } catch (error) {
      expect(error).toBeInstanceOf(TideError);
      expect((error as TideError).code).toBe('backup_invalid');
      return (error as TideError).message;
    }
    throw new Error('the archive was accepted');
  };

  it('accepts an archive with no tables', () => {
    expect(verifyBackup(archiveOf(manifest()), 'a.tar').tables.size).toBe(0);
  });

  it('refuses an archive without a manifest, or with one that is not a Tide manifest', () => {
    expect(refusal(writeTar([], new Date(0)))).toBe(
      'a.tar: manifest.json: missing: this is not a Tide backup',
    );
    expect(refusal(writeTar([{ name: 'manifest.json', data: Buffer.from('{') }], new Date(0)))).toMatch(
      /^a.tar: manifest.json: not valid JSON/,
    );
    expect(refusal(archiveOf({ format: 'zip' }))).toContain('not a Tide backup manifest');
    expect(refusal(archiveOf(manifest({ format_version: 2 })))).toContain('format version 2');
    expect(refusal(archiveOf({ ...manifest(), files: [{ name: 'x' }] }))).toContain('incomplete');
  });

  it('refuses a backup of a schema this Tide does not know', () => {
    expect(refusal(archiveOf(manifest({ migration_level: '9999_future' })))).toContain(
      "the backup's schema (migration 9999_future, Tide 0.1.0) is unknown",
    );
  });

  it('names a file that is missing, unlisted, resized, unknown or not JSON lines', () => {
    const rows = Buffer.from('{"username":"a"}\n');
    const listed = { name: 'tables/users.jsonl', sha256: sha(rows), size: rows.length };
    expect(refusal(archiveOf(manifest({ files: [listed], tables: { users: 1 } })))).toBe(
      'a.tar: tables/users.jsonl: listed in the manifest but missing from the archive',
    );
    expect(refusal(archiveOf(manifest(), [{ name: 'tables/users.jsonl', data: rows }]))).toBe(
      'a.tar: tables/users.jsonl: not listed in the manifest',
    );
    expect(
      refusal(
        archiveOf(manifest({ files: [{ ...listed, size: 3 }], tables: { users: 1 } }), [
          { name: listed.name, data: rows },
        ]),
      ),
    ).toContain('tables/users.jsonl: size 17 bytes, the manifest says 3');
    const unknown = { ...listed, name: 'tables/nope.jsonl' };
    expect(refusal(archiveOf(manifest({ files: [unknown] }), [{ name: unknown.name, data: rows }]))).toBe(
      'a.tar: tables/nope.jsonl: not a table this Tide knows',
    );
    for (const [text, message] of [
      ['{"a":1}', 'truncated (the last line has no end)'],
      ['nope\n', 'line 1 is not valid JSON'],
      ['[1]\n', 'line 1 is not a row object'],
    ] as const) {
      const data = Buffer.from(text);
      const file = { name: 'tables/users.jsonl', sha256: sha(data), size: data.length };
      expect(
        refusal(archiveOf(manifest({ files: [file], tables: { users: 1 } }), [{ name: file.name, data }])),
      ).toBe(`a.tar: tables/users.jsonl: ${message}`);
    }
    expect(refusal(archiveOf(manifest({ tables: { users: 0 } })))).toBe(
      'a.tar: tables/users.jsonl: counted in the manifest but not listed among its files',
    );
  });

  it('refuses a damaged or truncated tar', () => {
    const archive = archiveOf(manifest());
    const damagedHeader = Buffer.from(archive);
    damagedHeader[101]! ^= 1;
    expect(refusal(damagedHeader)).toContain('the tar header of entry 1 ("manifest.json") is damaged');
    expect(refusal(archive.subarray(0, 1024))).toContain('no end-of-archive marker');
    expect(refusal(archive.subarray(0, 512 + 10))).toContain('manifest.json is truncated');
  });
});

describe('backup helpers', () => {
  it('hashes the config directory by relative paths and contents', async () => {
    const dir = scratch();
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'workspaces/web'), { recursive: true });
    writeFileSync(path.join(dir, 'workspaces/web/config.json'), '{}');
    const first = await configHash(dir);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(path.join(dir, 'workspaces/web/config.json'), '{"enabled":true}');
    expect(await configHash(dir)).not.toBe(first);
  });

  it('names the configured keys by id without reading or generating anything secret into the result', async () => {
    const dir = scratch();
    const key = Buffer.alloc(32, 7);
    const auditKey = 'a'.repeat(48);
    const ids = await configuredKeyIds({ encryptionKey: key, previousKeys: [], auditKey, dataDir: dir });
    expect(ids.encryption).toHaveLength(1);
    expect(ids.encryption[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(ids.audit).toBe(auditKeyId(new TextEncoder().encode(auditKey)));
    expect(
      await configuredKeyIds({
        encryptionKey: undefined,
        previousKeys: [],
        auditKey: undefined,
        dataDir: dir,
      }),
    ).toEqual({
      encryption: [],
      audit: null,
    });
  });
});

function rewriteManifest(archive: Buffer, change: (manifest: BackupManifest) => BackupManifest): Buffer {
  const entries = readTar(archive, 'archive');
  return writeTar(
    entries.map((entry) =>
      entry.name === 'manifest.json'
        ? {
            name: entry.name,
            data: Buffer.from(JSON.stringify(change(JSON.parse(entry.data.toString()) as BackupManifest))),
          }
        : entry,
    ),
    new Date(0),
  );
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
