import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * HMAC signatures under TIDE_AUDIT_KEY (src/audit/audit-mac.ts), a key kept out of the database: on each
 * entry, so a row written without the key is named, and on the head, so moving the head back over
 * deleted entries shows. Nullable: entries written before this migration stay unsigned, covered by the
 * chain and by the first signature after them (docs/decisions/009-audit-anchor.md).
 */
export const auditSignatures: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('audit_log').addColumn('mac', 'text').execute();
    await db.schema.alterTable('audit_log_head').addColumn('mac', 'text').execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('audit_log_head').dropColumn('mac').execute();
    await db.schema.alterTable('audit_log').dropColumn('mac').execute();
  },
};
