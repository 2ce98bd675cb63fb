/** The `oidc_identities` table: which provider identity (`issuer` + `subject`) is which Tide user. */
import type { Selectable } from 'kysely';
import { TideError } from '../../errors/tide-error.ts';
import { toInstant } from '../../store/dialect.ts';
import type { Db, OidcIdentitiesTable } from '../../store/schema.ts';
import { storeCall } from '../../store/store-errors.ts';

export interface OidcIdentity {
  readonly issuer: string;
  readonly subject: string;
  readonly userId: string;
  readonly createdAt: string;
  readonly lastLoginAt: string;
}

export async function getOidcIdentity(db: Db, issuer: string, subject: string): Promise<OidcIdentity | null> {
  return storeCall('getOidcIdentity', async () => {
    const row = await db
      .selectFrom('oidc_identities')
      .selectAll()
      .where('issuer', '=', issuer)
      .where('subject', '=', subject)
      .executeTakeFirst();
    return row ? toIdentity(row) : null;
  });
}

/** Links a user to an identity; either already linked (a concurrent first login) is `conflict`. */
export async function insertOidcIdentity(
  db: Db,
  identity: { issuer: string; subject: string; userId: string; now: Date },
): Promise<OidcIdentity> {
  const now = toInstant(identity.now);
  return storeCall(
    'insertOidcIdentity',
    async () =>
      toIdentity(
        await db
          .insertInto('oidc_identities')
          .values({
            issuer: identity.issuer,
            subject: identity.subject,
            user_id: identity.userId,
            created_at: now,
            last_login_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      ),
    (_violation, cause) =>
      new TideError('conflict', 'this identity or this user is already linked', {
        details: { issuer: identity.issuer },
        cause,
      }),
  );
}

export async function touchOidcIdentity(db: Db, issuer: string, subject: string, now: Date): Promise<void> {
  await storeCall('touchOidcIdentity', () =>
    db
      .updateTable('oidc_identities')
      .set({ last_login_at: toInstant(now) })
      .where('issuer', '=', issuer)
      .where('subject', '=', subject)
      .execute(),
  );
}

function toIdentity(row: Selectable<OidcIdentitiesTable>): OidcIdentity {
  return {
    issuer: row.issuer,
    subject: row.subject,
    userId: row.user_id,
    createdAt: toInstant(row.created_at),
    lastLoginAt: toInstant(row.last_login_at),
  };
}
