import type { Command } from 'commander';
import { verifyAuditChain } from '../../audit/audit-log.ts';
import { TideError } from '../../errors/tide-error.ts';
import type { Store } from '../../store/database.ts';
import type { CliContext } from '../output.ts';
import { withOfflineStore, withStoreOptions, type StoreOptions } from '../offline-store.ts';

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('The hash-chained audit log');
  const verify = audit
    .command('verify')
    .description(
      'Check the audit log offline: exit 0 when intact, 1 with one line per modified, deleted or reordered entry',
    );
  withStoreOptions(verify).action((options: StoreOptions) =>
    withOfflineStore(options, async (store) => {
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
    }),
  );
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
