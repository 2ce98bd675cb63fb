import type { Kysely, Migration } from 'kysely';
import { dialectOf, instantType } from '../dialect.ts';

/** Names the OIDC repository matches violations against (PostgreSQL reports constraint names). */
export const OIDC_IDENTITIES_PK = 'oidc_identities_pk';
export const OIDC_IDENTITIES_USER_UNIQUE = 'oidc_identities_user_unique';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * Users who sign in through an OpenID provider (src/auth/oidc/). The person is the provider's
 * `issuer` + `subject`, never the username: a local password user whose name matches a provider's
 * `preferred_username` is not theirs. A separate table rather than columns on `users`, so the users
 * table keeps its shape (SQLite cannot add a constrained column without rebuilding the table) and a
 * local user simply has no row here. OIDC users keep a placeholder password hash that no password
 * verifies.
 */
export const oidcIdentities: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const instant = instantType(dialectOf(db));
    await db.schema
      .createTable('oidc_identities')
      .addColumn('issuer', 'text', (col) => col.notNull())
      .addColumn('subject', 'text', (col) => col.notNull())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', instant, (col) => col.notNull())
      .addColumn('last_login_at', instant, (col) => col.notNull())
      .addPrimaryKeyConstraint(OIDC_IDENTITIES_PK, ['issuer', 'subject'])
      .addUniqueConstraint(OIDC_IDENTITIES_USER_UNIQUE, ['user_id'])
      .execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('oidc_identities').execute();
  },
};
