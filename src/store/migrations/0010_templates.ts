import type { Kysely, Migration } from 'kysely';
import { dialectOf, instantType } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * Templates from git (src/template/): the registry every replica shares. A row is a git URL + ref +
 * subdirectory pinned to the commit the ref named when it was added or last refreshed, with the content
 * hash of that subdirectory at that commit. The files themselves are not stored: each replica fetches
 * the pinned commit into `<data>/templates/<name>/<commit>` (docs/decisions/019-templates-from-git.md).
 * `credential_secret` names a sealed value in `workspace_secrets` (scope `_templates`), never the value.
 */
export const templates: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const instant = instantType(dialectOf(db));
    await db.schema
      .createTable('templates')
      .addColumn('name', 'text', (col) => col.primaryKey())
      .addColumn('url', 'text', (col) => col.notNull())
      .addColumn('ref', 'text', (col) => col.notNull())
      .addColumn('subdir', 'text', (col) => col.notNull())
      .addColumn('commit_sha', 'text', (col) => col.notNull())
      .addColumn('content_hash', 'text', (col) => col.notNull())
      .addColumn('description', 'text', (col) => col.notNull())
      .addColumn('credential_secret', 'text')
      .addColumn('created_at', instant, (col) => col.notNull())
      .addColumn('created_by', 'text', (col) => col.notNull())
      .addColumn('refreshed_at', instant, (col) => col.notNull())
      .addColumn('refreshed_by', 'text', (col) => col.notNull())
      .execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('templates').execute();
  },
};
