import { sql, type Kysely, type Migration } from 'kysely';
import { dialectOf, instantType } from '../dialect.ts';

/** Names the auth repositories match violations against (PostgreSQL reports constraint names). */
export const USERS_USERNAME_UNIQUE = 'users_username_unique';
export const API_TOKENS_LIVE_NAME_UNIQUE = 'api_tokens_live_name_unique';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */
export const usersAndTokens: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const instant = instantType(dialectOf(db));

    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('username', 'text', (col) => col.notNull())
      .addColumn('password_hash', 'text', (col) => col.notNull())
      .addColumn('role', 'text', (col) => col.notNull())
      // JSON array of name patterns (`team-a-*`); null = every workspace.
      .addColumn('workspaces', 'text')
      .addColumn('disabled', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('created_at', instant, (col) => col.notNull())
      .addColumn('password_changed_at', instant, (col) => col.notNull())
      .addUniqueConstraint(USERS_USERNAME_UNIQUE, ['username'])
      .execute();

    // A login session: every refresh token issued from one login shares a family; reusing a spent one
    // revokes the family, and access tokens name their family (`sid`), so they die with it.
    await db.schema
      .createTable('refresh_token_families')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', instant, (col) => col.notNull())
      .addColumn('revoked_at', instant)
      .addColumn('revoke_reason', 'text')
      .execute();
    await db.schema
      .createIndex('refresh_token_families_user_idx')
      .on('refresh_token_families')
      .column('user_id')
      .execute();

    // Only the SHA-256 of a refresh token is stored: a copy of the database cannot be replayed.
    await db.schema
      .createTable('refresh_tokens')
      .addColumn('token_hash', 'text', (col) => col.primaryKey())
      .addColumn('family_id', 'text', (col) =>
        col.notNull().references('refresh_token_families.id').onDelete('cascade'),
      )
      .addColumn('created_at', instant, (col) => col.notNull())
      .addColumn('expires_at', instant, (col) => col.notNull())
      .addColumn('used_at', instant)
      .execute();
    await db.schema
      .createIndex('refresh_tokens_family_idx')
      .on('refresh_tokens')
      .column('family_id')
      .execute();

    await db.schema
      .createTable('api_tokens')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('token_hash', 'text', (col) => col.notNull().unique())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('role', 'text', (col) => col.notNull())
      .addColumn('workspaces', 'text')
      .addColumn('created_at', instant, (col) => col.notNull())
      .addColumn('expires_at', instant)
      .addColumn('revoked_at', instant)
      .execute();
    // A name identifies a token in the audit log (`token:<name>`), so two live tokens cannot share one;
    // a revoked token keeps its row (and name) for the record.
    await db.schema
      .createIndex(API_TOKENS_LIVE_NAME_UNIQUE)
      .on('api_tokens')
      .column('name')
      .unique()
      .where(sql.ref('revoked_at'), 'is', null)
      .execute();
    await db.schema.createIndex('api_tokens_user_idx').on('api_tokens').column('user_id').execute();

    // Failed-login counters, keyed `user:<name>` and `ip:<address>`, updated by one upsert each.
    await db.schema
      .createTable('login_failures')
      .addColumn('key', 'text', (col) => col.primaryKey())
      .addColumn('failures', 'integer', (col) => col.notNull())
      .addColumn('window_started_at', instant, (col) => col.notNull())
      .addColumn('locked_until', instant)
      .execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    for (const table of ['login_failures', 'api_tokens', 'refresh_tokens', 'refresh_token_families', 'users'])
      await db.schema.dropTable(table).execute();
  },
};
