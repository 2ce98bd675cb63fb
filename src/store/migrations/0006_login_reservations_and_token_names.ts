import { sql, type Kysely, type Migration } from 'kysely';
import { API_TOKENS_LIVE_NAME_UNIQUE } from './0002_users_and_tokens.ts';

/** Names the auth repositories match violations against (PostgreSQL reports constraint names). */
export const API_TOKENS_LIVE_OWNER_NAME_UNIQUE = 'api_tokens_live_owner_name_unique';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * Two changes to the auth tables (issue 7):
 * - `login_failures.pending`: password checks in flight. A check reserves its slot before argon2 runs,
 *   in the same statement that compares failures + pending with the threshold, so parallel guesses can
 *   never verify more passwords than the threshold allows (src/auth/login-failures.repo.ts).
 * - API token names are unique per owner among live tokens, not across users: one user's choice of name
 *   no longer collides with (and so reveals) another user's.
 */
export const loginReservationsAndTokenNames: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .alterTable('login_failures')
      .addColumn('pending', 'integer', (col) => col.notNull().defaultTo(0))
      .execute();
    await db.schema.dropIndex(API_TOKENS_LIVE_NAME_UNIQUE).execute();
    await db.schema
      .createIndex(API_TOKENS_LIVE_OWNER_NAME_UNIQUE)
      .on('api_tokens')
      .columns(['user_id', 'name'])
      .unique()
      .where(sql.ref('revoked_at'), 'is', null)
      .execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex(API_TOKENS_LIVE_OWNER_NAME_UNIQUE).execute();
    await db.schema
      .createIndex(API_TOKENS_LIVE_NAME_UNIQUE)
      .on('api_tokens')
      .column('name')
      .unique()
      .where(sql.ref('revoked_at'), 'is', null)
      .execute();
    await db.schema.alterTable('login_failures').dropColumn('pending').execute();
  },
};
