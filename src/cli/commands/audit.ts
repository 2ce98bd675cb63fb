import type { Command } from 'commander';
import { verifyAuditChain } from '../../audit/audit-log.ts';
import { TideError } from '../../errors/tide-error.ts';
import { openDatabase, type Store } from '../../store/database.ts';
import type { CliContext } from '../output.ts';
import { loadEnv } from '../settings.ts';

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('The hash-chained audit log');
  audit
    .command('verify')
    .description(
      'Check the audit log offline: exit 0 when intact, 1 with one line per modified, deleted or reordered entry',
    )
    .option('--data-dir <dir>', 'data directory holding the SQLite database (default: TIDE_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL URL (default: TIDE_DATABASE_URL; unset = SQLite)')
    .action(async (options: { dataDir?: string; databaseUrl?: string }) => {
      const env = loadEnv();
      const store = await openDatabase({
        url: options.databaseUrl ?? env.TIDE_DATABASE_URL,
        dataDir: options.dataDir ?? env.TIDE_DATA_DIR,
      });
      try {
        await requireAuditTables(store);
        const result = await verifyAuditChain(store.db);
        if (result.ok) {
          ctx.output.out(`audit log intact: ${result.entries} entries`);
          return;
        }
        for (const problem of result.problems) ctx.output.out(`${problem.kind}: ${problem.message}`);
        ctx.output.err(
          `tide: the audit log was tampered with: ${result.problems.length} problem(s) in ${result.entries} entries`,
        );
        ctx.exitCode = 1;
      } finally {
        await store.close();
      }
    });
}

/**
 * Verification only reads: it never migrates. A database without the audit tables gets a clear message
 * rather than a "no such table" from the driver.
 */
async function requireAuditTables(store: Store): Promise<void> {
  const tables = await store.db.introspection.getTables();
  const names = new Set(tables.map((table) => table.name));
  if (!names.has('audit_log') || !names.has('audit_log_head')) {
    throw new TideError(
      'database_unavailable',
      `${store.location} has no audit log: it is not migrated (run tide db migrate, or start tide serve)`,
    );
  }
}
