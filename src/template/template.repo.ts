/** `templates` rows: the git template registry every replica shares (src/store/migrations/0010_templates.ts). */
import type { Selectable } from 'kysely';
import type { Db, TemplatesTable } from '../store/schema.ts';

export type TemplateRow = Selectable<TemplatesTable>;

export async function listTemplateRows(db: Db): Promise<TemplateRow[]> {
  return db.selectFrom('templates').selectAll().orderBy('name').execute();
}

export async function findTemplateRow(db: Db, name: string): Promise<TemplateRow | undefined> {
  return db.selectFrom('templates').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Inserts a new template; false if one of that name exists already (nothing written then). */
export async function insertTemplateRow(db: Db, row: TemplateRow): Promise<boolean> {
  const result = await db
    .insertInto('templates')
    .values(row)
    .onConflict((conflict) => conflict.column('name').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/**
 * Pins a new commit, only if the row still pins `expectedCommit` (a refresh that raced another one does
 * not overwrite it); false otherwise.
 */
export async function updateTemplatePin(
  db: Db,
  name: string,
  expectedCommit: string,
  pin: Pick<TemplateRow, 'commit_sha' | 'content_hash' | 'refreshed_at' | 'refreshed_by'>,
): Promise<boolean> {
  const result = await db
    .updateTable('templates')
    .set(pin)
    .where('name', '=', name)
    .where('commit_sha', '=', expectedCommit)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteTemplateRow(db: Db, name: string): Promise<boolean> {
  const result = await db.deleteFrom('templates').where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** How many templates use a credential, to delete the credential with the last one. */
export async function countCredentialUsers(db: Db, secret: string): Promise<number> {
  const row = await db
    .selectFrom('templates')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('credential_secret', '=', secret)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
