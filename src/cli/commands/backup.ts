import path from 'node:path';
import type { Command } from 'commander';
import { configuredKeyIds } from '../../backup/backup-keys.ts';
import {
  createBackup,
  readArchive,
  restoreBackup,
  verifyBackup,
  type BackupManifest,
} from '../../backup/backup.ts';
import { lockDataDir } from '../../store/data-dir-lock.ts';
import { systemClock } from '../../time/clock.ts';
import type { CliContext } from '../output.ts';
import { withOfflineStore, withStoreOptions, type StoreOptions } from '../offline-store.ts';
import { loadEnv } from '../settings.ts';

interface CreateOptions extends StoreOptions {
  output?: string;
  configDir?: string;
}

interface RestoreOptions extends StoreOptions {
  force?: boolean;
}

export function registerBackup(program: Command, ctx: CliContext): void {
  const backup = program
    .command('backup')
    .description('Back up the database to one archive, check an archive, restore one (docs/backup.md)');

  const create = backup
    .command('create')
    .description(
      'Write a consistent snapshot of the running database (online: no need to stop tide serve) to a tar archive with a manifest of checksums; keys are never in it',
    )
    .option('--output <file>', 'where to write the archive (default: ./tide-backup-<time>.tar)')
    .option('--config-dir <dir>', 'configuration directory to record the hash of (default: TIDE_CONFIG_DIR)');
  withStoreOptions(create).action((options: CreateOptions) =>
    withOfflineStore(
      options,
      async (store) => {
        const env = loadEnv(ctx.env);
        const now = systemClock.now();
        const file = path.resolve(ctx.cwd, options.output ?? defaultName(now));
        const configDir = options.configDir ?? ctx.env.TIDE_CONFIG_DIR;
        const created = await createBackup({
          store,
          clock: { now: () => now },
          file,
          trigger: 'manual',
          configDir: configDir ? path.resolve(ctx.cwd, configDir) : undefined,
          keyIds: await configuredKeyIds({
            encryptionKey: env.TIDE_ENCRYPTION_KEY,
            previousKeys: env.TIDE_ENCRYPTION_KEY_PREVIOUS,
            auditKey: env.TIDE_AUDIT_KEY,
            dataDir: options.dataDir ?? env.TIDE_DATA_DIR,
          }),
        });
        ctx.output.out(
          `backup written: ${created.file} (${created.size} bytes, sha256 ${created.sha256}): ${summary(created.manifest)}`,
        );
      },
      ctx.env,
    ),
  );

  backup
    .command('verify <file>')
    .description(
      'Check an archive without restoring it: manifest, every checksum and row count; exit 2 naming the bad file',
    )
    .action(async (file: string) => {
      const archive = path.resolve(ctx.cwd, file);
      const { manifest } = verifyBackup(await readArchive(archive), archive);
      ctx.output.out(`backup ok: ${archive}: ${summary(manifest)}`);
      const keys = [...manifest.keys.encryption_in_use];
      ctx.output.out(
        `keys it needs (not in the backup): encryption key id(s) ${keys.length > 0 ? keys.join(', ') : '(none used)'}; audit key id ${manifest.keys.audit ?? '(unknown)'}`,
      );
    });

  const restore = backup
    .command('restore <file>')
    .description(
      'Restore an archive into an empty database (SQLite or PostgreSQL, either way round) in one transaction; verified first',
    )
    .option('--force', 'replace the data of a database that is not empty');
  withStoreOptions(restore).action((file: string, options: RestoreOptions) =>
    withOfflineStore(
      options,
      async (store) => {
        const source = path.resolve(ctx.cwd, file);
        const archive = await readArchive(source);
        // Not under a running server: on SQLite its data directory lock says whether one runs there.
        const lock =
          store.dialect === 'sqlite'
            ? lockDataDir(options.dataDir ?? loadEnv(ctx.env).TIDE_DATA_DIR, systemClock.now())
            : null;
        const restored = await restoreBackup({
          store,
          archive,
          source,
          force: options.force === true,
        }).finally(() => lock?.release());
        ctx.output.out(
          `restored ${source} into ${store.location}: ${restored.rows} rows; ${summary(restored.manifest)}`,
        );
        ctx.output.out(
          'start tide serve with the same TIDE_ENCRYPTION_KEY and TIDE_AUDIT_KEY as the source (the backup holds their ids only), then run tide audit verify',
        );
      },
      ctx.env,
    ),
  );
}

function summary(manifest: BackupManifest): string {
  const rows = Object.values(manifest.tables).reduce((sum, count) => sum + count, 0);
  return `${Object.keys(manifest.tables).length} tables, ${rows} rows, ${manifest.dialect} at ${manifest.migration_level}, taken ${manifest.created_at} by Tide ${manifest.tide_version}`;
}

function defaultName(now: Date): string {
  return `tide-backup-${now.toISOString().replace(/[:.]/g, '-')}.tar`;
}
