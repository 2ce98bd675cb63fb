import type { Command } from 'commander';
import { migrateToLatest } from '../../store/migrate.ts';
import type { CliContext } from '../output.ts';
import { withOfflineStore, withStoreOptions, type StoreOptions } from '../offline-store.ts';

export function registerDbMigrate(program: Command, ctx: CliContext): void {
  const migrate = program
    .command('db')
    .description('Database maintenance')
    .command('migrate')
    .description('Apply pending database migrations (tide serve also does this at start, under a lock)');
  withStoreOptions(migrate).action((options: StoreOptions) =>
    withOfflineStore(
      options,
      async (store) => {
        const { applied } = await migrateToLatest(store);
        ctx.output.out(
          applied.length === 0
            ? `${store.location}: up to date`
            : `${store.location}: applied ${applied.join(', ')}`,
        );
      },
      ctx.env,
    ),
  );
}
