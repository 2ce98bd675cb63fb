import type { Command } from 'commander';
import {
  parseCheckpointArgument,
  readCheckpointFile,
  type CheckpointClaim,
} from '../../audit/audit-checkpoint.ts';
import { findAuditKey } from '../../audit/audit-key.ts';
import { verifyAuditChain, type AuditVerification } from '../../audit/audit-log.ts';
import { TideError } from '../../errors/tide-error.ts';
import type { Store } from '../../store/database.ts';
import type { CliContext } from '../output.ts';
import { withOfflineStore, withStoreOptions, type StoreOptions } from '../offline-store.ts';
import { loadEnv } from '../settings.ts';

interface VerifyOptions extends StoreOptions {
  checkpoint: CheckpointClaim[];
}

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('The hash-chained, signed audit log');
  const verify = audit
    .command('verify')
    .description(
      'Check the audit log offline against its signatures and checkpoints: exit 0 when intact, 1 with one line per modified, forged, deleted, reordered, truncated or wiped part',
    )
    .option(
      '--checkpoint <sequence:hash>',
      'a checkpoint to compare with, from an `audit checkpoint` log line (repeatable); <data-dir>/audit-checkpoint is always used when present',
      (text: string, all: CheckpointClaim[]) => [...all, parseCheckpointArgument(text)],
      [],
    );
  withStoreOptions(verify).action((options: VerifyOptions) =>
    withOfflineStore(
      options,
      async (store) => {
        await requireAuditTables(store);
        const env = loadEnv(ctx.env);
        const dataDir = options.dataDir ?? env.TIDE_DATA_DIR;
        const key = await findAuditKey({ key: env.TIDE_AUDIT_KEY, dataDir });
        const file = await readCheckpointFile(dataDir);
        const checkpoints = file ? [file, ...options.checkpoint] : options.checkpoint;
        if (checkpoints.length === 0) {
          ctx.output.err(
            `tide: no checkpoint to compare with (${dataDir} has no audit-checkpoint): a wiped log, or newest entries removed with an old head row put back, would not show; pass --checkpoint <sequence>:<hash> from the latest "audit checkpoint" log line`,
          );
        }
        report(ctx, await verifyAuditChain(store.db, { key, checkpoints }), checkpoints);
      },
      ctx.env,
    ),
  );
}

function report(ctx: CliContext, result: AuditVerification, checkpoints: readonly CheckpointClaim[]): void {
  if (result.unsigned > 0) {
    ctx.output.out(
      `note: the first ${result.unsigned} entries predate signing: the chain and the signatures after them cover them`,
    );
  }
  if (result.ok) {
    const matched = checkpoints.map((claim) => `entry ${claim.sequence} of ${claim.source}`).join(', ');
    ctx.output.out(`audit log intact: ${result.entries} entries${matched ? `, matching ${matched}` : ''}`);
    return;
  }
  for (const problem of result.problems) ctx.output.out(`${problem.kind}: ${problem.message}`);
  ctx.output.err(
    `tide: the audit log was tampered with: ${result.problems.length} problem(s) in ${result.entries} entries`,
  );
  ctx.exitCode = 1;
}

/**
 * Verification only reads: it never migrates. A database without the audit tables (or their signature
 * columns) gets a clear message rather than a "no such table" from the driver.
 */
async function requireAuditTables(store: Store): Promise<void> {
  const tables = await store.db.introspection.getTables();
  const columns = new Set(
    tables.flatMap((table) => table.columns.map((column) => `${table.name}.${column.name}`)),
  );
  // The signature columns came last (migration 0007): an older schema cannot be checked either.
  if (!columns.has('audit_log.mac') || !columns.has('audit_log_head.mac')) {
    throw new TideError(
      'database_unavailable',
      `${store.location} has no audit log: it is not migrated (run tide db migrate, or start tide serve)`,
    );
  }
}
